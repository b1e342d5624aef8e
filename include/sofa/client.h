/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/**
 * @file client.h
 * @brief The client: create, connect (bootstrap), run the loop, destroy.
 *
 * A sofa_client is one connection to one bucket of one cluster (or to a list
 * of memcached servers with `memcached://`). It does no I/O of its own in
 * sofa_client_new(); sofa_client_connect() starts the bootstrap, and every
 * operation (see kv.h) is answered through its callback.
 *
 * ## Threads
 * One client per thread: a client and everything it hands out may only be used
 * from the thread that runs its event loop. Different clients on different
 * threads are independent.
 *
 * ## Sync and async
 * - Sync: schedule operations, then call sofa_client_wait(); it runs the loop
 *   (the plugin's start_watching) until every operation of this client has been
 *   answered. sofa_client_tick() does only what is ready now, without blocking.
 * - Async: with a plugin around an application-run loop (libevent, libev, a
 *   binding's own), callbacks fire from that loop; no wait call is needed.
 *
 * ## Life cycle
 * sofa_client_free() answers every pending operation exactly once with
 * SOFA_E_CANCELED and then releases everything. Called from inside a sofa
 * callback, it is deferred until that callback returns; nothing of this client
 * fires after the outermost callback returns.
 */
#ifndef SOFA_CLIENT_H
#define SOFA_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "sofa/iops.h"
#include "sofa/log.h"
#include "sofa/status.h"
#include "sofa/visibility.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An opaque client handle. */
typedef struct sofa_client sofa_client;

/**
 * Options for sofa_client_new(). Initialise with SOFA_CLIENT_OPTIONS_INIT so
 * that fields appended later get their defaults; struct_size is how sofa tells
 * which fields the caller knows about.
 */
typedef struct sofa_client_options {
    size_t struct_size;   /**< sizeof(sofa_client_options) */
    const char *connstr;  /**< e.g. "couchbase://host1,host2/bucket?operation_timeout=1.5";
                               copied; NULL or "" = "couchbase://localhost/default" */
    const char *username; /**< copied; NULL = none (no SASL) */
    const char *password; /**< copied; NULL = "" */
    sofa_iops *iops;      /**< borrowed event-loop table; NULL = choose by `iops=` option,
                               SOFA_IOPS environment variable, else the built-in select plugin */
    sofa_logger_cb logger; /**< NULL = no logging unless a log level is asked for */
    void *logger_arg;      /**< passed to @c logger */
    int log_level;         /**< sofa_log_level, or -1 = from connstr `log_level` / SOFA_LOG_LEVEL */
} sofa_client_options;

/** Default options: no connstr (localhost), no credentials, chosen plugin. */
#define SOFA_CLIENT_OPTIONS_INIT                                                                   \
    { sizeof(sofa_client_options), NULL, NULL, NULL, NULL, NULL, NULL, -1 }

/**
 * Create a client. Does no I/O: parses the connection string, chooses or takes
 * the IOPS plugin and prepares the client.
 * @param out     receives the client (set to NULL on error).
 * @param opts    options; NULL = SOFA_CLIENT_OPTIONS_INIT.
 * @param errbuf  if not NULL, receives a one-line reason on error (NUL-terminated).
 * @param errlen  size of @p errbuf.
 * @return 0; SOFA_E_INVALID_ARGUMENT (NULL @p out, bad struct_size); one of the
 *         SOFA_E_CONNSTR_* codes; SOFA_E_PLUGIN_* when the plugin cannot be loaded;
 *         SOFA_E_TLS (`couchbases://` and the CA file of `certpath`/`truststorepath`
 *         cannot be loaded; docs/tls.md); SOFA_E_NO_MEMORY.
 */
SOFA_API int sofa_client_new(sofa_client **out, const sofa_client_options *opts, char *errbuf,
                             size_t errlen);

/**
 * Called once when bootstrap finishes: SOFA_OK when the client has a cluster
 * configuration (or, with `memcached://`, when its server list is ready), else
 * the failure: SOFA_E_BOOTSTRAP_FAILED (every seed failed; the per-seed reasons
 * are in sofa_client_bootstrap_report()), SOFA_E_BOOTSTRAP_TIMEOUT,
 * SOFA_E_AUTH_FAILED, SOFA_E_BUCKET_NOT_FOUND, SOFA_E_AUTH_NO_MECHANISM,
 * SOFA_E_TLS_VERIFY (`couchbases://`: every seed's certificate was refused) or
 * SOFA_E_TLS (every seed's TLS handshake failed), or
 * SOFA_E_CANCELED when the client is freed first.
 */
typedef void (*sofa_connect_cb)(sofa_client *client, sofa_status status, void *cookie);

/**
 * Start bootstrapping: seeds are tried in order (CCCP first, then HTTP per the
 * `bootstrap_on` option), each bounded by `config_node_timeout`, all by
 * `config_total_timeout`. Operations scheduled before bootstrap completes wait
 * for it (bounded by their own deadlines).
 * @param cb      may be NULL; else called exactly once (see sofa_connect_cb).
 * After a failed bootstrap, connect may be called again (a new attempt over the seeds).
 * @return 0 (then @p cb fires later, never from inside this call); SOFA_E_BAD_STATE
 *         while a bootstrap runs or after one succeeded; SOFA_E_SHUTDOWN; SOFA_E_NO_MEMORY.
 */
SOFA_API int sofa_client_connect(sofa_client *client, sofa_connect_cb cb, void *cookie);

/**
 * Run the event loop until every operation of this client scheduled so far
 * (and the bootstrap, if running) has been answered. Safe to call repeatedly;
 * returns at once when nothing is pending. With a plugin around an
 * application-run loop, start_watching returns at once and so does this.
 * @return 0; SOFA_E_RECURSIVE_CALL from inside a callback of this client;
 *         SOFA_E_INVALID_ARGUMENT for NULL.
 */
SOFA_API int sofa_client_wait(sofa_client *client);

/**
 * Do what is ready now without blocking: flush pending writes, read what has
 * arrived, fire due timers' work (deadlines), deliver callbacks.
 * @return the number of operations still pending (>= 0), or
 *         SOFA_E_RECURSIVE_CALL / SOFA_E_INVALID_ARGUMENT.
 */
SOFA_API int sofa_client_tick(sofa_client *client);

/** 1 when the client has a usable configuration (bootstrap succeeded), else 0. */
SOFA_API int sofa_client_is_connected(const sofa_client *client);

/** The number of operations scheduled and not yet answered. */
SOFA_API size_t sofa_client_pending(const sofa_client *client);

/**
 * A human-readable report of the last bootstrap: one line per seed tried with
 * the reason it failed (refused, timeout, auth failure, no such bucket...).
 * Owned by the client; valid until the next bootstrap or sofa_client_free().
 * Never NULL ("" when nothing was tried).
 */
SOFA_API const char *sofa_client_bootstrap_report(const sofa_client *client);

/**
 * Destroy the client. Every pending operation and a pending connect get
 * SOFA_E_CANCELED exactly once (from inside this call, or, when called from a
 * sofa callback, when the outermost callback returns). Then the destroyed
 * callback (if any) fires and all memory is released; a plugin the client chose
 * itself is destroyed; a plugin passed in options is not. NULL is a no-op.
 * Calling it twice on the same client is undefined, as for free().
 */
SOFA_API void sofa_client_free(sofa_client *client);

/**
 * Ask for @p cb to be called once when teardown is complete (the last thing
 * sofa_client_free() does; the client pointer is no longer valid then).
 * A later call replaces the earlier one.
 */
SOFA_API void sofa_client_on_destroyed(sofa_client *client, void (*cb)(void *cookie),
                                       void *cookie);

/** The event-loop table the client uses (borrowed). */
SOFA_API sofa_iops *sofa_client_iops(sofa_client *client);

/**
 * The bucket name (from the connection string), or "" for memcached:// mode.
 * Owned by the client.
 */
SOFA_API const char *sofa_client_bucket(const sofa_client *client);

/** Default operation timeout in microseconds (the `operation_timeout` option). */
SOFA_API uint64_t sofa_client_operation_timeout(const sofa_client *client);

#ifdef __cplusplus
}
#endif
#endif /* SOFA_CLIENT_H */
