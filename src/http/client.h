/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * HTTP/1.1 client on the IOPS: one pool per sofa client with keep-alive
 * connections per host:port, basic auth, a deadline per request, cancel.
 * Response bodies are streamed to the caller as they arrive (chunked encoding
 * removed), never buffered here.
 *
 * Every started request ends with exactly one on_done, unless the caller
 * cancels it first (sofa__http_cancel(): then nothing more is called).
 * on_done never fires from inside sofa__http_start().
 */
#ifndef SOFA_HTTP_CLIENT_H
#define SOFA_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "core/log.h"
#include "io/guard.h"
#include "http/response.h"
#include "sofa/iops.h"

#define SOFA__HTTP_MAX_IDLE 16u /* idle keep-alive connections kept per pool */
#define SOFA__HTTP_MAX_PATH (1024u * 1024u)
#define SOFA__HTTP_MAX_CREDENTIAL 1024u /* bytes of user name and of password */

typedef struct sofa__http sofa__http;
typedef struct sofa__http_req sofa__http_req;

typedef struct sofa__http_req_cbs {
    /* The response head (status, headers); return 0 or a negative status to abort. */
    int (*on_head)(void *arg, const sofa__http_head *head);
    /* Body bytes as they arrive; return 0 or a negative status to abort. */
    int (*on_body)(void *arg, const char *data, size_t len);
    /*
     * The end: @p status 0 = the whole response arrived; else SOFA_E_QUERY_TIMEOUT,
     * SOFA_E_HTTP, a network status, the status returned by on_head/on_body, or
     * SOFA_E_CANCELED (pool freed). @p sent = 0 when the request certainly did
     * not reach a server (the connection was never established), 1 otherwise.
     * @p msg: a one-line reason ("" on success).
     */
    void (*on_done)(void *arg, int status, int sent, const char *msg);
} sofa__http_req_cbs;

typedef struct sofa__http_spec {
    const char *method; /* "GET", "POST", ... */
    const char *host;   /* name or numeric address (IPv6 without brackets) */
    uint16_t port;
    const char *path;         /* encoded, starts with '/' */
    const char *content_type; /* NULL = no Content-Type */
    const void *body;
    size_t nbody;
    uint64_t timeout_us; /* 0 = no deadline */
    int no_auth;         /* 1: send no Authorization header */
} sofa__http_spec;

/* A pool. @p user NULL = no basic auth. @return NULL when out of memory or a
 * credential is longer than SOFA__HTTP_MAX_CREDENTIAL. */
struct sofa__tls_ctx;
/* Connections opened from now on use TLS with @p tls (borrowed; NULL = plain TCP). */
void sofa__http_set_tls(sofa__http *h, struct sofa__tls_ctx *tls);
/* Connections opened from now on must be connected (TCP, and the TLS handshake with TLS)
 * within @p us microseconds (0 = no limit of their own: only the request's deadline).
 * The clients set it to config_node_timeout. A request whose deadline is shorter is
 * bounded by its deadline alone (SOFA_E_QUERY_TIMEOUT); else a connection that is not
 * up in time ends the request with SOFA_E_CONNECT_FAILED, sent = 0 and a message such
 * as "127.0.0.1:18093: TLS handshake timed out after 2000 ms". */
void sofa__http_set_connect_timeout(sofa__http *h, uint64_t us);
sofa__http *sofa__http_new(sofa_iops *io, const sofa__logger *lg, const char *user,
                           const char *password);

/* Call @p enter / @p leave around every callback this pool receives from the
 * loop (see sofa__io_guard). Set before the first request. */
void sofa__http_set_guard(sofa__http *h, void (*enter)(void *), void (*leave)(void *), void *arg);

/* Close every connection; each request still running gets on_done(SOFA_E_CANCELED).
 * NULL is a no-op. From inside a callback of one of its requests it may be called
 * only after sofa__http_cancel() of that request (the HTTP bootstrap does this);
 * better, set a guard so that the owner's teardown waits for the dispatch to end. */
void sofa__http_free(sofa__http *h);

/*
 * Start a request. The request text is built and copied before this returns.
 * @return 0 (and *out if @p out is not NULL); SOFA_E_INVALID_ARGUMENT (bad
 *         method, host, path); SOFA_E_NO_MEMORY.
 */
int sofa__http_start(sofa__http *h, const sofa__http_spec *spec, const sofa__http_req_cbs *cbs,
                     void *arg, sofa__http_req **out);

/* Stop a request: no callback fires afterwards (safe from inside its callbacks). */
void sofa__http_cancel(sofa__http_req *r);

/* Stop (1) or resume (0) reading the response (back-pressure). */
void sofa__http_pause(sofa__http_req *r, int paused);

/* Requests running. */
size_t sofa__http_running(const sofa__http *h);
/* Idle keep-alive connections. */
size_t sofa__http_idle(const sofa__http *h);
/* Connections opened so far (for tests of connection reuse). */
uint64_t sofa__http_opened(const sofa__http *h);

#endif
