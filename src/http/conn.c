/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
#include "http/conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io/resolve.h"
#include "sofa/status.h"

enum { HC_CONNECTING, HC_CONNECTED, HC_FAILED };

struct sofa__hconn {
    sofa_iops *io;
    const sofa__logger *lg;
    const sofa__hconn_handler *h;
    void *arg;
    char host[SOFA__HCONN_MAX_HOST + 1];
    uint16_t port;
    int state;
    int fd;
    sofa_io_event *ev;
    sofa_io_timer *timer; /* reports errors from the loop */
    struct addrinfo *addrs, *next;
    sofa__resolve *rq;  /* name being resolved off the loop thread */
    int pending_status; /* error to report from the timer */
    char pending_msg[400];
    char *wbuf;
    size_t wlen, woff, wcap;
    char *rbuf;
    const sofa__io_guard *guard;
    int paused; /* not reading */
    int busy;   /* inside a dispatch */
    int freed;  /* sofa__hconn_free() called while busy */
};

static void on_event(sofa_io_event *ev, int fired, void *arg);
static void on_timer(sofa_io_timer *t, void *arg);

static void close_socket(sofa__hconn *c)
{
    if (c->ev) {
        c->io->update_event(c->io, c->ev, SOFA_IO_CLEANUP, 0);
        c->ev = NULL;
    }
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
}

static void release(sofa__hconn *c)
{
    sofa__resolve_cancel(c->rq);
    c->rq = NULL;
    close_socket(c);
    if (c->timer) {
        c->io->update_timer(c->io, c->timer, SOFA_IO_CLEANUP, 0);
    }
    if (c->addrs) {
        freeaddrinfo(c->addrs);
    }
    free(c->wbuf);
    free(c->rbuf);
    free(c);
}

/* Report a failure from the loop (a timer), never from the caller's stack. */
static void fail_later(sofa__hconn *c, int status, const char *msg)
{
    close_socket(c);
    c->state = HC_FAILED;
    c->pending_status = status;
    snprintf(c->pending_msg, sizeof(c->pending_msg), "%.256s:%u: %.100s", c->host,
             (unsigned)c->port, msg);
    if (c->io->update_timer(c->io, c->timer, SOFA_IO_WATCH, 0) != 0) {
        SOFA_LOG(c->lg, SOFA_LOG_ERROR, "http", "cannot arm timer for %s", c->pending_msg);
    }
}

/* Deliver an error now (we are inside a dispatch). */
static void fail_now(sofa__hconn *c, int status, const char *msg)
{
    char full[400];
    close_socket(c);
    c->state = HC_FAILED;
    snprintf(full, sizeof(full), "%.256s:%u: %.100s", c->host, (unsigned)c->port, msg);
    SOFA_LOG(c->lg, SOFA_LOG_DEBUG, "http", "connection failed: %s", full);
    if (c->h && c->h->on_error) {
        c->h->on_error(c, status, full, c->arg);
    }
}

static int errno_status(int e)
{
    switch (e) {
    case ENOMEM:
    case ENOBUFS:
        return SOFA_E_NO_MEMORY;
    case ECONNREFUSED:
        return SOFA_E_CONNECT_REFUSED;
    case ECONNRESET:
    case EPIPE:
        return SOFA_E_CONNECTION_RESET;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ETIMEDOUT:
        return SOFA_E_CONNECT_FAILED;
    default:
        return SOFA_E_NETWORK;
    }
}

static int rewatch(sofa__hconn *c)
{
    if (!c->ev) {
        return 0;
    }
    int flags;
    if (c->state == HC_CONNECTING) {
        flags = SOFA_IO_WRITE;
    } else {
        flags = (c->paused ? 0 : SOFA_IO_READ) | (c->woff < c->wlen ? SOFA_IO_WRITE : 0);
    }
    if (flags == 0) {
        return c->io->update_event(c->io, c->ev, SOFA_IO_UNWATCH, 0);
    }
    return c->io->update_event(c->io, c->ev, SOFA_IO_WATCH, flags);
}

/* Try the next address; returns 0 when a connect is under way. */
static int try_next(sofa__hconn *c, int *last_errno)
{
    while (c->next) {
        struct addrinfo *ai = c->next;
        c->next = ai->ai_next;
        int fd =
            socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            *last_errno = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
            *last_errno = errno;
            close(fd);
            continue;
        }
        c->fd = fd;
        c->ev = c->io->event_new(c->io, fd, on_event, c);
        if (!c->ev) {
            close(fd);
            c->fd = -1;
            *last_errno = ENOMEM;
            return -1;
        }
        c->state = HC_CONNECTING;
        int rc = rewatch(c);
        if (rc != 0) {
            close_socket(c);
            *last_errno = EMFILE;
            continue;
        }
        return 0;
    }
    return -1;
}

/* Start connecting to the resolved addresses (or report the resolution error) from
 * the caller's stack: failures are reported from the loop. */
static void connect_addrs(sofa__hconn *c, int gai)
{
    if (gai != 0) {
        c->addrs = NULL;
        fail_later(c, gai == EAI_MEMORY ? SOFA_E_NO_MEMORY : SOFA_E_NAME_RESOLUTION,
                   gai_strerror(gai));
        return;
    }
    c->next = c->addrs;
    int e = 0;
    if (try_next(c, &e) != 0) {
        fail_later(c, errno_status(e), strerror(e));
    }
}

static void on_resolved(int gai, struct addrinfo *res, void *arg)
{
    sofa__hconn *c = arg;
    c->rq = NULL;
    c->addrs = res;
    connect_addrs(c, gai);
}

int sofa__hconn_open(sofa_iops *io, const sofa__logger *lg, const char *host, uint16_t port,
                     const sofa__hconn_handler *h, void *arg, sofa__hconn **out)
{
    *out = NULL;
    if (!host || !*host || strlen(host) > SOFA__HCONN_MAX_HOST || port == 0) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    sofa__hconn *c = calloc(1, sizeof(*c));
    if (!c) {
        return SOFA_E_NO_MEMORY;
    }
    c->io = io;
    c->lg = lg;
    c->h = h;
    c->arg = arg;
    c->fd = -1;
    c->port = port;
    strcpy(c->host, host);
    c->timer = io->timer_new(io, on_timer, c);
    if (!c->timer) {
        free(c);
        return SOFA_E_NO_MEMORY;
    }
    char service[8];
    snprintf(service, sizeof(service), "%u", (unsigned)port);
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    *out = c;
    /* Numeric hosts resolve at once; names go to a worker thread (never block the loop). */
    int gai = sofa__resolve_numeric(host, service, &hints, &c->addrs);
    if (gai == EAI_NONAME) {
        int rc = sofa__resolve_start(&c->rq, io, host, service, &hints, on_resolved, c);
        if (rc != 0) {
            fail_later(c, rc, "cannot start resolving the host name");
        }
        return 0;
    }
    connect_addrs(c, gai);
    return 0;
}

static const sofa__io_guard no_guard = {NULL, NULL, NULL};

static void on_timer(sofa_io_timer *t, void *arg)
{
    sofa__hconn *c = arg;
    if (c->pending_status == 0) {
        return;
    }
    sofa__io_guard g = c->guard ? *c->guard : no_guard;
    sofa__guard_enter(&g);
    int status = c->pending_status;
    c->pending_status = 0;
    SOFA_LOG(c->lg, SOFA_LOG_DEBUG, "http", "connection failed: %s", c->pending_msg);
    c->busy++;
    if (c->h && c->h->on_error) {
        c->h->on_error(c, status, c->pending_msg, c->arg);
    }
    if (--c->busy == 0 && c->freed) {
        release(c);
    }
    sofa__guard_leave(g); /* may free everything: nothing after this */
}

static void do_connect_done(sofa__hconn *c)
{
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
        err = errno;
    }
    if (err != 0) {
        close_socket(c);
        int e = err;
        if (try_next(c, &e) == 0) {
            return; /* next address */
        }
        fail_now(c, errno_status(err), strerror(err));
        return;
    }
    c->state = HC_CONNECTED;
    if (c->h && c->h->on_connected) {
        c->h->on_connected(c, c->arg);
    }
}

static void do_write(sofa__hconn *c)
{
    while (c->woff < c->wlen) {
        ssize_t n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
        if (n > 0) {
            c->woff += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        fail_now(c, errno_status(errno), strerror(errno));
        return;
    }
    c->woff = c->wlen = 0;
}

static void do_read(sofa__hconn *c)
{
    if (!c->rbuf && !(c->rbuf = malloc(SOFA__HCONN_READ_CHUNK))) {
        fail_now(c, SOFA_E_NO_MEMORY, "out of memory for the read buffer");
        return;
    }
    for (unsigned i = 0; i < SOFA__HCONN_READS_PER_WAKEUP; i++) {
        ssize_t n = recv(c->fd, c->rbuf, SOFA__HCONN_READ_CHUNK, 0);
        if (n > 0) {
            if (c->h && c->h->on_data) {
                c->h->on_data(c, c->rbuf, (size_t)n, c->arg);
            }
            if (c->freed || c->state != HC_CONNECTED || c->paused) {
                return;
            }
            continue;
        }
        if (n == 0) {
            fail_now(c, SOFA_E_CONNECTION_CLOSED, "connection closed by peer");
            return;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return;
        }
        if (errno == EINTR) {
            continue;
        }
        fail_now(c, errno_status(errno), strerror(errno));
        return;
    }
}

static void on_event(sofa_io_event *ev, int fired, void *arg)
{
    sofa__hconn *c = arg;
    sofa__io_guard g = c->guard ? *c->guard : no_guard;
    sofa__guard_enter(&g);
    c->busy++;
    if (c->state == HC_CONNECTING) {
        do_connect_done(c);
    }
    if (!c->freed && c->state == HC_CONNECTED && (fired & SOFA_IO_WRITE)) {
        do_write(c);
    }
    if (!c->freed && c->state == HC_CONNECTED && (fired & SOFA_IO_READ)) {
        do_read(c);
    }
    if (!c->freed && c->ev && rewatch(c) != 0) {
        fail_now(c, SOFA_E_IO, "event loop refused to watch the socket");
    }
    if (--c->busy == 0 && c->freed) {
        release(c);
    }
    sofa__guard_leave(g); /* may free everything: nothing after this */
}

void sofa__hconn_set_guard(sofa__hconn *c, const sofa__io_guard *g)
{
    c->guard = g;
}

void sofa__hconn_pause(sofa__hconn *c, int paused)
{
    if (c->paused == !!paused) {
        return;
    }
    c->paused = !!paused;
    if (c->state == HC_CONNECTED && !c->busy && rewatch(c) != 0) {
        SOFA_LOG(c->lg, SOFA_LOG_WARN, "http", "cannot change the watch on %s:%u", c->host,
                 (unsigned)c->port);
    }
}

void sofa__hconn_set_handler(sofa__hconn *c, const sofa__hconn_handler *h, void *arg)
{
    c->h = h;
    c->arg = arg;
}

int sofa__hconn_write(sofa__hconn *c, const void *data, size_t len)
{
    if (c->state == HC_FAILED || c->freed) {
        return SOFA_E_BAD_STATE;
    }
    size_t live = c->wlen - c->woff;
    if (len > SOFA__HCONN_MAX_WBUF || live > SOFA__HCONN_MAX_WBUF - len) {
        return SOFA_E_VALUE_TOO_LARGE;
    }
    if (c->woff > 0) { /* compact */
        memmove(c->wbuf, c->wbuf + c->woff, live);
        c->wlen = live;
        c->woff = 0;
    }
    if (c->wlen + len > c->wcap) {
        size_t cap = c->wcap ? c->wcap : 4096;
        while (cap < c->wlen + len) {
            cap *= 2;
        }
        char *p = realloc(c->wbuf, cap);
        if (!p) {
            return SOFA_E_NO_MEMORY;
        }
        c->wbuf = p;
        c->wcap = cap;
    }
    memcpy(c->wbuf + c->wlen, data, len);
    c->wlen += len;
    if (c->state == HC_CONNECTED && !c->busy) {
        int rc = rewatch(c);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

int sofa__hconn_usable(const sofa__hconn *c)
{
    return c->state != HC_FAILED && !c->freed;
}

int sofa__hconn_connected(const sofa__hconn *c)
{
    return c->state == HC_CONNECTED && !c->freed;
}

const char *sofa__hconn_host(const sofa__hconn *c)
{
    return c->host;
}

uint16_t sofa__hconn_port(const sofa__hconn *c)
{
    return c->port;
}

void sofa__hconn_free(sofa__hconn *c)
{
    if (!c) {
        return;
    }
    if (c->busy) {
        sofa__resolve_cancel(c->rq);
        c->rq = NULL;
        close_socket(c);
        c->h = NULL;
        c->freed = 1;
        if (c->timer) {
            c->io->update_timer(c->io, c->timer, SOFA_IO_UNWATCH, 0);
        }
        return;
    }
    release(c);
}
