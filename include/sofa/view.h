/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/**
 * @file view.h
 * @brief Map/reduce view queries with rows streamed as they arrive, and raw
 *        HTTP requests to the cluster's services.
 *
 * The submit contract and the streaming rules are those of query.h: 0 and then
 * exactly one terminal callback later, or a negative status and no callback.
 *
 * ## Statuses a view query ends with
 * SOFA_OK (per-row errors from some nodes are in meta->json "errors");
 * SOFA_E_VIEW_NOT_FOUND (404: design document or view missing);
 * SOFA_E_VIEW_ERROR (400 query_parse_error, 500 and other server errors; the
 * server's "error" and "reason" are in the metadata); SOFA_E_AUTH_FAILED (401);
 * SOFA_E_QUERY_TIMEOUT; SOFA_E_JSON; SOFA_E_HTTP; SOFA_E_ROW_TOO_LARGE;
 * SOFA_E_NO_SERVICE; network statuses; SOFA_E_CANCELED.
 */
#ifndef SOFA_VIEW_H
#define SOFA_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "sofa/client.h"
#include "sofa/query.h"
#include "sofa/status.h"
#include "sofa/visibility.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A boolean option that may also be left to the server's default. */
typedef enum sofa_tristate {
    SOFA_DEFAULT = 0, /**< not sent */
    SOFA_TRUE = 1,
    SOFA_FALSE = 2
} sofa_tristate;

/** The `stale` option. */
typedef enum sofa_view_stale {
    SOFA_STALE_DEFAULT = 0,     /**< not sent (the server's default, update_after) */
    SOFA_STALE_OK = 1,          /**< "ok": do not update the index first */
    SOFA_STALE_FALSE = 2,       /**< "false": update the index first */
    SOFA_STALE_UPDATE_AFTER = 3 /**< "update_after": answer, then update */
} sofa_view_stale;

/** The `on_error` option. */
typedef enum sofa_view_on_error {
    SOFA_VIEW_ON_ERROR_DEFAULT = 0,
    SOFA_VIEW_ON_ERROR_CONTINUE = 1,
    SOFA_VIEW_ON_ERROR_STOP = 2
} sofa_view_on_error;

/**
 * View options. Start from SOFA_VIEW_OPTS_INIT; zero means "not sent". Key
 * options are JSON text (a string key is "\"abc\""), validated and URL-encoded
 * by sofa. Everything is copied before the submit call returns.
 */
typedef struct sofa_view_opts {
    size_t struct_size;      /**< sizeof(sofa_view_opts) */
    const char *key;         /**< JSON */
    const char *const *keys; /**< JSON each; sent in a POST body {"keys":[...]} */
    size_t nkeys;
    const char *startkey, *endkey;             /**< JSON */
    const char *startkey_docid, *endkey_docid; /**< plain document ids */
    sofa_tristate inclusive_end, descending, reduce, group;
    uint32_t limit; /**< 0 = no limit */
    uint32_t skip;
    uint32_t group_level; /**< 0 = not sent */
    sofa_view_stale stale;
    sofa_view_on_error on_error;
    int include_docs;          /**< 1: fetch each row's document over KV */
    unsigned docs_concurrency; /**< include_docs: documents in flight, 0 = 32 */
    uint64_t timeout_us;       /**< 0 = the client's view_timeout (75 s default) */
    size_t max_row;            /**< 0 = SOFA_QUERY_DEFAULT_MAX_ROW */
} sofa_view_opts;

#define SOFA_VIEW_OPTS_INIT                                                                        \
    {                                                                                              \
        .struct_size = sizeof(sofa_view_opts)                                                      \
    }

/** One view row (borrowed for the duration of the callback). */
typedef struct sofa_view_row {
    const char *json; /**< the raw row: {"id":..,"key":..,"value":..} */
    size_t len;
    const char *id;  /**< include_docs: the document id (NUL-terminated); else NULL */
    const void *doc; /**< include_docs: the document, NULL when doc_status != 0 */
    size_t ndoc;
    sofa_status doc_status; /**< include_docs: the KV status for this row's document */
    uint64_t cas;           /**< include_docs: the document's CAS */
} sofa_view_row;

/** Streaming callbacks: rows in order, then exactly one of on_done / on_error. */
typedef struct sofa_view_callbacks {
    void (*on_rows)(sofa_client *client, const sofa_view_row *rows, size_t nrows, void *cookie);
    /** meta->json holds total_rows and any per-node "errors". */
    void (*on_done)(sofa_client *client, const sofa_query_meta *meta, void *cookie);
    void (*on_error)(sofa_client *client, sofa_status status, const sofa_query_meta *meta,
                     void *cookie);
} sofa_view_callbacks;

/**
 * Start a view query on design document @p ddoc (e.g. "beers" or "dev_beers"),
 * view @p view. @return 0, SOFA_E_INVALID_ARGUMENT (empty names, a key option
 * that is not JSON, NULL callbacks), SOFA_E_SHUTDOWN, SOFA_E_NO_MEMORY.
 */
SOFA_API int sofa_view_start(sofa_client *client, const char *ddoc, const char *view,
                             const sofa_view_opts *opts, const sofa_view_callbacks *cbs,
                             void *cookie, sofa_query **handle);

/**
 * All-at-once form: run the view query and hand every row to @p cb at once in a
 * sofa_query_result (rows kept in memory). With include_docs a row whose
 * document is JSON gets it as a "doc" member: {"id":..,"key":..,"value":..,"doc":{..}}.
 * Same submit contract and errors as sofa_view_start(); SOFA_E_INVALID_ARGUMENT
 * for a NULL @p cb.
 */
SOFA_API int sofa_view_all(sofa_client *client, const char *ddoc, const char *view,
                           const sofa_view_opts *opts, sofa_query_all_cb cb, void *cookie);

/**
 * Sync form: run the view query, wait (sofa_client_wait()), return the rows in
 * *out (as for sofa_view_all(); free with sofa_query_result_free(); set also on
 * error). @return the query's status, or an error of the submit function.
 */
SOFA_API int sofa_view_run(sofa_client *client, const char *ddoc, const char *view,
                           const sofa_view_opts *opts, sofa_query_result **out);

/* --------------------------------------------------------------- raw HTTP */

/** Which service a raw request goes to (a node running it is chosen in turn). */
typedef enum sofa_http_service {
    SOFA_HTTP_MGMT = 0,  /**< cluster manager, 8091 */
    SOFA_HTTP_VIEWS = 1, /**< CAPI, 8092 */
    SOFA_HTTP_QUERY = 2  /**< N1QL, 8093 */
} sofa_http_service;

/** A raw request. Strings are copied. */
typedef struct sofa_http_request {
    size_t struct_size; /**< sizeof(sofa_http_request) */
    sofa_http_service service;
    const char *method;       /**< "GET", "PUT", "POST", "DELETE", ... */
    const char *path;         /**< starts with '/', already URL-encoded */
    const char *content_type; /**< NULL = none (or "application/json" when a body is given) */
    const void *body;
    size_t nbody;
    uint64_t timeout_us; /**< 0 = 75 s */
} sofa_http_request;

/** The response (borrowed). @c body is the whole body (NUL-terminated). */
typedef struct sofa_http_response {
    int status;               /**< HTTP status, 0 when none arrived */
    const char *content_type; /**< "" when absent */
    const char *body;
    size_t nbody;
} sofa_http_response;

/** Callback: SOFA_OK for any complete response (check resp->status), else the failure. */
typedef void (*sofa_http_cb)(sofa_client *client, sofa_status status,
                             const sofa_http_response *resp, void *cookie);

/** Largest raw response body kept (SOFA_E_ROW_TOO_LARGE beyond it). */
#define SOFA_HTTP_MAX_BODY (64u * 1024u * 1024u)

/**
 * Send a raw request with the client's credentials (e.g. PUT a design document).
 * @return 0 and @p cb fires exactly once later; or SOFA_E_INVALID_ARGUMENT,
 *         SOFA_E_SHUTDOWN, SOFA_E_NO_MEMORY and @p cb never fires.
 */
SOFA_API int sofa_http_request_start(sofa_client *client, const sofa_http_request *req,
                                     sofa_http_cb cb, void *cookie);

#ifdef __cplusplus
}
#endif
#endif /* SOFA_VIEW_H */
