/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* The connection layer over TLS (io/conn.c + io/tls.c) against an in-process OpenSSL
 * server thread: bulk transfer in both directions (writes that must wait for the peer,
 * records larger than a read), data delivered before an abrupt close, and the connect
 * timeout bounding a handshake that never completes. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
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

#include "io/conn.h"
#include "io/tls.h"
#include "sofa/status.h"

#define BULK (4u * 1024u * 1024u)
#define TAIL (1024u * 1024u)

static char certdir[256];

typedef enum { SRV_ECHO, SRV_SEND_THEN_CLOSE, SRV_SILENT } srv_mode;

typedef struct server {
    srv_mode mode;
    int lfd, port;
    pthread_t th;
    SSL_CTX *ctx;
    int release[2]; /* SRV_SILENT: the test writes here to let the thread end */
} server;

static uint8_t pattern(size_t i)
{
    return (uint8_t)(i * 7u + (i >> 11));
}

static void *server_main(void *arg)
{
    server *s = arg;
    int fd = accept(s->lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    if (s->mode == SRV_SILENT) { /* TCP only: the client's handshake never finishes */
        char b;
        (void)read(s->release[0], &b, 1);
        close(fd);
        return NULL;
    }
    SSL *ssl = SSL_new(s->ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
        if (s->mode == SRV_ECHO) {
            char buf[20000];
            size_t total = 0;
            while (total < BULK) {
                int n = SSL_read(ssl, buf, (int)sizeof(buf));
                if (n <= 0 || SSL_write(ssl, buf, n) != n)
                    break;
                total += (size_t)n;
            }
            /* the client closes first (after its checks): a close here would race them */
            while (SSL_read(ssl, buf, (int)sizeof(buf)) > 0) {
            }
        } else {
            static uint8_t tail[TAIL];
            for (size_t i = 0; i < TAIL; i++)
                tail[i] = pattern(i);
            (void)SSL_write(ssl, tail, (int)TAIL);
        }
    }
    SSL_free(ssl); /* no SSL_shutdown: the close is abrupt (no close_notify) */
    close(fd);
    return NULL;
}

static void server_start(server *s, srv_mode mode)
{
    memset(s, 0, sizeof(*s));
    s->mode = mode;
    char cert[512], key[512];
    snprintf(cert, sizeof(cert), "%s/server.pem", certdir);
    snprintf(key, sizeof(key), "%s/server.key", certdir);
    s->ctx = SSL_CTX_new(TLS_server_method());
    assert_non_null(s->ctx);
    assert_int_equal(SSL_CTX_use_certificate_chain_file(s->ctx, cert), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey_file(s->ctx, key, SSL_FILETYPE_PEM), 1);
    assert_int_equal(pipe(s->release), 0);
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->lfd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sa);
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(s->lfd, 4), 0);
    assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&sa, &len), 0);
    s->port = ntohs(sa.sin_port);
    assert_int_equal(pthread_create(&s->th, NULL, server_main, s), 0);
}

static void server_stop(server *s)
{
    (void)write(s->release[1], "x", 1);
    pthread_join(s->th, NULL);
    close(s->lfd);
    close(s->release[0]);
    close(s->release[1]);
    SSL_CTX_free(s->ctx);
}

/* ------------------------------------------------------------ the client side */

typedef struct cstate {
    sofa_iops *io;
    sofa__timerq tq;
    sofa__conn *conn;
    size_t want, got;
    int bad, connected, errors, err_status;
    int pause_each; /* pause after every delivery; a timer resumes */
    int pauses;
    size_t read_batch;
    sofa_io_timer *resume;
    char errmsg[200];
} cstate;

static void on_tq_timer(sofa_io_timer *t, void *arg)
{
    cstate *s = arg;
    (void)t;
    sofa__timerq_run(&s->tq, sofa__now(s->io), NULL);
    sofa__timerq_arm(&s->tq);
}

static void on_connected(sofa__conn *c, void *arg)
{
    cstate *s = arg;
    (void)c;
    s->connected++;
}

static void on_data(sofa__conn *c, void *arg)
{
    cstate *s = arg;
    size_t n = sofa__buf_used(&c->rbuf);
    const uint8_t *p = sofa__buf_head(&c->rbuf);
    for (size_t i = 0; i < n; i++)
        if (p[i] != pattern(s->got + i))
            s->bad++;
    s->got += n;
    sofa__buf_consume(&c->rbuf, n);
    if (s->pause_each) {
        s->pauses++;
        sofa__conn_pause(c, 1);
        s->io->update_timer(s->io, s->resume, SOFA_IO_WATCH, 2000);
    }
    if (s->want && s->got >= s->want)
        s->io->stop_watching(s->io);
}

static void on_error(sofa__conn *c, int status, void *arg)
{
    cstate *s = arg;
    s->errors++;
    s->err_status = status;
    snprintf(s->errmsg, sizeof(s->errmsg), "%s", c->errmsg);
    s->io->stop_watching(s->io);
}

static const sofa__conn_handler handler = {on_connected, on_data, on_error};

static void on_resume(sofa_io_timer *t, void *arg)
{
    cstate *s = arg;
    (void)t;
    sofa__conn_pause(s->conn, 0);
}

static sofa__tls_ctx *client_ctx(void)
{
    char ca[512];
    snprintf(ca, sizeof(ca), "%s/ca.pem", certdir);
    sofa__tls_opts o = {ca, 0};
    sofa__tls_ctx *x = NULL;
    char err[256];
    assert_int_equal(sofa__tls_ctx_new(&x, &o, err, sizeof(err)), 0);
    assert_true(sofa__tls_ctx_verifies(x));
    return x;
}

static void client_run(cstate *s, int port, sofa__tls_ctx *x, uint64_t timeout_us)
{
    assert_int_equal(sofa_iops_select_new(&s->io), 0);
    sofa__timerq_init(&s->tq, s->io);
    s->tq.timer = s->io->timer_new(s->io, on_tq_timer, s);
    assert_non_null(s->tq.timer);
    sofa__conn_opts o;
    memset(&o, 0, sizeof(o));
    o.connect_timeout_us = timeout_us;
    o.tls = x;
    o.read_batch = s->read_batch;
    assert_int_equal(
        sofa__conn_new(&s->conn, s->io, &s->tq, NULL, "127.0.0.1", (uint16_t)port, &o, &handler, s),
        0);
}

static void client_end(cstate *s)
{
    sofa__conn_free(s->conn);
    s->io->update_timer(s->io, s->tq.timer, SOFA_IO_CLEANUP, 0);
    sofa__timerq_free(&s->tq);
    sofa_iops_free(s->io);
}

static void bulk_echo_both_directions(void **state)
{
    (void)state;
    server srv;
    server_start(&srv, SRV_ECHO);
    sofa__tls_ctx *x = client_ctx();
    cstate s;
    memset(&s, 0, sizeof(s));
    s.want = BULK;
    client_run(&s, srv.port, x, 5000000);
    /* queued before the handshake: one buffer, sent once the session is up */
    uint8_t *p = sofa__conn_wreserve(s.conn, BULK);
    assert_non_null(p);
    for (size_t i = 0; i < BULK; i++)
        p[i] = pattern(i);
    sofa__conn_wcommit(s.conn, BULK);
    s.io->start_watching(s.io);
    if (s.errors)
        fprintf(stderr, "error %s: %s (after %zu bytes)\n", sofa_status_name(s.err_status),
                s.errmsg, s.got);
    assert_int_equal(s.errors, 0);
    assert_int_equal(s.connected, 1);
    assert_int_equal(s.got, BULK);
    assert_int_equal(s.bad, 0);
    assert_true(s.conn->writes < 64); /* a few large SSL_write calls, not one per record */
    client_end(&s);
    sofa__tls_ctx_free(x);
    server_stop(&srv);
}

static void data_before_abrupt_close_is_delivered(void **state)
{
    (void)state;
    server srv;
    server_start(&srv, SRV_SEND_THEN_CLOSE);
    sofa__tls_ctx *x = client_ctx();
    cstate s;
    memset(&s, 0, sizeof(s));
    client_run(&s, srv.port, x, 5000000);
    s.io->start_watching(s.io);
    assert_int_equal(s.connected, 1);
    assert_int_equal(s.got, TAIL);
    assert_int_equal(s.bad, 0);
    assert_int_equal(s.errors, 1);
    assert_int_equal(s.err_status, SOFA_E_CONNECTION_CLOSED);
    client_end(&s);
    sofa__tls_ctx_free(x);
    server_stop(&srv);
}

/* Back-pressure: the reader pauses after each delivery and resumes 2 ms later; everything
 * still arrives, in order, before the close (what the session had decrypted too). */
static void paused_reader_gets_everything(void **state)
{
    (void)state;
    server srv;
    server_start(&srv, SRV_SEND_THEN_CLOSE);
    sofa__tls_ctx *x = client_ctx();
    cstate s;
    memset(&s, 0, sizeof(s));
    s.pause_each = 1;
    s.read_batch = 20000; /* deliveries of about one record: many pauses */
    client_run(&s, srv.port, x, 5000000);
    s.resume = s.io->timer_new(s.io, on_resume, &s);
    assert_non_null(s.resume);
    s.io->start_watching(s.io);
    assert_int_equal(s.got, TAIL);
    assert_int_equal(s.bad, 0);
    assert_true(s.pauses > 1);
    assert_int_equal(s.errors, 1);
    assert_int_equal(s.err_status, SOFA_E_CONNECTION_CLOSED);
    s.io->update_timer(s.io, s.resume, SOFA_IO_CLEANUP, 0);
    client_end(&s);
    sofa__tls_ctx_free(x);
    server_stop(&srv);
}

static void handshake_is_bounded_by_the_connect_timeout(void **state)
{
    (void)state;
    server srv;
    server_start(&srv, SRV_SILENT);
    sofa__tls_ctx *x = client_ctx();
    cstate s;
    memset(&s, 0, sizeof(s));
    client_run(&s, srv.port, x, 200000);
    s.io->start_watching(s.io);
    assert_int_equal(s.connected, 0);
    assert_int_equal(s.errors, 1);
    assert_int_equal(s.err_status, SOFA_E_CONNECT_FAILED);
    assert_string_equal(s.errmsg, "TLS handshake timed out after 200 ms");
    client_end(&s);
    sofa__tls_ctx_free(x);
    server_stop(&srv);
}

static void bad_ca_file_is_refused(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof(path), "%s/server.key", certdir); /* a key, not a certificate */
    sofa__tls_opts o = {path, 0};
    sofa__tls_ctx *x = NULL;
    char err[256] = "";
    assert_int_equal(sofa__tls_ctx_new(&x, &o, err, sizeof(err)), SOFA_E_TLS);
    assert_null(x);
    assert_non_null(strstr(err, "cannot load CA certificates from"));
    /* no_verify loads no CA at all */
    o.no_verify = 1;
    assert_int_equal(sofa__tls_ctx_new(&x, &o, err, sizeof(err)), 0);
    assert_false(sofa__tls_ctx_verifies(x));
    sofa__tls_ctx_free(x);
    sofa__tls_ctx_free(NULL);
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(certdir, sizeof(certdir), "/tmp/sofa-tlsconn-XXXXXX");
    if (!mkdtemp(certdir))
        return -1;
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "sh '%s' '%s'", SOFA_TLS_GEN_CERTS, certdir);
    return system(cmd) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", certdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bulk_echo_both_directions),
        cmocka_unit_test(data_before_abrupt_close_is_delivered),
        cmocka_unit_test(paused_reader_gets_everything),
        cmocka_unit_test(handshake_is_bounded_by_the_connect_timeout),
        cmocka_unit_test(bad_ca_file_is_refused),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
