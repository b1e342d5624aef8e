/* Bootstrap against the mock: per-seed failure reasons (refused, timeout, auth, no bucket),
 * operations scheduled before bootstrap, and the connect callback firing exactly once. */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "kv/engine.h"
#include "kv/kvtest.h"
#include "support/mockproc.h"

static sofa_test_mock mock;

static int setup(void **state)
{
    (void)state;
    const char *args[] = {"--nodes", "2", "--replicas", "1", NULL};
    return sofa_test_mock_start(&mock, args);
}

static int teardown(void **state)
{
    (void)state;
    sofa_test_mock_stop(&mock);
    return 0;
}

/* A loopback port nobody listens on: the socket stays bound (never listening) until the
 * process exits, so connecting is refused and no other bind() or outgoing connection can
 * take the port meanwhile (a port bound and closed at once could be). */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    return ntohs(a.sin_port); /* fd deliberately kept open */
}

static void test_refused_seed_then_good_one(void **state)
{
    (void)state;
    char cs[512];
    snprintf(cs, sizeof(cs), "couchbase://127.0.0.1:%d,127.0.0.1:%d/default", closed_port(),
             mock.kv_ports[0]);
    sofa_client *c = kt_client(cs, "Administrator", "password", NULL);
    assert_non_null(c);
    /* an operation scheduled before bootstrap waits for it */
    kt_res w = {0};
    assert_int_equal(sofa_kv_upsert(c, "early", 5, "bird", 4, NULL, kt_mut_cb, &w), 0);
    assert_int_equal(kt_connect(c), SOFA_OK);
    assert_int_equal(w.calls, 1);
    assert_int_equal(w.status, SOFA_OK);
    assert_non_null(strstr(sofa_client_bootstrap_report(c), "refused"));
    assert_int_equal(sofa_client_connect(c, kt_connect_cb, &w), SOFA_E_BAD_STATE);
    sofa_client_free(c);
}

static void test_every_seed_refused(void **state)
{
    (void)state;
    char cs[512];
    snprintf(cs, sizeof(cs), "couchbase://127.0.0.1:%d,127.0.0.1:%d/default", closed_port(),
             closed_port());
    sofa_client *c = kt_client(cs, "Administrator", "password", NULL);
    assert_non_null(c);
    kt_res g = {0};
    assert_int_equal(sofa_kv_get(c, "k", 1, NULL, kt_get_cb, &g), 0);
    assert_int_equal(kt_connect(c), SOFA_E_BOOTSTRAP_FAILED);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.status, SOFA_E_BOOTSTRAP_FAILED);
    const char *rep = sofa_client_bootstrap_report(c);
    assert_non_null(strstr(rep, "seed 1"));
    assert_non_null(strstr(rep, "seed 2"));
    assert_false(sofa_client_is_connected(c));
    /* after a failed bootstrap, operations fail (in their callback) with its status */
    memset(&g, 0, sizeof(g));
    assert_int_equal(sofa_kv_get(c, "k", 1, NULL, kt_get_cb, &g), 0);
    assert_int_equal(g.calls, 0);
    sofa_client_wait(c);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.status, SOFA_E_BOOTSTRAP_FAILED);
    /* a failed bootstrap may be tried again */
    assert_int_equal(kt_connect(c), SOFA_E_BOOTSTRAP_FAILED);
    sofa_client_free(c);
}

static void test_bad_password(void **state)
{
    (void)state;
    sofa_client *c = kt_client(mock.connstr, "Administrator", "wrong", NULL);
    assert_non_null(c);
    assert_int_equal(kt_connect(c), SOFA_E_AUTH_FAILED);
    assert_non_null(strstr(sofa_client_bootstrap_report(c), "auth"));
    sofa_client_free(c);
}

static void test_no_such_bucket(void **state)
{
    (void)state;
    char cs[1100];
    snprintf(cs, sizeof(cs), "couchbase://127.0.0.1:%d/nosuchbucket", mock.kv_ports[0]);
    sofa_client *c = kt_client(cs, "Administrator", "password", NULL);
    assert_non_null(c);
    assert_int_equal(kt_connect(c), SOFA_E_BUCKET_NOT_FOUND);
    assert_non_null(strstr(sofa_client_bootstrap_report(c), "bucket"));
    sofa_client_free(c);
}

static void test_hung_seed_times_out(void **state)
{
    (void)state;
    assert_int_equal(sofa_test_mock_ctl(&mock, "POST", "/mock/hang?on=1", NULL, NULL, 0), 200);
    char cs[1100];
    snprintf(cs, sizeof(cs),
             "couchbase://127.0.0.1:%d/default?config_node_timeout=0.3&config_total_timeout=2",
             mock.kv_ports[0]);
    sofa_client *c = kt_client(cs, "Administrator", "password", NULL);
    assert_non_null(c);
    assert_int_equal(kt_connect(c), SOFA_E_BOOTSTRAP_TIMEOUT);
    assert_non_null(strstr(sofa_client_bootstrap_report(c), "timed out"));
    sofa_client_free(c);
    assert_int_equal(sofa_test_mock_ctl(&mock, "POST", "/mock/reset", NULL, NULL, 0), 200);
}

static int destroyed;
static void on_destroyed(void *ck)
{
    (void)ck;
    destroyed++;
}

static void test_free_during_bootstrap_cancels(void **state)
{
    (void)state;
    sofa_client *c = kt_client(mock.connstr, "Administrator", "password", NULL);
    assert_non_null(c);
    kt_res conn = {0}, g = {0};
    assert_int_equal(sofa_client_connect(c, kt_connect_cb, &conn), 0);
    assert_int_equal(sofa_kv_get(c, "k", 1, NULL, kt_get_cb, &g), 0);
    destroyed = 0;
    sofa_client_on_destroyed(c, on_destroyed, NULL);
    sofa_client_free(c);
    assert_int_equal(conn.calls, 1);
    assert_int_equal(conn.status, SOFA_E_CANCELED);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.status, SOFA_E_CANCELED);
    assert_int_equal(destroyed, 1);
}

typedef struct free_on_connect {
    int connect_calls, connect_status, get_calls, get_status;
} free_on_connect;

static void connect_then_free(sofa_client *c, sofa_status st, void *ck)
{
    free_on_connect *f = ck;
    f->connect_status = st;
    f->connect_calls++;
    sofa_client_free(c); /* deferred until this callback returns */
}

static void get_counted(sofa_client *c, sofa_status st, const sofa_get_result *r, void *ck)
{
    free_on_connect *f = ck;
    (void)c, (void)r;
    f->get_calls++;
    f->get_status = st;
}

static void test_free_inside_connect_callback(void **state)
{
    (void)state;
    sofa_client *c = kt_client(mock.connstr, "Administrator", "password", NULL);
    assert_non_null(c);
    free_on_connect f = {0};
    assert_int_equal(sofa_client_connect(c, connect_then_free, &f), 0);
    destroyed = 0;
    sofa_client_on_destroyed(c, on_destroyed, NULL);
    /* scheduled before bootstrap: it is released by the bootstrap and then canceled by the free
     * in the connect callback, or canceled directly; either way exactly once */
    assert_int_equal(sofa_kv_get(c, "k", 1, NULL, get_counted, &f), 0);
    assert_int_equal(sofa_client_wait(c), 0);
    assert_int_equal(f.connect_calls, 1);
    assert_int_equal(f.get_calls, 1);
    assert_int_equal(f.get_status, SOFA_E_CANCELED);
    assert_int_equal(destroyed, 1);
}

/* The same over the HTTP config stream (http:// connstr). The config arrives in an HTTP
 * callback straight from the loop: it must run between the client's enter/leave (seen
 * through the client's depth in the log line of the applied config), so that a free from
 * anything it calls waits until the HTTP dispatch has returned. */
static sofa_client *depth_client;
static int applied_logs, applied_outside;

static void depth_logger(void *arg, sofa_log_level level, const char *subsystem, const char *file,
                         int line, const char *msg)
{
    (void)arg, (void)level, (void)subsystem, (void)file, (void)line;
    if (depth_client && strncmp(msg, "applied config", 14) == 0) {
        applied_logs++;
        if (depth_client->depth == 0)
            applied_outside++;
    }
}

static void test_free_inside_connect_callback_http(void **state)
{
    (void)state;
    char cs[1100];
    snprintf(cs, sizeof(cs), "%s?config_poll_interval=0", mock.http_connstr);
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = cs;
    o.username = "Administrator";
    o.password = "password";
    o.logger = depth_logger;
    o.log_level = SOFA_LOG_INFO;
    sofa_client *c = NULL;
    char err[256] = "";
    assert_int_equal(sofa_client_new(&c, &o, err, sizeof(err)), 0);
    depth_client = c;
    applied_logs = applied_outside = 0;
    free_on_connect f = {0};
    assert_int_equal(sofa_client_connect(c, connect_then_free, &f), 0);
    destroyed = 0;
    sofa_client_on_destroyed(c, on_destroyed, NULL);
    assert_int_equal(sofa_kv_get(c, "k", 1, NULL, get_counted, &f), 0);
    assert_int_equal(sofa_client_wait(c), 0);
    depth_client = NULL;
    assert_int_equal(f.connect_calls, 1);
    assert_int_equal(f.connect_status, SOFA_OK);
    assert_int_equal(f.get_calls, 1);
    assert_int_equal(destroyed, 1);
    assert_true(applied_logs >= 1);
    assert_int_equal(applied_outside, 0);
}

static void test_unconnected_client_free(void **state)
{
    (void)state;
    sofa_client *c = kt_client(mock.connstr, NULL, NULL, NULL);
    assert_non_null(c);
    sofa_client_free(c);
    sofa_client_free(NULL);
    sofa_client *bad = NULL;
    char err[200] = "";
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = "couchbse:/oops";
    assert_true(sofa_client_new(&bad, &o, err, sizeof(err)) < 0);
    assert_null(bad);
    assert_true(strlen(err) > 0);
    o.connstr = mock.connstr;
    o.struct_size = 3;
    assert_int_equal(sofa_client_new(&bad, &o, err, sizeof(err)), SOFA_E_INVALID_ARGUMENT);
}

static void test_forced_mechanisms(void **state)
{
    (void)state;
    const char *mechs[] = {"SCRAM-SHA1", "SCRAM-SHA256", "SCRAM-SHA512", "PLAIN"};
    for (size_t i = 0; i < 4; i++) {
        char cs[1200];
        snprintf(cs, sizeof(cs), "%s?sasl_mech_force=%s", mock.connstr, mechs[i]);
        sofa_client *c = kt_client(cs, "Administrator", "password", NULL);
        assert_non_null(c);
        assert_int_equal(kt_connect(c), SOFA_OK);
        sofa_client_free(c);
        c = kt_client(cs, "Administrator", "bad", NULL);
        assert_non_null(c);
        assert_int_equal(kt_connect(c), SOFA_E_AUTH_FAILED);
        sofa_client_free(c);
    }
}

static void test_http_bootstrap(void **state)
{
    (void)state;
    sofa_client *c = kt_client(mock.http_connstr, "Administrator", "password", NULL);
    assert_non_null(c);
    assert_int_equal(kt_connect(c), SOFA_OK);
    assert_int_equal(kt_upsert(c, "viahttp", "yes"), SOFA_OK);
    kt_res r;
    assert_int_equal(kt_get(c, "viahttp", &r), SOFA_OK);
    assert_string_equal(r.value, "yes");
    sofa_client_free(c);

    c = kt_client(mock.http_connstr, "Administrator", "nope", NULL);
    assert_non_null(c);
    assert_int_equal(kt_connect(c), SOFA_E_AUTH_FAILED);
    assert_non_null(strstr(sofa_client_bootstrap_report(c), "401"));
    sofa_client_free(c);
}

/* After an HTTP bootstrap the stream stays open: with polling off, a rebalance still
 * reaches the client. */
static void test_http_stream_updates(void **state)
{
    (void)state;
    char cs[1200];
    snprintf(cs, sizeof(cs), "%s?config_poll_interval=0", mock.http_connstr);
    sofa_client *c = kt_client(cs, "Administrator", "password", NULL);
    assert_non_null(c);
    assert_int_equal(kt_connect(c), SOFA_OK);
    int64_t rev = c->config->rev;
    assert_int_equal(sofa_test_mock_ctl(&mock, "POST", "/mock/rebalance", NULL, NULL, 0), 200);
    for (int i = 0; i < 200 && c->config->rev == rev; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        sofa_client_tick(c);
    }
    assert_true(c->config->rev > rev);
    kt_res r;
    assert_int_equal(kt_get(c, "viahttp", &r), SOFA_OK);
    sofa_client_free(c);
}

/* An HTTP seed on the cluster manager's default port: CCCP on the same host's default KV
 * port is tried first, then the HTTP stream; both failures show in the report, in that
 * order. The defaults (8091/11210, checked in test_kv_seedports) are moved to two ports
 * known to be closed, so nothing else on the machine can answer. */
static void test_http_default_port_tries_cccp_first(void **state)
{
    (void)state;
    int mgmt = closed_port(), kv = closed_port();
    char cs[512];
    snprintf(cs, sizeof(cs),
             "http://127.0.0.1:%d/default?bootstrap_on=all&config_node_timeout=0.5&"
             "config_total_timeout=2",
             mgmt);
    sofa_client *c = kt_client(cs, "Administrator", "password", NULL);
    assert_non_null(c);
    c->seed_mgmt_port = (uint16_t)mgmt;
    c->seed_kv_port = (uint16_t)kv;
    assert_int_equal(kt_connect(c), SOFA_E_BOOTSTRAP_FAILED);
    const char *rep = sofa_client_bootstrap_report(c);
    char want_kv[64], want_http[64];
    snprintf(want_kv, sizeof(want_kv), "seed 1 127.0.0.1:%d: ", kv);
    snprintf(want_http, sizeof(want_http), "seed 1 127.0.0.1:%d (http)", mgmt);
    const char *pkv = strstr(rep, want_kv);
    const char *phttp = strstr(rep, want_http);
    assert_non_null(pkv);
    assert_non_null(phttp);
    assert_true(pkv < phttp);
    assert_null(strstr(rep, "seed 2"));
    sofa_client_free(c);
}

static void test_cccp_refused_then_http_seed(void **state)
{
    (void)state;
    char cs[512];
    snprintf(cs, sizeof(cs), "couchbase://127.0.0.1:%d,127.0.0.1:%d=http/default", closed_port(),
             mock.http_ports[1]);
    sofa_client *c = kt_client(cs, "Administrator", "password", NULL);
    assert_non_null(c);
    assert_int_equal(kt_connect(c), SOFA_OK);
    assert_non_null(strstr(sofa_client_bootstrap_report(c), "refused"));
    kt_res r;
    assert_int_equal(kt_get(c, "viahttp", &r), SOFA_OK);
    sofa_client_free(c);
    /* bootstrap_on=cccp skips the HTTP seed */
    snprintf(cs, sizeof(cs), "couchbase://127.0.0.1:%d=http/default?bootstrap_on=cccp",
             mock.http_ports[0]);
    c = kt_client(cs, "Administrator", "password", NULL);
    assert_non_null(c);
    assert_int_equal(kt_connect(c), SOFA_E_BOOTSTRAP_FAILED);
    assert_non_null(strstr(sofa_client_bootstrap_report(c), "bootstrap_on"));
    sofa_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused_seed_then_good_one),
        cmocka_unit_test(test_every_seed_refused),
        cmocka_unit_test(test_bad_password),
        cmocka_unit_test(test_no_such_bucket),
        cmocka_unit_test(test_hung_seed_times_out),
        cmocka_unit_test(test_free_during_bootstrap_cancels),
        cmocka_unit_test(test_free_inside_connect_callback),
        cmocka_unit_test(test_free_inside_connect_callback_http),
        cmocka_unit_test(test_unconnected_client_free),
        cmocka_unit_test(test_forced_mechanisms),
        cmocka_unit_test(test_http_bootstrap),
        cmocka_unit_test(test_http_stream_updates),
        cmocka_unit_test(test_cccp_refused_then_http_seed),
        cmocka_unit_test(test_http_default_port_tries_cccp_first),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
