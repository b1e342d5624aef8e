/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
#include "io/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sofa/status.h"

struct sofa__tls_ctx {
    SSL_CTX *ssl_ctx;
    BIO_METHOD *bio; /* socket I/O with MSG_NOSIGNAL (a library must not raise SIGPIPE) */
    int verify;
    /* the owner's reference plus one per session: every BIO of a session points at bio,
     * which must stay until the last session is gone (one client = one thread) */
    unsigned refs;
};

struct sofa__tls {
    SSL *ssl;
    sofa__tls_ctx *ctx; /* a reference */
};

static void ctx_unref(sofa__tls_ctx *ctx)
{
    if (--ctx->refs > 0)
        return;
    SSL_CTX_free(ctx->ssl_ctx);
    BIO_meth_free(ctx->bio);
    free(ctx);
}

/* "what: reason" with OpenSSL's first queued error (or @p fallback), queue cleared. */
static void reason(char *errbuf, size_t errlen, const char *what, const char *fallback)
{
    unsigned long e = ERR_get_error();
    char detail[200];
    if (e != 0)
        ERR_error_string_n(e, detail, sizeof(detail));
    else
        snprintf(detail, sizeof(detail), "%s", fallback);
    ERR_clear_error();
    if (errbuf && errlen)
        snprintf(errbuf, errlen, "%s: %s", what, detail);
}

/* ------------------------------------------------------------ the socket BIO
 * OpenSSL's own socket BIO writes with write(2), which raises SIGPIPE when the peer has
 * gone; the application may not ignore that signal. This one uses send(MSG_NOSIGNAL). */

static int bio_fd(BIO *b)
{
    return (int)(intptr_t)BIO_get_data(b);
}

static int retryable(int err)
{
    return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

static int bio_write(BIO *b, const char *data, int n)
{
    BIO_clear_retry_flags(b);
    ssize_t w = send(bio_fd(b), data, (size_t)n, MSG_NOSIGNAL);
    if (w < 0 && retryable(errno))
        BIO_set_retry_write(b);
    return (int)w;
}

static int bio_read(BIO *b, char *data, int n)
{
    BIO_clear_retry_flags(b);
    ssize_t r = recv(bio_fd(b), data, (size_t)n, 0);
    if (r < 0 && retryable(errno))
        BIO_set_retry_read(b);
    return (int)r;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static BIO_METHOD *bio_method_new(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sofa socket");
    if (m && (!BIO_meth_set_write(m, bio_write) || !BIO_meth_set_read(m, bio_read) ||
              !BIO_meth_set_ctrl(m, bio_ctrl) || !BIO_meth_set_create(m, bio_create))) {
        BIO_meth_free(m);
        m = NULL;
    }
    return m;
}

/* ------------------------------------------------------------ contexts */

int sofa__tls_ctx_new(sofa__tls_ctx **out, const sofa__tls_opts *opts, char *errbuf, size_t errlen)
{
    *out = NULL;
    sofa__tls_ctx *x = calloc(1, sizeof(*x));
    if (!x)
        return SOFA_E_NO_MEMORY;
    x->refs = 1;
    ERR_clear_error();
    x->ssl_ctx = SSL_CTX_new(TLS_client_method());
    x->bio = bio_method_new();
    if (!x->ssl_ctx || !x->bio) {
        reason(errbuf, errlen, "cannot create TLS context", "out of memory");
        sofa__tls_ctx_free(x);
        return SOFA_E_NO_MEMORY;
    }
    x->verify = !opts->no_verify;
    int ok = SSL_CTX_set_min_proto_version(x->ssl_ctx, TLS1_2_VERSION);
    /* A peer that closes without close_notify is an ordinary EOF, not an error. */
    SSL_CTX_set_options(x->ssl_ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
    /* The send buffer grows (and may move) between retries of one SSL_write. */
    SSL_CTX_set_mode(x->ssl_ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (ok && x->verify) {
        if (opts->ca_file)
            ok = SSL_CTX_load_verify_locations(x->ssl_ctx, opts->ca_file, NULL);
        else
            ok = SSL_CTX_set_default_verify_paths(x->ssl_ctx);
        if (!ok) {
            char what[300];
            snprintf(what, sizeof(what), "cannot load CA certificates from %s",
                     opts->ca_file ? opts->ca_file : "the system store");
            reason(errbuf, errlen, what, "unknown error");
            sofa__tls_ctx_free(x);
            return SOFA_E_TLS;
        }
    } else if (!ok) {
        reason(errbuf, errlen, "cannot set the minimum TLS version", "unknown error");
        sofa__tls_ctx_free(x);
        return SOFA_E_TLS;
    }
    SSL_CTX_set_verify(x->ssl_ctx, x->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
    *out = x;
    return 0;
}

void sofa__tls_ctx_free(sofa__tls_ctx *ctx)
{
    if (!ctx)
        return;
    ctx_unref(ctx);
}

int sofa__tls_ctx_verifies(const sofa__tls_ctx *ctx)
{
    return ctx && ctx->verify;
}

static int is_ip_literal(const char *host)
{
    unsigned char addr[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

/* @p host as SNI and the certificate check want it in @p out (SOFA__TLS_HOST_MAX + 1
 * bytes): an IPv6 address without its zone ("fe80::1%eth0" is the IP fe80::1), a name
 * without its trailing dot (RFC 6066: "db1.example.com." is sent as "db1.example.com").
 * Returns 1 for an IP literal. */
static int tls_host(const char *host, char *out)
{
    snprintf(out, SOFA__TLS_HOST_MAX + 1, "%s", host);
    char *zone = strchr(out, '%');
    if (zone && strchr(out, ':')) {
        *zone = '\0';
        if (is_ip_literal(out))
            return 1;
        *zone = '%';
    }
    if (is_ip_literal(out))
        return 1;
    size_t n = strlen(out);
    if (n > 1 && out[n - 1] == '.')
        out[n - 1] = '\0';
    return 0;
}

int sofa__tls_new(sofa__tls **out, sofa__tls_ctx *ctx, int fd, const char *host, char *errbuf,
                  size_t errlen)
{
    *out = NULL;
    if (!host || !*host || strlen(host) > SOFA__TLS_HOST_MAX) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "TLS: host name empty or longer than %u bytes",
                     (unsigned)SOFA__TLS_HOST_MAX);
        return SOFA_E_INVALID_ARGUMENT;
    }
    sofa__tls *t = calloc(1, sizeof(*t));
    if (!t)
        return SOFA_E_NO_MEMORY;
    ERR_clear_error();
    t->ssl = SSL_new(ctx->ssl_ctx);
    if (!t->ssl) {
        reason(errbuf, errlen, "cannot create TLS session", "out of memory");
        free(t);
        return SOFA_E_NO_MEMORY;
    }
    char name[SOFA__TLS_HOST_MAX + 1];
    int ip = tls_host(host, name);
    BIO *bio = BIO_new(ctx->bio);
    int ok = bio != NULL;
    if (ok) {
        BIO_set_data(bio, (void *)(intptr_t)fd);
        SSL_set_bio(t->ssl, bio, bio); /* the session owns it now */
    }
    /* SNI carries names only (RFC 6066 forbids IP literals). */
    if (ok && !ip)
        ok = SSL_set_tlsext_host_name(t->ssl, name);
    if (ok && ctx->verify) {
        X509_VERIFY_PARAM *param = SSL_get0_param(t->ssl);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name)
                : X509_VERIFY_PARAM_set1_host(param, name, 0);
    }
    if (!ok) {
        /* host is 1..255 bytes without NUL (the connection layer's limit) and an IP
         * literal is checked above: what is left to fail is an allocation */
        reason(errbuf, errlen, "cannot set up TLS session", "out of memory");
        sofa__tls_free(t);
        return SOFA_E_NO_MEMORY;
    }
    SSL_set_connect_state(t->ssl);
    t->ctx = ctx;
    ctx->refs++;
    *out = t;
    return 0;
}

void sofa__tls_free(sofa__tls *t)
{
    if (!t)
        return;
    SSL_free(t->ssl); /* and its BIO, which still needs the context's method */
    if (t->ctx)
        ctx_unref(t->ctx);
    free(t);
}

static int status_of_errno(int err)
{
    switch (err) {
    case ECONNRESET:
    case EPIPE:
        return SOFA_E_CONNECTION_RESET;
    case ENOMEM:
    case ENOBUFS:
        return SOFA_E_NO_MEMORY;
    default:
        return SOFA_E_NETWORK;
    }
}

/* Map the outcome of an SSL call that returned @p ret <= 0. */
static int classify(sofa__tls *t, int ret, int in_handshake, char *errbuf, size_t errlen)
{
    int saved_errno = errno;
    int e = SSL_get_error(t->ssl, ret);
    switch (e) {
    case SSL_ERROR_WANT_READ:
        return SOFA__TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return SOFA__TLS_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        if (in_handshake) {
            reason(errbuf, errlen, "TLS handshake", "the server closed the connection");
            return SOFA_E_TLS;
        }
        return SOFA__TLS_CLOSED;
    case SSL_ERROR_SYSCALL:
        if (saved_errno == 0 || saved_errno == EAGAIN) {
            if (in_handshake) {
                reason(errbuf, errlen, "TLS handshake", "the server closed the connection");
                return SOFA_E_TLS;
            }
            ERR_clear_error();
            return SOFA__TLS_CLOSED;
        }
        ERR_clear_error();
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "%s: %s", in_handshake ? "TLS handshake" : "TLS",
                     strerror(saved_errno));
        return in_handshake ? SOFA_E_TLS : status_of_errno(saved_errno);
    default:
        break;
    }
    long vr = SSL_get_verify_result(t->ssl);
    if (in_handshake && vr != X509_V_OK) {
        ERR_clear_error();
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "TLS certificate verify failed: %s",
                     X509_verify_cert_error_string(vr));
        return SOFA_E_TLS_VERIFY;
    }
    reason(errbuf, errlen, in_handshake ? "TLS handshake failed" : "TLS error", "protocol error");
    return SOFA_E_TLS;
}

int sofa__tls_handshake(sofa__tls *t, char *errbuf, size_t errlen)
{
    ERR_clear_error();
    errno = 0;
    int ret = SSL_do_handshake(t->ssl);
    if (ret == 1)
        return SOFA__TLS_OK;
    return classify(t, ret, 1, errbuf, errlen);
}

int sofa__tls_read(sofa__tls *t, void *buf, size_t n, size_t *got, char *errbuf, size_t errlen)
{
    *got = 0;
    if (n > INT_MAX)
        n = INT_MAX;
    ERR_clear_error();
    errno = 0;
    int ret = SSL_read(t->ssl, buf, (int)n);
    if (ret > 0) {
        *got = (size_t)ret;
        return SOFA__TLS_OK;
    }
    return classify(t, ret, 0, errbuf, errlen);
}

int sofa__tls_write(sofa__tls *t, const void *buf, size_t n, size_t *put, char *errbuf,
                    size_t errlen)
{
    *put = 0;
    if (n > INT_MAX)
        n = INT_MAX; /* n only grows between retries, so this stays consistent */
    ERR_clear_error();
    errno = 0;
    int ret = SSL_write(t->ssl, buf, (int)n);
    if (ret > 0) {
        *put = (size_t)ret;
        return SOFA__TLS_OK;
    }
    int rc = classify(t, ret, 0, errbuf, errlen);
    if (rc == SOFA__TLS_CLOSED) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "TLS: connection closed while sending");
        return SOFA_E_CONNECTION_CLOSED;
    }
    return rc;
}

size_t sofa__tls_pending(const sofa__tls *t)
{
    int p = SSL_pending(t->ssl);
    return p > 0 ? (size_t)p : 0;
}
