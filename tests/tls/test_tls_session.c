/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* io/tls.c without a network: sessions that outlive their context, SNI for names only
 * (read back by an OpenSSL server on the other end of a socketpair), the host length
 * check, and every OpenSSL allocation failing in turn while a context and a session are
 * made (statuses; leaks and bad frees show under ASan). */
#include <fcntl.h>
#include <malloc.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "io/tls.h"
#include "sofa/status.h"

/* ------------------------------------------------ OpenSSL allocations that fail on cue */

static long alloc_count, fail_at; /* fail_at 0: never */

static int should_fail(void)
{
    return fail_at > 0 && ++alloc_count == fail_at;
}

static void *t_malloc(size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return should_fail() ? NULL : malloc(n);
}

static void *t_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return should_fail() ? NULL : realloc(p, n);
}

/* Quarantine: while on, freed OpenSSL memory is scribbled over and kept (not reused), so
 * a use after free inside libcrypto (not instrumented by ASan), such as a BIO calling
 * through a freed BIO_METHOD, crashes instead of passing unnoticed. */
#define QUARANTINE_MAX 4096
static void *quarantine[QUARANTINE_MAX];
static size_t nquarantine;
static int quarantine_on;

static void t_free(void *p, const char *file, int line)
{
    (void)file;
    (void)line;
    if (!p)
        return;
    memset(p, 0xa5, malloc_usable_size(p));
    if (quarantine_on && nquarantine < QUARANTINE_MAX) {
        quarantine[nquarantine++] = p;
        return;
    }
    free(p);
}

static void quarantine_end(void)
{
    quarantine_on = 0;
    while (nquarantine)
        free(quarantine[--nquarantine]);
}

static void fail_from(long n)
{
    alloc_count = 0;
    fail_at = n;
}

/* stop failing; alloc_count keeps how many allocations were counted */
static void fail_off(void)
{
    fail_at = 0;
}

/* ------------------------------------------------------------------ helpers */

static sofa__tls_ctx *ctx_no_verify(void)
{
    sofa__tls_opts o = {NULL, 1};
    sofa__tls_ctx *x = NULL;
    char err[256];
    assert_int_equal(sofa__tls_ctx_new(&x, &o, err, sizeof(err)), 0);
    return x;
}

static void nonblocking_pair(int sv[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(fcntl(sv[i], F_SETFL, fcntl(sv[i], F_GETFL) | O_NONBLOCK), 0);
}

/* ------------------------------------------------------------------ tests */

/* The context may be freed before its sessions: their BIOs still use its method. */
static void session_outlives_its_context(void **state)
{
    (void)state;
    int sv[2];
    nonblocking_pair(sv);
    sofa__tls_ctx *x = ctx_no_verify();
    sofa__tls *t = NULL;
    char err[256];
    assert_int_equal(sofa__tls_new(&t, x, sv[0], "db1.example.com", err, sizeof(err)), 0);
    quarantine_on = 1;
    sofa__tls_ctx_free(x);
    /* the ClientHello goes out through the session's BIO */
    assert_int_equal(sofa__tls_handshake(t, err, sizeof(err)), SOFA__TLS_WANT_READ);
    char hello[16];
    assert_true(read(sv[1], hello, sizeof(hello)) > 0);
    assert_int_equal((unsigned char)hello[0], 0x16); /* a handshake record */
    sofa__tls_free(t);
    quarantine_end();
    close(sv[0]);
    close(sv[1]);
}

static int sni_cb(SSL *ssl, int *alert, void *arg)
{
    (void)alert;
    char *seen = arg;
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    snprintf(seen, 300, "%s", name ? name : "(none)");
    return SSL_TLSEXT_ERR_OK;
}

/* What SNI a server sees from a session for @p host. */
static void sni_seen(const char *host, char *seen)
{
    int sv[2];
    nonblocking_pair(sv);
    sofa__tls_ctx *x = ctx_no_verify();
    sofa__tls *t = NULL;
    char err[256];
    assert_int_equal(sofa__tls_new(&t, x, sv[0], host, err, sizeof(err)), 0);
    assert_int_equal(sofa__tls_handshake(t, err, sizeof(err)), SOFA__TLS_WANT_READ);
    SSL_CTX *sctx = SSL_CTX_new(TLS_server_method());
    assert_non_null(sctx);
    SSL_CTX_set_tlsext_servername_callback(sctx, sni_cb);
    SSL_CTX_set_tlsext_servername_arg(sctx, seen);
    SSL *s = SSL_new(sctx);
    assert_non_null(s);
    SSL_set_fd(s, sv[1]);
    strcpy(seen, "(callback not called)");
    (void)SSL_accept(s); /* no certificate: fails after reading the ClientHello */
    ERR_clear_error();
    SSL_free(s);
    SSL_CTX_free(sctx);
    sofa__tls_free(t);
    sofa__tls_ctx_free(x);
    close(sv[0]);
    close(sv[1]);
}

static void sni_is_sent_for_names_only(void **state)
{
    (void)state;
    char seen[300];
    sni_seen("db1.example.com", seen);
    assert_string_equal(seen, "db1.example.com");
    sni_seen("127.0.0.1", seen);
    assert_string_equal(seen, "(none)");
    sni_seen("::1", seen);
    assert_string_equal(seen, "(none)");
    /* RFC 6066: no trailing dot; an IPv6 literal with a zone is still an IP */
    sni_seen("db1.example.com.", seen);
    assert_string_equal(seen, "db1.example.com");
    sni_seen("fe80::1%lo", seen);
    assert_string_equal(seen, "(none)");
}

static void verification_is_on_unless_asked_off(void **state)
{
    (void)state;
    sofa__tls_opts o = {NULL, 0}; /* the system store */
    sofa__tls_ctx *x = NULL;
    char err[256];
    assert_int_equal(sofa__tls_ctx_new(&x, &o, err, sizeof(err)), 0);
    assert_true(sofa__tls_ctx_verifies(x));
    sofa__tls_ctx_free(x);
}

static void host_length_is_checked(void **state)
{
    (void)state;
    sofa__tls_ctx *x = ctx_no_verify();
    char host[SOFA__TLS_HOST_MAX + 2];
    memset(host, 'a', sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    sofa__tls *t = NULL;
    char err[256] = "";
    assert_int_equal(sofa__tls_new(&t, x, -1, host, err, sizeof(err)), SOFA_E_INVALID_ARGUMENT);
    assert_null(t);
    assert_non_null(strstr(err, "longer than 255"));
    assert_int_equal(sofa__tls_new(&t, x, -1, "", err, sizeof(err)), SOFA_E_INVALID_ARGUMENT);
    host[SOFA__TLS_HOST_MAX] = '\0'; /* 255 bytes: fine */
    assert_int_equal(sofa__tls_new(&t, x, -1, host, err, sizeof(err)), 0);
    sofa__tls_free(t);
    sofa__tls_ctx_free(x);
}

/* Every OpenSSL allocation of a context, then of a session, fails in turn: a specific
 * status each time, nothing leaked or freed twice (ASan), and in the end it works. */
static void every_openssl_allocation_failure_is_handled(void **state)
{
    (void)state;
    char err[256];
    long n;
    for (n = 1; n < 20000; n++) {
        sofa__tls_opts o = {NULL, n % 2}; /* alternately the system store and no_verify */
        sofa__tls_ctx *x = NULL;
        fail_from(n);
        int rc = sofa__tls_ctx_new(&x, &o, err, sizeof(err));
        fail_off();
        if (rc == 0 && alloc_count < n) { /* nothing failed: done */
            sofa__tls_ctx_free(x);
            break;
        }
        if (rc == 0) {
            sofa__tls_ctx_free(x); /* a failure OpenSSL absorbed */
            continue;
        }
        assert_null(x);
        assert_true(rc == SOFA_E_NO_MEMORY || rc == SOFA_E_TLS);
    }
    assert_true(n < 20000);
    sofa__tls_ctx *x = ctx_no_verify();
    static const char *const hosts[] = {"db1.example.com", "10.0.0.5", "::1"};
    for (size_t h = 0; h < 3; h++) {
        for (n = 1; n < 20000; n++) {
            sofa__tls *t = NULL;
            fail_from(n);
            int rc = sofa__tls_new(&t, x, -1, hosts[h], err, sizeof(err));
            fail_off();
            if (rc == 0) {
                sofa__tls_free(t);
                if (alloc_count < n)
                    break;
                continue;
            }
            assert_null(t);
            assert_int_equal(rc, SOFA_E_NO_MEMORY);
        }
        assert_true(n < 20000);
    }
    sofa__tls_ctx_free(x);
}

int main(void)
{
    /* before OpenSSL allocates anything */
    if (!CRYPTO_set_mem_functions(t_malloc, t_realloc, t_free)) {
        fprintf(stderr, "CRYPTO_set_mem_functions refused\n");
        return 1;
    }
    OPENSSL_init_ssl(0, NULL); /* library set-up is not what is tested */
    sofa__tls_ctx_free(ctx_no_verify());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(session_outlives_its_context),
        cmocka_unit_test(sni_is_sent_for_names_only),
        cmocka_unit_test(verification_is_on_unless_asked_off),
        cmocka_unit_test(host_length_is_checked),
        cmocka_unit_test(every_openssl_allocation_failure_is_handled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
