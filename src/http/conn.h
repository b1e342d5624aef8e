/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * A small non-blocking TCP connection on the IOPS table, used by the HTTP
 * client. It does its own connect/recv/send and asks the plugin only for
 * readiness and one timer (for errors that must not be reported from inside
 * sofa__hconn_open()).
 *
 * NOTE: the engine's generic connection layer (src/io/conn.h) was not on any
 * branch when this was written; this file is meant to be replaced by it (same
 * shape: on_connected / on_data / on_error, deferred free).
 *
 * Re-entrancy: a handler may call sofa__hconn_free() on its own connection (the
 * memory is released after the dispatch returns). No handler runs after
 * sofa__hconn_free().
 */
#ifndef SOFA_HTTP_CONN_H
#define SOFA_HTTP_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "core/log.h"
#include "sofa/iops.h"

#define SOFA__HCONN_READ_CHUNK (64u * 1024u)
#define SOFA__HCONN_MAX_WBUF (256u * 1024u * 1024u)
#define SOFA__HCONN_READS_PER_WAKEUP 16u
#define SOFA__HCONN_MAX_HOST 256u

typedef struct sofa__hconn sofa__hconn;

/* Optional: called around every callback from the loop (outermost first and
 * last). The owner uses it to defer its own destruction while sofa code is on
 * the stack; leave() may free everything, so nothing is touched after it. */
typedef struct sofa__io_guard {
    void (*enter)(void *arg);
    void (*leave)(void *arg);
    void *arg;
} sofa__io_guard;

static inline void sofa__guard_enter(const sofa__io_guard *g)
{
    if (g && g->enter) {
        g->enter(g->arg);
    }
}

static inline void sofa__guard_leave(sofa__io_guard g)
{
    if (g.leave) {
        g.leave(g.arg);
    }
}

typedef struct sofa__hconn_handler {
    /* The socket is connected (queued writes go out now). */
    void (*on_connected)(sofa__hconn *c, void *arg);
    /* Bytes arrived; valid only during the call. */
    void (*on_data)(sofa__hconn *c, const char *data, size_t len, void *arg);
    /* The connection failed or the peer closed it (SOFA_E_CONNECTION_CLOSED);
     * the socket is closed; the object stays until sofa__hconn_free(). */
    void (*on_error)(sofa__hconn *c, int status, const char *msg, void *arg);
} sofa__hconn_handler;

/*
 * Start connecting to @p host:@p port (a name is resolved off the loop thread, io/resolve.h;
 * every address is tried in turn). Failures are reported through on_error
 * from the loop, never from inside this call.
 * @return 0 and *out; SOFA_E_INVALID_ARGUMENT (host too long / empty),
 *         SOFA_E_NO_MEMORY.
 */
int sofa__hconn_open(sofa_iops *io, const sofa__logger *lg, const char *host, uint16_t port,
                     const sofa__hconn_handler *h, void *arg, sofa__hconn **out);

/* Set the guard (borrowed; must outlive the connection). */
void sofa__hconn_set_guard(sofa__hconn *c, const sofa__io_guard *g);

/* Change who gets the events (a pooled connection changes hands). */
void sofa__hconn_set_handler(sofa__hconn *c, const sofa__hconn_handler *h, void *arg);

/* Queue bytes; they go out when the socket is writable.
 * @return 0, SOFA_E_NO_MEMORY, SOFA_E_VALUE_TOO_LARGE, SOFA_E_BAD_STATE (closed). */
int sofa__hconn_write(sofa__hconn *c, const void *data, size_t len);

/* Stop (1) or resume (0) reading: back-pressure for a consumer that is behind. */
void sofa__hconn_pause(sofa__hconn *c, int paused);

/* 1 while connected (or connecting) and not failed. */
int sofa__hconn_usable(const sofa__hconn *c);
/* 1 once the socket is connected. */
int sofa__hconn_connected(const sofa__hconn *c);
/* Host and port it was opened with. */
const char *sofa__hconn_host(const sofa__hconn *c);
uint16_t sofa__hconn_port(const sofa__hconn *c);

/* Close and release (deferred while inside one of its handlers). NULL is a no-op. */
void sofa__hconn_free(sofa__hconn *c);

#endif
