/* The connection layer (src/io/conn.c) as the HTTP pool uses it: no deadline queue (its own
 * IOPS timer), the loop guard around every dispatch, changing hands, pause/resume, a read
 * batch limit, and frees from inside handlers and from the guard's leave(). The peer is a
 * plain socket of this process on an ephemeral loopback port; the loop is the select plugin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "io/conn.h"
#include "sofa/iops.h"
#include "sofa/status.h"

typedef struct peer {
    int lfd; /* listening */
    int fd;  /* accepted */
    uint16_t port;
} peer;

typedef struct tstate {
    sofa_iops *io;
    sofa__conn *c;
    int connected, datas, errors, status;
    size_t bytes, max_chunk;
    char data[256];
    int depth, max_depth, enters, leaves; /* guard */
    int in_new;                           /* inside sofa__conn_new */
    int called_in_new;
    int free_in_data;  /* sofa__conn_free from on_data */
    int free_in_leave; /* sofa__conn_free from the guard's leave */
    int pause_in_data; /* sofa__conn_pause(1) from on_data */
    int handoff;       /* hand over to handler B in on_data */
    int b_datas;
    int stop_at; /* stop the loop when datas reaches this */
    size_t stop_bytes;
} tstate;

static void peer_listen(peer *p)
{
    memset(p, 0, sizeof(*p));
    p->fd = -1;
    p->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(p->lfd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(p->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(p->lfd, 4), 0);
    socklen_t len = sizeof(a);
    assert_int_equal(getsockname(p->lfd, (struct sockaddr *)&a, &len), 0);
    p->port = ntohs(a.sin_port);
}

static void peer_accept(peer *p)
{
    struct pollfd pfd = {p->lfd, POLLIN, 0};
    assert_int_equal(poll(&pfd, 1, 5000), 1);
    p->fd = accept(p->lfd, NULL, NULL);
    assert_true(p->fd >= 0);
}

static void peer_send(peer *p, const void *data, size_t n)
{
    const char *s = data;
    while (n) {
        ssize_t w = send(p->fd, s, n, MSG_NOSIGNAL);
        assert_true(w > 0);
        s += w;
        n -= (size_t)w;
    }
}

static void peer_close(peer *p)
{
    if (p->fd >= 0)
        close(p->fd);
    if (p->lfd >= 0)
        close(p->lfd);
    p->fd = p->lfd = -1;
}

/* A port nothing listens on: bound, then closed. */
static uint16_t closed_port(void)
{
    peer p;
    peer_listen(&p);
    uint16_t port = p.port;
    peer_close(&p);
    return port;
}

/* ---- the loop ---- */

static void on_deadline(sofa_io_timer *t, void *arg)
{
    (void)t;
    sofa_iops *io = arg;
    io->stop_watching(io);
}

/* Run the loop until a handler stops it or @p ms pass. */
static void run_for(sofa_iops *io, unsigned ms)
{
    sofa_io_timer *t = io->timer_new(io, on_deadline, io);
    assert_non_null(t);
    assert_int_equal(io->update_timer(io, t, SOFA_IO_WATCH, (uint64_t)ms * 1000u), 0);
    io->start_watching(io);
    io->update_timer(io, t, SOFA_IO_CLEANUP, 0);
}

/* ---- handlers ---- */

static void g_enter(void *arg)
{
    tstate *s = arg;
    s->enters++;
    if (++s->depth > s->max_depth)
        s->max_depth = s->depth;
}

static void g_leave(void *arg)
{
    tstate *s = arg;
    s->leaves++;
    s->depth--;
    if (s->free_in_leave && s->c && (s->errors || s->datas)) {
        sofa__conn_free(s->c); /* the owner goes away as the dispatch ends */
        s->c = NULL;
    }
}

static void note_call(tstate *s)
{
    if (s->in_new)
        s->called_in_new = 1;
}

static void a_connected(sofa__conn *c, void *arg)
{
    (void)c;
    tstate *s = arg;
    note_call(s);
    s->connected++;
    s->io->stop_watching(s->io);
}

static void b_connected(sofa__conn *c, void *arg)
{
    (void)c;
    (void)arg;
    fail_msg("handler B: on_connected after the handoff");
}

static void b_data(sofa__conn *c, void *arg)
{
    tstate *s = arg;
    s->b_datas++;
    sofa__buf_consume(&c->rbuf, sofa__buf_used(&c->rbuf));
    s->io->stop_watching(s->io);
}

static void b_error(sofa__conn *c, int status, void *arg)
{
    (void)c;
    tstate *s = arg;
    s->errors++;
    s->status = status;
    s->io->stop_watching(s->io);
}

static const sofa__conn_handler handler_b = {b_connected, b_data, b_error};

static void a_data(sofa__conn *c, void *arg)
{
    tstate *s = arg;
    note_call(s);
    assert_int_equal(s->depth, s->c && s->c->guard ? 1 : 0);
    size_t n = sofa__buf_used(&c->rbuf);
    if (n > s->max_chunk)
        s->max_chunk = n;
    size_t keep = sizeof(s->data) - 1 - strlen(s->data);
    snprintf(s->data + strlen(s->data), keep + 1, "%.*s", (int)(n < keep ? n : keep),
             (const char *)sofa__buf_head(&c->rbuf));
    s->bytes += n;
    s->datas++;
    sofa__buf_consume(&c->rbuf, n);
    if (s->pause_in_data)
        sofa__conn_pause(c, 1);
    if (s->handoff)
        sofa__conn_set_handler(c, &handler_b, s);
    if (s->free_in_data) {
        sofa__conn_free(c);
        s->c = NULL;
    }
    if ((s->stop_at && s->datas >= s->stop_at) || (s->stop_bytes && s->bytes >= s->stop_bytes) ||
        s->handoff || s->free_in_data || s->pause_in_data)
        s->io->stop_watching(s->io);
}

static void a_error(sofa__conn *c, int status, void *arg)
{
    (void)c;
    tstate *s = arg;
    note_call(s);
    s->errors++;
    s->status = status;
    s->io->stop_watching(s->io);
}

static const sofa__conn_handler handler_a = {a_connected, a_data, a_error};
static const sofa__conn_opts opts = {.ipv6 = 1, .nodelay = 1};

static void open_conn(tstate *s, uint16_t port, const sofa__conn_opts *o, const sofa__io_guard *g)
{
    s->in_new = 1;
    assert_int_equal(sofa__conn_new(&s->c, s->io, NULL, NULL, "127.0.0.1", port, o, &handler_a, s),
                     0);
    s->in_new = 0;
    if (g)
        sofa__conn_set_guard(s->c, g);
}

/* Listen, open a connection to it, run until it is connected, accept the peer's side. */
static void connect_peer(tstate *s, peer *p, const sofa__conn_opts *o, const sofa__io_guard *g)
{
    peer_listen(p);
    open_conn(s, p->port, o, g);
    run_for(s->io, 5000);
    assert_int_equal(s->connected, 1);
    peer_accept(p);
}

static void setup_state(tstate *s)
{
    memset(s, 0, sizeof(*s));
    assert_int_equal(sofa_iops_select_new(&s->io), 0);
}

static void teardown_state(tstate *s)
{
    sofa__conn_free(s->c);
    s->c = NULL;
    assert_int_equal(s->depth, 0);
    assert_int_equal(s->enters, s->leaves);
    sofa_iops_free(s->io);
}

/* ---- tests ---- */

/* Without a deadline queue: connect, the write queued before the connection is up goes
 * out, the answer arrives; every dispatch runs inside the guard, one level deep. */
static void no_queue_round_trip(void **state)
{
    (void)state;
    tstate s;
    setup_state(&s);
    sofa__io_guard g = {g_enter, g_leave, &s};
    peer p;
    peer_listen(&p);
    open_conn(&s, p.port, &opts, &g);
    assert_int_equal(sofa__conn_write(s.c, "ping", 4), 0);
    assert_int_equal(s.connected, 0);
    run_for(s.io, 5000);
    assert_int_equal(s.connected, 1);
    assert_int_equal(s.called_in_new, 0);
    peer_accept(&p);
    s.stop_at = 1;
    peer_send(&p, "pong", 4);
    run_for(s.io, 5000);
    assert_int_equal(s.datas, 1);
    assert_string_equal(s.data, "pong");
    char got[8] = {0};
    struct pollfd pfd = {p.fd, POLLIN, 0};
    assert_int_equal(poll(&pfd, 1, 5000), 1);
    assert_int_equal(recv(p.fd, got, sizeof(got), 0), 4);
    assert_string_equal(got, "ping");
    assert_true(s.enters >= 2);
    assert_int_equal(s.max_depth, 1);
    assert_int_equal(s.errors, 0);
    teardown_state(&s);
    peer_close(&p);
}

/* A refused connect is reported from the loop (the deferred start runs on the connection's
 * own timer), never from inside sofa__conn_new, and inside the guard. */
static void no_queue_refused_reported_later(void **state)
{
    (void)state;
    tstate s;
    setup_state(&s);
    sofa__io_guard g = {g_enter, g_leave, &s};
    open_conn(&s, closed_port(), &opts, &g);
    assert_int_equal(s.errors, 0);
    run_for(s.io, 5000);
    assert_int_equal(s.called_in_new, 0);
    assert_int_equal(s.errors, 1);
    assert_int_equal(s.status, SOFA_E_CONNECT_REFUSED);
    assert_non_null(strstr(s.c->errmsg, "refused"));
    assert_int_equal(s.c->state, SOFA__CONN_CLOSED);
    assert_true(s.enters >= 1);
    teardown_state(&s);
}

/* Freed before the deferred start ran: the own timer is released, nothing is called. */
static void no_queue_freed_before_start(void **state)
{
    (void)state;
    tstate s;
    setup_state(&s);
    peer p;
    peer_listen(&p);
    open_conn(&s, p.port, &opts, NULL);
    sofa__conn_free(s.c);
    s.c = NULL;
    run_for(s.io, 100);
    assert_int_equal(s.connected + s.datas + s.errors, 0);
    teardown_state(&s);
    peer_close(&p);
}

/* An empty host name is refused at once. */
static void empty_host_is_invalid(void **state)
{
    (void)state;
    tstate s;
    setup_state(&s);
    sofa__conn *c = NULL;
    assert_int_equal(sofa__conn_new(&c, s.io, NULL, NULL, "", 80, &opts, &handler_a, &s),
                     SOFA_E_INVALID_ARGUMENT);
    assert_null(c);
    teardown_state(&s);
}

/* Paused: bytes that arrive are not read (no on_data) until resumed. */
static void pause_stops_reading(void **state)
{
    (void)state;
    tstate s;
    setup_state(&s);
    peer p;
    connect_peer(&s, &p, &opts, NULL);
    s.pause_in_data = 1;
    peer_send(&p, "one", 3);
    run_for(s.io, 5000);
    assert_int_equal(s.datas, 1);
    s.pause_in_data = 0;
    peer_send(&p, "two", 3);
    run_for(s.io, 200); /* nothing is read while paused */
    assert_int_equal(s.datas, 1);
    assert_int_equal(s.c->paused, 1);
    s.stop_at = 2;
    sofa__conn_pause(s.c, 0);
    run_for(s.io, 5000);
    assert_int_equal(s.datas, 2);
    assert_string_equal(s.data, "onetwo");
    /* pause is idempotent and NULL-safe */
    sofa__conn_pause(s.c, 0);
    sofa__conn_pause(NULL, 1);
    teardown_state(&s);
    peer_close(&p);
}

/* Handed to another owner from inside on_data: later events go to the new handler only. */
static void handoff_between_owners(void **state)
{
    (void)state;
    tstate s;
    setup_state(&s);
    peer p;
    connect_peer(&s, &p, &opts, NULL);
    s.handoff = 1;
    peer_send(&p, "first", 5);
    run_for(s.io, 5000);
    assert_int_equal(s.datas, 1);
    assert_int_equal(s.b_datas, 0);
    peer_send(&p, "second", 6);
    run_for(s.io, 5000);
    assert_int_equal(s.datas, 1);
    assert_int_equal(s.b_datas, 1);
    close(p.fd); /* the peer closes: B gets the error */
    p.fd = -1;
    run_for(s.io, 5000);
    assert_int_equal(s.errors, 1);
    assert_int_equal(s.status, SOFA_E_CONNECTION_CLOSED);
    teardown_state(&s);
    peer_close(&p);
}

/* read_batch bounds what one on_data sees; everything still arrives. */
static void read_batch_bounds_each_delivery(void **state)
{
    (void)state;
    tstate s;
    setup_state(&s);
    peer p;
    sofa__conn_opts o = opts;
    o.read_batch = 1000;
    connect_peer(&s, &p, &o, NULL);
    enum { TOTAL = 30000 }; /* fits the loopback socket buffers: the send never blocks */
    char *big = malloc(TOTAL);
    assert_non_null(big);
    memset(big, 'x', TOTAL);
    peer_send(&p, big, TOTAL);
    free(big);
    s.stop_bytes = TOTAL;
    run_for(s.io, 5000);
    assert_int_equal(s.bytes, TOTAL);
    assert_true(s.max_chunk <= 1000);
    assert_true(s.datas >= TOTAL / 1000);
    teardown_state(&s);
    peer_close(&p);
}

/* Freed from inside on_data: no callback afterwards, even when the peer closes. */
static void free_inside_on_data(void **state)
{
    (void)state;
    tstate s;
    setup_state(&s);
    sofa__io_guard g = {g_enter, g_leave, &s};
    peer p;
    connect_peer(&s, &p, &opts, &g);
    s.free_in_data = 1;
    peer_send(&p, "bye", 3);
    close(p.fd);
    p.fd = -1;
    run_for(s.io, 5000);
    assert_int_equal(s.datas, 1);
    assert_null(s.c);
    run_for(s.io, 100);
    assert_int_equal(s.datas, 1);
    assert_int_equal(s.errors, 0);
    teardown_state(&s);
    peer_close(&p);
}

/* The guard's leave() frees the connection (the owner going away once the dispatch is
 * over): the connection touches nothing afterwards (ASan checks). */
static void free_from_guard_leave(void **state)
{
    (void)state;
    tstate s;
    setup_state(&s);
    sofa__io_guard g = {g_enter, g_leave, &s};
    s.free_in_leave = 1;
    open_conn(&s, closed_port(), &opts, &g);
    run_for(s.io, 5000);
    assert_int_equal(s.errors, 1);
    assert_null(s.c);
    teardown_state(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_queue_round_trip),
        cmocka_unit_test(no_queue_refused_reported_later),
        cmocka_unit_test(no_queue_freed_before_start),
        cmocka_unit_test(empty_host_is_invalid),
        cmocka_unit_test(pause_stops_reading),
        cmocka_unit_test(handoff_between_owners),
        cmocka_unit_test(read_batch_bounds_each_delivery),
        cmocka_unit_test(free_inside_on_data),
        cmocka_unit_test(free_from_guard_leave),
    };
    return cmocka_run_group_tests_name("connection layer", tests, NULL, NULL);
}
