/* The HTTP client against a real socket server: streaming, keep-alive, auth,
 * timeouts, refused connections, dropped connections, cancel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "http/client.h"
#include "io/tls.h"
#include "sofa/status.h"
#include "support/badhost.h"
#include "testloop.h"

typedef struct result {
    int done;
    int status;
    int sent;
    char msg[256];
    int http_status;
    char body[65536];
    size_t nbody;
    int body_calls;
    volatile int *signal_on_body; /* set to 1 at the first body bytes */
    int cancel_on_body;
    sofa__http_req *req;
} result;

static int on_head(void *arg, const sofa__http_head *h)
{
    result *r = arg;
    r->http_status = h->status;
    return 0;
}

static int on_body(void *arg, const char *data, size_t len)
{
    result *r = arg;
    if (r->nbody + len < sizeof(r->body)) {
        memcpy(r->body + r->nbody, data, len);
        r->nbody += len;
        r->body[r->nbody] = '\0';
    }
    r->body_calls++;
    if (r->signal_on_body) {
        *r->signal_on_body = 1;
    }
    if (r->cancel_on_body) {
        sofa__http_cancel(r->req);
        return SOFA_E_CANCELED;
    }
    return 0;
}

static void on_done(void *arg, int status, int sent, const char *msg)
{
    result *r = arg;
    assert_int_equal(r->done, 0); /* exactly once */
    r->done = 1;
    r->status = status;
    r->sent = sent;
    snprintf(r->msg, sizeof(r->msg), "%s", msg);
}

static const sofa__http_req_cbs cbs = {on_head, on_body, on_done};

typedef struct fixture {
    sofa_iops *io;
    sofa__http *http;
    test_server srv;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->io = testloop_new();
    f->http = sofa__http_new(f->io, NULL, "Administrator", "pass:word");
    assert_non_null(f->http);
    assert_int_equal(test_server_start(&f->srv), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sofa__http_free(f->http);
    test_server_stop(&f->srv);
    testloop_free(f->io);
    free(f);
    return 0;
}

static sofa__http_spec spec_for(fixture *f, const char *method, const char *path)
{
    sofa__http_spec s;
    memset(&s, 0, sizeof(s));
    s.method = method;
    s.host = "127.0.0.1";
    s.port = f->srv.port;
    s.path = path;
    s.timeout_us = 5000000;
    return s;
}

static const srv_step ok_json[] = {
    {SRV_SEND,
     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
     "{\"ok\":true}",
     0, NULL},
    {SRV_END, NULL, 0, NULL}};

static void request_has_auth_host_and_body(void **state)
{
    fixture *f = *state;
    f->srv.scripts[0] = ok_json;
    f->srv.nscripts = 1;
    result r;
    memset(&r, 0, sizeof(r));
    sofa__http_spec s = spec_for(f, "POST", "/query/service");
    s.content_type = "application/json";
    s.body = "{\"statement\":\"SELECT 1\"}";
    s.nbody = strlen(s.body);
    assert_int_equal(sofa__http_start(f->http, &s, &cbs, &r, NULL), 0);
    assert_int_equal(r.done, 0); /* never from inside start */
    assert_true(testloop_run_until(f->io, &r.done, 5000));
    assert_int_equal(r.status, 0);
    assert_int_equal(r.http_status, 200);
    assert_string_equal(r.body, "{\"ok\":true}");
    const char *req = f->srv.requests[0];
    assert_non_null(strstr(req, "POST /query/service HTTP/1.1\r\n"));
    /* base64("Administrator:pass:word") */
    assert_non_null(strstr(req, "\r\nAuthorization: Basic QWRtaW5pc3RyYXRvcjpwYXNzOndvcmQ=\r\n"));
    char host[64];
    snprintf(host, sizeof(host), "\r\nHost: 127.0.0.1:%u\r\n", (unsigned)f->srv.port);
    assert_non_null(strstr(req, host));
    assert_non_null(strstr(req, "\r\nContent-Type: application/json\r\n"));
    assert_non_null(strstr(req, "\r\nContent-Length: 24\r\n\r\n{\"statement\":\"SELECT 1\"}"));
    assert_int_equal(sofa__http_running(f->http), 0);
    assert_int_equal(sofa__http_idle(f->http), 1);
}

static void keep_alive_reuses_the_connection(void **state)
{
    fixture *f = *state;
    f->srv.scripts[0] = ok_json;
    f->srv.scripts[1] = ok_json;
    f->srv.scripts[2] = ok_json;
    f->srv.nscripts = 3;
    for (int i = 0; i < 3; i++) {
        result r;
        memset(&r, 0, sizeof(r));
        sofa__http_spec s = spec_for(f, "GET", "/pools");
        assert_int_equal(sofa__http_start(f->http, &s, &cbs, &r, NULL), 0);
        assert_true(testloop_run_until(f->io, &r.done, 5000));
        assert_int_equal(r.status, 0);
        assert_int_equal(r.http_status, 200);
    }
    assert_int_equal(sofa__http_opened(f->http), 1);
    assert_int_equal(f->srv.nconnections, 1);
    assert_int_equal(f->srv.nrequests, 3);
}

static volatile int first_body_seen;

static const srv_step chunked_slow[] = {
    {SRV_SEND, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n", 0, NULL},
    {SRV_WAIT_FLAG, NULL, 0, &first_body_seen}, /* the rest only after the client saw "first" */
    {SRV_SEND, "7\r\n second\r\n0\r\n\r\n", 0, NULL},
    {SRV_END, NULL, 0, NULL}};

static void body_is_streamed_before_the_response_ends(void **state)
{
    fixture *f = *state;
    first_body_seen = 0;
    f->srv.scripts[0] = chunked_slow;
    f->srv.nscripts = 1;
    result r;
    memset(&r, 0, sizeof(r));
    r.signal_on_body = &first_body_seen;
    sofa__http_spec s = spec_for(f, "GET", "/stream");
    assert_int_equal(sofa__http_start(f->http, &s, &cbs, &r, NULL), 0);
    assert_true(testloop_run_until(f->io, &r.done, 8000));
    assert_int_equal(r.status, 0);
    assert_string_equal(r.body, "first second");
    assert_true(r.body_calls >= 2);
}

static const srv_step never_answers[] = {{SRV_SLEEP_MS, NULL, 1500, NULL},
                                         {SRV_CLOSE, NULL, 0, NULL}};

static void timeout_fires(void **state)
{
    fixture *f = *state;
    f->srv.scripts[0] = never_answers;
    f->srv.nscripts = 1;
    result r;
    memset(&r, 0, sizeof(r));
    sofa__http_spec s = spec_for(f, "GET", "/slow");
    s.timeout_us = 100000;
    assert_int_equal(sofa__http_start(f->http, &s, &cbs, &r, NULL), 0);
    assert_true(testloop_run_until(f->io, &r.done, 1000));
    assert_int_equal(r.status, SOFA_E_QUERY_TIMEOUT);
    assert_int_equal(r.sent, 1);
    assert_non_null(strstr(r.msg, "100 ms"));
    assert_int_equal(sofa__http_idle(f->http), 0); /* a timed-out connection is not reused */
}

static void refused_connection_was_not_sent(void **state)
{
    fixture *f = *state;
    result r;
    memset(&r, 0, sizeof(r));
    sofa__http_spec s = spec_for(f, "GET", "/x");
    s.port = test_closed_port();
    assert_int_equal(sofa__http_start(f->http, &s, &cbs, &r, NULL), 0);
    assert_int_equal(r.done, 0);
    assert_true(testloop_run_until(f->io, &r.done, 5000));
    assert_int_equal(r.status, SOFA_E_CONNECT_REFUSED);
    assert_int_equal(r.sent, 0);
    assert_non_null(strstr(r.msg, "127.0.0.1"));
}

static const srv_step dies_mid_body[] = {
    {SRV_SEND, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"results\":[", 0, NULL},
    {SRV_CLOSE, NULL, 0, NULL}};

static void connection_lost_mid_body(void **state)
{
    fixture *f = *state;
    f->srv.scripts[0] = dies_mid_body;
    f->srv.nscripts = 1;
    result r;
    memset(&r, 0, sizeof(r));
    sofa__http_spec s = spec_for(f, "GET", "/x");
    assert_int_equal(sofa__http_start(f->http, &s, &cbs, &r, NULL), 0);
    assert_true(testloop_run_until(f->io, &r.done, 5000));
    assert_int_equal(r.status, SOFA_E_CONNECTION_CLOSED);
    assert_string_equal(r.body, "{\"results\":[");
    assert_non_null(strstr(r.msg, "middle of the response"));
}

static volatile int second_started;

static const srv_step ok_then_close[] = {
    {SRV_SEND, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0, NULL},
    {SRV_WAIT_FLAG, NULL, 0, &second_started}, /* close once the client reuses it */
    {SRV_CLOSE, NULL, 0, NULL}};

static void stale_keep_alive_is_retried_on_a_new_connection(void **state)
{
    fixture *f = *state;
    f->srv.scripts[0] = ok_then_close;
    f->srv.scripts[1] = ok_json;
    f->srv.nscripts = 2;
    result r1, r2;
    memset(&r1, 0, sizeof(r1));
    memset(&r2, 0, sizeof(r2));
    sofa__http_spec s = spec_for(f, "GET", "/a");
    assert_int_equal(sofa__http_start(f->http, &s, &cbs, &r1, NULL), 0);
    assert_true(testloop_run_until(f->io, &r1.done, 5000));
    assert_int_equal(r1.status, 0);
    second_started = 0;
    assert_int_equal(sofa__http_idle(f->http), 1);
    assert_int_equal(sofa__http_start(f->http, &s, &cbs, &r2, NULL), 0);
    second_started = 1; /* the server now closes the connection the request went to */
    assert_true(testloop_run_until(f->io, &r2.done, 5000));
    assert_int_equal(r2.status, 0);
    assert_string_equal(r2.body, "{\"ok\":true}");
    assert_int_equal(sofa__http_opened(f->http), 2);
}

static const srv_step big_chunked[] = {
    {SRV_SEND, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0, NULL},
    {SRV_SEND_ROWS, NULL, 20000, NULL},
    {SRV_END, NULL, 0, NULL}};

static void cancel_from_the_body_callback(void **state)
{
    fixture *f = *state;
    f->srv.scripts[0] = big_chunked;
    f->srv.scripts[1] = ok_json;
    f->srv.nscripts = 2;
    result r;
    memset(&r, 0, sizeof(r));
    r.cancel_on_body = 1;
    sofa__http_spec s = spec_for(f, "GET", "/rows");
    assert_int_equal(sofa__http_start(f->http, &s, &cbs, &r, &r.req), 0);
    int seen = 0;
    for (int i = 0; i < 1000 && !r.body_calls; i++) { /* up to 10 s on a loaded machine */
        testloop_run_until(f->io, &seen, 10);
    }
    assert_int_equal(r.body_calls, 1);
    testloop_run_until(f->io, &seen, 100);
    assert_int_equal(r.done, 0); /* no callback after cancel */
    assert_int_equal(sofa__http_running(f->http), 0);
    assert_int_equal(sofa__http_idle(f->http), 0); /* a canceled connection is closed */
    /* the pool still works */
    result r2;
    memset(&r2, 0, sizeof(r2));
    assert_int_equal(sofa__http_start(f->http, &s, &cbs, &r2, NULL), 0);
    assert_true(testloop_run_until(f->io, &r2.done, 5000));
    assert_int_equal(r2.status, 0);
}

static sofa__http *pool_to_free;

static int cancel_and_free_pool(void *arg, const char *data, size_t len)
{
    result *r = arg;
    r->body_calls++;
    sofa__http_cancel(r->req);
    sofa__http_free(pool_to_free); /* what a client teardown from this callback does */
    return SOFA_E_CANCELED;
}

static void pool_freed_from_a_body_callback(void **state)
{
    fixture *f = *state;
    f->srv.scripts[0] = big_chunked;
    f->srv.nscripts = 1;
    result r;
    memset(&r, 0, sizeof(r));
    pool_to_free = f->http;
    sofa__http_req_cbs c = {on_head, cancel_and_free_pool, on_done};
    sofa__http_spec s = spec_for(f, "GET", "/rows");
    assert_int_equal(sofa__http_start(f->http, &s, &c, &r, &r.req), 0);
    int seen = 0;
    for (int i = 0; i < 1000 && !r.body_calls; i++) { /* up to 10 s on a loaded machine */
        testloop_run_until(f->io, &seen, 10);
    }
    f->http = NULL;
    assert_int_equal(r.body_calls, 1);
    testloop_run_until(f->io, &seen, 50); /* nothing left behind fires */
    assert_int_equal(r.done, 0);
}

static void freeing_the_pool_cancels_requests(void **state)
{
    fixture *f = *state;
    f->srv.scripts[0] = never_answers;
    f->srv.nscripts = 1;
    result r;
    memset(&r, 0, sizeof(r));
    sofa__http_spec s = spec_for(f, "GET", "/slow");
    assert_int_equal(sofa__http_start(f->http, &s, &cbs, &r, NULL), 0);
    int never = 0;
    testloop_run_until(f->io, &never, 50);
    sofa__http_free(f->http);
    f->http = NULL;
    assert_int_equal(r.done, 1);
    assert_int_equal(r.status, SOFA_E_CANCELED);
}

static void bad_requests_are_refused(void **state)
{
    fixture *f = *state;
    result r;
    memset(&r, 0, sizeof(r));
    sofa__http_spec s = spec_for(f, "GET", "no-slash");
    assert_int_equal(sofa__http_start(f->http, &s, &cbs, &r, NULL), SOFA_E_INVALID_ARGUMENT);
    s.path = "/a b";
    assert_int_equal(sofa__http_start(f->http, &s, &cbs, &r, NULL), SOFA_E_INVALID_ARGUMENT);
    s.path = "/ok";
    s.method = "GE\r\nT";
    assert_int_equal(sofa__http_start(f->http, &s, &cbs, &r, NULL), SOFA_E_INVALID_ARGUMENT);
    s.method = "GET";
    s.content_type = "a\r\nX-Evil: 1";
    assert_int_equal(sofa__http_start(f->http, &s, &cbs, &r, NULL), SOFA_E_INVALID_ARGUMENT);
    s.content_type = NULL;
    s.port = 0;
    assert_int_equal(sofa__http_start(f->http, &s, &cbs, &r, NULL), SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(sofa__http_running(f->http), 0);
    assert_int_equal(r.done, 0);
}

static void unknown_host_fails_with_name_resolution(void **state)
{
    fixture *f = *state;
    result r;
    memset(&r, 0, sizeof(r));
    sofa__http_spec s = spec_for(f, "GET", "/x");
    s.host = SOFA_TEST_BAD_HOST;
    assert_int_equal(sofa__http_start(f->http, &s, &cbs, &r, NULL), 0);
    assert_true(testloop_run_until(f->io, &r.done, 5000));
    assert_int_equal(r.status, SOFA_E_NAME_RESOLUTION);
    assert_int_equal(r.sent, 0);
}

/* A TCP port that completes connects (the kernel's backlog) but never says a word: a TLS
 * client's handshake waits there forever. Returns the listening socket. */
static int silent_listener(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 8), 0);
    socklen_t len = sizeof(a);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* TLS to a port that stays silent: the connect timeout ends it (not the 10 s deadline),
 * with a message that names the handshake and sent = 0. */
static void tls_handshake_to_a_silent_port_times_out(void **state)
{
    fixture *f = *state;
    sofa__tls_opts to = {NULL, 1};
    sofa__tls_ctx *tls = NULL;
    char err[256];
    assert_int_equal(sofa__tls_ctx_new(&tls, &to, err, sizeof(err)), 0);
    sofa__http_set_tls(f->http, tls);
    sofa__http_set_connect_timeout(f->http, 200000);
    uint16_t port;
    int lfd = silent_listener(&port);
    result r;
    memset(&r, 0, sizeof(r));
    sofa__http_spec s = spec_for(f, "GET", "/x");
    s.port = port;
    s.timeout_us = 10000000;
    assert_int_equal(sofa__http_start(f->http, &s, &cbs, &r, NULL), 0);
    assert_true(testloop_run_until(f->io, &r.done, 3000));
    assert_int_equal(r.status, SOFA_E_CONNECT_FAILED);
    assert_int_equal(r.sent, 0);
    assert_non_null(strstr(r.msg, "TLS handshake timed out after 200 ms"));
    assert_non_null(strstr(r.msg, "127.0.0.1"));
    sofa__http_free(f->http); /* before the context it borrows */
    f->http = NULL;
    sofa__tls_ctx_free(tls);
    close(lfd);
}

/* A request deadline shorter than the connect timeout is what ends the request. */
static void request_deadline_bounds_the_connect_timeout(void **state)
{
    fixture *f = *state;
    sofa__tls_opts to = {NULL, 1};
    sofa__tls_ctx *tls = NULL;
    char err[256];
    assert_int_equal(sofa__tls_ctx_new(&tls, &to, err, sizeof(err)), 0);
    sofa__http_set_tls(f->http, tls);
    sofa__http_set_connect_timeout(f->http, 5000000);
    uint16_t port;
    int lfd = silent_listener(&port);
    result r;
    memset(&r, 0, sizeof(r));
    sofa__http_spec s = spec_for(f, "GET", "/x");
    s.port = port;
    s.timeout_us = 150000;
    assert_int_equal(sofa__http_start(f->http, &s, &cbs, &r, NULL), 0);
    assert_true(testloop_run_until(f->io, &r.done, 3000));
    assert_int_equal(r.status, SOFA_E_QUERY_TIMEOUT);
    assert_int_equal(r.sent, 0);
    assert_non_null(strstr(r.msg, "150 ms"));
    sofa__http_free(f->http);
    f->http = NULL;
    sofa__tls_ctx_free(tls);
    close(lfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(request_has_auth_host_and_body, setup, teardown),
        cmocka_unit_test_setup_teardown(keep_alive_reuses_the_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(body_is_streamed_before_the_response_ends, setup, teardown),
        cmocka_unit_test_setup_teardown(timeout_fires, setup, teardown),
        cmocka_unit_test_setup_teardown(refused_connection_was_not_sent, setup, teardown),
        cmocka_unit_test_setup_teardown(connection_lost_mid_body, setup, teardown),
        cmocka_unit_test_setup_teardown(stale_keep_alive_is_retried_on_a_new_connection, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(cancel_from_the_body_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(freeing_the_pool_cancels_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(pool_freed_from_a_body_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_requests_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_host_fails_with_name_resolution, setup, teardown),
        cmocka_unit_test_setup_teardown(tls_handshake_to_a_silent_port_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(request_deadline_bounds_the_connect_timeout, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
