/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * Client-side durability (endure): the internal entry point used by sofa_endure() and
 * by durable writes, and the pure decision functions it is built from (unit-tested
 * in tests/durability/test_endure_logic.c).
 *
 * A copy's "have" level: 0 = the mutation is not there (or unknown), 1 = in memory,
 * 2 = on disk. For check_removed the levels describe the removal instead.
 */
#ifndef SOFA_DURABILITY_ENDURE_H
#define SOFA_DURABILITY_ENDURE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/config.h"
#include "proto/packet.h"
#include "sofa/durability.h"

#define SOFA__DUR_COPIES (SOFA__CONFIG_MAX_REPLICAS + 1)
#define SOFA__DUR_MIN_INTERVAL_US 1000u /* an interval below 1 ms would be a busy loop */

enum { SOFA__HAVE_NONE = 0, SOFA__HAVE_MEMORY = 1, SOFA__HAVE_DISK = 2 };

/*
 * Resolve persist_to / replicate_to for a configuration: negative = the most it can
 * give. Replicas available = min(bucket replicas, KV nodes - 1). 0, or
 * SOFA_E_DURABILITY_TOO_MANY, or SOFA_E_NOT_SUPPORTED (ketama bucket).
 */
int sofa__endure_resolve(const sofa__config *cfg, int persist_to, int replicate_to,
                         int *persist_out, int *replicate_out);

/*
 * OBSERVE key state (SOFA__OBS_*) of one copy → have level. @p want_cas 0 = any.
 * Sets *cas_mismatch to 1 when the master shows a different version of the document
 * (a replica with another CAS just does not have this mutation yet).
 */
int sofa__endure_observe_have(uint8_t state, uint64_t cas, uint64_t want_cas, int is_master,
                              int check_removed, int *cas_mismatch);

/*
 * OBSERVE_SEQNO answer → have level for a mutation (vbuuid, seqno), or
 * SOFA_E_MUTATION_LOST when a failover (format 1 for our vbuuid) kept fewer seqnos
 * than the mutation's.
 */
int sofa__endure_seqno_have(const sofa__observe_seqno *os, uint64_t vbuuid, uint64_t seqno);

/*
 * Do the copies meet the criteria? have[0] is the master, have[1..ncopies) replicas.
 * The master must hold the mutation; npersisted counts copies on disk, nreplicated
 * replicas with it at least in memory. Returns 1 when met.
 */
int sofa__endure_met(const uint8_t *have, size_t ncopies, int persist_to, int replicate_to,
                     unsigned *npersisted, unsigned *nreplicated);

/*
 * Start an endure (the body of sofa_endure(); also called from inside a write's
 * callback for durable writes). Same contract and statuses as sofa_endure().
 */
int sofa__endure_start(sofa_client *c, const sofa_endure_key *keys, size_t nkeys,
                       const sofa_endure_opts *opts, sofa_endure_cb cb, void *cookie);

#endif /* SOFA_DURABILITY_ENDURE_H */
