/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/**
 * @file query.h
 * @brief N1QL (SQL++) queries with rows streamed as they arrive.
 *
 * Three forms, all on the client's event loop and timers:
 * - streaming: sofa_query_start() hands rows to @c on_rows as soon as each one
 *   is complete on the wire, then ends with exactly one of @c on_done or
 *   @c on_error. Memory use is bounded by one row, not by the result.
 * - all at once: sofa_query_all() collects the rows and calls one callback.
 * - sync: sofa_query_run() waits (sofa_client_wait()) and returns a result to
 *   iterate with sofa_query_result_next().
 *
 * ## The contract of the submit functions
 * They return 0 and the query ends later with exactly one terminal callback
 * (never from inside the submit call): also on timeout (SOFA_E_QUERY_TIMEOUT),
 * sofa_query_cancel() and sofa_client_free() (SOFA_E_CANCELED). Or they return
 * a negative status and no callback fires: SOFA_E_INVALID_ARGUMENT (NULL
 * client, statement or callbacks; a parameter that is not JSON; text that is
 * not UTF-8; at_plus without tokens; a wrong struct_size), SOFA_E_SHUTDOWN
 * (the client is being freed), SOFA_E_NOT_SUPPORTED (memcached:// has no query
 * service), SOFA_E_NO_MEMORY. With couchbases:// the request goes over TLS to the
 * node's n1qlSSL (views: capiSSL) port, verified as docs/tls.md describes.
 *
 * Calls made before the bootstrap completes wait for a configuration (within
 * their deadline). The query node is chosen in turn among the nodes running the
 * query service; when the connection fails before the request could be sent,
 * the next node is tried. A query is never resent once the request may have
 * reached a server.
 *
 * ## Statuses a query ends with
 * SOFA_OK; SOFA_E_QUERY_SYNTAX (3000); SOFA_E_QUERY_KEYSPACE_NOT_FOUND (12003);
 * SOFA_E_QUERY_PREPARED (4040/4050/4070 after the one re-prepare, 4060, 4080,
 * 4090); SOFA_E_QUERY_TIMEOUT (client deadline or server 1080); SOFA_E_ACCESS_DENIED
 * (13014); SOFA_E_AUTH_FAILED (HTTP 401); SOFA_E_QUERY_ERROR (other server
 * errors; the code and message are in the metadata); SOFA_E_HTTP_STATUS (an
 * error status without a JSON body); SOFA_E_JSON (malformed JSON from the
 * server); SOFA_E_HTTP (malformed HTTP); SOFA_E_ROW_TOO_LARGE; SOFA_E_NO_SERVICE
 * (no node runs the query service); network statuses (SOFA_E_CONNECT_REFUSED,
 * SOFA_E_CONNECTION_CLOSED, ... when a node fails mid-stream: rows already
 * delivered stay delivered); SOFA_E_CANCELED.
 */
#ifndef SOFA_QUERY_H
#define SOFA_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "sofa/client.h"
#include "sofa/kv.h"
#include "sofa/status.h"
#include "sofa/visibility.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Default for the `query_timeout` and `view_timeout` options: 75 s. */
#define SOFA_QUERY_DEFAULT_TIMEOUT_US (75ull * 1000000ull)
/** Default limit for one row (larger rows end the query with SOFA_E_ROW_TOO_LARGE). */
#define SOFA_QUERY_DEFAULT_MAX_ROW (16u * 1024u * 1024u)

/** A running query (for sofa_query_cancel()). Valid until its terminal callback returns. */
typedef struct sofa_query sofa_query;

/** scan_consistency. */
typedef enum sofa_scan_consistency {
    SOFA_SCAN_NOT_BOUNDED = 0,  /**< the server's default: whatever the index has */
    SOFA_SCAN_REQUEST_PLUS = 1, /**< wait for every mutation before the request */
    SOFA_SCAN_AT_PLUS = 2       /**< wait for the mutations in opts->tokens */
} sofa_scan_consistency;

/** One named parameter: @c name with or without the leading '$', @c json a JSON value. */
typedef struct sofa_query_param {
    const char *name;
    const char *json;
} sofa_query_param;

/**
 * Options. Start from SOFA_QUERY_OPTS_INIT (or all zero with struct_size set):
 * zero means the default. Everything is copied before the submit call returns.
 */
typedef struct sofa_query_opts {
    size_t struct_size;      /**< sizeof(sofa_query_opts) */
    const char *const *args; /**< positional parameters $1.., each JSON text */
    size_t nargs;
    const sofa_query_param *named; /**< named parameters */
    size_t nnamed;
    sofa_scan_consistency consistency;
    const sofa_mutation_token *tokens; /**< at_plus: tokens from KV mutations */
    size_t ntokens;
    const char *scan_wait;         /**< e.g. "100ms"; NULL = server default */
    const char *client_context_id; /**< NULL = a generated id (see the metadata) */
    uint64_t timeout_us;           /**< 0 = the client's query_timeout (75 s default) */
    int readonly;                  /**< 1: the server rejects statements that modify data */
    int prepared;                  /**< 1: adhoc=false: prepare once per client, then execute */
    const char *raw;               /**< NULL or a JSON object whose members are added to the
                                        request as they are (e.g. {"max_parallelism":4}) */
    size_t max_row;                /**< 0 = SOFA_QUERY_DEFAULT_MAX_ROW */
} sofa_query_opts;

/** Defaults. */
#define SOFA_QUERY_OPTS_INIT                                                                       \
    {                                                                                              \
        .struct_size = sizeof(sofa_query_opts)                                                     \
    }

/** One row: raw JSON text, borrowed for the duration of the callback. Not NUL-terminated. */
typedef struct sofa_row {
    const char *json;
    size_t len;
} sofa_row;

/** The response without its rows (borrowed for the duration of the callback). */
typedef struct sofa_query_meta {
    const char *json; /**< the response document with "results" emptied, compact JSON,
                           NUL-terminated; "" when the server sent none */
    size_t len;
    const char *status;            /**< "success", "errors", "timeout", ...; "" when unknown */
    const char *request_id;        /**< "" when unknown */
    const char *client_context_id; /**< the id sent with the request */
    uint64_t nrows;                /**< rows delivered */
    int http_status;               /**< 0 when no response head arrived */
    int64_t error_code;            /**< the first error's code, 0 when none */
    const char *error_msg; /**< the first error's message, or a client-side reason; never NULL */
} sofa_query_meta;

/**
 * Streaming callbacks. on_rows may fire any number of times (rows in order);
 * then exactly one of on_done (status SOFA_OK) or on_error ends the query.
 * A callback may call sofa_query_cancel() on its query (on_rows only) and
 * schedule other operations; sofa_client_free() from a callback is deferred.
 */
typedef struct sofa_query_callbacks {
    /** Rows that arrived; @p rows valid only during the call. May be NULL. */
    void (*on_rows)(sofa_client *client, const sofa_row *rows, size_t nrows, void *cookie);
    /** Success: all rows were delivered; @p meta holds status, metrics, ... */
    void (*on_done)(sofa_client *client, const sofa_query_meta *meta, void *cookie);
    /** Failure: @p status as listed above; @p meta is never NULL (fields may be empty). */
    void (*on_error)(sofa_client *client, sofa_status status, const sofa_query_meta *meta,
                     void *cookie);
} sofa_query_callbacks;

/**
 * Start a streaming query.
 * @param statement  the SQL++ text (copied).
 * @param opts       NULL = defaults.
 * @param cbs        on_done and on_error are required; copied.
 * @param handle     if not NULL, receives the query for sofa_query_cancel().
 * @return 0 or an error as listed in the file comment.
 */
SOFA_API int sofa_query_start(sofa_client *client, const char *statement,
                              const sofa_query_opts *opts, const sofa_query_callbacks *cbs,
                              void *cookie, sofa_query **handle);

/**
 * Cancel a running query: on_error(SOFA_E_CANCELED) fires before this returns
 * (or, when called from this query's on_rows, right after on_rows returns) and
 * no row follows. @return 0, or SOFA_E_INVALID_ARGUMENT for NULL.
 */
SOFA_API int sofa_query_cancel(sofa_query *query);

/** All rows and the metadata (borrowed for the duration of the callback). */
typedef struct sofa_query_result sofa_query_result;

/** Callback of sofa_query_all(): @p result holds the rows received even on error. */
typedef void (*sofa_query_all_cb)(sofa_client *client, sofa_status status,
                                  const sofa_query_result *result, void *cookie);

/** Run a query and hand over every row at once (rows are kept in memory). */
SOFA_API int sofa_query_all(sofa_client *client, const char *statement, const sofa_query_opts *opts,
                            sofa_query_all_cb cb, void *cookie);

/**
 * Sync form: run the query, wait for it (sofa_client_wait()), and return the
 * result in *out (owned by the caller, free with sofa_query_result_free(); set
 * also on error, to read the metadata).
 * @return the query's status, or an error of the submit functions.
 */
SOFA_API int sofa_query_run(sofa_client *client, const char *statement, const sofa_query_opts *opts,
                            sofa_query_result **out);

/** Number of rows in a result. */
SOFA_API size_t sofa_query_result_count(const sofa_query_result *result);
/** Row @p i of a result (0-based); {NULL, 0} when out of range. */
SOFA_API sofa_row sofa_query_result_row(const sofa_query_result *result, size_t i);
/** Iterate: the next row into *row; 1 while there was one, 0 at the end. */
SOFA_API int sofa_query_result_next(sofa_query_result *result, sofa_row *row);
/** The metadata of a result. */
SOFA_API const sofa_query_meta *sofa_query_result_meta(const sofa_query_result *result);
/** Free a result from sofa_query_run(); NULL is a no-op. */
SOFA_API void sofa_query_result_free(sofa_query_result *result);

#ifdef __cplusplus
}
#endif
#endif /* SOFA_QUERY_H */
