/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * Endure poll rounds: each sends, to every node that has no request of this endure in
 * flight, one OBSERVE with every (key, copy) that node holds for keys without a token,
 * and one OBSERVE_SEQNO per vBucket (and vbuuid) and copy for keys with a token. The
 * requests are internal engine operations routed to a fixed node index of the current
 * configuration; their answers are recorded per key and copy, tagged with the node and
 * configuration generation they came from.
 */
#include <stdlib.h>
#include <string.h>

#include "durability/record.h"
#include "kv/engine.h"
#include "proto/opcodes.h"
#include "sofa/status.h"

/* One poll request's memory (op->priv, freed by the engine with the op). */
typedef struct poll_ent {
    uint32_t key;
    uint8_t copy;
} poll_ent;

typedef struct poll_req {
    sofa__endure *e;
    uint32_t gen;
    int node;
    int seqno; /* 1 = OBSERVE_SEQNO */
    size_t n;
    poll_ent ents[];
} poll_req;

static void record_have(sofa__dur_key *k, size_t copy, int have, const poll_req *pr)
{
    if (copy >= SOFA__DUR_COPIES)
        return;
    k->have[copy] = (uint8_t)have;
    k->node[copy] = (int16_t)pr->node;
    k->gen[copy] = pr->gen;
}

static void apply_observe(sofa__endure *e, const poll_req *pr, const sofa__resp *r)
{
    size_t pos = 0;
    for (size_t j = 0; j < pr->n; j++) {
        sofa__observe_entry oe;
        if (sofa__observe_next(r->value, r->nvalue, &pos, &oe) != 1)
            break;
        sofa__dur_key *k = &e->keys[pr->ents[j].key];
        size_t copy = pr->ents[j].copy;
        if (oe.vbid != k->vbid || oe.nkey != k->nkey || memcmp(oe.key, k->key, k->nkey) != 0) {
            SOFA_LOG(&e->c->logger, SOFA_LOG_WARN, "durability",
                     "OBSERVE answer out of order; ignoring the rest of it");
            break;
        }
        if (k->done)
            continue;
        uint64_t want = k->cas;
        if (want == 0 && copy > 0)
            want = k->master_cas; /* replicas must hold the master's version */
        int mismatch = 0;
        int have = sofa__endure_observe_have(oe.state, oe.cas, want, copy == 0, e->check_removed,
                                             &mismatch);
        if (copy == 0 && !e->check_removed && have != SOFA__HAVE_NONE)
            k->master_cas = oe.cas;
        if (mismatch) {
            k->master_cas = oe.cas;
            sofa__endure_key_final(e, k, SOFA_E_DURABILITY_CAS_MISMATCH);
            continue;
        }
        record_have(k, copy, have, pr);
        if (copy < SOFA__DUR_COPIES)
            k->seen_cas[copy] = oe.cas;
    }
}

static void apply_seqno(sofa__endure *e, const poll_req *pr, const sofa__resp *r)
{
    sofa__observe_seqno os;
    if (sofa__observe_seqno_parse(r->value, r->nvalue, &os) != 0)
        return;
    for (size_t j = 0; j < pr->n; j++) {
        sofa__dur_key *k = &e->keys[pr->ents[j].key];
        if (k->done || os.vbid != k->vbid)
            continue;
        int have = sofa__endure_seqno_have(&os, k->token.vbuuid, k->token.seqno);
        if (have == SOFA_E_MUTATION_LOST) {
            SOFA_LOG(&e->c->logger, SOFA_LOG_INFO, "durability",
                     "vb %u: failover kept seqno %llu < %llu: mutation lost", (unsigned)k->vbid,
                     (unsigned long long)os.last_seqno, (unsigned long long)k->token.seqno);
            sofa__endure_key_final(e, k, SOFA_E_MUTATION_LOST);
            continue;
        }
        record_have(k, pr->ents[j].copy, have, pr);
    }
}

static void poll_deliver(sofa__op *op, int status, const sofa__resp *r)
{
    poll_req *pr = op->priv;
    sofa__endure *e = pr->e;
    e->outstanding--;
    if (pr->gen == e->busy_gen && pr->node >= 0 && (size_t)pr->node < e->nbusy &&
        e->busy[pr->node] > 0)
        e->busy[pr->node]--;
    if (e->finished) {
        if (e->outstanding == 0)
            sofa__endure_free(e);
        return;
    }
    if (status != SOFA_OK || !r) {
        SOFA_LOG(&e->c->logger, SOFA_LOG_DEBUG, "durability", "%s to node %d: %s",
                 pr->seqno ? "OBSERVE_SEQNO" : "OBSERVE", pr->node, sofa_status_name(status));
        return; /* asked again on a later tick */
    }
    if (pr->seqno)
        apply_seqno(e, pr, r);
    else
        apply_observe(e, pr, r);
    (void)sofa__endure_evaluate(e);
}

static const sofa__op_type poll_type = {"endure.poll", SOFA__OPF_INTERNAL, poll_deliver, NULL,
                                        NULL};

/* ------------------------------------------------------------ poll rounds */

static int send_poll(sofa__endure *e, int node, uint8_t opcode, uint16_t vbid, const uint8_t *body,
                     size_t nbody, poll_req *pr)
{
    sofa_client *c = e->c;
    sofa__op *op = sofa__op_new(c, &poll_type, nbody);
    if (!op) {
        free(pr);
        return SOFA_E_NO_MEMORY;
    }
    pr->e = e;
    pr->gen = c->config_gen;
    pr->node = node;
    sofa__op_set_request(op, opcode, NULL, 0, NULL, 0, NULL, 0, body, (uint32_t)nbody);
    op->route = SOFA__ROUTE_NODE;
    op->fixed_node = node;
    op->config_gen = c->config_gen;
    op->vbid = vbid;
    op->vb0 = opcode == SOFA__OP_OBSERVE;
    op->priv = pr;
    uint64_t now = sofa__now(c->io);
    uint64_t left = e->deadline > now ? e->deadline - now : 1;
    if (sofa__op_submit(op, left) != 0) { /* the engine freed the op, not its priv */
        free(pr);
        return SOFA_E_NO_MEMORY;
    }
    e->outstanding++;
    e->busy[node]++;
    return 0;
}

static int copy_node(const sofa__config *cfg, uint16_t vbid, size_t copy)
{
    return copy == 0 ? sofa__config_master(cfg, vbid)
                     : sofa__config_replica(cfg, vbid, (int)copy - 1);
}

/* One OBSERVE per node carrying every (key, copy) it holds, for keys without a token.
 * Two passes over the keys (sizes, then fill): O(keys x copies + nodes) per round. */
typedef struct node_batch {
    size_t bytes, count, off;
    uint8_t *body;
    poll_req *pr;
} node_batch;

static int observe_target(const sofa__endure *e, const sofa__config *cfg, size_t nn,
                          const uint8_t *was_busy, size_t i, size_t cp)
{
    const sofa__dur_key *k = &e->keys[i];
    if (k->done || k->token.vbuuid != 0)
        return -1;
    int idx = copy_node(cfg, k->vbid, cp);
    if (idx < 0 || (size_t)idx >= nn || was_busy[idx])
        return -1;
    return idx;
}

static void round_observe(sofa__endure *e, const sofa__config *cfg, size_t ncopies,
                          const uint8_t *was_busy)
{
    size_t nn = e->c->nnodes;
    node_batch *b = calloc(nn, sizeof(*b));
    if (!b)
        return; /* retried on the next tick */
    for (size_t i = 0; i < e->nkeys; i++)
        for (size_t cp = 0; cp < ncopies; cp++) {
            int idx = observe_target(e, cfg, nn, was_busy, i, cp);
            if (idx >= 0) {
                b[idx].bytes += 4u + e->keys[i].nkey;
                b[idx].count++;
            }
        }
    for (size_t n = 0; n < nn; n++) {
        if (!b[n].count)
            continue;
        b[n].body = malloc(b[n].bytes);
        b[n].pr = calloc(1, sizeof(poll_req) + b[n].count * sizeof(poll_ent));
        if (!b[n].body || !b[n].pr) { /* this node is asked on the next tick */
            free(b[n].body);
            free(b[n].pr);
            b[n].body = NULL;
            b[n].pr = NULL;
        }
    }
    for (size_t i = 0; i < e->nkeys; i++)
        for (size_t cp = 0; cp < ncopies; cp++) {
            int idx = observe_target(e, cfg, nn, was_busy, i, cp);
            if (idx < 0 || !b[idx].pr)
                continue;
            node_batch *nb = &b[idx];
            const sofa__dur_key *k = &e->keys[i];
            nb->off += sofa__observe_key_encode(nb->body + nb->off, k->vbid, k->key, k->nkey);
            nb->pr->ents[nb->pr->n].key = (uint32_t)i;
            nb->pr->ents[nb->pr->n].copy = (uint8_t)cp;
            nb->pr->n++;
        }
    for (size_t n = 0; n < nn; n++) {
        if (!b[n].pr)
            continue;
        send_poll(e, (int)n, SOFA__OP_OBSERVE, 0, b[n].body, b[n].off, b[n].pr); /* owns pr */
        free(b[n].body);
    }
    free(b);
}

/* One OBSERVE_SEQNO per (vBucket, vbuuid) and copy, for keys with a token. */
static void round_seqno(sofa__endure *e, const sofa__config *cfg, size_t ncopies,
                        const uint8_t *was_busy)
{
    size_t nn = e->c->nnodes;
    size_t i = 0;
    while (i < e->norder) {
        const sofa__dur_key *first = &e->keys[e->order[i]];
        size_t j = i;
        size_t npending = 0;
        while (j < e->norder && e->keys[e->order[j]].vbid == first->vbid &&
               e->keys[e->order[j]].token.vbuuid == first->token.vbuuid) {
            npending += !e->keys[e->order[j]].done;
            j++;
        }
        for (size_t cp = 0; npending && cp < ncopies; cp++) {
            int idx = copy_node(cfg, first->vbid, cp);
            if (idx < 0 || (size_t)idx >= nn || was_busy[idx])
                continue;
            poll_req *pr = malloc(sizeof(*pr) + npending * sizeof(poll_ent));
            if (!pr)
                continue;
            memset(pr, 0, sizeof(*pr));
            for (size_t x = i; x < j; x++) {
                if (e->keys[e->order[x]].done)
                    continue;
                pr->ents[pr->n].key = e->order[x];
                pr->ents[pr->n].copy = (uint8_t)cp;
                pr->n++;
            }
            pr->seqno = 1;
            uint8_t v[8];
            sofa__put64(v, first->token.vbuuid);
            send_poll(e, idx, SOFA__OP_OBSERVE_SEQNO, first->vbid, v, sizeof(v), pr);
        }
        i = j;
    }
}

void sofa__endure_run_round(sofa__endure *e)
{
    sofa_client *c = e->c;
    const sofa__config *cfg = c->config;
    if (!cfg || cfg->is_ketama || cfg->nvbuckets == 0 || c->nnodes == 0)
        return;
    if (e->busy_gen != c->config_gen || e->nbusy != c->nnodes) {
        /* new topology: older requests no longer count against a node */
        unsigned *b = calloc(c->nnodes, sizeof(*b));
        if (!b)
            return;
        free(e->busy);
        e->busy = b;
        e->nbusy = c->nnodes;
        e->busy_gen = c->config_gen;
    }
    uint8_t *was_busy = malloc(e->nbusy);
    if (!was_busy)
        return;
    for (size_t n = 0; n < e->nbusy; n++)
        was_busy[n] = e->busy[n] > 0;
    size_t ncopies = 1;
    if (e->persist_to > 0 || e->replicate_to > 0)
        ncopies = (size_t)cfg->nreplicas + 1;
    if (ncopies > SOFA__DUR_COPIES)
        ncopies = SOFA__DUR_COPIES;
    round_observe(e, cfg, ncopies, was_busy);
    round_seqno(e, cfg, ncopies, was_busy);
    free(was_busy);
}
