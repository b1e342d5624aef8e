/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/**
 * @file kv.h
 * @brief Key-value operations: get, store, remove, counter, touch, lock, replicas,
 *        observe, ping, stats and multi-get.
 *
 * ## The contract of every submit function (sofa_kv_*)
 * - It returns 0 and the callback fires exactly once later (never from inside
 *   the submit call), with the result or a status: also on timeout and when the
 *   client is freed (SOFA_E_CANCELED).
 * - Or it returns a negative sofa_status and the callback never fires:
 *   SOFA_E_INVALID_ARGUMENT (NULL client/callback, NULL key with nkey > 0, bad
 *   enum), SOFA_E_EMPTY_KEY, SOFA_E_KEY_TOO_LONG (> 250 bytes),
 *   SOFA_E_VALUE_TOO_LARGE (> 20 MiB), SOFA_E_SHUTDOWN (client being freed),
 *   SOFA_E_NOT_SUPPORTED (e.g. replicas in memcached:// mode), SOFA_E_NO_MEMORY.
 *   The helpers that fan out over the topology (sofa_kv_get_replica() with
 *   SOFA_REPLICA_ANY, sofa_kv_get_all_replicas(), sofa_kv_observe(), sofa_kv_ping(),
 *   sofa_kv_stats()) need a configuration: before bootstrap completes they return
 *   SOFA_E_NOT_CONNECTED.
 * - Key and value are copied into the client's buffers before the call returns.
 * - Results are borrowed for the duration of the callback: values point into the
 *   client's read buffer (no copies). Copy what you keep.
 * - Calls made before bootstrap completes wait for it (bounded by their deadline).
 * - Operations on the same key go to the same node in the order they were scheduled and
 *   complete in that order, unless one of them is retried (NOT_MY_VBUCKET, temporary
 *   failure), which can let a later one finish first.
 * - Batching: operations scheduled in one turn of the loop are encoded into the
 *   node's write buffer and go out together in as few writes as possible.
 *
 * ## Deadlines and retries
 * Each operation has a deadline: sofa_kv_opts.timeout_us, or the client's
 * `operation_timeout` (default 2.5 s). NOT_MY_VBUCKET, temporary failures, busy,
 * and (for reads) locked are retried with backoff within the deadline. A mutation
 * that was sent and may have executed is never retried silently: it fails with
 * SOFA_E_TIMEOUT_AMBIGUOUS (deadline) or a network status (connection lost).
 * Deadline statuses: SOFA_E_TIMEOUT (not sent yet), SOFA_E_TIMEOUT_READ (a read
 * was sent), SOFA_E_TIMEOUT_AMBIGUOUS (a mutation was sent).
 *
 * ## Common result statuses
 * SOFA_OK, SOFA_E_NOT_FOUND, SOFA_E_EXISTS (insert on an existing key),
 * SOFA_E_CAS_MISMATCH, SOFA_E_LOCKED, SOFA_E_NOT_LOCKED, SOFA_E_NOT_STORED,
 * SOFA_E_DELTA_BADVAL, SOFA_E_SERVER_TOO_BIG, SOFA_E_ACCESS_DENIED, the timeout
 * statuses above, network statuses (SOFA_E_CONNECTION_CLOSED, ...),
 * SOFA_E_BOOTSTRAP_FAILED when bootstrap failed while the operation waited,
 * SOFA_E_CANCELED.
 */
#ifndef SOFA_KV_H
#define SOFA_KV_H

#include <stddef.h>
#include <stdint.h>

#include "sofa/client.h"
#include "sofa/status.h"
#include "sofa/visibility.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Longest key the server accepts, in bytes. */
#define SOFA_KV_MAX_KEY 250
/** Largest value sofa sends (the server's default item size limit). */
#define SOFA_KV_MAX_VALUE (20u * 1024u * 1024u)

/** Server-side (synchronous) durability levels. */
typedef enum sofa_durability_level {
    SOFA_DURABILITY_NONE = 0,
    SOFA_DURABILITY_MAJORITY = 1,
    SOFA_DURABILITY_MAJORITY_AND_PERSIST_TO_ACTIVE = 2,
    SOFA_DURABILITY_PERSIST_TO_MAJORITY = 3
} sofa_durability_level;

/** Datatype bits (sofa_kv_opts.datatype, sofa_get_result.datatype). */
enum { SOFA_DATATYPE_JSON = 0x01, SOFA_DATATYPE_SNAPPY = 0x02, SOFA_DATATYPE_XATTR = 0x04 };

/**
 * Per-operation options. All-zero (or a NULL pointer) means defaults.
 * Fields an operation does not use are ignored.
 */
typedef struct sofa_kv_opts {
    uint64_t timeout_us;      /**< 0 = the client's operation_timeout */
    uint64_t cas;             /**< store/remove: 0 = no check */
    uint32_t expiry;          /**< store/counter: seconds (<= 30 days) or Unix time; 0 = never */
    uint32_t flags;           /**< store: user flags kept with the document */
    uint8_t datatype;         /**< store: SOFA_DATATYPE_JSON or 0 (raw) */
    uint8_t durability_level; /**< mutations: sofa_durability_level, 0 = none */
    /** store/remove/counter: client-side durability (durability.h): after the write,
     *  wait until this many nodes (master included) have it on disk; negative = as many
     *  as the cluster has. With replicate_to, 0 = no wait. */
    int persist_to;
    /** store/remove/counter: ... and this many replicas have it in memory (negative =
     *  all). The callback fires once, after the write and its check, with the write's
     *  result and the durability status (SOFA_E_DURABILITY_TIMEOUT, ...). */
    int replicate_to;
} sofa_kv_opts;

/** A mutation token (when the server supports them): identifies the mutation. */
typedef struct sofa_mutation_token {
    uint16_t vbid;   /**< vBucket id */
    uint64_t vbuuid; /**< vBucket UUID (0 = no token) */
    uint64_t seqno;  /**< sequence number */
} sofa_mutation_token;

/* ------------------------------------------------------------------ reads */

/** The result of a get-type operation (borrowed). */
typedef struct sofa_get_result {
    const void *key;   /**< the key as scheduled */
    size_t nkey;
    const void *value; /**< points into the read buffer; NULL when nvalue == 0 */
    size_t nvalue;
    uint32_t flags;    /**< user flags */
    uint8_t datatype;  /**< SOFA_DATATYPE_* bits */
    uint64_t cas;      /**< for get_and_lock: the lock CAS to pass to unlock */
    int is_replica;    /**< 1 when served by a replica */
} sofa_get_result;

/** Callback for get-type operations; @p r is non-NULL also on error (key only). */
typedef void (*sofa_get_cb)(sofa_client *client, sofa_status status, const sofa_get_result *r,
                            void *cookie);

/** Get a document. Status SOFA_E_NOT_FOUND when it does not exist. */
SOFA_API int sofa_kv_get(sofa_client *client, const void *key, size_t nkey,
                         const sofa_kv_opts *opts, sofa_get_cb cb, void *cookie);

/** Get a document and set its expiry to @p expiry. */
SOFA_API int sofa_kv_get_and_touch(sofa_client *client, const void *key, size_t nkey,
                                   uint32_t expiry, const sofa_kv_opts *opts, sofa_get_cb cb,
                                   void *cookie);

/**
 * Get and lock a document for @p lock_seconds (0 = the server's default, 15 s;
 * at most 30). r->cas is the lock CAS. Not retried when locked: SOFA_E_LOCKED.
 * SOFA_E_NOT_SUPPORTED in memcached:// mode.
 */
SOFA_API int sofa_kv_get_and_lock(sofa_client *client, const void *key, size_t nkey,
                                  uint32_t lock_seconds, const sofa_kv_opts *opts,
                                  sofa_get_cb cb, void *cookie);

/** Which replica sofa_kv_get_replica() reads. */
typedef enum sofa_replica_mode {
    SOFA_REPLICA_ANY = 0,  /**< the first replica that answers successfully, in order */
    SOFA_REPLICA_INDEX = 1 /**< exactly replica @c index (1..numReplicas) */
} sofa_replica_mode;

/**
 * Read a document from a replica. SOFA_E_NO_NODE when no replica serves its
 * vBucket (or index > numReplicas); SOFA_E_NOT_SUPPORTED in memcached:// mode.
 */
SOFA_API int sofa_kv_get_replica(sofa_client *client, const void *key, size_t nkey,
                                 sofa_replica_mode mode, unsigned index,
                                 const sofa_kv_opts *opts, sofa_get_cb cb, void *cookie);

/** One copy in sofa_kv_get_all_replicas(). */
typedef struct sofa_replica_item {
    sofa_status status;     /**< this copy's status */
    sofa_get_result result; /**< value copied into the operation's storage (valid in the callback) */
} sofa_replica_item;

/**
 * Callback for sofa_kv_get_all_replicas(): @p items[0] is the active copy,
 * then replica 1..n. @p status is SOFA_OK when at least one copy was read.
 */
typedef void (*sofa_replicas_cb)(sofa_client *client, sofa_status status,
                                 const sofa_replica_item *items, size_t nitems, void *cookie);

/** Read the active copy and every replica; one callback with all of them. */
SOFA_API int sofa_kv_get_all_replicas(sofa_client *client, const void *key, size_t nkey,
                                      const sofa_kv_opts *opts, sofa_replicas_cb cb,
                                      void *cookie);

/** The result of sofa_kv_exists(). */
typedef struct sofa_exists_result {
    const void *key;
    size_t nkey;
    int exists;    /**< 1 when the document exists (and is not deleted) */
    uint64_t cas;  /**< its CAS when it exists */
    uint32_t flags; /**< its user flags when known */
} sofa_exists_result;

/** Callback for sofa_kv_exists(); status SOFA_OK whether or not the document exists. */
typedef void (*sofa_exists_cb)(sofa_client *client, sofa_status status,
                               const sofa_exists_result *r, void *cookie);

/** Does a document exist? Uses GET_META (no value transferred). */
SOFA_API int sofa_kv_exists(sofa_client *client, const void *key, size_t nkey,
                            const sofa_kv_opts *opts, sofa_exists_cb cb, void *cookie);

/* -------------------------------------------------------------- mutations */

/** Store modes for sofa_kv_store(). */
typedef enum sofa_store_op {
    SOFA_STORE_UPSERT = 0,  /**< create or overwrite */
    SOFA_STORE_INSERT = 1,  /**< create; SOFA_E_EXISTS when it exists */
    SOFA_STORE_REPLACE = 2, /**< overwrite; SOFA_E_NOT_FOUND when missing */
    SOFA_STORE_APPEND = 3,  /**< add bytes at the end; SOFA_E_NOT_STORED when missing */
    SOFA_STORE_PREPEND = 4  /**< add bytes at the start; SOFA_E_NOT_STORED when missing */
} sofa_store_op;

/** The result of a mutation (borrowed). */
typedef struct sofa_mutation_result {
    const void *key;
    size_t nkey;
    uint64_t cas;              /**< the document's new CAS */
    sofa_mutation_token token; /**< vbuuid 0 when the server sent none */
    uint64_t counter;          /**< sofa_kv_counter(): the new value */
} sofa_mutation_result;

/** Callback for mutations; @p r is non-NULL also on error (key only). */
typedef void (*sofa_mutation_cb)(sofa_client *client, sofa_status status,
                                  const sofa_mutation_result *r, void *cookie);

/**
 * Store a document. opts->cas (replace/upsert/append/prepend: SOFA_E_CAS_MISMATCH
 * when it differs), opts->flags, opts->expiry, opts->datatype,
 * opts->durability_level are honoured (flags/expiry are ignored by append/prepend).
 *
 * Durability (also for sofa_kv_remove() and sofa_kv_counter()):
 * - opts->durability_level (server-side): needs a server that negotiated
 *   SyncReplication; errors SOFA_E_DURABILITY_INVALID_LEVEL,
 *   SOFA_E_DURABILITY_IMPOSSIBLE (too few copies available),
 *   SOFA_E_SYNC_WRITE_AMBIGUOUS (flag SOFA_F_AMBIGUOUS: the server's durability timeout
 *   passed; the write may be committed). SOFA_E_SYNC_WRITE_IN_PROGRESS and
 *   SOFA_E_SYNC_WRITE_RECOMMIT are retried within the deadline.
 * - opts->persist_to / opts->replicate_to (client-side, durability.h): one callback
 *   after the write and its check. Extra submit errors: SOFA_E_DURABILITY_TOO_MANY
 *   (when the configuration is known; otherwise reported in the callback after the
 *   write), SOFA_E_INVALID_ARGUMENT together with durability_level. Callback statuses
 *   besides the write's own: SOFA_E_DURABILITY_TIMEOUT, SOFA_E_DURABILITY_CAS_MISMATCH,
 *   SOFA_E_MUTATION_LOST (r->cas and r->token are then those of the write, which did
 *   happen).
 */
SOFA_API int sofa_kv_store(sofa_client *client, sofa_store_op op, const void *key, size_t nkey,
                           const void *value, size_t nvalue, const sofa_kv_opts *opts,
                           sofa_mutation_cb cb, void *cookie);

/** Shorthand for sofa_kv_store(client, SOFA_STORE_UPSERT, ...). */
SOFA_API int sofa_kv_upsert(sofa_client *client, const void *key, size_t nkey, const void *value,
                            size_t nvalue, const sofa_kv_opts *opts, sofa_mutation_cb cb,
                            void *cookie);

/** Remove a document (opts->cas checked when non-zero). */
SOFA_API int sofa_kv_remove(sofa_client *client, const void *key, size_t nkey,
                            const sofa_kv_opts *opts, sofa_mutation_cb cb, void *cookie);

/**
 * Add @p delta (negative: subtract; the result floors at 0) to a decimal counter.
 * A missing document is created with @p initial (and opts->expiry) when @p create
 * is non-zero, else SOFA_E_NOT_FOUND. r->counter is the new value.
 */
SOFA_API int sofa_kv_counter(sofa_client *client, const void *key, size_t nkey, int64_t delta,
                             uint64_t initial, int create, const sofa_kv_opts *opts,
                             sofa_mutation_cb cb, void *cookie);

/** Set a document's expiry. */
SOFA_API int sofa_kv_touch(sofa_client *client, const void *key, size_t nkey, uint32_t expiry,
                           const sofa_kv_opts *opts, sofa_mutation_cb cb, void *cookie);

/**
 * Unlock a document locked by sofa_kv_get_and_lock() with its lock @p cas.
 * SOFA_E_CAS_MISMATCH or SOFA_E_LOCKED for a wrong CAS, SOFA_E_NOT_LOCKED when not
 * locked. SOFA_E_NOT_SUPPORTED in memcached:// mode.
 */
SOFA_API int sofa_kv_unlock(sofa_client *client, const void *key, size_t nkey, uint64_t cas,
                            const sofa_kv_opts *opts, sofa_mutation_cb cb, void *cookie);

/* ---------------------------------------------------------------- observe */

/** Key states reported by OBSERVE. */
enum {
    SOFA_OBSERVE_FOUND = 0x00,     /**< in memory, not yet persisted */
    SOFA_OBSERVE_PERSISTED = 0x01, /**< in memory and persisted */
    SOFA_OBSERVE_NOT_FOUND = 0x80,
    SOFA_OBSERVE_DELETED = 0x81 /**< logically deleted, deletion not yet persisted */
};

/** One node's answer to an observe. */
typedef struct sofa_observe_entry {
    const char *server;  /**< "host:port" */
    int is_master;       /**< 1 for the active node */
    sofa_status status;  /**< this node's status (the rest is valid when SOFA_OK) */
    uint8_t state;       /**< SOFA_OBSERVE_* */
    uint64_t cas;        /**< the key's CAS on that node */
    uint32_t ttp, ttr;   /**< persist / replicate time hints, ms */
} sofa_observe_entry;

/** Callback for sofa_kv_observe(): one entry per node asked. */
typedef void (*sofa_observe_cb)(sofa_client *client, sofa_status status,
                                const sofa_observe_entry *entries, size_t nentries, void *cookie);

/**
 * OBSERVE one key on its master and (unless @p master_only) every replica.
 * @p status is SOFA_OK when the master answered. SOFA_E_NOT_SUPPORTED in
 * memcached:// mode.
 */
SOFA_API int sofa_kv_observe(sofa_client *client, const void *key, size_t nkey, int master_only,
                             const sofa_kv_opts *opts, sofa_observe_cb cb, void *cookie);

/** The answer to an OBSERVE_SEQNO. */
typedef struct sofa_observe_seqno_result {
    const char *server;       /**< "host:port" */
    int is_master;
    uint8_t format;           /**< 0, or 1 when a hard failover happened */
    uint16_t vbid;
    uint64_t vbuuid;          /**< current vBucket UUID */
    uint64_t persisted_seqno; /**< last persisted seqno */
    uint64_t current_seqno;   /**< current in-memory seqno */
    uint64_t old_vbuuid;      /**< format 1: the UUID asked about */
    uint64_t last_seqno;      /**< format 1: last seqno received under old_vbuuid */
} sofa_observe_seqno_result;

typedef void (*sofa_observe_seqno_cb)(sofa_client *client, sofa_status status,
                                      const sofa_observe_seqno_result *r, void *cookie);

/**
 * OBSERVE_SEQNO for vBucket @p vbid on the node holding copy @p replica
 * (0 = the master, 1..3 = replica n). SOFA_E_NO_NODE (in the callback) when no
 * node holds that copy.
 */
SOFA_API int sofa_kv_observe_seqno(sofa_client *client, uint16_t vbid, uint64_t vbuuid,
                                   unsigned replica, const sofa_kv_opts *opts,
                                   sofa_observe_seqno_cb cb, void *cookie);

/* --------------------------------------------------------- ping and stats */

/** One node's answer to a ping. */
typedef struct sofa_ping_entry {
    const char *server;  /**< "host:port" */
    sofa_status status;
    uint64_t latency_us; /**< round trip of the NOOP */
} sofa_ping_entry;

typedef void (*sofa_ping_cb)(sofa_client *client, sofa_status status,
                             const sofa_ping_entry *entries, size_t nentries, void *cookie);

/** Send a NOOP to every KV node. @p status is SOFA_OK when all answered. */
SOFA_API int sofa_kv_ping(sofa_client *client, const sofa_kv_opts *opts, sofa_ping_cb cb,
                          void *cookie);

/** One statistic from one server. */
typedef struct sofa_stat_entry {
    const char *server; /**< "host:port" */
    const char *key;    /**< NUL-terminated copies */
    const char *value;
} sofa_stat_entry;

typedef void (*sofa_stats_cb)(sofa_client *client, sofa_status status,
                              const sofa_stat_entry *entries, size_t nentries, void *cookie);

/**
 * STAT @p group (NULL or "" = the default group) from every KV node; one callback
 * with every (server, key, value). @p status is SOFA_OK when all nodes answered.
 */
SOFA_API int sofa_kv_stats(sofa_client *client, const char *group, const sofa_kv_opts *opts,
                           sofa_stats_cb cb, void *cookie);

/* ------------------------------------------------------------- multi-get */

/** A key for multi-key helpers. */
typedef struct sofa_key {
    const void *key;
    size_t nkey;
} sofa_key;

/** Flags for sofa_kv_get_multi(). */
enum {
    SOFA_MULTI_QUIET = 1 /**< a missing key is not an error (Python's quiet=True) */
};

/** One key in a multi-get result. */
typedef struct sofa_multi_item {
    sofa_status status;     /**< this key's status */
    sofa_get_result result; /**< the value is copied into the operation's storage */
} sofa_multi_item;

/**
 * Called once with one item per key, in the order given. @p status is SOFA_OK
 * when every key succeeded (with SOFA_MULTI_QUIET, missing keys count as
 * success), else the first failing key's status (the MultiResult's all_ok).
 */
typedef void (*sofa_multi_get_cb)(sofa_client *client, sofa_status status,
                                  const sofa_multi_item *items, size_t nitems, void *cookie);

/**
 * Get many keys in one batch. Every key is validated first; on a bad key nothing
 * is scheduled. @p nkeys may be 0 (the callback fires with no items).
 */
SOFA_API int sofa_kv_get_multi(sofa_client *client, const sofa_key *keys, size_t nkeys,
                               int flags, const sofa_kv_opts *opts, sofa_multi_get_cb cb,
                               void *cookie);

#ifdef __cplusplus
}
#endif
#endif /* SOFA_KV_H */
