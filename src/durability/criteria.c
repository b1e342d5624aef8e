/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* Endure decisions as pure functions: limits, what one node's answer means, and whether
 * a key's copies meet persist_to / replicate_to. */
#include "durability/endure.h"
#include "proto/opcodes.h"
#include "sofa/status.h"

int sofa__endure_resolve(const sofa__config *cfg, int persist_to, int replicate_to,
                         int *persist_out, int *replicate_out)
{
    if (!cfg)
        return SOFA_E_NOT_CONNECTED;
    if (cfg->is_ketama || cfg->nvbuckets == 0)
        return SOFA_E_NOT_SUPPORTED;
    int replicas = cfg->nreplicas;
    if (replicas > SOFA__CONFIG_MAX_REPLICAS)
        replicas = SOFA__CONFIG_MAX_REPLICAS;
    if (replicas < 0)
        replicas = 0;
    /* a replica needs a node of its own */
    size_t others = cfg->nkv > 0 ? cfg->nkv - 1 : 0;
    if ((size_t)replicas > others)
        replicas = (int)others;
    int pmax = replicas + 1;
    int p = persist_to < 0 ? pmax : persist_to;
    int r = replicate_to < 0 ? replicas : replicate_to;
    if (p > pmax || r > replicas)
        return SOFA_E_DURABILITY_TOO_MANY;
    *persist_out = p;
    *replicate_out = r;
    return 0;
}

int sofa__endure_observe_have(uint8_t state, uint64_t cas, uint64_t want_cas, int is_master,
                              int check_removed, int *cas_mismatch)
{
    *cas_mismatch = 0;
    int found = state == SOFA__OBS_FOUND || state == SOFA__OBS_PERSISTED;
    if (check_removed) {
        if (state == SOFA__OBS_NOT_FOUND)
            return SOFA__HAVE_DISK; /* gone, and the removal is on disk */
        if (state == SOFA__OBS_LOGICALLY_DELETED)
            return SOFA__HAVE_MEMORY;
        return SOFA__HAVE_NONE; /* still there (or an unknown state) */
    }
    if (!found) {
        /* The master no longer has the version we wait for: it was removed since. */
        if (is_master && want_cas != 0 &&
            (state == SOFA__OBS_NOT_FOUND || state == SOFA__OBS_LOGICALLY_DELETED))
            *cas_mismatch = 1;
        return SOFA__HAVE_NONE;
    }
    if (want_cas != 0 && cas != want_cas) {
        if (is_master)
            *cas_mismatch = 1;  /* the document changed after our mutation */
        return SOFA__HAVE_NONE; /* a replica still holding an older version */
    }
    return state == SOFA__OBS_PERSISTED ? SOFA__HAVE_DISK : SOFA__HAVE_MEMORY;
}

int sofa__endure_seqno_have(const sofa__observe_seqno *os, uint64_t vbuuid, uint64_t seqno)
{
    if (os->format == 1) {
        if (os->old_vbuuid != vbuuid)
            return SOFA__HAVE_NONE; /* a history we do not know about */
        if (os->last_seqno < seqno)
            return SOFA_E_MUTATION_LOST; /* the failover kept a history without it */
    } else if (os->vbuuid != vbuuid) {
        return SOFA__HAVE_NONE;
    }
    if (os->current_seqno < seqno)
        return SOFA__HAVE_NONE;
    return os->persisted_seqno >= seqno ? SOFA__HAVE_DISK : SOFA__HAVE_MEMORY;
}

int sofa__endure_met(const uint8_t *have, size_t ncopies, int persist_to, int replicate_to,
                     unsigned *npersisted, unsigned *nreplicated)
{
    unsigned np = 0, nr = 0;
    for (size_t i = 0; i < ncopies; i++) {
        if (have[i] >= SOFA__HAVE_DISK)
            np++;
        if (i > 0 && have[i] >= SOFA__HAVE_MEMORY)
            nr++;
    }
    *npersisted = np;
    *nreplicated = nr;
    if (ncopies == 0 || have[0] < SOFA__HAVE_MEMORY)
        return 0;
    return np >= (unsigned)(persist_to > 0 ? persist_to : 0) &&
           nr >= (unsigned)(replicate_to > 0 ? replicate_to : 0);
}
