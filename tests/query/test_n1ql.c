/* N1QL queries end to end over real sockets against a scripted query service:
 * streaming, errors, prepared statements, timeouts, failover, cancel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "http/testloop.h"
#include "query/n1ql.h"
#include "query/svc.h"
#include "sofa/status.h"

typedef struct fixture {
    sofa_iops *io;
    test_server srv;
    sofa__node nodes[2];
    sofa__config cfg;
    int have_config;
    int pending;
    sofa__svc *svc;
} fixture;

static const sofa__config *hook_config(void *arg)
{
    fixture *f = arg;
    return f->have_config ? &f->cfg : NULL;
}

static void hook_begin(void *arg)
{
    ((fixture *)arg)->pending++;
}

static void hook_end(void *arg)
{
    ((fixture *)arg)->pending--;
}

static const sofa__svc_hooks hooks = {hook_config, hook_begin, hook_end, NULL, NULL, NULL, NULL};

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->io = testloop_new();
    assert_int_equal(test_server_start(&f->srv), 0);
    f->nodes[0].host = "127.0.0.1";
    f->nodes[0].n1ql = f->srv.port;
    f->nodes[0].capi = f->srv.port;
    f->cfg.nodes = f->nodes;
    f->cfg.nnodes = 1;
    f->have_config = 1;
    assert_int_equal(sofa__svc_new(NULL, f->io, NULL, "user", "pw", "travel", &hooks, f, &f->svc),
                     0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sofa__svc_free(f->svc);
    assert_int_equal(f->pending, 0);
    test_server_stop(&f->srv);
    testloop_free(f->io);
    free(f);
    return 0;
}

typedef struct qres {
    int done;
    int status;
    size_t rows;
    size_t batches;
    char first[128];
    char last[128];
    char meta[4096];
    char status_text[32];
    char ctx[64];
    int64_t code;
    char msg[256];
    int http_status;
    volatile int *seen_rows_flag;
    size_t cancel_after;
    sofa_query *handle;
} qres;

static void q_rows(sofa_client *c, const sofa_row *rows, size_t n, void *cookie)
{
    qres *r = cookie;
    assert_int_equal(r->done, 0);
    for (size_t i = 0; i < n; i++) {
        if (r->rows == 0) {
            snprintf(r->first, sizeof(r->first), "%.*s", (int)rows[i].len, rows[i].json);
        }
        snprintf(r->last, sizeof(r->last), "%.*s", (int)rows[i].len, rows[i].json);
        r->rows++;
    }
    r->batches++;
    if (r->seen_rows_flag) {
        *r->seen_rows_flag = 1;
    }
    if (r->cancel_after && r->rows >= r->cancel_after) {
        assert_int_equal(sofa_query_cancel(r->handle), 0);
    }
}

static void keep_meta(qres *r, const sofa_query_meta *m)
{
    snprintf(r->meta, sizeof(r->meta), "%s", m->json);
    snprintf(r->status_text, sizeof(r->status_text), "%s", m->status);
    snprintf(r->ctx, sizeof(r->ctx), "%s", m->client_context_id);
    snprintf(r->msg, sizeof(r->msg), "%s", m->error_msg);
    r->code = m->error_code;
    r->http_status = m->http_status;
    assert_int_equal(m->nrows, r->rows);
}

static void q_done(sofa_client *c, const sofa_query_meta *m, void *cookie)
{
    qres *r = cookie;
    assert_int_equal(r->done, 0);
    r->done = 1;
    r->status = 0;
    keep_meta(r, m);
}

static void q_error(sofa_client *c, sofa_status st, const sofa_query_meta *m, void *cookie)
{
    qres *r = cookie;
    assert_int_equal(r->done, 0);
    r->done = 1;
    r->status = st;
    keep_meta(r, m);
}

static const sofa_query_callbacks qcbs = {q_rows, q_done, q_error};

static void run(fixture *f, const char *stmt, const sofa_query_opts *o, qres *r)
{
    assert_int_equal(sofa__n1ql_start(f->svc, stmt, o, &qcbs, r, &r->handle), 0);
    assert_int_equal(r->done, 0); /* never from inside start */
    assert_true(testloop_run_until(f->io, &r->done, 10000));
}

static volatile int rows_seen;

static const srv_step hundred_k_rows[] = {{SRV_SEND,
                                           "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                           "Transfer-Encoding: chunked\r\n\r\n",
                                           0, NULL},
                                          {SRV_SEND_ROWS, NULL, 100000, &rows_seen},
                                          {SRV_END, NULL, 0, NULL}};

static void hundred_thousand_rows_stream_before_the_end(void **state)
{
    fixture *f = *state;
    rows_seen = 0;
    f->srv.scripts[0] = hundred_k_rows;
    f->srv.nscripts = 1;
    qres r;
    memset(&r, 0, sizeof(r));
    r.seen_rows_flag = &rows_seen; /* the server holds the rest until a row arrived */
    run(f, "SELECT i FROM travel", NULL, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.rows, 100000);
    assert_true(r.batches > 10);
    assert_string_equal(r.first, "{\"i\":0}");
    assert_string_equal(r.last, "{\"i\":99999}");
    assert_string_equal(r.status_text, "success");
    assert_non_null(strstr(r.meta, "\"results\":[]"));
    assert_non_null(strstr(r.meta, "\"metrics\""));
    assert_int_equal(f->pending, 0);
    /* the request */
    const char *req = f->srv.requests[0];
    assert_non_null(strstr(req, "POST /query/service HTTP/1.1"));
    assert_non_null(strstr(req, "\"statement\":\"SELECT i FROM travel\""));
    assert_non_null(strstr(req, "\"timeout\":\"75000000us\""));
    char ctx[100];
    snprintf(ctx, sizeof(ctx), "\"client_context_id\":\"%s\"", r.ctx);
    assert_non_null(strstr(req, ctx));
}

static const srv_step syntax_error[] = {
    {SRV_SEND_JSON,
     "{\"requestID\":\"x\",\"errors\":[{\"code\":3000,\"msg\":\"syntax error - at FORM\"}],"
     "\"status\":\"fatal\",\"results\":[]}",
     400, NULL},
    {SRV_END, NULL, 0, NULL}};

static const srv_step keyspace_error[] = {
    {SRV_SEND,
     "HTTP/1.1 500 Internal\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
     "f\r\n{\"results\":[],\"\r\n"
     "4a\r\nerrors\":[{\"code\":12003,\"msg\":\"Keyspace not found in CB datastore: nope\"}]}\r\n"
     "0\r\n\r\n",
     0, NULL},
    {SRV_END, NULL, 0, NULL}};

static void server_errors_have_specific_statuses(void **state)
{
    fixture *f = *state;
    f->srv.scripts[0] = syntax_error;
    f->srv.scripts[1] = keyspace_error;
    f->srv.nscripts = 2;
    qres r;
    memset(&r, 0, sizeof(r));
    run(f, "SELECT * FORM x", NULL, &r);
    assert_int_equal(r.status, SOFA_E_QUERY_SYNTAX);
    assert_int_equal(r.code, 3000);
    assert_int_equal(r.http_status, 400);
    assert_string_equal(r.msg, "syntax error - at FORM");
    memset(&r, 0, sizeof(r));
    run(f, "SELECT * FROM nope", NULL, &r);
    assert_int_equal(r.status, SOFA_E_QUERY_KEYSPACE_NOT_FOUND);
    assert_int_equal(r.code, 12003);
    assert_non_null(strstr(r.msg, "Keyspace not found"));
}

static const srv_step malformed[] = {
    {SRV_SEND_JSON, "{\"results\":[{\"a\":1},{\"b\" 2}]}", 200, NULL}, {SRV_END, NULL, 0, NULL}};

static const srv_step not_json_401[] = {
    {SRV_SEND,
     "HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\n"
     "Unauthorized",
     0, NULL},
    {SRV_END, NULL, 0, NULL}};

static void malformed_json_and_non_json_errors(void **state)
{
    fixture *f = *state;
    f->srv.scripts[0] = malformed;
    f->srv.scripts[1] = not_json_401;
    f->srv.nscripts = 2;
    qres r;
    memset(&r, 0, sizeof(r));
    run(f, "SELECT 1", NULL, &r);
    assert_int_equal(r.status, SOFA_E_JSON);
    assert_int_equal(r.rows, 1); /* the complete first row was delivered */
    assert_non_null(strstr(r.msg, "malformed JSON"));
    memset(&r, 0, sizeof(r));
    run(f, "SELECT 1", NULL, &r);
    assert_int_equal(r.status, SOFA_E_AUTH_FAILED);
    assert_non_null(strstr(r.msg, "Unauthorized"));
}

static const srv_step prepare_ok[] = {
    {SRV_SEND_JSON,
     "{\"results\":[{\"name\":\"p-1\",\"encoded_plan\":\"UExBTg==\",\"operator\":{}}],"
     "\"status\":\"success\"}",
     200, NULL},
    {SRV_END, NULL, 0, NULL}};

static const srv_step execute_ok[] = {
    {SRV_SEND_JSON, "{\"results\":[{\"x\":1},{\"x\":2}],\"status\":\"success\"}", 200, NULL},
    {SRV_END, NULL, 0, NULL}};

static const srv_step execute_4050[] = {
    {SRV_SEND_JSON,
     "{\"results\":[],\"errors\":[{\"code\":4050,\"msg\":\"Unrecognizable prepared\"}],"
     "\"status\":\"fatal\"}",
     404, NULL},
    {SRV_END, NULL, 0, NULL}};

static void prepared_statements_are_cached_and_reprepared_once(void **state)
{
    fixture *f = *state;
    /* 1st query: PREPARE + EXECUTE; 2nd: EXECUTE from the cache; 3rd: EXECUTE fails
     * with 4050 -> PREPARE -> EXECUTE; 4th: 4050 twice -> error after one retry */
    const srv_step *scripts[] = {prepare_ok, execute_ok,   execute_ok, execute_4050, prepare_ok,
                                 execute_ok, execute_4050, prepare_ok, execute_4050};
    for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
        f->srv.scripts[i] = scripts[i];
    }
    f->srv.nscripts = (int)(sizeof(scripts) / sizeof(scripts[0]));
    const char *args[] = {"\"SFO\""};
    sofa_query_opts o = SOFA_QUERY_OPTS_INIT;
    o.prepared = 1;
    o.args = args;
    o.nargs = 1;
    qres r;
    memset(&r, 0, sizeof(r));
    run(f, "SELECT x FROM t WHERE a=$1", &o, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.rows, 2); /* the PREPARE row is not handed over */
    assert_int_equal(f->srv.nrequests, 2);
    assert_non_null(
        strstr(f->srv.requests[0], "\"statement\":\"PREPARE SELECT x FROM t WHERE a=$1\""));
    assert_null(strstr(f->srv.requests[0], "\"args\""));
    assert_non_null(strstr(f->srv.requests[1], "\"prepared\":\"p-1\""));
    assert_non_null(strstr(f->srv.requests[1], "\"encoded_plan\":\"UExBTg==\""));
    assert_non_null(strstr(f->srv.requests[1], "\"args\":[\"SFO\"]"));
    assert_null(strstr(f->srv.requests[1], "\"statement\""));

    memset(&r, 0, sizeof(r));
    run(f, "SELECT x FROM t WHERE a=$1", &o, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(f->srv.nrequests, 3); /* straight to EXECUTE */
    assert_non_null(strstr(f->srv.requests[2], "\"prepared\":\"p-1\""));

    memset(&r, 0, sizeof(r));
    run(f, "SELECT x FROM t WHERE a=$1", &o, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.rows, 2);
    assert_int_equal(f->srv.nrequests, 6); /* EXECUTE(4050), PREPARE, EXECUTE */
    assert_non_null(strstr(f->srv.requests[4], "PREPARE SELECT"));

    memset(&r, 0, sizeof(r));
    run(f, "SELECT x FROM t WHERE a=$1", &o, &r);
    assert_int_equal(r.status, SOFA_E_QUERY_PREPARED);
    assert_int_equal(r.code, 4050);
    assert_int_equal(f->srv.nrequests, 9); /* retried once only */
}

static const srv_step enhanced_prepare_execute[] = {
    {SRV_SEND_JSON, "{\"prepared\":\"e-7\",\"results\":[{\"x\":1}],\"status\":\"success\"}", 200,
     NULL},
    {SRV_END, NULL, 0, NULL}};

static void enhanced_prepared_statements(void **state)
{
    fixture *f = *state;
    f->cfg.caps = SOFA__CAP_ENHANCED_PREPARED;
    f->srv.scripts[0] = enhanced_prepare_execute;
    f->srv.scripts[1] = execute_ok;
    f->srv.nscripts = 2;
    sofa_query_opts o = SOFA_QUERY_OPTS_INIT;
    o.prepared = 1;
    qres r;
    memset(&r, 0, sizeof(r));
    run(f, "SELECT 1", &o, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.rows, 1);
    assert_non_null(strstr(f->srv.requests[0], "\"auto_execute\":true"));
    assert_non_null(strstr(f->srv.requests[0], "\"statement\":\"PREPARE SELECT 1\""));
    memset(&r, 0, sizeof(r));
    run(f, "SELECT 1", &o, &r);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(f->srv.requests[1], "\"prepared\":\"e-7\""));
    assert_null(strstr(f->srv.requests[1], "encoded_plan"));
}

static const srv_step silent[] = {{SRV_SLEEP_MS, NULL, 1000, NULL}, {SRV_CLOSE, NULL, 0, NULL}};

static void client_side_timeout(void **state)
{
    fixture *f = *state;
    f->srv.scripts[0] = silent;
    f->srv.nscripts = 1;
    sofa_query_opts o = SOFA_QUERY_OPTS_INIT;
    o.timeout_us = 150000;
    qres r;
    memset(&r, 0, sizeof(r));
    run(f, "SELECT 1", &o, &r);
    assert_int_equal(r.status, SOFA_E_QUERY_TIMEOUT);
    assert_non_null(strstr(f->srv.requests[0], "\"timeout\":\"150000us\""));
    assert_non_null(strstr(r.msg, "150 ms"));
}

static void failover_to_another_node_when_connect_fails(void **state)
{
    fixture *f = *state;
    f->nodes[1] = f->nodes[0];
    f->nodes[0].n1ql = test_closed_port();
    f->cfg.nnodes = 2;
    f->srv.scripts[0] = execute_ok;
    f->srv.scripts[1] = execute_ok;
    f->srv.nscripts = 2;
    for (int i = 0; i < 2; i++) { /* whichever node is first in turn */
        qres r;
        memset(&r, 0, sizeof(r));
        run(f, "SELECT 1", NULL, &r);
        assert_int_equal(r.status, 0);
        assert_int_equal(r.rows, 2);
    }
    assert_int_equal(f->srv.nrequests, 2);
}

static void nodes_are_chosen_in_turn(void **state)
{
    fixture *f = *state;
    test_server second;
    memset(&second, 0, sizeof(second));
    assert_int_equal(test_server_start(&second), 0);
    f->nodes[1] = f->nodes[0];
    f->nodes[1].n1ql = second.port;
    f->cfg.nnodes = 2;
    for (int i = 0; i < 4; i++) {
        f->srv.scripts[i] = execute_ok;
        second.scripts[i] = execute_ok;
    }
    f->srv.nscripts = second.nscripts = 4;
    for (int i = 0; i < 4; i++) {
        qres r;
        memset(&r, 0, sizeof(r));
        run(f, "SELECT 1", NULL, &r);
        assert_int_equal(r.status, 0);
    }
    assert_int_equal(f->srv.nrequests, 2); /* 2 each, alternating */
    assert_int_equal(second.nrequests, 2);
    test_server_stop(&second);
}

static const srv_step dies_mid_stream[] = {
    {SRV_SEND,
     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
     "1b\r\n{\"results\":[{\"i\":0},{\"i\":1}\r\n",
     0, NULL},
    {SRV_SLEEP_MS, NULL, 50, NULL},
    {SRV_CLOSE, NULL, 0, NULL}};

static void node_killed_mid_stream(void **state)
{
    fixture *f = *state;
    f->srv.scripts[0] = dies_mid_stream;
    f->srv.nscripts = 1;
    qres r;
    memset(&r, 0, sizeof(r));
    run(f, "SELECT 1", NULL, &r);
    assert_int_equal(r.status, SOFA_E_CONNECTION_CLOSED);
    assert_int_equal(r.rows, 2);
    assert_int_equal(f->srv.nrequests, 1); /* sent: never retried elsewhere */
}

static const srv_step many_rows[] = {{SRV_SEND,
                                      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                      "Transfer-Encoding: chunked\r\n\r\n",
                                      0, NULL},
                                     {SRV_SEND_ROWS, NULL, 50000, NULL},
                                     {SRV_END, NULL, 0, NULL}};

static void cancel_from_on_rows(void **state)
{
    fixture *f = *state;
    f->srv.scripts[0] = many_rows;
    f->srv.scripts[1] = execute_ok;
    f->srv.nscripts = 2;
    qres r;
    memset(&r, 0, sizeof(r));
    r.cancel_after = 10;
    run(f, "SELECT 1", NULL, &r);
    assert_int_equal(r.status, SOFA_E_CANCELED);
    assert_int_equal(r.batches, 1); /* nothing after the batch that canceled */
    assert_int_equal(f->pending, 0);
    /* the client still works */
    memset(&r, 0, sizeof(r));
    run(f, "SELECT 1", NULL, &r);
    assert_int_equal(r.status, 0);
}

static void cancel_outside_callbacks(void **state)
{
    fixture *f = *state;
    f->srv.scripts[0] = silent;
    f->srv.nscripts = 1;
    qres r;
    memset(&r, 0, sizeof(r));
    assert_int_equal(sofa__n1ql_start(f->svc, "SELECT 1", NULL, &qcbs, &r, &r.handle), 0);
    int never = 0;
    testloop_run_until(f->io, &never, 30);
    assert_int_equal(sofa_query_cancel(r.handle), 0);
    assert_int_equal(r.done, 1);
    assert_int_equal(r.status, SOFA_E_CANCELED);
    assert_int_equal(f->pending, 0);
}

static void no_query_service_and_no_config(void **state)
{
    fixture *f = *state;
    f->nodes[0].n1ql = 0;
    qres r;
    memset(&r, 0, sizeof(r));
    run(f, "SELECT 1", NULL, &r);
    assert_int_equal(r.status, SOFA_E_NO_SERVICE);
    /* no configuration at all: waits for one until the deadline */
    f->have_config = 0;
    sofa_query_opts o = SOFA_QUERY_OPTS_INIT;
    o.timeout_us = 250000;
    memset(&r, 0, sizeof(r));
    run(f, "SELECT 1", &o, &r);
    assert_int_equal(r.status, SOFA_E_QUERY_TIMEOUT);
}

static void config_arriving_late_is_used(void **state)
{
    fixture *f = *state;
    f->srv.scripts[0] = execute_ok;
    f->srv.nscripts = 1;
    f->have_config = 0;
    qres r;
    memset(&r, 0, sizeof(r));
    assert_int_equal(sofa__n1ql_start(f->svc, "SELECT 1", NULL, &qcbs, &r, NULL), 0);
    int never = 0;
    testloop_run_until(f->io, &never, 150);
    assert_int_equal(r.done, 0);
    f->have_config = 1;
    assert_true(testloop_run_until(f->io, &r.done, 5000));
    assert_int_equal(r.status, 0);
}

static void freeing_the_services_cancels(void **state)
{
    fixture *f = *state;
    f->srv.scripts[0] = silent;
    f->srv.nscripts = 1;
    qres r;
    memset(&r, 0, sizeof(r));
    assert_int_equal(sofa__n1ql_start(f->svc, "SELECT 1", NULL, &qcbs, &r, NULL), 0);
    int never = 0;
    testloop_run_until(f->io, &never, 30);
    sofa__svc_free(f->svc);
    f->svc = NULL;
    assert_int_equal(r.done, 1);
    assert_int_equal(r.status, SOFA_E_CANCELED);
}

static void bad_submissions_fire_nothing(void **state)
{
    fixture *f = *state;
    qres r;
    memset(&r, 0, sizeof(r));
    const char *bad[] = {"{"};
    sofa_query_opts o = SOFA_QUERY_OPTS_INIT;
    o.args = bad;
    o.nargs = 1;
    assert_int_equal(sofa__n1ql_start(f->svc, "SELECT 1", &o, &qcbs, &r, NULL),
                     SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(sofa__n1ql_start(f->svc, "", NULL, &qcbs, &r, NULL), SOFA_E_INVALID_ARGUMENT);
    sofa_query_callbacks partial = {q_rows, NULL, q_error};
    assert_int_equal(sofa__n1ql_start(f->svc, "SELECT 1", NULL, &partial, &r, NULL),
                     SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(f->pending, 0);
    int never = 0;
    testloop_run_until(f->io, &never, 20);
    assert_int_equal(r.done, 0);
    assert_int_equal(sofa_query_cancel(NULL), SOFA_E_INVALID_ARGUMENT);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(hundred_thousand_rows_stream_before_the_end),
        T(server_errors_have_specific_statuses),
        T(malformed_json_and_non_json_errors),
        T(prepared_statements_are_cached_and_reprepared_once),
        T(enhanced_prepared_statements),
        T(client_side_timeout),
        T(failover_to_another_node_when_connect_fails),
        T(nodes_are_chosen_in_turn),
        T(node_killed_mid_stream),
        T(cancel_from_on_rows),
        T(cancel_outside_callbacks),
        T(no_query_service_and_no_config),
        T(config_arriving_late_is_used),
        T(freeing_the_services_cancels),
        T(bad_submissions_fire_nothing),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
