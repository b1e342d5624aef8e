/* sofa-mock: KV over TLS — the server context and the per-connection session used by kv.c
 * instead of recv/send once a connection came in on a node's TLS port. */
#include "kvtls.h"

#include <errno.h>
#include <event2/event.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>

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

int mock_kv_tls_setup(mock_kvconn *c, struct ssl_ctx_st *ctx)
{
    c->ssl = SSL_new(ctx);
    if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
        return -1;
    }
    SSL_set_accept_state(c->ssl);
    c->tls_hs = 1;
    return 0;
}

void mock_kv_tls_free(mock_kvconn *c)
{
    SSL_free(c->ssl);
    c->ssl = NULL;
}

/* -1 with errno = EAGAIN for "try again on readiness", else -1 with errno = EPIPE. */
static int classify(mock_kvconn *c, int ret)
{
    int e = SSL_get_error(c->ssl, ret);
    ERR_clear_error();
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        if (e == SSL_ERROR_WANT_WRITE && c->tls_hs) {
            event_add(c->wev, NULL);
        }
        errno = EAGAIN;
        return -1;
    }
    errno = EPIPE;
    return -1;
}

int mock_kv_tls_handshake(mock_kvconn *c)
{
    ERR_clear_error();
    int ret = SSL_do_handshake(c->ssl);
    if (ret == 1) {
        c->tls_hs = 0;
        return 1;
    }
    if (classify(c, ret) < 0 && errno == EAGAIN) {
        return 0;
    }
    if (mock_verbose) {
        mock_log("node %d: TLS handshake failed", c->node->index);
    }
    return -1;
}

ssize_t mock_kv_tls_recv(mock_kvconn *c, void *buf, size_t n)
{
    ERR_clear_error();
    int ret = SSL_read(c->ssl, buf, n > INT_MAX ? INT_MAX : (int)n);
    if (ret > 0) {
        return ret;
    }
    if (SSL_get_error(c->ssl, ret) == SSL_ERROR_ZERO_RETURN) {
        ERR_clear_error();
        return 0;
    }
    return classify(c, ret);
}

ssize_t mock_kv_tls_send(mock_kvconn *c, const void *buf, size_t n)
{
    ERR_clear_error();
    int ret = SSL_write(c->ssl, buf, n > INT_MAX ? INT_MAX : (int)n);
    if (ret > 0) {
        return ret;
    }
    return classify(c, ret);
}

size_t mock_kv_tls_pending(const mock_kvconn *c)
{
    int p = SSL_pending(c->ssl);
    return p > 0 ? (size_t)p : 0;
}
