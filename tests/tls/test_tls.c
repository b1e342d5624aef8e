/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* couchbases:// end to end: sofa-mock with a TLS KV port per node, a CA and server
 * certificate made for this run (gen_certs.sh), and the client verifying it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kv/kvtest.h"
#include "support/mockproc.h"

#define LOAD_OPS 3000

static char certdir[256];
static sofa_test_mock mock; /* 2 nodes, TLS */

static void path_of(char *out, size_t n, const char *file)
{
    snprintf(out, n, "%s/%s", certdir, file);
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(certdir, sizeof(certdir), "/tmp/sofa-tls-XXXXXX");
    if (!mkdtemp(certdir))
        return -1;
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "sh '%s' '%s'", SOFA_TLS_GEN_CERTS, certdir);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot make test certificates: %s\n", cmd);
        return -1;
    }
    char cert[512], key[512];
    path_of(cert, sizeof(cert), "server.pem");
    path_of(key, sizeof(key), "server.key");
    const char *args[] = {"--nodes", "2",        "--tls-cert", cert, "--tls-key",
                          key,       "--sample", "rows:50",    NULL};
    if (sofa_test_mock_start(&mock, args) != 0)
        return -1;
    return mock.tls_connstr[0] && mock.kv_tls_ports[0] > 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    sofa_test_mock_stop(&mock);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", certdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* mock.tls_connstr plus "?opts" (opts may be empty). */
static void tls_connstr(char *out, size_t n, const char *opts)
{
    snprintf(out, n, "%s%s%s", mock.tls_connstr, *opts ? "?" : "", opts);
}

static void ca_opt(char *out, size_t n, const char *ca_file)
{
    snprintf(out, n, "certpath=%s/%s", certdir, ca_file);
}

/* Connect with @connstr; returns the status, copies the bootstrap report. */
static int connect_status(const char *connstr, char *report, size_t n)
{
    sofa_client *c = kt_client(connstr, "Administrator", "password", NULL);
    assert_non_null(c);
    kt_res r = {0};
    assert_int_equal(sofa_client_connect(c, kt_connect_cb, &r), 0);
    sofa_client_wait(c);
    assert_int_equal(r.calls, 1);
    snprintf(report, n, "%s", sofa_client_bootstrap_report(c));
    sofa_client_free(c);
    return r.status;
}

typedef struct big_check {
    const char *want;
    size_t nwant;
    int calls, status;
} big_check;

/* Status 0 only if the value came back byte for byte. */
static void big_get_cb(sofa_client *c, sofa_status st, const sofa_get_result *r, void *ck)
{
    big_check *b = ck;
    (void)c;
    b->calls++;
    b->status = st;
    if (st == 0 && (!r || r->nvalue != b->nwant || memcmp(r->value, b->want, b->nwant) != 0))
        b->status = -1;
}

static void bootstrap_and_kv_over_tls(void **state)
{
    (void)state;
    char opt[600], cs[2048];
    ca_opt(opt, sizeof(opt), "ca.pem");
    tls_connstr(cs, sizeof(cs), opt);
    sofa_client *c = kt_client(cs, "Administrator", "password", NULL);
    assert_non_null(c);
    assert_int_equal(kt_connect(c), 0);
    /* enough keys to reach both nodes (each over its own TLS connection) */
    for (int i = 0; i < 40; i++) {
        char key[32], val[64];
        snprintf(key, sizeof(key), "tls-key-%d", i);
        snprintf(val, sizeof(val), "{\"n\":%d,\"over\":\"tls\"}", i);
        assert_int_equal(kt_upsert(c, key, val), 0);
        kt_res g;
        assert_int_equal(kt_get(c, key, &g), 0);
        assert_string_equal(g.value, val);
    }
    /* a value larger than one TLS record (16 KiB) in both directions */
    static char big[100000];
    memset(big, 'x', sizeof(big) - 1);
    big[0] = '"';
    big[sizeof(big) - 2] = '"';
    kt_res m = {0};
    assert_int_equal(sofa_kv_upsert(c, "tls-big", 7, big, sizeof(big) - 1, NULL, kt_mut_cb, &m), 0);
    sofa_client_wait(c);
    assert_int_equal(m.calls, 1);
    assert_int_equal(m.status, 0);
    big_check chk = {big, sizeof(big) - 1, 0, -1};
    assert_int_equal(sofa_kv_get(c, "tls-big", 7, NULL, big_get_cb, &chk), 0);
    sofa_client_wait(c);
    assert_int_equal(chk.calls, 1);
    assert_int_equal(chk.status, 0);
    sofa_client_free(c);
}

static void wrong_ca_is_a_verify_error(void **state)
{
    (void)state;
    char opt[600], cs[2048], report[4096];
    ca_opt(opt, sizeof(opt), "other_ca.pem");
    tls_connstr(cs, sizeof(cs), opt);
    assert_int_equal(connect_status(cs, report, sizeof(report)), SOFA_E_TLS_VERIFY);
    assert_non_null(strstr(report, "TLS certificate verify failed: unable to get local issuer"));
}

static void system_store_does_not_trust_the_test_ca(void **state)
{
    (void)state;
    char report[4096];
    assert_int_equal(connect_status(mock.tls_connstr, report, sizeof(report)), SOFA_E_TLS_VERIFY);
    assert_non_null(strstr(report, "TLS certificate verify failed"));
}

static void hostname_mismatch_is_a_verify_error(void **state)
{
    (void)state;
    /* the certificate names IP 127.0.0.1 only; "localhost" is not in it */
    char cs[2048], report[4096];
    snprintf(cs, sizeof(cs), "couchbases://localhost:%d/default?certpath=%s/ca.pem",
             mock.kv_tls_ports[0], certdir);
    assert_int_equal(connect_status(cs, report, sizeof(report)), SOFA_E_TLS_VERIFY);
    assert_non_null(strstr(report, "hostname mismatch"));
}

static void no_verify_accepts_the_certificate(void **state)
{
    (void)state;
    char cs[2048];
    tls_connstr(cs, sizeof(cs), "ssl=no_verify");
    sofa_client *c = kt_client(cs, "Administrator", "password", NULL);
    assert_non_null(c);
    assert_int_equal(kt_connect(c), 0);
    assert_int_equal(kt_upsert(c, "nv", "\"unverified\""), 0);
    kt_res g;
    assert_int_equal(kt_get(c, "nv", &g), 0);
    assert_string_equal(g.value, "\"unverified\"");
    sofa_client_free(c);
}

static void tls_to_a_plain_port_is_a_tls_error(void **state)
{
    (void)state;
    char cs[2048], report[4096];
    snprintf(cs, sizeof(cs), "couchbases://127.0.0.1:%d/default?ssl=no_verify", mock.kv_ports[0]);
    assert_int_equal(connect_status(cs, report, sizeof(report)), SOFA_E_TLS);
    assert_non_null(strstr(report, "TLS handshake"));
}

static void unreadable_ca_file_fails_at_client_new(void **state)
{
    (void)state;
    char cs[2048];
    snprintf(cs, sizeof(cs), "%s?certpath=%s/no-such-ca.pem", mock.tls_connstr, certdir);
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = cs;
    sofa_client *c = NULL;
    char err[512] = "";
    assert_int_equal(sofa_client_new(&c, &o, err, sizeof(err)), SOFA_E_TLS);
    assert_null(c);
    assert_non_null(strstr(err, "cannot load CA certificates from"));
    assert_non_null(strstr(err, "no-such-ca.pem"));
}

typedef struct raw_res {
    int calls, status, http_status;
    char body[256];
} raw_res;

static void raw_cb(sofa_client *c, sofa_status st, const sofa_http_response *r, void *ck)
{
    raw_res *x = ck;
    (void)c;
    x->calls++;
    x->status = st;
    if (r) {
        x->http_status = r->status;
        snprintf(x->body, sizeof(x->body), "%.*s", (int)(r->nbody < 255 ? r->nbody : 255), r->body);
    }
}

/* HTTP over TLS: bootstrap from an HTTPS seed (the streaming config), N1QL on the nodes'
 * n1qlSSL ports, and the certificate checked there too. */
static void http_services_over_tls(void **state)
{
    (void)state;
    char cs[2048], report[4096];
    snprintf(cs, sizeof(cs), "couchbases://127.0.0.1:%d=https/default?certpath=%s/ca.pem",
             mock.http_tls_ports[0], certdir);
    sofa_client *c = kt_client(cs, "Administrator", "password", NULL);
    assert_non_null(c);
    assert_int_equal(kt_connect(c), 0);
    assert_int_equal(kt_upsert(c, "via-https", "{\"boot\":\"http\"}"), 0);
    sofa_query_result *qr = NULL;
    int rc = sofa_query_run(c, "SELECT 1 AS one", NULL, &qr);
    if (rc != 0)
        fprintf(stderr, "query over TLS: %s\n", sofa_status_name(rc));
    assert_int_equal(rc, 0);
    assert_int_equal(sofa_query_result_count(qr), 1);
    sofa_query_result_free(qr);
    /* a view (capiSSL) over TLS */
    sofa_view_opts vo = SOFA_VIEW_OPTS_INIT;
    vo.limit = 2;
    vo.reduce = SOFA_FALSE;
    qr = NULL;
    assert_int_equal(sofa_view_run(c, "rows", "by_n", &vo, &qr), 0);
    assert_int_equal(sofa_query_result_count(qr), 2);
    sofa_query_result_free(qr);
    /* a raw request to the cluster manager (mgmtSSL) over TLS */
    sofa_http_request hr = {sizeof(hr), SOFA_HTTP_MGMT, "GET", "/pools/default/buckets/default",
                            NULL,       NULL,           0,     0};
    raw_res rr = {0};
    assert_int_equal(sofa_http_request_start(c, &hr, raw_cb, &rr), 0);
    sofa_client_wait(c);
    assert_int_equal(rr.calls, 1);
    assert_int_equal(rr.status, 0);
    assert_int_equal(rr.http_status, 200);
    assert_non_null(strstr(rr.body, "\"name\":\"default\""));
    sofa_client_free(c);
    /* the HTTPS seed's certificate is verified like the KV ports' */
    snprintf(cs, sizeof(cs), "couchbases://127.0.0.1:%d=https/default?certpath=%s/other_ca.pem",
             mock.http_tls_ports[0], certdir);
    assert_int_equal(connect_status(cs, report, sizeof(report)), SOFA_E_TLS_VERIFY);
    assert_non_null(strstr(report, "certificate verify failed"));
}

/* PLAIN is chosen without being forced over TLS, and refused in clear text. */
static void plain_sasl_only_over_tls(void **state)
{
    (void)state;
    sofa_test_mock m2;
    char cert[512], key[512];
    path_of(cert, sizeof(cert), "server.pem");
    path_of(key, sizeof(key), "server.key");
    const char *args[] = {"--tls-cert", cert, "--tls-key", key, "--sasl-mechs", "PLAIN", NULL};
    assert_int_equal(sofa_test_mock_start(&m2, args), 0);
    char cs[2048], report[4096];
    snprintf(cs, sizeof(cs), "%s?certpath=%s/ca.pem", m2.tls_connstr, certdir);
    sofa_client *c = kt_client(cs, "Administrator", "password", NULL);
    assert_non_null(c);
    assert_int_equal(kt_connect(c), 0);
    assert_int_equal(kt_upsert(c, "plain", "1"), 0);
    sofa_client_free(c);
    /* the same server without TLS: no acceptable mechanism */
    assert_int_equal(connect_status(m2.connstr, report, sizeof(report)), SOFA_E_AUTH_NO_MECHANISM);
    /* a wrong password over TLS with PLAIN is an authentication failure */
    snprintf(cs, sizeof(cs), "%s?certpath=%s/ca.pem&password=nope&username=Administrator",
             m2.tls_connstr, certdir);
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = cs;
    assert_int_equal(sofa_client_new(&c, &o, NULL, 0), 0);
    kt_res r = {0};
    assert_int_equal(sofa_client_connect(c, kt_connect_cb, &r), 0);
    sofa_client_wait(c);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, SOFA_E_AUTH_FAILED);
    sofa_client_free(c);
    sofa_test_mock_stop(&m2);
}

/* Many operations in flight over TLS when the mock drops every connection: each one is
 * answered exactly once, and the client reconnects (with a new handshake) afterwards. */
static void killed_mid_load_answers_every_op_once(void **state)
{
    (void)state;
    char opt[600], cs[2048];
    ca_opt(opt, sizeof(opt), "ca.pem");
    tls_connstr(cs, sizeof(cs), opt);
    sofa_client *c = kt_client(cs, "Administrator", "password", NULL);
    assert_non_null(c);
    assert_int_equal(kt_connect(c), 0);
    kt_res *res = calloc(LOAD_OPS, sizeof(*res));
    assert_non_null(res);
    char val[2048];
    memset(val, 'v', sizeof(val) - 1);
    val[0] = '"';
    val[sizeof(val) - 2] = '"';
    val[sizeof(val) - 1] = '\0';
    for (int i = 0; i < LOAD_OPS; i++) {
        char key[32];
        snprintf(key, sizeof(key), "load-%d", i);
        assert_int_equal(
            sofa_kv_upsert(c, key, strlen(key), val, strlen(val), NULL, kt_mut_cb, &res[i]), 0);
    }
    /* let part of the load through, then cut every connection */
    int done = 0;
    for (int spins = 0; spins < 100000 && done < LOAD_OPS / 10; spins++) {
        sofa_client_tick(c);
        done = 0;
        for (int i = 0; i < LOAD_OPS; i++)
            done += res[i].calls;
    }
    assert_int_equal(sofa_test_mock_ctl(&mock, "POST", "/mock/drop", NULL, NULL, 0), 200);
    sofa_client_wait(c);
    int ok = 0, failed = 0;
    for (int i = 0; i < LOAD_OPS; i++) {
        assert_int_equal(res[i].calls, 1);
        if (res[i].status == 0)
            ok++;
        else
            failed++;
    }
    fprintf(stderr, "mid-load drop: %d ok, %d failed (%d answered before the drop)\n", ok, failed,
            done);
    assert_true(ok >= LOAD_OPS / 10);
    /* the connections come back over TLS */
    assert_int_equal(kt_upsert(c, "after-drop", "2"), 0);
    kt_res g;
    assert_int_equal(kt_get(c, "after-drop", &g), 0);
    assert_string_equal(g.value, "2");
    free(res);
    sofa_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bootstrap_and_kv_over_tls),
        cmocka_unit_test(wrong_ca_is_a_verify_error),
        cmocka_unit_test(system_store_does_not_trust_the_test_ca),
        cmocka_unit_test(hostname_mismatch_is_a_verify_error),
        cmocka_unit_test(no_verify_accepts_the_certificate),
        cmocka_unit_test(tls_to_a_plain_port_is_a_tls_error),
        cmocka_unit_test(unreadable_ca_file_fails_at_client_new),
        cmocka_unit_test(plain_sasl_only_over_tls),
        cmocka_unit_test(http_services_over_tls),
        cmocka_unit_test(killed_mid_load_answers_every_op_once),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
