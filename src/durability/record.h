/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * The endure record, shared by endure.c (life cycle, timers, evaluation) and poll.c
 * (poll requests and their answers). Private to src/durability/.
 */
#ifndef SOFA_DURABILITY_RECORD_H
#define SOFA_DURABILITY_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "core/dlist.h"
#include "durability/endure.h"
#include "io/timerq.h"
#include "sofa/durability.h"

typedef struct sofa__dur_key {
    const uint8_t *key; /* into the record's key storage */
    uint16_t nkey;
    uint16_t vbid;
    uint64_t cas;        /* wanted CAS; 0 = any */
    uint64_t master_cas; /* last CAS the master reported */
    sofa_mutation_token token;
    int status; /* final status once done */
    int done;
    uint8_t have[SOFA__DUR_COPIES];
    int16_t node[SOFA__DUR_COPIES];      /* node index that reported have[k] */
    uint32_t gen[SOFA__DUR_COPIES];      /* ... under this config generation */
    uint64_t seen_cas[SOFA__DUR_COPIES]; /* OBSERVE: the CAS that copy reported */
    unsigned npersisted, nreplicated;
} sofa__dur_key;

typedef struct sofa__endure sofa__endure;

struct sofa__endure {
    sofa_client *c;
    struct sofa__dur_registry *reg;
    sofa__dlink rlink; /* on reg's list while reg is set */
    sofa__dur_key *keys;
    sofa_endure_item *items; /* the callback's results (allocated with the keys) */
    size_t nkeys, nleft;
    uint32_t *order; /* token keys sorted by (vbid, vbuuid): one OBSERVE_SEQNO per run */
    size_t norder;
    int persist_to, replicate_to, check_removed;
    uint64_t deadline, interval;
    sofa__tentry tick, expire;
    size_t outstanding; /* poll requests in flight */
    unsigned *busy;     /* per node index: requests in flight (config generation busy_gen) */
    size_t nbusy;
    uint32_t busy_gen;
    int finished;
    sofa_endure_cb cb;
    void *cookie;
};

/* A key is final (status set, nleft counted down); no-op when it already was. */
void sofa__endure_key_final(sofa__endure *e, sofa__dur_key *k, int status);
/* Re-check the pending keys; 1 when that finished the endure (@p e may be freed). */
int sofa__endure_evaluate(sofa__endure *e);
/* Release a finished record (its last poll request has answered). */
void sofa__endure_free(sofa__endure *e);
/* One poll round: requests to every node without one of ours in flight. */
void sofa__endure_run_round(sofa__endure *e);

#endif /* SOFA_DURABILITY_RECORD_H */
