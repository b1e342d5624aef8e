/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/**
 * @file durability.h
 * @brief Client-side durability: wait until mutations are persisted and replicated
 *        (endure), by polling OBSERVE / OBSERVE_SEQNO on the master and the replicas.
 *
 * A write succeeds once the vBucket master holds it in memory. sofa_endure() waits
 * for stricter criteria: the mutation on the disk of @c persist_to nodes (the master
 * counts) and in the memory of @c replicate_to replicas. It polls every
 * @c interval_us until the criteria hold or @c timeout_us passes, on the client's own
 * timers (no blocking, no busy loop).
 *
 * - When a key's mutation token is known (sofa_mutation_result.token, needs
 *   MUTATION_SEQNO, which sofa always negotiates), sofa asks OBSERVE_SEQNO for its
 *   vBucket and compares sequence numbers; a hard failover that lost the mutation is
 *   reported as SOFA_E_MUTATION_LOST.
 * - Otherwise it asks OBSERVE with the key and compares CAS values: a master whose
 *   CAS differs from the given one means the document changed
 *   (SOFA_E_DURABILITY_CAS_MISMATCH).
 * - Many keys: each poll round sends at most one request per node (one OBSERVE
 *   carrying every key that node holds a copy of; OBSERVE_SEQNO is per vBucket, one
 *   per vBucket and node), and one callback reports every key.
 *
 * Server-side (synchronous) durability is the other way: sofa_kv_opts.durability_level
 * (see kv.h) makes the server itself wait before it answers the write. The two cannot
 * be combined on one write (SOFA_E_INVALID_ARGUMENT).
 *
 * docs/durability.md describes the semantics in full.
 */
#ifndef SOFA_DURABILITY_H
#define SOFA_DURABILITY_H

#include <stddef.h>
#include <stdint.h>

#include "sofa/client.h"
#include "sofa/kv.h"
#include "sofa/status.h"
#include "sofa/visibility.h"

#ifdef __cplusplus
extern "C" {
#endif

/** persist_to / replicate_to value meaning "as many as this cluster can give". */
#define SOFA_DURABILITY_ALL (-1)

/** Most keys one sofa_endure() call accepts. */
#define SOFA_ENDURE_MAX_KEYS 4096u

/** One key to endure. */
typedef struct sofa_endure_key {
    const void *key; /**< copied before sofa_endure() returns */
    size_t nkey;
    /** The CAS the mutation produced; 0 = any version (the master's CAS is then the
     *  reference the replicas are compared with). Ignored when a token is given. */
    uint64_t cas;
    /** The mutation token; vbuuid 0 = unknown (OBSERVE with CAS is used). */
    sofa_mutation_token token;
} sofa_endure_key;

/** Endure criteria. All-zero (or NULL) = master only, client defaults for times. */
typedef struct sofa_endure_opts {
    /** Nodes that must have the mutation on disk, the master included (0..4);
     *  negative = as many as the cluster has (master + every replica it can hold). */
    int persist_to;
    /** Replicas that must have the mutation in memory (0..3); negative = as many as
     *  the cluster has. */
    int replicate_to;
    uint64_t timeout_us;  /**< 0 = the client's durability_timeout (default 5 s) */
    uint64_t interval_us; /**< 0 = the client's durability_interval (default 100 ms) */
    /** Non-zero: check that the key is gone instead (after a remove): removed on the
     *  master, removal on disk on persist_to nodes and seen by replicate_to replicas. */
    int check_removed;
} sofa_endure_opts;

/** One key's outcome (borrowed for the duration of the callback). */
typedef struct sofa_endure_item {
    const void *key;
    size_t nkey;
    /** SOFA_OK, SOFA_E_DURABILITY_TIMEOUT, SOFA_E_DURABILITY_CAS_MISMATCH,
     *  SOFA_E_MUTATION_LOST or SOFA_E_CANCELED. */
    sofa_status status;
    uint64_t cas;         /**< OBSERVE mode: the CAS the master reported (0 if unknown) */
    unsigned npersisted;  /**< nodes with it on disk (master included) at the last check */
    unsigned nreplicated; /**< replicas with it in memory at the last check */
    int persisted_master; /**< 1 when the master reported it on disk */
} sofa_endure_item;

/**
 * Called once per sofa_endure() with one item per key, in the order given.
 * @p status is SOFA_OK when every key met the criteria, else the first failing
 * key's status.
 */
typedef void (*sofa_endure_cb)(sofa_client *client, sofa_status status,
                               const sofa_endure_item *items, size_t nitems, void *cookie);

/**
 * Wait until the mutations of @p keys meet @p opts (persist_to / replicate_to).
 *
 * @param client  a connected client (its configuration tells which nodes to poll)
 * @param keys    @p nkeys keys with the CAS and/or token their mutation returned; copied
 * @param nkeys   0..SOFA_ENDURE_MAX_KEYS (0: the callback fires with no items)
 * @param opts    criteria and times; NULL = all defaults (master only)
 * @param cb      fires exactly once, from the event loop (never inside this call), also
 *                when the client is freed (SOFA_E_CANCELED for every key)
 * @param cookie  passed to @p cb
 * @return 0, or (and then @p cb never fires):
 *   SOFA_E_INVALID_ARGUMENT (NULL client/cb, NULL keys with nkeys > 0, too many keys),
 *   SOFA_E_EMPTY_KEY, SOFA_E_KEY_TOO_LONG,
 *   SOFA_E_DURABILITY_TOO_MANY (persist_to > replicas + 1 or replicate_to > replicas,
 *   where replicas = min(bucket replicas, KV nodes - 1)),
 *   SOFA_E_NOT_CONNECTED (no cluster configuration yet),
 *   SOFA_E_NOT_SUPPORTED (memcached:// or a memcached bucket),
 *   SOFA_E_SHUTDOWN, SOFA_E_NO_MEMORY.
 *
 * Poll requests that fail (a node down, NOT_MY_VBUCKET during a rebalance, a timeout)
 * are not errors by themselves: the next round asks again with the current
 * configuration, until the criteria hold or the timeout passes
 * (SOFA_E_DURABILITY_TIMEOUT, distinct from a KV timeout).
 */
SOFA_API int sofa_endure(sofa_client *client, const sofa_endure_key *keys, size_t nkeys,
                         const sofa_endure_opts *opts, sofa_endure_cb cb, void *cookie);

#ifdef __cplusplus
}
#endif
#endif /* SOFA_DURABILITY_H */
