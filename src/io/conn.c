/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
#include "io/conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io/resolve.h"
#include "io/tls.h"
#include "sofa/status.h"

static void on_event(sofa_io_event *ev, int fired, void *arg);
static void on_timer(sofa__tentry *e, void *arg);
static void do_read(sofa__conn *c);

/* The deferred start and the connect timeout: an entry in the deadline queue, or the
 * connection's own IOPS timer when it has no queue. */
static int timer_arm(sofa__conn *c, uint64_t delay_us)
{
    if (c->tq)
        return sofa__timerq_add(c->tq, &c->timeout, sofa__now(c->io) + delay_us);
    return c->io->update_timer(c->io, c->timer, SOFA_IO_WATCH, delay_us);
}

static void timer_disarm(sofa__conn *c)
{
    if (c->tq)
        sofa__timerq_remove(c->tq, &c->timeout);
    else if (c->timer)
        c->io->update_timer(c->io, c->timer, SOFA_IO_UNWATCH, 0);
}

static void on_io_timer(sofa_io_timer *t, void *arg)
{
    sofa__conn *c = arg;
    (void)t;
    on_timer(&c->timeout, c);
}

/* Every dispatch from the loop runs between these two: the owner's guard around it, and
 * the deferred free at its end. Nothing touches the connection after dispatch_end(). */
static sofa__io_guard dispatch_begin(sofa__conn *c)
{
    static const sofa__io_guard none = {NULL, NULL, NULL};
    sofa__io_guard g = c->guard ? *c->guard : none;
    sofa__guard_enter(&g);
    c->busy++;
    return g;
}

static void destroy(sofa__conn *c);

static void dispatch_end(sofa__conn *c, sofa__io_guard g)
{
    if (--c->busy == 0 && c->free_asked)
        destroy(c);
    sofa__guard_leave(g); /* may free the owner and everything: nothing after this */
}

static int status_of_errno(int err)
{
    switch (err) {
    case ECONNREFUSED:
        return SOFA_E_CONNECT_REFUSED;
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

static void release_socket(sofa__conn *c)
{
    sofa__tls_free(c->tls);
    c->tls = NULL;
    c->tls_hs = c->tls_hs_want = 0;
    c->tls_read_wants_write = c->tls_write_wants_read = 0;
    if (c->ev) {
        c->io->update_event(c->io, c->ev, SOFA_IO_CLEANUP, 0);
        c->ev = NULL;
    }
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    c->watching = 0;
}

static void destroy(sofa__conn *c)
{
    sofa__resolve_cancel(c->rq);
    c->rq = NULL;
    release_socket(c);
    timer_disarm(c);
    if (c->timer)
        c->io->update_timer(c->io, c->timer, SOFA_IO_CLEANUP, 0);
    if (c->addrs)
        freeaddrinfo(c->addrs);
    sofa__buf_free(&c->rbuf);
    sofa__buf_free(&c->wbuf);
    free(c);
}

/* Report a failure once: closes the socket, then calls on_error. */
static void fail(sofa__conn *c, int status, const char *what)
{
    if (c->state == SOFA__CONN_CLOSED)
        return;
    if (!c->errmsg[0])
        snprintf(c->errmsg, sizeof(c->errmsg), "%s", what);
    SOFA_LOG(c->lg, SOFA_LOG_DEBUG, "io", "%s:%u: %s (%s)", c->host, (unsigned)c->port, c->errmsg,
             sofa_status_name(status));
    c->state = SOFA__CONN_CLOSED;
    sofa__resolve_cancel(c->rq);
    c->rq = NULL;
    release_socket(c);
    timer_disarm(c);
    c->h->on_error(c, status, c->arg);
}

static int want(sofa__conn *c)
{
    if (!c->ev)
        return 0;
    int flags;
    if (c->state == SOFA__CONN_CONNECTING && c->tls_hs)
        flags = c->tls_hs_want;
    else if (c->state == SOFA__CONN_CONNECTING)
        flags = SOFA_IO_WRITE;
    else
        flags = (c->paused && !c->tls_write_wants_read ? 0 : SOFA_IO_READ) |
                (sofa__buf_used(&c->wbuf) && !c->tls_write_wants_read ? SOFA_IO_WRITE : 0) |
                (c->tls_read_wants_write && !c->paused ? SOFA_IO_WRITE : 0);
    /* Events are one-shot: ask again after every delivery (watching is reset then). */
    if (flags == c->watching)
        return 0;
    int rc = flags ? c->io->update_event(c->io, c->ev, SOFA_IO_WATCH, flags)
                   : c->io->update_event(c->io, c->ev, SOFA_IO_UNWATCH, 0);
    if (rc != 0)
        return rc;
    c->watching = flags;
    return 0;
}

static void try_next_address(sofa__conn *c);
static int self_connected(int fd);

/* Connected (and TLS established): report it. */
static void established(sofa__conn *c)
{
    c->state = SOFA__CONN_CONNECTED;
    timer_disarm(c);
    int rc = want(c);
    if (rc != 0) {
        fail(c, rc, "event loop refused the socket");
        return;
    }
    c->h->on_connected(c, c->arg);
}

static void handshake_step(sofa__conn *c)
{
    int rc = sofa__tls_handshake(c->tls, c->errmsg, sizeof(c->errmsg));
    if (rc == SOFA__TLS_OK) {
        c->tls_hs = 0;
        SOFA_LOG(c->lg, SOFA_LOG_DEBUG, "io", "%s:%u: TLS established", c->host, (unsigned)c->port);
        established(c);
        return;
    }
    if (rc < 0) {
        fail(c, rc, c->errmsg);
        return;
    }
    c->tls_hs_want = rc == SOFA__TLS_WANT_READ ? SOFA_IO_READ : SOFA_IO_WRITE;
    int wrc = want(c);
    if (wrc != 0)
        fail(c, wrc, "event loop refused the socket");
}

/* The TCP connect completed: establish TLS first when asked to. */
static void tcp_connected(sofa__conn *c)
{
    if (!c->opts.tls) {
        established(c);
        return;
    }
    int rc = sofa__tls_new(&c->tls, c->opts.tls, c->fd, c->host, c->errmsg, sizeof(c->errmsg));
    if (rc != 0) {
        fail(c, rc, c->errmsg[0] ? c->errmsg : "cannot start TLS");
        return;
    }
    c->tls_hs = 1;
    handshake_step(c);
}

static void start_connect(sofa__conn *c, const struct addrinfo *ai)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
        c->last_errno = errno;
        snprintf(c->errmsg, sizeof(c->errmsg), "socket: %s", strerror(errno));
        try_next_address(c);
        return;
    }
    if (c->opts.nodelay) {
        int one = 1;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    c->fd = fd;
    c->ev = c->io->event_new(c->io, fd, on_event, c);
    if (!c->ev) {
        fail(c, SOFA_E_NO_MEMORY, "out of memory (event)");
        return;
    }
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc == 0 && self_connected(fd)) {
        rc = -1;
        errno = ECONNREFUSED;
    }
    if (rc == 0) {
        tcp_connected(c);
        return;
    }
    if (errno != EINPROGRESS) {
        c->last_errno = errno;
        snprintf(c->errmsg, sizeof(c->errmsg), "connect: %s", strerror(errno));
        release_socket(c);
        try_next_address(c);
        return;
    }
    int wrc = want(c);
    if (wrc != 0)
        fail(c, wrc, "event loop refused the socket");
}

/* A TCP connect to a loopback port nobody listens on can pick that same port as its
 * source port and "succeed" by connecting to itself (simultaneous open). It would
 * then read its own requests back and hold the port a restarted server needs, so
 * it counts as refused. */
static int self_connected(int fd)
{
    struct sockaddr_storage local, peer;
    socklen_t llen = sizeof(local), plen = sizeof(peer);
    if (getsockname(fd, (struct sockaddr *)&local, &llen) != 0 ||
        getpeername(fd, (struct sockaddr *)&peer, &plen) != 0 || llen != plen) {
        return 0;
    }
    return memcmp(&local, &peer, llen) == 0;
}

static void try_next_address(sofa__conn *c)
{
    const struct addrinfo *ai = c->next_addr;
    if (!ai) {
        int st = c->last_errno ? status_of_errno(c->last_errno) : SOFA_E_CONNECT_FAILED;
        if (st == SOFA_E_NETWORK)
            st = SOFA_E_CONNECT_FAILED;
        fail(c, st, "connect failed");
        return;
    }
    c->next_addr = ai->ai_next;
    c->errmsg[0] = '\0';
    start_connect(c, ai);
}

static void resolved(sofa__conn *c, int rc, struct addrinfo *res)
{
    if (rc != 0) {
        snprintf(c->errmsg, sizeof(c->errmsg), "cannot resolve: %s", gai_strerror(rc));
        fail(c, rc == EAI_MEMORY ? SOFA_E_NO_MEMORY : SOFA_E_NAME_RESOLUTION, c->errmsg);
        return;
    }
    c->addrs = res;
    c->next_addr = c->addrs;
    try_next_address(c);
}

static void on_resolved(int rc, struct addrinfo *res, void *arg)
{
    sofa__conn *c = arg;
    c->rq = NULL;
    sofa__io_guard g = dispatch_begin(c);
    resolved(c, rc, res);
    dispatch_end(c, g);
}

static void resolve_and_connect(sofa__conn *c)
{
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = c->opts.ipv6 == 0 ? AF_INET : c->opts.ipv6 == 2 ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
    char port[8];
    snprintf(port, sizeof(port), "%u", (unsigned)c->port);
    c->started = 1;
    /* The connect timeout covers resolution too. */
    if (c->opts.connect_timeout_us) {
        int trc = timer_arm(c, c->opts.connect_timeout_us);
        if (trc != 0) {
            fail(c, trc, "cannot arm the connect timer");
            return;
        }
    }
    /* Numeric hosts (what cluster configs carry) resolve at once; names go to a worker
     * thread so the loop never blocks. */
    struct addrinfo *res = NULL;
    int rc = sofa__resolve_numeric(c->host, port, &hints, &res);
    if (rc != EAI_NONAME) {
        resolved(c, rc, res);
        return;
    }
    rc = sofa__resolve_start(&c->rq, c->io, c->host, port, &hints, on_resolved, c);
    if (rc != 0) {
        snprintf(c->errmsg, sizeof(c->errmsg), "cannot start resolving: %s", sofa_status_name(rc));
        fail(c, rc, c->errmsg);
    }
}

static void on_timer(sofa__tentry *e, void *arg)
{
    sofa__conn *c = arg;
    (void)e;
    sofa__io_guard g = dispatch_begin(c);
    if (c->state == SOFA__CONN_CONNECTING && !c->started) {
        resolve_and_connect(c); /* the deferred start */
    } else if (c->state == SOFA__CONN_CONNECTING) {
        snprintf(c->errmsg, sizeof(c->errmsg), "%s timed out after %llu ms",
                 c->tls_hs ? "TLS handshake" : "connect",
                 (unsigned long long)(c->opts.connect_timeout_us / 1000));
        fail(c, SOFA_E_CONNECT_FAILED, c->errmsg);
    } else if (c->state == SOFA__CONN_CONNECTED && c->tls && !c->paused) {
        do_read(c); /* resumed with decrypted bytes waiting (sofa__conn_pause) */
        if (c->state == SOFA__CONN_CONNECTED && !c->free_asked) {
            int rc = want(c);
            if (rc != 0)
                fail(c, rc, "event loop error");
        }
    }
    dispatch_end(c, g);
}

/* Everything queued in one SSL_write (retried with the same head after WANT_*). */
static void tls_write(sofa__conn *c)
{
    c->tls_write_wants_read = 0;
    while (sofa__buf_used(&c->wbuf)) {
        size_t put = 0;
        int rc = sofa__tls_write(c->tls, sofa__buf_head(&c->wbuf), sofa__buf_used(&c->wbuf), &put,
                                 c->errmsg, sizeof(c->errmsg));
        if (rc == SOFA__TLS_OK) {
            c->writes++;
            c->bytes_out += (uint64_t)put;
            sofa__buf_consume(&c->wbuf, put);
            continue;
        }
        if (rc == SOFA__TLS_WANT_READ)
            c->tls_write_wants_read = 1;
        if (rc == SOFA__TLS_WANT_READ || rc == SOFA__TLS_WANT_WRITE)
            return;
        fail(c, rc < 0 ? rc : SOFA_E_CONNECTION_CLOSED, c->errmsg);
        return;
    }
    sofa__buf_shrink(&c->wbuf, 1u << 20);
}

static void do_write(sofa__conn *c)
{
    if (c->tls) {
        tls_write(c);
        return;
    }
    while (sofa__buf_used(&c->wbuf)) {
        ssize_t n = send(c->fd, sofa__buf_head(&c->wbuf), sofa__buf_used(&c->wbuf), MSG_NOSIGNAL);
        if (n > 0) {
            c->writes++;
            c->bytes_out += (uint64_t)n;
            sofa__buf_consume(&c->wbuf, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        c->last_errno = errno;
        snprintf(c->errmsg, sizeof(c->errmsg), "send: %s", strerror(errno));
        fail(c, status_of_errno(errno), c->errmsg);
        return;
    }
    sofa__buf_shrink(&c->wbuf, 1u << 20);
}

/* Read records until the socket has nothing more (and nothing is left decrypted inside the
 * session, which no readiness event would announce). A failure after some data is
 * reported once that data has been delivered. */
static void tls_read(sofa__conn *c)
{
    size_t limit = c->opts.rbuf_max ? c->opts.rbuf_max : SOFA__CONN_RBUF_MAX;
    size_t batch = c->opts.read_batch ? c->opts.read_batch : SIZE_MAX;
    size_t nread = 0;
    int got = 0, err = 0;
    c->tls_read_wants_write = 0;
    /* read_batch bounds a wakeup, but what is decrypted already is always taken (at most
     * one record): nothing would announce it later */
    for (int i = 0;
         (i < SOFA__CONN_TLS_READS_PER_WAKEUP && nread < batch) || sofa__tls_pending(c->tls) > 0;
         i++) {
        uint8_t *p = sofa__buf_reserve(&c->rbuf, SOFA__CONN_READ_CHUNK, limit);
        if (!p) {
            err = SOFA_E_NO_MEMORY;
            snprintf(c->errmsg, sizeof(c->errmsg), "read buffer over its limit or out of memory");
            break;
        }
        size_t n = 0;
        int rc =
            sofa__tls_read(c->tls, p, c->rbuf.cap - c->rbuf.len, &n, c->errmsg, sizeof(c->errmsg));
        if (rc == SOFA__TLS_OK) {
            sofa__buf_commit(&c->rbuf, n);
            c->bytes_in += (uint64_t)n;
            nread += n;
            got = 1;
            continue;
        }
        if (rc == SOFA__TLS_WANT_WRITE)
            c->tls_read_wants_write = 1;
        if (rc == SOFA__TLS_WANT_READ || rc == SOFA__TLS_WANT_WRITE)
            break;
        if (rc == SOFA__TLS_CLOSED) {
            snprintf(c->errmsg, sizeof(c->errmsg), "connection closed by peer");
            err = SOFA_E_CONNECTION_CLOSED;
        } else {
            err = rc;
        }
        break;
    }
    if (got) {
        c->h->on_data(c, c->arg);
        if (c->free_asked || c->state != SOFA__CONN_CONNECTED)
            return;
        sofa__buf_shrink(&c->rbuf, 1u << 20);
    }
    if (err)
        fail(c, err, c->errmsg);
}

static void do_read(sofa__conn *c)
{
    if (c->tls) {
        tls_read(c);
        return;
    }
    size_t limit = c->opts.rbuf_max ? c->opts.rbuf_max : SOFA__CONN_RBUF_MAX;
    size_t batch = c->opts.read_batch ? c->opts.read_batch : SIZE_MAX;
    size_t got = 0; /* bytes read in this wakeup */
    for (int i = 0; i < SOFA__CONN_READS_PER_WAKEUP && got < batch; i++) {
        uint8_t *p = sofa__buf_reserve(&c->rbuf, SOFA__CONN_READ_CHUNK, limit);
        if (!p) {
            fail(c, SOFA_E_NO_MEMORY, "read buffer over its limit or out of memory");
            return;
        }
        size_t room = c->rbuf.cap - c->rbuf.len;
        if (room > batch - got)
            room = batch - got;
        ssize_t n = recv(c->fd, p, room, 0);
        if (n > 0) {
            sofa__buf_commit(&c->rbuf, (size_t)n);
            c->bytes_in += (uint64_t)n;
            got += (size_t)n;
            if ((size_t)n < room)
                break;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (got) /* deliver what arrived before the close; the close comes next time */
            break;
        if (n == 0) {
            fail(c, SOFA_E_CONNECTION_CLOSED, "connection closed by peer");
        } else {
            c->last_errno = errno;
            snprintf(c->errmsg, sizeof(c->errmsg), "recv: %s", strerror(errno));
            fail(c, status_of_errno(errno), c->errmsg);
        }
        return;
    }
    if (got) {
        c->h->on_data(c, c->arg);
        /* give back a buffer that grew for one large value */
        if (!c->free_asked && c->state == SOFA__CONN_CONNECTED)
            sofa__buf_shrink(&c->rbuf, 1u << 20);
    }
}

static void on_event(sofa_io_event *ev, int fired, void *arg)
{
    sofa__conn *c = arg;
    (void)ev;
    sofa__io_guard g = dispatch_begin(c);
    c->watching = 0; /* one-shot */
    if (c->state == SOFA__CONN_CONNECTING && c->tls_hs) {
        handshake_step(c);
    } else if (c->state == SOFA__CONN_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
            err = errno;
        if (!err && self_connected(c->fd))
            err = ECONNREFUSED;
        if (err) {
            c->last_errno = err;
            snprintf(c->errmsg, sizeof(c->errmsg), "connect: %s", strerror(err));
            release_socket(c);
            try_next_address(c);
        } else {
            tcp_connected(c);
        }
    } else if (c->state == SOFA__CONN_CONNECTED) {
        /* TLS: a write may wait for readability and a read for writability. */
        if ((fired & SOFA_IO_WRITE) || (c->tls_write_wants_read && (fired & SOFA_IO_READ)))
            do_write(c);
        if (c->state == SOFA__CONN_CONNECTED && !c->free_asked && !c->paused &&
            ((fired & SOFA_IO_READ) || (c->tls_read_wants_write && (fired & SOFA_IO_WRITE))))
            do_read(c);
    }
    if (c->state != SOFA__CONN_CLOSED && !c->free_asked) {
        int rc = want(c);
        if (rc != 0)
            fail(c, rc, "event loop error");
    }
    dispatch_end(c, g);
}

int sofa__conn_new(sofa__conn **out, sofa_iops *io, sofa__timerq *tq, const sofa__logger *lg,
                   const char *host, uint16_t port, const sofa__conn_opts *opts,
                   const sofa__conn_handler *h, void *arg)
{
    *out = NULL;
    if (!host || !*host || strlen(host) >= SOFA__CONN_HOST_MAX)
        return SOFA_E_INVALID_ARGUMENT;
    sofa__conn *c = calloc(1, sizeof(*c));
    if (!c)
        return SOFA_E_NO_MEMORY;
    snprintf(c->host, sizeof(c->host), "%s", host);
    c->port = port;
    c->fd = -1;
    c->io = io;
    c->tq = tq;
    c->lg = lg;
    c->opts = *opts;
    c->h = h;
    c->arg = arg;
    c->state = SOFA__CONN_CONNECTING;
    sofa__tentry_init(&c->timeout, on_timer, c);
    if (!tq) {
        c->timer = io->timer_new(io, on_io_timer, c);
        if (!c->timer) {
            free(c);
            return SOFA_E_NO_MEMORY;
        }
    }
    /* Start on the next loop turn so errors never surface inside this call. */
    int rc = timer_arm(c, 0);
    if (rc != 0) {
        if (c->timer)
            io->update_timer(io, c->timer, SOFA_IO_CLEANUP, 0);
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void sofa__conn_watch(sofa__conn *c)
{
    if (c->state != SOFA__CONN_CONNECTED)
        return;
    int rc = want(c);
    if (rc != 0)
        SOFA_LOG(c->lg, SOFA_LOG_WARN, "io", "%s:%u: cannot watch for writing: %s", c->host,
                 (unsigned)c->port, sofa_status_name(rc));
}

int sofa__conn_write(sofa__conn *c, const void *data, size_t n)
{
    uint8_t *p = sofa__conn_wreserve(c, n);
    if (!p)
        return SOFA_E_NO_MEMORY;
    memcpy(p, data, n);
    sofa__conn_wcommit(c, n);
    return 0;
}

void sofa__conn_flush(sofa__conn *c)
{
    if (!c || c->state != SOFA__CONN_CONNECTED || c->free_asked || !sofa__buf_used(&c->wbuf))
        return;
    c->busy++;
    do_write(c);
    if (c->state == SOFA__CONN_CONNECTED && !c->free_asked) {
        int rc = want(c);
        if (rc != 0)
            fail(c, rc, "event loop error");
    }
    if (--c->busy == 0 && c->free_asked)
        destroy(c);
}

void sofa__conn_close(sofa__conn *c)
{
    if (!c || c->state == SOFA__CONN_CLOSED)
        return;
    c->state = SOFA__CONN_CLOSED;
    sofa__resolve_cancel(c->rq);
    c->rq = NULL;
    release_socket(c);
    timer_disarm(c);
}

void sofa__conn_set_handler(sofa__conn *c, const sofa__conn_handler *h, void *arg)
{
    c->h = h;
    c->arg = arg;
}

void sofa__conn_set_guard(sofa__conn *c, const sofa__io_guard *g)
{
    c->guard = g;
}

void sofa__conn_pause(sofa__conn *c, int paused)
{
    if (!c || c->paused == !!paused)
        return;
    c->paused = !!paused;
    if (c->state == SOFA__CONN_CONNECTED && !c->free_asked) {
        /* TLS: bytes decrypted before the pause get no readiness event; read them on the
         * next loop turn (never from inside this call) */
        if (!paused && c->tls && sofa__tls_pending(c->tls) > 0) {
            int trc = timer_arm(c, 0);
            if (trc != 0)
                SOFA_LOG(c->lg, SOFA_LOG_WARN, "io", "%s:%u: cannot schedule a read: %s",
                         c->host, (unsigned)c->port, sofa_status_name(trc));
        }
        int rc = want(c);
        if (rc != 0)
            SOFA_LOG(c->lg, SOFA_LOG_WARN, "io", "%s:%u: cannot change the watch: %s", c->host,
                     (unsigned)c->port, sofa_status_name(rc));
    }
}

void sofa__conn_free(sofa__conn *c)
{
    if (!c)
        return;
    sofa__conn_close(c);
    if (c->busy) {
        c->free_asked = 1;
        return;
    }
    destroy(c);
}
