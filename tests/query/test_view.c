/* View queries and raw HTTP requests over real sockets against a scripted
 * views service; include_docs against a fake KV that answers out of order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http/testloop.h"
#include "query/view.h"
#include "sofa/status.h"

/* ------------------------------------------------------------ fake KV */

#define MAX_GETS 64

typedef struct fake_get {
    char key[64];
    sofa__svc_doc_cb cb;
    void *cookie;
} fake_get;

typedef struct fixture {
    sofa_iops *io;
    test_server srv;
    sofa__node node;
    sofa__config cfg;
    int pending;
    sofa__svc *svc;
    fake_get gets[MAX_GETS];
    int ngets;
    int max_inflight, inflight;
    sofa_io_timer *kv_timer;
    int kv_refuse; /* get_doc returns this */
} fixture;

static const sofa__config *hook_config(void *arg)
{
    return &((fixture *)arg)->cfg;
}

static void hook_begin(void *arg)
{
    ((fixture *)arg)->pending++;
}

static void hook_end(void *arg)
{
    ((fixture *)arg)->pending--;
}

/* Answer every queued get, the newest first (so completion order != row order). */
static void kv_fire(sofa_io_timer *t, void *arg)
{
    fixture *f = arg;
    while (f->ngets > 0) {
        fake_get g = f->gets[--f->ngets];
        f->inflight--;
        if (strcmp(g.key, "missing") == 0) {
            g.cb(g.cookie, SOFA_E_NOT_FOUND, NULL, 0, 0);
        } else {
            char doc[128];
            int n = snprintf(doc, sizeof(doc), "{\"doc\":\"%s\"}", g.key);
            g.cb(g.cookie, 0, doc, (size_t)n, 77);
        }
    }
}

static int hook_get(void *arg, const char *key, size_t nkey, sofa__svc_doc_cb cb, void *cookie)
{
    fixture *f = arg;
    if (f->kv_refuse) {
        return f->kv_refuse;
    }
    assert_true(f->ngets < MAX_GETS && nkey < 64);
    fake_get *g = &f->gets[f->ngets++];
    memcpy(g->key, key, nkey);
    g->key[nkey] = '\0';
    g->cb = cb;
    g->cookie = cookie;
    if (++f->inflight > f->max_inflight) {
        f->max_inflight = f->inflight;
    }
    f->io->update_timer(f->io, f->kv_timer, SOFA_IO_WATCH, 2000);
    return 0;
}

static const sofa__svc_hooks hooks = {hook_config, hook_begin, hook_end, hook_get,
                                      NULL,        NULL,       NULL};

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->io = testloop_new();
    assert_int_equal(test_server_start(&f->srv), 0);
    f->node.host = "127.0.0.1";
    f->node.capi = f->srv.port;
    f->node.mgmt = f->srv.port;
    f->cfg.nodes = &f->node;
    f->cfg.nnodes = 1;
    f->kv_timer = f->io->timer_new(f->io, kv_fire, f);
    assert_int_equal(
        sofa__svc_new(NULL, f->io, NULL, "beer", "pw", "beer-sample", &hooks, f, &f->svc), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sofa__svc_free(f->svc);
    assert_int_equal(f->pending, 0);
    f->io->update_timer(f->io, f->kv_timer, SOFA_IO_CLEANUP, 0);
    test_server_stop(&f->srv);
    testloop_free(f->io);
    free(f);
    return 0;
}

typedef struct vres {
    int done;
    int status;
    size_t rows;
    char text[8192]; /* "row|id|doc|status\n" per row */
    char meta[2048];
    char msg[256];
} vres;

static void v_rows(sofa_client *c, const sofa_view_row *rows, size_t n, void *cookie)
{
    vres *r = cookie;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(r->text);
        snprintf(r->text + len, sizeof(r->text) - len, "%.*s|%s|%.*s|%d\n", (int)rows[i].len,
                 rows[i].json, rows[i].id ? rows[i].id : "-", (int)rows[i].ndoc,
                 rows[i].doc ? (const char *)rows[i].doc : "", (int)rows[i].doc_status);
        r->rows++;
    }
}

static void v_done(sofa_client *c, const sofa_query_meta *m, void *cookie)
{
    vres *r = cookie;
    assert_int_equal(r->done, 0);
    r->done = 1;
    snprintf(r->meta, sizeof(r->meta), "%s", m->json);
    assert_int_equal(m->nrows, r->rows);
}

static void v_error(sofa_client *c, sofa_status st, const sofa_query_meta *m, void *cookie)
{
    vres *r = cookie;
    assert_int_equal(r->done, 0);
    r->done = 1;
    r->status = st;
    snprintf(r->meta, sizeof(r->meta), "%s", m->json);
    snprintf(r->msg, sizeof(r->msg), "%s", m->error_msg);
}

static const sofa_view_callbacks vcbs = {v_rows, v_done, v_error};

static void run(fixture *f, const char *ddoc, const char *view, const sofa_view_opts *o, vres *r)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(sofa__view_start(f->svc, ddoc, view, o, &vcbs, r, NULL), 0);
    assert_int_equal(r->done, 0);
    assert_true(testloop_run_until(f->io, &r->done, 10000));
}

static const srv_step three_rows[] = {
    {SRV_SEND_JSON,
     "{\"total_rows\":10,\"rows\":[{\"id\":\"a\",\"key\":1,\"value\":null},"
     "{\"id\":\"missing\",\"key\":2,\"value\":null},{\"id\":\"c\",\"key\":3,\"value\":[1]}]}",
     200, NULL},
    {SRV_END, NULL, 0, NULL}};

static void rows_and_options_reach_the_server(void **state)
{
    fixture *f = *state;
    f->srv.scripts[0] = three_rows;
    f->srv.nscripts = 1;
    sofa_view_opts o = SOFA_VIEW_OPTS_INIT;
    o.startkey = "[\"a\",1]";
    o.endkey_docid = "z z";
    o.descending = SOFA_TRUE;
    o.limit = 3;
    o.stale = SOFA_STALE_FALSE;
    vres r;
    run(f, "beer", "by_name", &o, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.rows, 3);
    assert_non_null(strstr(r.text, "{\"id\":\"a\",\"key\":1,\"value\":null}|-||0\n"));
    assert_non_null(strstr(r.meta, "\"total_rows\":10"));
    assert_non_null(strstr(f->srv.requests[0],
                           "GET /beer-sample/_design/beer/_view/by_name?startkey=%5B%22a%22%2C1%5D"
                           "&endkey_docid=z%20z&descending=true&limit=3&stale=false HTTP/1.1"));
    assert_non_null(strstr(f->srv.requests[0], "Authorization: Basic YmVlcjpwdw=="));
}

static void keys_go_in_a_post_body(void **state)
{
    fixture *f = *state;
    f->srv.scripts[0] = three_rows;
    f->srv.nscripts = 1;
    const char *keys[] = {"1", "\"two\""};
    sofa_view_opts o = SOFA_VIEW_OPTS_INIT;
    o.keys = keys;
    o.nkeys = 2;
    vres r;
    run(f, "beer", "v", &o, &r);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(f->srv.requests[0], "POST /beer-sample/_design/beer/_view/v HTTP/1.1"));
    assert_non_null(strstr(f->srv.requests[0], "\r\n\r\n{\"keys\":[1,\"two\"]}"));
}

static void include_docs_in_row_order_with_bounded_concurrency(void **state)
{
    fixture *f = *state;
    f->srv.scripts[0] = three_rows;
    f->srv.nscripts = 1;
    sofa_view_opts o = SOFA_VIEW_OPTS_INIT;
    o.include_docs = 1;
    o.docs_concurrency = 2;
    vres r;
    run(f, "beer", "v", &o, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.rows, 3);
    assert_true(f->max_inflight <= 2);
    char want[1024];
    snprintf(want, sizeof(want),
             "{\"id\":\"a\",\"key\":1,\"value\":null}|a|{\"doc\":\"a\"}|0\n"
             "{\"id\":\"missing\",\"key\":2,\"value\":null}|missing||%d\n"
             "{\"id\":\"c\",\"key\":3,\"value\":[1]}|c|{\"doc\":\"c\"}|0\n",
             SOFA_E_NOT_FOUND);
    assert_string_equal(r.text, want);
}

static void include_docs_when_kv_refuses(void **state)
{
    fixture *f = *state;
    f->srv.scripts[0] = three_rows;
    f->srv.nscripts = 1;
    f->kv_refuse = SOFA_E_SHUTDOWN;
    sofa_view_opts o = SOFA_VIEW_OPTS_INIT;
    o.include_docs = 1;
    vres r;
    run(f, "beer", "v", &o, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.rows, 3);
    char want[64];
    snprintf(want, sizeof(want), "|a||%d\n", SOFA_E_SHUTDOWN);
    assert_non_null(strstr(r.text, want));
}

static const srv_step not_found[] = {
    {SRV_SEND_JSON, "{\"error\":\"not_found\",\"reason\":\"missing_named_view\"}", 404, NULL},
    {SRV_END, NULL, 0, NULL}};
static const srv_step parse_error[] = {
    {SRV_SEND_JSON, "{\"error\":\"query_parse_error\",\"reason\":\"Invalid value for integer\"}",
     400, NULL},
    {SRV_END, NULL, 0, NULL}};
static const srv_step partial[] = {
    {SRV_SEND_JSON,
     "{\"total_rows\":1,\"rows\":[{\"id\":\"a\",\"key\":1,\"value\":1}],"
     "\"errors\":[{\"from\":\"10.0.0.2:8092\",\"reason\":\"timeout\"}]}",
     200, NULL},
    {SRV_END, NULL, 0, NULL}};
static const srv_step truncated[] = {
    {SRV_SEND, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"rows\":[{\"id\":\"a\"}",
     0, NULL},
    {SRV_CLOSE, NULL, 0, NULL}};

static void view_errors(void **state)
{
    fixture *f = *state;
    f->srv.scripts[0] = not_found;
    f->srv.scripts[1] = parse_error;
    f->srv.scripts[2] = partial;
    f->srv.scripts[3] = truncated;
    f->srv.nscripts = 4;
    vres r;
    run(f, "beer", "nope", NULL, &r);
    assert_int_equal(r.status, SOFA_E_VIEW_NOT_FOUND);
    assert_string_equal(r.msg, "not_found: missing_named_view");
    run(f, "beer", "v", NULL, &r);
    assert_int_equal(r.status, SOFA_E_VIEW_ERROR);
    assert_non_null(strstr(r.msg, "query_parse_error"));
    run(f, "beer", "v", NULL, &r); /* per-node errors: rows and success, errors in meta */
    assert_int_equal(r.status, 0);
    assert_int_equal(r.rows, 1);
    assert_non_null(strstr(r.meta, "\"reason\":\"timeout\""));
    run(f, "beer", "v", NULL, &r); /* body runs to EOF but the JSON is cut */
    assert_int_equal(r.status, SOFA_E_JSON);
    assert_non_null(strstr(r.msg, "ends early"));
}

/* ------------------------------------------------------------ raw HTTP */

typedef struct hres {
    int done;
    int status;
    int http;
    char body[256];
    char ctype[64];
} hres;

static void h_done(sofa_client *c, sofa_status st, const sofa_http_response *resp, void *cookie)
{
    hres *r = cookie;
    assert_int_equal(r->done, 0);
    r->done = 1;
    r->status = st;
    r->http = resp->status;
    snprintf(r->body, sizeof(r->body), "%.*s", (int)resp->nbody, resp->body);
    snprintf(r->ctype, sizeof(r->ctype), "%s", resp->content_type);
}

static const srv_step created[] = {
    {SRV_SEND_JSON, "{\"ok\":true,\"id\":\"_design/dev_beer\"}", 201, NULL},
    {SRV_END, NULL, 0, NULL}};

static void raw_request_creates_a_design_document(void **state)
{
    fixture *f = *state;
    f->srv.scripts[0] = created;
    f->srv.nscripts = 1;
    const char *ddoc =
        "{\"views\":{\"v\":{\"map\":\"function(doc, meta){emit(meta.id, null);}\"}}}";
    sofa_http_request req = {.struct_size = sizeof(req),
                             .service = SOFA_HTTP_VIEWS,
                             .method = "PUT",
                             .path = "/beer-sample/_design/dev_beer",
                             .body = ddoc,
                             .nbody = strlen(ddoc)};
    hres r;
    memset(&r, 0, sizeof(r));
    assert_int_equal(sofa__raw_start(f->svc, &req, h_done, &r), 0);
    assert_true(testloop_run_until(f->io, &r.done, 5000));
    assert_int_equal(r.status, 0);
    assert_int_equal(r.http, 201);
    assert_string_equal(r.body, "{\"ok\":true,\"id\":\"_design/dev_beer\"}");
    assert_string_equal(r.ctype, "application/json");
    assert_non_null(strstr(f->srv.requests[0], "PUT /beer-sample/_design/dev_beer HTTP/1.1"));
    assert_non_null(strstr(f->srv.requests[0], "Content-Type: application/json"));
    assert_non_null(strstr(f->srv.requests[0], ddoc));
    /* bad input never calls back */
    req.path = "no slash";
    assert_int_equal(sofa__raw_start(f->svc, &req, h_done, &r), SOFA_E_INVALID_ARGUMENT);
    req.path = "/a b";
    assert_int_equal(sofa__raw_start(f->svc, &req, h_done, &r), SOFA_E_INVALID_ARGUMENT);
    req.path = "/ok";
    req.struct_size = 1;
    assert_int_equal(sofa__raw_start(f->svc, &req, h_done, &r), SOFA_E_INVALID_ARGUMENT);
}

static void bad_view_submissions(void **state)
{
    fixture *f = *state;
    vres r;
    memset(&r, 0, sizeof(r));
    assert_int_equal(sofa__view_start(f->svc, "", "v", NULL, &vcbs, &r, NULL),
                     SOFA_E_INVALID_ARGUMENT);
    sofa_view_opts o = SOFA_VIEW_OPTS_INIT;
    o.key = "{bad";
    assert_int_equal(sofa__view_start(f->svc, "d", "v", &o, &vcbs, &r, NULL),
                     SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(f->pending, 0);
    assert_int_equal(r.done, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(rows_and_options_reach_the_server),
        T(keys_go_in_a_post_body),
        T(include_docs_in_row_order_with_bounded_concurrency),
        T(include_docs_when_kv_refuses),
        T(view_errors),
        T(raw_request_creates_a_design_document),
        T(bad_view_submissions),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
