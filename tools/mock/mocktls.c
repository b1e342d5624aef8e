/* sofa-mock: TLS on accepted sockets — the server context and the per-connection session
 * used by kv.c and http.c instead of recv/send on a node's TLS ports. */
#include "mocktls.h"

#include <errno.h>
#include <event2/event.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>

#include "mock.h"

struct ssl_ctx_st *mock_tls_ctx_new(const char *cert_file, const char *key_file)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        fprintf(stderr, "sofa-mock: SSL_CTX_new failed\n");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* No session tickets: nothing is written after the handshake unless asked for, so a
     * read never has to wait for writability. */
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        char buf[256];
        ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
        fprintf(stderr, "sofa-mock: cannot load TLS certificate %s / key %s: %s\n", cert_file,
                key_file, buf);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

int mock_tls_setup(mock_tls *t, struct ssl_ctx_st *ctx, int fd, struct event *wev)
{
    t->wev = wev;
    t->ssl = SSL_new(ctx);
    if (t->ssl == NULL || SSL_set_fd(t->ssl, fd) != 1) {
        return -1;
    }
    SSL_set_accept_state(t->ssl);
    t->hs = 1;
    return 0;
}

void mock_tls_free(mock_tls *t)
{
    SSL_free(t->ssl);
    t->ssl = NULL;
}

/* -1 with errno = EAGAIN for "try again on readiness", else -1 with errno = EPIPE. */
static int classify(mock_tls *t, int ret)
{
    int e = SSL_get_error(t->ssl, ret);
    ERR_clear_error();
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        if (e == SSL_ERROR_WANT_WRITE && t->hs) {
            event_add(t->wev, NULL);
        }
        errno = EAGAIN;
        return -1;
    }
    errno = EPIPE;
    return -1;
}

int mock_tls_handshake(mock_tls *t)
{
    ERR_clear_error();
    int ret = SSL_do_handshake(t->ssl);
    if (ret == 1) {
        t->hs = 0;
        return 1;
    }
    if (classify(t, ret) < 0 && errno == EAGAIN) {
        return 0;
    }
    if (mock_verbose) {
        mock_log("TLS handshake failed");
    }
    return -1;
}

int mock_tls_read_ready(mock_tls *t)
{
    return t->ssl != NULL && t->hs ? mock_tls_handshake(t) : 1;
}

int mock_tls_write_ready(mock_tls *t, int want_write)
{
    if (t->ssl == NULL || !t->hs) {
        return 0;
    }
    int r = mock_tls_handshake(t);
    if (r < 0) {
        return -1;
    }
    if (r > 0 && !want_write) {
        event_del(t->wev);
    }
    return 1;
}

ssize_t mock_tls_recv(mock_tls *t, void *buf, size_t n)
{
    ERR_clear_error();
    int ret = SSL_read(t->ssl, buf, n > INT_MAX ? INT_MAX : (int)n);
    if (ret > 0) {
        return ret;
    }
    if (SSL_get_error(t->ssl, ret) == SSL_ERROR_ZERO_RETURN) {
        ERR_clear_error();
        return 0;
    }
    return classify(t, ret);
}

ssize_t mock_tls_send(mock_tls *t, const void *buf, size_t n)
{
    ERR_clear_error();
    int ret = SSL_write(t->ssl, buf, n > INT_MAX ? INT_MAX : (int)n);
    if (ret > 0) {
        return ret;
    }
    return classify(t, ret);
}

size_t mock_tls_pending(const mock_tls *t)
{
    int p = SSL_pending(t->ssl);
    return p > 0 ? (size_t)p : 0;
}
