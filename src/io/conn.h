/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * The connection layer: one non-blocking TCP connection driven by the IOPS table.
 * Generic: the KV pipelines and the HTTP client both sit on it.
 *
 *   sofa__conn_new()     resolve host (numeric hosts inline; names on a worker thread, io/resolve.h),
 *                        start a non-blocking connect to each address in turn, bounded by
 *                        the connect timeout (an entry in the client's deadline queue).
 *   on_connected         the socket is connected (and, with opts.tls, the TLS handshake
 *                        is done and the server certificate verified); writes may already
 *                        have been queued.
 *   write                sofa__conn_wreserve() + sofa__conn_wcommit() encode straight into
 *                        the send buffer; it is flushed on the next write readiness, so
 *                        everything queued in one loop turn goes out in one send().
 *   on_data              new bytes are in conn->rbuf; the handler consumes what it parsed
 *                        (sofa__buf_consume) and leaves partial packets for next time.
 *   TLS                  opts.tls set: after the TCP connect a non-blocking handshake runs
 *                        (io/tls.h), bounded by the same connect timeout; then reads and
 *                        writes go through the TLS session with the same buffering (one
 *                        SSL_write per flush, SSL_pending drained before waiting again).
 *   on_error             connect failure, timeout, EOF, reset or a buffer over its cap: the
 *                        socket is closed; the object lives until sofa__conn_free().
 *
 * Re-entrancy: a handler may call sofa__conn_close()/sofa__conn_free() on its own
 * connection; the free is deferred until the dispatch returns. No handler is called
 * after sofa__conn_free(). Errors are never reported from inside sofa__conn_new().
 *
 * Timers: with a deadline queue (the KV engine's) the deferred start and the connect
 * timeout are entries in it; without one (tq NULL: the HTTP pool) the connection arms a
 * one-shot IOPS timer of its own for them.
 * Owners: a connection may change hands (sofa__conn_set_handler: an HTTP keep-alive
 * connection goes from a request to the idle pool and back), may be paused (no reads:
 * back-pressure), and may carry a loop guard (io/guard.h) that it calls around every
 * dispatch from the loop (events, its timer, name resolution).
 */
#ifndef SOFA_IO_CONN_H
#define SOFA_IO_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "core/log.h"
#include "io/buf.h"
#include "io/guard.h"
#include "io/timerq.h"
#include "sofa/iops.h"

/* Named limits. */
#define SOFA__CONN_RBUF_MAX (64u * 1024u * 1024u) /* > the largest packet sofa accepts */
#define SOFA__CONN_WBUF_MAX (512u * 1024u * 1024u)
#define SOFA__CONN_READ_CHUNK (64u * 1024u)
#define SOFA__CONN_READS_PER_WAKEUP 16
/* TLS: SSL_read returns at most one record (16 KiB), so more reads fit in one wakeup */
#define SOFA__CONN_TLS_READS_PER_WAKEUP 64
#define SOFA__CONN_HOST_MAX 256u

typedef struct sofa__conn sofa__conn;
struct sofa__tls;
struct sofa__tls_ctx;

typedef struct sofa__conn_handler {
    void (*on_connected)(sofa__conn *c, void *arg);
    void (*on_data)(sofa__conn *c, void *arg);
    void (*on_error)(sofa__conn *c, int status, void *arg);
} sofa__conn_handler;

typedef struct sofa__conn_opts {
    uint64_t connect_timeout_us; /* 0 = none */
    int ipv6;                    /* 0 IPv4 only, 1 both, 2 IPv6 only */
    int nodelay;                 /* set TCP_NODELAY */
    size_t rbuf_max;             /* 0 = SOFA__CONN_RBUF_MAX */
    struct sofa__tls_ctx *tls;   /* NULL = plain TCP; else borrowed, outlives the conn */
    size_t read_batch;           /* bytes read per wakeup before on_data; 0 = no limit (up to
                                    SOFA__CONN_READS_PER_WAKEUP reads) */
} sofa__conn_opts;

typedef enum sofa__conn_state {
    SOFA__CONN_CONNECTING,
    SOFA__CONN_CONNECTED,
    SOFA__CONN_CLOSED
} sofa__conn_state;

struct sofa__conn {
    sofa__buf rbuf;
    sofa__buf wbuf;
    sofa__conn_state state;
    char host[SOFA__CONN_HOST_MAX];
    uint16_t port;
    char errmsg[160]; /* why the connection failed, for reports */
    /* private */
    int fd;
    sofa_iops *io;
    sofa__timerq *tq;            /* NULL: timer is used instead */
    sofa_io_timer *timer;        /* own one-shot timer when there is no deadline queue */
    const sofa__io_guard *guard; /* borrowed, may be NULL */
    const sofa__logger *lg;
    sofa_io_event *ev;
    int watching; /* flags currently asked for */
    sofa__tentry timeout;
    sofa__conn_opts opts;
    const sofa__conn_handler *h;
    void *arg;
    struct addrinfo *addrs, *next_addr;
    struct sofa__resolve *rq; /* name being resolved off the loop thread */
    int started;              /* resolution begun (the deferred start ran) */
    int paused;               /* not reading (sofa__conn_pause) */
    int busy;                 /* > 0 while inside a dispatch */
    int free_asked;           /* sofa__conn_free() called while busy */
    int last_errno;
    uint64_t bytes_in, bytes_out, writes;
    struct sofa__tls *tls; /* the TLS session (opts.tls), after the TCP connect */
    int tls_hs;            /* handshake running (state stays CONNECTING) */
    int tls_hs_want;       /* SOFA_IO_READ/WRITE the handshake waits for */
    int tls_read_wants_write, tls_write_wants_read;
};

/* Create and start connecting. @p tq may be NULL (the connection then uses an IOPS timer
 * of its own). 0, SOFA_E_INVALID_ARGUMENT (host empty or too long), SOFA_E_NO_MEMORY, or
 * the plugin's status when it refuses the timer. Resolution and connect failures arrive
 * through on_error later. */
int sofa__conn_new(sofa__conn **out, sofa_iops *io, sofa__timerq *tq, const sofa__logger *lg,
                   const char *host, uint16_t port, const sofa__conn_opts *opts,
                   const sofa__conn_handler *h, void *arg);
/* Room for @p n bytes at the end of the send buffer, or NULL (out of memory / over cap). */
static inline uint8_t *sofa__conn_wreserve(sofa__conn *c, size_t n)
{
    if (c->state == SOFA__CONN_CLOSED)
        return NULL;
    return sofa__buf_reserve(&c->wbuf, n, SOFA__CONN_WBUF_MAX);
}
/* Ask the loop for the events the connection needs now (after output was queued). */
void sofa__conn_watch(sofa__conn *c);
/* Queue @p n reserved bytes for sending (flushed on the next write readiness). */
static inline void sofa__conn_wcommit(sofa__conn *c, size_t n)
{
    sofa__buf_commit(&c->wbuf, n);
    /* output queued and already watching for what it needs (writing, and reading unless
     * paused): nothing to ask */
    if (c->state == SOFA__CONN_CONNECTED &&
        !(sofa__buf_used(&c->wbuf) &&
          c->watching == ((c->paused ? 0 : SOFA_IO_READ) | SOFA_IO_WRITE)))
        sofa__conn_watch(c);
}
/* Copy and queue. 0 or SOFA_E_NO_MEMORY. */
int sofa__conn_write(sofa__conn *c, const void *data, size_t n);
/* Try to send the queued output now instead of on the next write readiness (used when the
 * caller is about to block in the loop anyway). A failure is reported through on_error. */
void sofa__conn_flush(sofa__conn *c);
/* Hand the connection to another owner: later events go to @p h / @p arg. Safe from
 * inside a handler of this connection (the rest of that dispatch uses the new owner). */
void sofa__conn_set_handler(sofa__conn *c, const sofa__conn_handler *h, void *arg);
/* Call @p g (borrowed: must outlive the connection; NULL = none) around every dispatch
 * from the loop. */
void sofa__conn_set_guard(sofa__conn *c, const sofa__io_guard *g);
/* Stop (1) or resume (0) reading; writes and error reports go on. Bytes already read
 * stay in rbuf. */
void sofa__conn_pause(sofa__conn *c, int paused);
/* Close the socket now (no callback); pending output is dropped. */
void sofa__conn_close(sofa__conn *c);
/* Close and release (deferred while a handler of this connection runs). NULL is a no-op. */
void sofa__conn_free(sofa__conn *c);

#endif
