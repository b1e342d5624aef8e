/* N1QL and views through the public API against sofa-mock (real processes,
 * ephemeral ports): every option and error. Built twice: with QUERY_MOCK_STREAM
 * (test_query_mock_stream) it loads 100,000 documents and runs the large
 * streaming cases (100,000 rows, node killed mid-stream); without, a small data
 * set for everything else (so that each test stays well under 30 s, also with
 * sanitizers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <sofa/sofa.h>
#include <sofa/query.h>
#include <sofa/view.h>

#include <jansson.h>

#include "query/qcore.h"
#include "support/mockproc.h"

#ifdef QUERY_MOCK_STREAM
#define STREAM_SET 1
#else
#define STREAM_SET 0
#endif

static sofa_test_mock mock;
static sofa_client *cli;

static void on_connect(sofa_client *c, sofa_status st, void *cookie)
{
    *(int *)cookie = st;
}

static int setup(void **state)
{
    const char *args[] = {"--nodes", "2", "--sample", STREAM_SET ? "rows:100000" : "rows:2000",
                          NULL};
    if (sofa_test_mock_start(&mock, args) != 0) {
        return -1;
    }
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = mock.connstr;
    o.username = "Administrator";
    o.password = "password";
    char err[256];
    if (sofa_client_new(&cli, &o, err, sizeof(err)) != 0) {
        fprintf(stderr, "client: %s\n", err);
        return -1;
    }
    int st = 1;
    if (sofa_client_connect(cli, on_connect, &st) != 0 || sofa_client_wait(cli) != 0 || st != 0) {
        fprintf(stderr, "connect: %d %s\n", st, sofa_client_bootstrap_report(cli));
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    sofa_client_free(cli);
    sofa_test_mock_stop(&mock);
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct qres {
    int done;
    int status;
    size_t rows;
    size_t batches;
    size_t rows_at_first_batch;
    int first_batch_before_end; /* the HTTP response was still running */
    double t_first, t_end;
    char first[256];
    char meta[4096];
    char ctx[128];
    char msg[256];
    int64_t code;
    sofa_query *handle;
    int stop_node_at_first; /* kill node(s) while streaming */
} qres;

static void q_rows(sofa_client *c, const sofa_row *rows, size_t n, void *cookie)
{
    qres *r = cookie;
    if (r->batches == 0) {
        r->t_first = now_s();
        r->rows_at_first_batch = n;
        snprintf(r->first, sizeof(r->first), "%.*s", (int)rows[0].len, rows[0].json);
        /* the response body is still arriving: the HTTP request is alive */
        r->first_batch_before_end = r->handle && r->handle->req != NULL && !r->handle->finished;
        if (r->stop_node_at_first) {
            for (int i = 0; i < mock.nnodes; i++) {
                char path[64];
                snprintf(path, sizeof(path), "/mock/stop?node=%d", i);
                assert_int_equal(sofa_test_mock_ctl(&mock, "POST", path, NULL, NULL, 0), 200);
            }
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL); /* the mock closes the connections meanwhile */
        }
    }
    r->batches++;
    r->rows += n;
}

static void end(qres *r, int st, const sofa_query_meta *m)
{
    assert_int_equal(r->done, 0);
    r->done = 1;
    r->status = st;
    r->t_end = now_s();
    snprintf(r->meta, sizeof(r->meta), "%s", m->json);
    snprintf(r->ctx, sizeof(r->ctx), "%s", m->client_context_id);
    snprintf(r->msg, sizeof(r->msg), "%s", m->error_msg);
    r->code = m->error_code;
    assert_int_equal(m->nrows, r->rows);
}

static void q_done(sofa_client *c, const sofa_query_meta *m, void *cookie)
{
    end(cookie, 0, m);
}

static void q_error(sofa_client *c, sofa_status st, const sofa_query_meta *m, void *cookie)
{
    end(cookie, st, m);
}

static const sofa_query_callbacks qcbs = {q_rows, q_done, q_error};

static void run(const char *stmt, const sofa_query_opts *o, qres *r)
{
    assert_int_equal(sofa_query_start(cli, stmt, o, &qcbs, r, &r->handle), 0);
    assert_int_equal(sofa_client_wait(cli), 0);
    assert_int_equal(r->done, 1);
}

static void hundred_thousand_rows_first_row_before_the_end(void **state)
{
    qres r;
    memset(&r, 0, sizeof(r));
    run("SELECT RAW n FROM default WHERE type = 'row'", NULL, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.rows, 100000);
    assert_string_equal(r.first, "0");
    assert_true(r.first_batch_before_end);
    assert_true(r.rows_at_first_batch < 100000);
    assert_true(r.batches > 10);
    assert_true(r.t_first < r.t_end);
    assert_non_null(strstr(r.meta, "\"status\":\"success\""));
    assert_non_null(strstr(r.meta, "\"resultCount\":100000"));
}

static void positional_and_named_parameters(void **state)
{
    const char *args[] = {"10", "\"row\""};
    sofa_query_opts o = SOFA_QUERY_OPTS_INIT;
    o.args = args;
    o.nargs = 2;
    qres r;
    memset(&r, 0, sizeof(r));
    run("SELECT RAW n FROM default WHERE n < $1 AND type = $2", &o, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.rows, 10);
    sofa_query_param named[] = {{"lo", "5"}, {"$hi", "8"}};
    sofa_query_opts n = SOFA_QUERY_OPTS_INIT;
    n.named = named;
    n.nnamed = 2;
    memset(&r, 0, sizeof(r));
    run("SELECT RAW n FROM default WHERE n >= $lo AND n < $hi AND type = 'row'", &n, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.rows, 3);
    assert_string_equal(r.first, "5");
}

static void mut_cb(sofa_client *c, sofa_status st, const sofa_mutation_result *res, void *cookie)
{
    sofa_mutation_token *t = cookie;
    assert_int_equal(st, 0);
    *t = res->token;
}

static void consistency_context_id_readonly_timeout_raw(void **state)
{
    sofa_mutation_token tok = {0, 0, 0};
    const char *doc = "{\"type\":\"fresh\",\"n\":-1}";
    assert_int_equal(sofa_kv_upsert(cli, "fresh-1", 7, doc, strlen(doc), NULL, mut_cb, &tok), 0);
    assert_int_equal(sofa_client_wait(cli), 0);
    assert_true(tok.vbuuid != 0);
    sofa_query_opts o = SOFA_QUERY_OPTS_INIT;
    o.consistency = SOFA_SCAN_AT_PLUS;
    o.tokens = &tok;
    o.ntokens = 1;
    o.client_context_id = "my-ctx-42";
    o.readonly = 1;
    o.timeout_us = 20000000;
    o.scan_wait = "1s";
    o.raw = "{\"max_parallelism\":2,\"metrics\":true}";
    qres r;
    memset(&r, 0, sizeof(r));
    run("SELECT RAW META().id FROM default WHERE type = 'fresh'", &o, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.rows, 1);
    assert_string_equal(r.first, "\"fresh-1\"");
    assert_string_equal(r.ctx, "my-ctx-42");
    assert_non_null(strstr(r.meta, "\"clientContextID\":\"my-ctx-42\""));
    o.consistency = SOFA_SCAN_REQUEST_PLUS;
    o.raw = "{\"no_such_parameter\":1}"; /* the server rejects unknown names: 1065 */
    memset(&r, 0, sizeof(r));
    run("SELECT 1", &o, &r);
    assert_int_equal(r.status, SOFA_E_QUERY_ERROR);
    assert_int_equal(r.code, 1065);
}

static void syntax_and_keyspace_errors(void **state)
{
    qres r;
    memset(&r, 0, sizeof(r));
    run("SELEKT * FROM default", NULL, &r);
    assert_int_equal(r.status, SOFA_E_QUERY_SYNTAX);
    assert_int_equal(r.code, 3000);
    assert_true(strlen(r.msg) > 0);
    memset(&r, 0, sizeof(r));
    run("SELECT * FROM nosuchbucket", NULL, &r);
    assert_int_equal(r.status, SOFA_E_QUERY_KEYSPACE_NOT_FOUND);
    assert_int_equal(r.code, 12003);
}

/* The services object the public API created for the client. */
static sofa__svc *svc_of(sofa_client *c)
{
    sofa_query *q = NULL;
    qres r;
    memset(&r, 0, sizeof(r));
    assert_int_equal(sofa_query_start(c, "SELECT 1", NULL, &qcbs, &r, &q), 0);
    sofa__svc *s = q->svc;
    sofa_query_cancel(q);
    return s;
}

static void prepared_statement_invalidated_is_reprepared(void **state)
{
    sofa_query_opts o = SOFA_QUERY_OPTS_INIT;
    o.prepared = 1;
    const char *stmt = "SELECT RAW n FROM default WHERE type = 'row' AND n < 3";
    qres r;
    memset(&r, 0, sizeof(r));
    run(stmt, &o, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.rows, 3);
    sofa__svc *s = svc_of(cli);
    const sofa__prepared *p = sofa__svc_prepared_get(s, stmt);
    assert_non_null(p);
    /* the cluster "forgets" the plan: replace it by one the server cannot decode */
    char name[128];
    snprintf(name, sizeof(name), "%s", p->name);
    assert_int_equal(sofa__svc_prepared_put(
                         s, stmt, name, sofa__svc_enhanced_prepared(s) ? NULL : "bm90LWEtcGxhbg=="),
                     0);
    if (sofa__svc_enhanced_prepared(s)) {
        assert_int_equal(sofa__svc_prepared_put(s, stmt, "no-such-prepared", NULL), 0);
    }
    memset(&r, 0, sizeof(r));
    run(stmt, &o, &r);
    assert_int_equal(r.status, 0); /* 4040/4070, then PREPARE and EXECUTE again */
    assert_int_equal(r.rows, 3);
}

static void client_timeout_on_a_hanging_node(void **state)
{
    assert_int_equal(sofa_test_mock_ctl(&mock, "POST", "/mock/hang?on=1", NULL, NULL, 0), 200);
    sofa_query_opts o = SOFA_QUERY_OPTS_INIT;
    o.timeout_us = 300000;
    qres r;
    memset(&r, 0, sizeof(r));
    run("SELECT 1", &o, &r);
    assert_int_equal(sofa_test_mock_ctl(&mock, "POST", "/mock/reset", NULL, NULL, 0), 200);
    assert_int_equal(r.status, SOFA_E_QUERY_TIMEOUT);
    assert_non_null(strstr(r.msg, "300 ms"));
}

static void node_killed_mid_stream(void **state)
{
    qres r;
    memset(&r, 0, sizeof(r));
    r.stop_node_at_first = 1;
    /* about 30 MB, more than the socket buffers hold */
    run("SELECT d.*, d.payload AS p1, d.payload AS p2, d.payload AS p3, d.payload AS p4, "
        "d.payload AS p5, d.payload AS p6 FROM default d WHERE d.type = 'row'",
        NULL, &r);
    if (sofa_status_category(r.status) != SOFA_CAT_NETWORK) {
        fail_msg("status %s rows %zu msg %s", sofa_status_name(r.status), r.rows, r.msg);
    }
    assert_true(r.rows > 0 && r.rows < 100000);
    for (int i = 0; i < mock.nnodes; i++) {
        char path[64];
        snprintf(path, sizeof(path), "/mock/start?node=%d", i);
        sofa_test_mock_ctl(&mock, "POST", path, NULL, NULL, 0);
    }
}

/* ------------------------------------------------------------ views */

typedef struct vres {
    int done, status;
    size_t rows;
    char text[4096];
    char meta[1024];
    char msg[256];
} vres;

static void v_rows(sofa_client *c, const sofa_view_row *rows, size_t n, void *cookie)
{
    vres *r = cookie;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(r->text);
        snprintf(r->text + len, sizeof(r->text) - len, "%.*s|%d|%.*s\n", (int)rows[i].len,
                 rows[i].json, (int)rows[i].doc_status, (int)(rows[i].doc ? rows[i].ndoc : 0),
                 rows[i].doc ? (const char *)rows[i].doc : "");
    }
    r->rows += n;
}

static void v_end(vres *r, int st, const sofa_query_meta *m)
{
    assert_int_equal(r->done, 0);
    r->done = 1;
    r->status = st;
    snprintf(r->meta, sizeof(r->meta), "%s", m->json);
    snprintf(r->msg, sizeof(r->msg), "%s", m->error_msg);
}

static void v_done(sofa_client *c, const sofa_query_meta *m, void *cookie)
{
    v_end(cookie, 0, m);
}

static void v_error(sofa_client *c, sofa_status st, const sofa_query_meta *m, void *cookie)
{
    v_end(cookie, st, m);
}

static const sofa_view_callbacks vcbs = {v_rows, v_done, v_error};

static void vrun(const char *ddoc, const char *view, const sofa_view_opts *o, vres *r)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(sofa_view_start(cli, ddoc, view, o, &vcbs, r, NULL), 0);
    assert_int_equal(sofa_client_wait(cli), 0);
    assert_int_equal(r->done, 1);
}

typedef struct hres {
    int done, status, http;
    char body[512];
} hres;

static void h_done(sofa_client *c, sofa_status st, const sofa_http_response *resp, void *cookie)
{
    hres *r = cookie;
    r->done = 1;
    r->status = st;
    r->http = resp->status;
    snprintf(r->body, sizeof(r->body), "%.*s", (int)resp->nbody, resp->body);
}

static void views_every_option_and_include_docs(void **state)
{
    /* a design document created through the raw HTTP call */
    const char *ddoc = "{\"views\":{\"by_n\":{\"map\":\"function(doc, meta){ if (doc.type == 'row' "
                       "&& doc.n < 20) emit(doc.n, doc.even); }\",\"reduce\":\"_count\"}}}";
    sofa_http_request req = {.struct_size = sizeof(req),
                             .service = SOFA_HTTP_VIEWS,
                             .method = "PUT",
                             .path = "/default/_design/dev_small",
                             .body = ddoc,
                             .nbody = strlen(ddoc)};
    hres h;
    memset(&h, 0, sizeof(h));
    assert_int_equal(sofa_http_request_start(cli, &req, h_done, &h), 0);
    assert_int_equal(sofa_client_wait(cli), 0);
    assert_int_equal(h.status, 0);
    assert_int_equal(h.http, 201);

    vres r;
    sofa_view_opts o = SOFA_VIEW_OPTS_INIT;
    o.reduce = SOFA_FALSE;
    o.startkey = "3";
    o.endkey = "7";
    o.inclusive_end = SOFA_FALSE;
    o.descending = SOFA_FALSE;
    o.skip = 1;
    o.limit = 2;
    o.stale = SOFA_STALE_FALSE;
    o.on_error = SOFA_VIEW_ON_ERROR_STOP;
    vrun("dev_small", "by_n", &o, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.rows, 2);
    assert_non_null(strstr(r.text, "\"key\":4"));
    assert_non_null(strstr(r.text, "\"key\":5"));
    assert_non_null(strstr(r.meta, "\"total_rows\":20"));

    sofa_view_opts d = SOFA_VIEW_OPTS_INIT; /* descending with docids and include_docs */
    d.reduce = SOFA_FALSE;
    d.descending = SOFA_TRUE;
    d.limit = 3;
    d.include_docs = 1;
    d.docs_concurrency = 2;
    vrun("dev_small", "by_n", &d, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.rows, 3);
    const char *k19 = strstr(r.text, "\"key\":19");
    const char *k18 = strstr(r.text, "\"key\":18");
    assert_non_null(k19);
    assert_non_null(k18);
    assert_true(k19 < k18); /* in row order */
    assert_non_null(strstr(r.text, "|0|{\"type\":\"row\",\"n\":19"));

    const char *keys[] = {"2", "11"}; /* keys go in a POST body */
    sofa_view_opts k = SOFA_VIEW_OPTS_INIT;
    k.reduce = SOFA_FALSE;
    k.keys = keys;
    k.nkeys = 2;
    vrun("dev_small", "by_n", &k, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.rows, 2);

    sofa_view_opts g = SOFA_VIEW_OPTS_INIT; /* the reduce */
    g.key = "6";
    vrun("dev_small", "by_n", &g, &r);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.text, "\"value\":1"));
    g.key = NULL;
    g.group = SOFA_TRUE;
    g.group_level = 1;
    vrun("dev_small", "by_n", &g, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.rows, 20);
}

static void view_errors(void **state)
{
    vres r;
    vrun("dev_nope", "by_n", NULL, &r);
    assert_int_equal(r.status, SOFA_E_VIEW_NOT_FOUND);
    assert_non_null(strstr(r.msg, "not_found"));
    sofa_view_opts o = SOFA_VIEW_OPTS_INIT;
    o.group_level = 2; /* on a map-only view: query_parse_error */
    vrun("rows", "by_n_map_only_missing", &o, &r);
    assert_int_equal(r.status, SOFA_E_VIEW_NOT_FOUND);
}

typedef struct freer {
    sofa_client *c;
    int rows_calls;
    int ends;
    int status;
} freer;

static void f_rows(sofa_client *c, const sofa_row *rows, size_t n, void *cookie)
{
    freer *f = cookie;
    if (f->rows_calls++ == 0) {
        sofa_client_free(c); /* deferred until the callback returns */
    }
}

static void f_done(sofa_client *c, const sofa_query_meta *m, void *cookie)
{
    freer *f = cookie;
    f->ends++;
    f->status = 0;
}

static void f_error(sofa_client *c, sofa_status st, const sofa_query_meta *m, void *cookie)
{
    freer *f = cookie;
    f->ends++;
    f->status = st;
}

static void client_freed_inside_on_rows(void **state)
{
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = mock.connstr;
    o.username = "Administrator";
    o.password = "password";
    sofa_client *c2;
    assert_int_equal(sofa_client_new(&c2, &o, NULL, 0), 0);
    assert_int_equal(sofa_client_connect(c2, NULL, NULL), 0);
    freer f = {c2, 0, 0, 0};
    static const sofa_query_callbacks cbs = {f_rows, f_done, f_error};
    assert_int_equal(
        sofa_query_start(c2, "SELECT RAW n FROM default WHERE type = 'row'", NULL, &cbs, &f, NULL),
        0);
    sofa_client_wait(c2);              /* returns once the deferred free has run */
    assert_int_equal(f.rows_calls, 1); /* nothing after the free */
    assert_int_equal(f.ends, 1);
    assert_int_equal(f.status, SOFA_E_CANCELED);
}

static void f_error_free(sofa_client *c, sofa_status st, const sofa_query_meta *m, void *cookie)
{
    f_error(c, st, m, cookie);
    sofa_client_free(c); /* from the terminal callback */
}

static void fv_rows(sofa_client *c, const sofa_view_row *rows, size_t n, void *cookie)
{
    freer *f = cookie;
    if (f->rows_calls++ == 0) {
        sofa_client_free(c); /* documents still being fetched */
    }
}

static void client_freed_in_terminal_callback_and_during_include_docs(void **state)
{
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = mock.connstr;
    o.username = "Administrator";
    o.password = "password";
    sofa_client *c2;
    assert_int_equal(sofa_client_new(&c2, &o, NULL, 0), 0);
    assert_int_equal(sofa_client_connect(c2, NULL, NULL), 0);
    freer f = {c2, 0, 0, 0};
    static const sofa_query_callbacks cbs = {f_rows, f_done, f_error_free};
    assert_int_equal(sofa_query_start(c2, "SELEKT", NULL, &cbs, &f, NULL), 0);
    sofa_client_wait(c2);
    assert_int_equal(f.ends, 1);
    assert_int_equal(f.status, SOFA_E_QUERY_SYNTAX);

    assert_int_equal(sofa_client_new(&c2, &o, NULL, 0), 0);
    assert_int_equal(sofa_client_connect(c2, NULL, NULL), 0);
    freer g = {c2, 0, 0, 0};
    sofa_view_opts vo = SOFA_VIEW_OPTS_INIT;
    vo.reduce = SOFA_FALSE;
    vo.include_docs = 1;
    vo.docs_concurrency = 8;
    static const sofa_view_callbacks vcb = {fv_rows, f_done, f_error};
    assert_int_equal(sofa_view_start(c2, "rows", "by_n", &vo, &vcb, &g, NULL), 0);
    sofa_client_wait(c2);
    assert_int_equal(g.rows_calls, 1);
    assert_int_equal(g.ends, 1);
    assert_int_equal(g.status, SOFA_E_CANCELED);
}

static void raw_management_request(void **state)
{
    sofa_http_request req = {
        .struct_size = sizeof(req), .service = SOFA_HTTP_MGMT, .method = "GET", .path = "/pools"};
    hres h;
    memset(&h, 0, sizeof(h));
    assert_int_equal(sofa_http_request_start(cli, &req, h_done, &h), 0);
    assert_int_equal(sofa_client_wait(cli), 0);
    assert_int_equal(h.status, 0);
    assert_int_equal(h.http, 200);
    assert_non_null(strstr(h.body, "\"pools\""));
}

static void on_all(sofa_client *c, sofa_status st, const sofa_query_result *res, void *cookie)
{
    int *calls = cookie;
    (*calls)++;
    assert_int_equal(st, 0);
    assert_int_equal(sofa_query_result_count(res), 3);
    sofa_row r = sofa_query_result_row(res, 2);
    assert_int_equal(r.len, 1);
    assert_memory_equal(r.json, "2", 1);
    assert_int_equal(sofa_query_result_meta(res)->nrows, 3);
}

static void sync_and_all_at_once_forms(void **state)
{
    int calls = 0;
    assert_int_equal(sofa_query_all(cli, "SELECT RAW n FROM default WHERE type = 'row' AND n < 3",
                                    NULL, on_all, &calls),
                     0);
    assert_int_equal(sofa_client_wait(cli), 0);
    assert_int_equal(calls, 1);
    assert_int_equal(sofa_query_all(cli, "SELECT 1", NULL, NULL, NULL), SOFA_E_INVALID_ARGUMENT);
    sofa_query_result *res = NULL;
    assert_int_equal(
        sofa_query_run(cli, "SELECT RAW n FROM default WHERE type = 'row' AND n < 5", NULL, &res),
        0);
    assert_non_null(res);
    assert_int_equal(sofa_query_result_count(res), 5);
    sofa_row row;
    int i = 0;
    while (sofa_query_result_next(res, &row)) {
        char want[16];
        snprintf(want, sizeof(want), "%d", i++);
        assert_int_equal(row.len, strlen(want));
        assert_memory_equal(row.json, want, row.len);
    }
    assert_int_equal(i, 5);
    assert_string_equal(sofa_query_result_meta(res)->status, "success");
    sofa_query_result_free(res);
    res = NULL;
    /* views: sync form with the documents spliced into the rows */
    sofa_view_opts vo = SOFA_VIEW_OPTS_INIT;
    vo.limit = 2;
    vo.include_docs = 1;
    vo.reduce = SOFA_FALSE; /* by_n has a reduce (_count): ask for the map rows */
    assert_int_equal(sofa_view_run(cli, "rows", "by_n", &vo, &res), 0);
    assert_int_equal(sofa_query_result_count(res), 2);
    row = sofa_query_result_row(res, 1);
    json_t *j = json_loadb(row.json, row.len, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "key")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "doc"), "n")), 1);
    json_decref(j);
    assert_null(sofa_query_result_row(res, 2).json);
    sofa_query_result_free(res);
    res = NULL;
    assert_int_equal(sofa_query_run(cli, "SELEKT", NULL, &res), SOFA_E_QUERY_SYNTAX);
    assert_non_null(res);
    assert_int_equal(sofa_query_result_meta(res)->error_code, 3000);
    sofa_query_result_free(res);
}

int main(void)
{
    const struct CMUnitTest stream_tests[] = {
        cmocka_unit_test(hundred_thousand_rows_first_row_before_the_end),
        cmocka_unit_test(node_killed_mid_stream),
    };
    const struct CMUnitTest other_tests[] = {
        cmocka_unit_test(positional_and_named_parameters),
        cmocka_unit_test(consistency_context_id_readonly_timeout_raw),
        cmocka_unit_test(syntax_and_keyspace_errors),
        cmocka_unit_test(prepared_statement_invalidated_is_reprepared),
        cmocka_unit_test(client_timeout_on_a_hanging_node),
        cmocka_unit_test(views_every_option_and_include_docs),
        cmocka_unit_test(view_errors),
        cmocka_unit_test(sync_and_all_at_once_forms),
        cmocka_unit_test(client_freed_inside_on_rows),
        cmocka_unit_test(client_freed_in_terminal_callback_and_during_include_docs),
        cmocka_unit_test(raw_management_request),
    };
    if (STREAM_SET) {
        return cmocka_run_group_tests(stream_tests, setup, teardown);
    }
    return cmocka_run_group_tests(other_tests, setup, teardown);
}
