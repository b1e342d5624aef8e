/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * What N1QL queries, view queries and raw HTTP requests share: the request
 * record (struct sofa_query), its deadline, the choice of node with failover
 * before the request was sent, body streaming through the row splitter, row
 * batches, and the one exit (sofa__q_finish) that calls the terminal callback
 * exactly once.
 */
#ifndef SOFA_QUERY_QCORE_H
#define SOFA_QUERY_QCORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "http/client.h"
#include "http/rowsplit.h"
#include "query/svc.h"
#include "sofa/query.h"
#include "sofa/view.h"

#define SOFA__Q_NO_CONFIG_RETRY_US 100000u /* wait for a configuration in steps of this */
#define SOFA__Q_MAX_ERROR_BODY 4096u       /* non-JSON error bodies kept for the message */

typedef enum sofa__qkind { SOFA__Q_N1QL, SOFA__Q_VIEW, SOFA__Q_RAW } sofa__qkind;

/* Per-kind behaviour. */
typedef struct sofa__qops {
    /* Fill the request for this attempt (method, path, body) from @p ep. */
    int (*prepare_request)(sofa_query *q, const sofa__endpoint *ep, sofa__http_spec *spec);
    /* A complete response arrived: decide (finish, or start another request). */
    void (*on_complete)(sofa_query *q);
    /* Rows of one body piece (rowsplit batch); return 0 or a negative status. */
    int (*on_rows)(sofa_query *q, const sofa_row *rows, size_t n);
    /* Call the user's terminal callback (on_done when @p status is 0, else on_error). */
    void (*deliver_end)(sofa_query *q, int status);
    /* Release kind-specific state. */
    void (*cleanup)(sofa_query *q);
} sofa__qops;

struct sofa_query {
    sofa__svc *svc;
    sofa__dlink link; /* on svc->queries */
    sofa__qkind kind;
    const sofa__qops *ops;
    sofa__service service;
    const char *rows_key; /* "results" or "rows"; NULL = keep the body (raw) */
    void *cookie;
    uint64_t timeout_us;
    size_t max_row;
    /* the current HTTP attempt */
    sofa__http_req *req;
    size_t attempt, base;
    sofa__endpoint ep;
    int http_status;
    int body_is_json;
    sofa__rowsplit rs;
    int rs_live;
    char *errbody; /* non-JSON body (bounded) or raw body */
    size_t nerrbody, errcap, errmax;
    char content_type[SOFA__HTTP_MAX_CONTENT_TYPE + 1];
    /* rows of the current batch */
    sofa_row *batch;
    size_t nbatch, batch_cap;
    uint64_t nrows;
    /* timers */
    sofa_io_timer *deadline;
    sofa_io_timer *kick;
    int kick_status; /* != 0: fail with it from the kick timer */
    /* result */
    json_t *meta;
    char *meta_json;
    char msg[256];
    int64_t error_code;
    char context_id[260];
    /* life */
    int busy; /* inside a user callback */
    int finished;
    int cancel_asked;
    int in_rows_cb;
    void *kind_state; /* owned by the kind (ops->cleanup) */
};

/*
 * Allocate and register a query, with @p state_size zeroed bytes as q->kind_state (none for
 * 0; ops->cleanup frees it); counts it as pending (op_begin). Does not send.
 * @return NULL when out of memory.
 */
sofa_query *sofa__q_new(sofa__svc *svc, sofa__qkind kind, const sofa__qops *ops,
                        sofa__service service, const char *rows_key, uint64_t timeout_us,
                        size_t max_row, size_t state_size, void *cookie);

/* The first checks of every query start: sets *@p handle (when given) to NULL; returns
 * SOFA_E_INVALID_ARGUMENT without @p svc or unless @p args_ok, SOFA_E_SHUTDOWN while the
 * service is being freed, else 0. */
int sofa__q_check_start(const sofa__svc *svc, int args_ok, sofa_query **handle);

/* Undo sofa__q_new() for a query that was never started (no callback fires). */
void sofa__q_discard(sofa_query *q);

/* Arm the deadline and send the first attempt (asynchronously). 0 or SOFA_E_NO_MEMORY. */
int sofa__q_start(sofa_query *q);

/* Send another request for this query (prepared retry, classic PREPARE then EXECUTE). */
void sofa__q_send(sofa_query *q);

/* The one exit: call on_done / on_error exactly once, then release (deferred while busy). */
void sofa__q_finish(sofa_query *q, int status, const char *msg);

/* Mark the start / end of a user callback; the end releases a query finished meanwhile. */
static inline void sofa__q_busy(sofa_query *q)
{
    q->busy++;
}
void sofa__q_unbusy(sofa_query *q);

/* Whether the client is being freed (no more rows may be delivered). */
static inline int sofa__q_closing(const sofa_query *q)
{
    return q->svc->hooks.closing && q->svc->hooks.closing(q->svc->hook_arg);
}

/* Build the public metadata view of @p q (valid until q is released). */
void sofa__q_meta(sofa_query *q, sofa_query_meta *m);

/* The terminal callbacks N1QL and views share: on_done for status 0, else on_error. */
typedef void (*sofa__q_done_fn)(sofa_client *client, const sofa_query_meta *meta, void *cookie);
typedef void (*sofa__q_error_fn)(sofa_client *client, sofa_status status,
                                 const sofa_query_meta *meta, void *cookie);
void sofa__q_deliver_end(sofa_query *q, int status, sofa__q_done_fn on_done,
                         sofa__q_error_fn on_error);

/* svc teardown: finish every running query with SOFA_E_CANCELED. */
void sofa__queries_cancel_all(sofa__svc *s);

/* Classify a finished N1QL response (sans-I/O). Sets *code and *msg (borrowed
 * from @p meta) from the first error. @return a sofa_status. */
int sofa__n1ql_classify(int http_status, json_t *meta, int64_t *code, const char **msg);

/* Whether a N1QL error code means "prepare again and retry" (4040, 4050, 4070). */
int sofa__n1ql_prepared_retryable(int64_t code);

/* Classify a finished view response (sans-I/O). */
int sofa__view_classify(int http_status, json_t *meta, const char **msg);

#endif
