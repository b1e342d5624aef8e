/* Allocation-failure sweeps for the HTTP and query code: each run fails the 1st,
 * 2nd, ... allocation in turn (libsofa's malloc/calloc/realloc/strdup through
 * tests/support/failalloc, jansson's through json_set_alloc_funcs). Every run must end in
 * success or SOFA_E_NO_MEMORY (never a crash or another status), with nothing
 * left allocated. One exception: jansson 2.14 does not report its own allocation
 * failures as such (json_error_code() says "unknown" or "invalid syntax"), so
 * when the failed allocation was jansson's, the JSON or invalid-argument status
 * that sofa derives from the parse failure is accepted too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "http/rowsplit.h"
#include "http/testloop.h"
#include "query/n1ql.h"
#include "query/n1ql_req.h"
#include "query/view.h"
#include "query/view_req.h"
#include "sofa/status.h"
#include "support/failalloc.h"

/* jansson does not report its own allocation failures as such, so remember whether the
 * failed allocation was jansson's (see acceptable()). */
static int failed_in_jansson;

static void *json_alloc(size_t n)
{
    long before = failalloc_failures();
    void *p = __wrap_malloc(n);
    if (failalloc_failures() > before)
        failed_in_jansson = 1;
    return p;
}

static void json_free(void *p)
{
    __wrap_free(p);
}

static int acceptable(int rc)
{
    return rc == 0 || rc == SOFA_E_NO_MEMORY ||
           (failed_in_jansson && (rc == SOFA_E_JSON || rc == SOFA_E_INVALID_ARGUMENT));
}

/* Run @p fn with allocation k failing, k = 0, 1, ... until a run makes no more
 * allocations than k; each run must return 0 or SOFA_E_NO_MEMORY and free everything. */
static void sweep(int (*fn)(void *), void *arg, const char *name)
{
    for (long k = 0;; k++) {
        failed_in_jansson = 0;
        int rc = failalloc_run(k, fn, arg);
        long made = failalloc_calls();
        if (!acceptable(rc)) {
            fail_msg("%s: failing allocation %ld gave %s", name, k, sofa_status_name(rc));
        }
        if (failalloc_live() != 0) {
            fail_msg("%s: failing allocation %ld leaked %ld blocks", name, k, failalloc_live());
        }
        if (made <= k) {
            assert_int_equal(rc, 0); /* nothing failed: must succeed */
            assert_true(k > 3);      /* the sweep did exercise allocations */
            break;
        }
    }
}

/* ------------------------------------------------------------ parsers, builders */

static int count_row(void *arg, const char *row, size_t len)
{
    (*(size_t *)arg)++;
    return 0;
}

static int rowsplit_run(void *arg)
{
    const char *doc = arg;
    size_t n = 0;
    sofa__rowsplit rs;
    int rc = sofa__rowsplit_init(&rs, "results", 64, count_row, &n);
    size_t len = strlen(doc);
    for (size_t off = 0; rc == 0 && off < len; off += 7) { /* rows span pieces */
        rc = sofa__rowsplit_feed(&rs, doc + off, len - off < 7 ? len - off : 7);
    }
    json_t *meta = NULL;
    if (rc == 0) {
        rc = sofa__rowsplit_finish(&rs, &meta);
    }
    json_decref(meta);
    sofa__rowsplit_free(&rs);
    return rc;
}

static void rowsplit_sweep(void **state)
{
    sweep(rowsplit_run,
          "{\"requestID\":\"r\",\"results\":[{\"a\":[1,2,3]},\"a long string row\",12345],"
          "\"status\":\"success\",\"metrics\":{\"resultCount\":3}}",
          "rowsplit");
}

static int n1ql_body_run(void *arg)
{
    const char *args[] = {"[1,2]", "{\"x\":\"y\"}"};
    sofa_query_param named[] = {{"a", "1"}};
    sofa_mutation_token tok[] = {{3, 99, 7}};
    sofa_query_opts o = SOFA_QUERY_OPTS_INIT;
    o.args = args;
    o.nargs = 2;
    o.named = named;
    o.nnamed = 1;
    o.consistency = SOFA_SCAN_AT_PLUS;
    o.tokens = tok;
    o.ntokens = 1;
    o.raw = "{\"max_parallelism\":2}";
    sofa__n1ql_req req = {.mode = SOFA__N1QL_PREPARE_EXECUTE,
                          .statement = "SELECT $1",
                          .bucket = "b",
                          .context_id = "c",
                          .timeout_us = 5,
                          .opts = &o};
    char *body = NULL;
    size_t len;
    char err[100];
    int rc = sofa__n1ql_body(&req, &body, &len, err, sizeof(err));
    free(body);
    return rc;
}

static void n1ql_body_sweep(void **state)
{
    sweep(n1ql_body_run, NULL, "n1ql body");
}

static int view_req_run(void *arg)
{
    const char *keys[] = {"1", "[\"a\"]"};
    sofa_view_opts o = SOFA_VIEW_OPTS_INIT;
    o.startkey = "[1,{\"x\":2}]";
    o.keys = keys;
    o.nkeys = 2;
    o.limit = 5;
    sofa__view_req r;
    char err[100];
    int rc = sofa__view_req_build("/b", "d", "v", &o, &r, err, sizeof(err));
    sofa__view_req_free(&r);
    return rc;
}

static void view_req_sweep(void **state)
{
    sweep(view_req_run, NULL, "view request");
}

/* ------------------------------------------------------------ end to end */

typedef struct e2e {
    sofa_iops *io;
    test_server *srv;
    sofa__node node;
    sofa__config cfg;
    int pending;
    int done;
    int status;
    size_t rows;
} e2e;

static const sofa__config *hook_config(void *arg)
{
    return &((e2e *)arg)->cfg;
}

static void hook_begin(void *arg)
{
    ((e2e *)arg)->pending++;
}

static void hook_end(void *arg)
{
    ((e2e *)arg)->pending--;
}

static const sofa__svc_hooks hooks = {hook_config, hook_begin, hook_end, NULL, NULL, NULL, NULL};

static void q_rows(sofa_client *c, const sofa_row *rows, size_t n, void *cookie)
{
    ((e2e *)cookie)->rows += n;
}

static void q_done(sofa_client *c, const sofa_query_meta *m, void *cookie)
{
    e2e *e = cookie;
    e->done = 1;
    e->status = 0;
}

static void q_error(sofa_client *c, sofa_status st, const sofa_query_meta *m, void *cookie)
{
    e2e *e = cookie;
    e->done = 1;
    e->status = st;
}

static const srv_step answer[] = {
    {SRV_SEND_JSON,
     "{\"requestID\":\"x\",\"results\":[{\"a\":1},{\"b\":[2,3]},\"three\"],"
     "\"status\":\"success\",\"metrics\":{\"resultCount\":3}}",
     200, NULL},
    {SRV_END, NULL, 0, NULL}};

static int n1ql_run(void *arg)
{
    e2e *e = arg;
    e->done = e->rows = 0;
    e->status = 0;
    sofa__svc *svc = NULL;
    int rc = sofa__svc_new(NULL, e->io, NULL, "u", "p", "b", &hooks, e, &svc);
    if (rc != 0) {
        return rc;
    }
    static const sofa_query_callbacks cbs = {q_rows, q_done, q_error};
    const char *args[] = {"\"x\""};
    sofa_query_opts o = SOFA_QUERY_OPTS_INIT;
    o.args = args;
    o.nargs = 1;
    rc = sofa__n1ql_start(svc, "SELECT $1", &o, &cbs, e, NULL);
    if (rc == 0) {
        testloop_run_until(e->io, &e->done, 5000);
        rc = e->done ? e->status : SOFA_E_INTERNAL;
        if (rc == 0 && e->rows != 3) {
            rc = SOFA_E_INTERNAL;
        }
    }
    sofa__svc_free(svc);
    if (e->pending != 0) {
        return SOFA_E_INTERNAL;
    }
    /* a request that failed for lack of memory may have been sent (and answered) or not */
    return rc;
}

static void n1ql_end_to_end_sweep(void **state)
{
    e2e e;
    memset(&e, 0, sizeof(e));
    test_server srv;
    memset(&srv, 0, sizeof(srv));
    assert_int_equal(test_server_start(&srv), 0);
    for (int i = 0; i < SRV_MAX_REQS; i++) {
        srv.scripts[i] = answer;
    }
    srv.nscripts = SRV_MAX_REQS;
    e.srv = &srv;
    e.io = testloop_new();
    e.node.host = "127.0.0.1";
    e.node.n1ql = srv.port;
    e.cfg.nodes = &e.node;
    e.cfg.nnodes = 1;
    /* the test server answers SRV_MAX_REQS requests, one per run that sends */
    for (long k = 0;; k++) {
        if (srv.nrequests >= SRV_MAX_REQS - 1) { /* fresh server for the next runs */
            test_server_stop(&srv);
            memset(&srv, 0, sizeof(srv));
            assert_int_equal(test_server_start(&srv), 0);
            for (int i = 0; i < SRV_MAX_REQS; i++) {
                srv.scripts[i] = answer;
            }
            srv.nscripts = SRV_MAX_REQS;
            e.node.n1ql = srv.port;
        }
        failed_in_jansson = 0;
        failalloc_start(k);
        int rc = n1ql_run(&e);
        failalloc_stop();
        long made = failalloc_calls();
        if (!acceptable(rc)) {
            fail_msg("n1ql: failing allocation %ld gave %s", k, sofa_status_name(rc));
        }
        if (failalloc_live() != 0) {
            fail_msg("n1ql: failing allocation %ld leaked %ld blocks", k, failalloc_live());
        }
        if (made <= k) {
            assert_int_equal(rc, 0);
            assert_true(k > 20);
            printf("n1ql end to end: %ld allocations swept\n", k);
            break;
        }
    }
    testloop_free(e.io);
    test_server_stop(&srv);
}

int main(void)
{
    json_set_alloc_funcs(json_alloc, json_free);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rowsplit_sweep),
        cmocka_unit_test(n1ql_body_sweep),
        cmocka_unit_test(view_req_sweep),
        cmocka_unit_test(n1ql_end_to_end_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
