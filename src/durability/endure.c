/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * Endure: poll OBSERVE / OBSERVE_SEQNO until keys meet persist_to / replicate_to.
 *
 * One endure record lives from submit to its single callback (and then until its last
 * poll request has answered). It owns two entries in the client's deadline queue: the
 * poll tick (every interval) and the deadline. Each tick sends, to every node that has
 * no request of this endure still in flight, one OBSERVE with every key that node
 * holds a copy of (keys without a token), and one OBSERVE_SEQNO per vBucket and node
 * (keys with a token). Answers are applied as they arrive; a key is final when its
 * criteria hold, its CAS changed, its mutation was lost, or the deadline passed.
 * Poll requests are internal engine operations (ROUTE_NODE): a failed one (node down,
 * NOT_MY_VBUCKET, timeout) only means that node is asked again on a later tick, with
 * the configuration current then.
 *
 * The client's destroy calls the teardown hook, which answers every endure with
 * SOFA_E_CANCELED; the engine then cancels the poll requests, and the last one frees
 * the record.
 */
#include <stdlib.h>
#include <string.h>

#include "durability/endure.h"
#include "kv/engine.h"
#include "proto/hash.h"
#include "proto/opcodes.h"
#include "sofa/status.h"

typedef struct dur_key {
    const uint8_t *key; /* into the record's key storage */
    uint16_t nkey;
    uint16_t vbid;
    uint64_t cas;      /* wanted CAS; 0 = any */
    uint64_t master_cas; /* last CAS the master reported */
    sofa_mutation_token token;
    int status;        /* final status once done */
    int done;
    uint8_t have[SOFA__DUR_COPIES];
    int16_t node[SOFA__DUR_COPIES]; /* node index that reported have[k] */
    uint32_t gen[SOFA__DUR_COPIES]; /* ... under this config generation */
    unsigned npersisted, nreplicated;
} dur_key;

typedef struct dur_registry dur_registry;

typedef struct sofa__endure {
    sofa_client *c;
    dur_registry *reg;
    struct sofa__endure *rnext, *rprev;
    dur_key *keys;
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
} sofa__endure;

struct dur_registry {
    sofa__client_ext ext;
    sofa__endure *head;
};

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

/* ------------------------------------------------------------ life cycle */

static void endure_free(sofa__endure *e)
{
    free(e->busy);
    free(e->order);
    free(e->keys);
    free(e);
}

static void reg_unlink(sofa__endure *e)
{
    if (!e->reg)
        return;
    if (e->rprev)
        e->rprev->rnext = e->rnext;
    else
        e->reg->head = e->rnext;
    if (e->rnext)
        e->rnext->rprev = e->rprev;
    e->rnext = e->rprev = NULL;
    e->reg = NULL;
}

/* Answer the user once; frees the record unless poll requests are still in flight.
 * The caller must not touch @p e afterwards. */
static void finish(sofa__endure *e)
{
    sofa_client *c = e->c;
    e->finished = 1;
    sofa__timerq_remove(&c->tq, &e->tick);
    sofa__timerq_remove(&c->tq, &e->expire);
    reg_unlink(e);
    sofa_endure_item *items = e->nkeys ? calloc(e->nkeys, sizeof(*items)) : NULL;
    int status = SOFA_OK;
    for (size_t i = 0; i < e->nkeys; i++) {
        dur_key *k = &e->keys[i];
        if (status == SOFA_OK && k->status != SOFA_OK)
            status = k->status;
        if (!items)
            continue;
        items[i].key = k->key;
        items[i].nkey = k->nkey;
        items[i].status = (sofa_status)k->status;
        items[i].cas = k->master_cas;
        items[i].npersisted = k->npersisted;
        items[i].nreplicated = k->nreplicated;
        items[i].persisted_master = k->have[0] >= SOFA__HAVE_DISK;
    }
    if (e->nkeys && !items) {
        SOFA_LOG(&c->logger, SOFA_LOG_WARN, "durability", "out of memory building results");
        status = SOFA_E_NO_MEMORY;
    }
    e->cb(c, (sofa_status)status, items, items ? e->nkeys : 0, e->cookie);
    free(items);
    sofa__client_op_done(c);
    if (e->outstanding == 0)
        endure_free(e);
}

static void key_final(sofa__endure *e, dur_key *k, int status)
{
    if (k->done)
        return;
    k->done = 1;
    k->status = status;
    e->nleft--;
}

static void on_teardown(sofa_client *c, void *arg)
{
    dur_registry *reg = arg;
    (void)c;
    while (reg->head) {
        sofa__endure *e = reg->head;
        for (size_t i = 0; i < e->nkeys; i++)
            key_final(e, &e->keys[i], SOFA_E_CANCELED);
        finish(e); /* unlinks it */
    }
    free(reg);
}

static dur_registry *registry_of(sofa_client *c)
{
    for (sofa__client_ext *x = c->exts; x; x = x->next)
        if (x->on_teardown == on_teardown)
            return x->arg;
    dur_registry *reg = calloc(1, sizeof(*reg));
    if (!reg)
        return NULL;
    reg->ext.on_teardown = on_teardown;
    reg->ext.arg = reg;
    sofa__client_add_ext(c, &reg->ext);
    return reg;
}

/* ------------------------------------------------------------ evaluation */

/* Re-check every pending key against the current configuration. Returns 1 when that
 * finished the endure (@p e may be freed then), else 0. */
static int evaluate(sofa__endure *e)
{
    sofa_client *c = e->c;
    const sofa__config *cfg = c->config;
    if (!cfg || cfg->is_ketama || cfg->nvbuckets == 0)
        cfg = NULL; /* judge nothing new, but keys finished by an answer still count */
    size_t ncopies = cfg ? (size_t)cfg->nreplicas + 1 : 0;
    if (ncopies > SOFA__DUR_COPIES)
        ncopies = SOFA__DUR_COPIES;
    for (size_t i = 0; cfg && i < e->nkeys; i++) {
        dur_key *k = &e->keys[i];
        if (k->done)
            continue;
        uint8_t have[SOFA__DUR_COPIES] = {0};
        for (size_t cp = 0; cp < ncopies; cp++) {
            int idx = cp == 0 ? sofa__config_master(cfg, k->vbid)
                              : sofa__config_replica(cfg, k->vbid, (int)cp - 1);
            /* only answers from the node that holds this copy now count */
            if (idx >= 0 && k->node[cp] == idx && k->gen[cp] == c->config_gen)
                have[cp] = k->have[cp];
        }
        if (sofa__endure_met(have, ncopies, e->persist_to, e->replicate_to, &k->npersisted,
                             &k->nreplicated))
            key_final(e, k, SOFA_OK);
    }
    if (e->nleft == 0) {
        finish(e);
        return 1;
    }
    return 0;
}

static void record(dur_key *k, size_t copy, int have, const poll_req *pr)
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
        dur_key *k = &e->keys[pr->ents[j].key];
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
        int have = sofa__endure_observe_have(oe.state, oe.cas, want, copy == 0,
                                             e->check_removed, &mismatch);
        if (copy == 0 && !e->check_removed && have != SOFA__HAVE_NONE)
            k->master_cas = oe.cas;
        if (mismatch) {
            k->master_cas = oe.cas;
            key_final(e, k, SOFA_E_DURABILITY_CAS_MISMATCH);
            continue;
        }
        record(k, copy, have, pr);
    }
}

static void apply_seqno(sofa__endure *e, const poll_req *pr, const sofa__resp *r)
{
    sofa__observe_seqno os;
    if (sofa__observe_seqno_parse(r->value, r->nvalue, &os) != 0)
        return;
    for (size_t j = 0; j < pr->n; j++) {
        dur_key *k = &e->keys[pr->ents[j].key];
        if (k->done || os.vbid != k->vbid)
            continue;
        int have = sofa__endure_seqno_have(&os, k->token.vbuuid, k->token.seqno);
        if (have == SOFA_E_MUTATION_LOST) {
            SOFA_LOG(&e->c->logger, SOFA_LOG_INFO, "durability",
                     "vb %u: failover kept seqno %llu < %llu: mutation lost", (unsigned)k->vbid,
                     (unsigned long long)os.last_seqno, (unsigned long long)k->token.seqno);
            key_final(e, k, SOFA_E_MUTATION_LOST);
            continue;
        }
        record(k, pr->ents[j].copy, have, pr);
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
            endure_free(e);
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
    (void)evaluate(e);
}

static const sofa__op_type poll_type = {"endure.poll", SOFA__OPF_INTERNAL, poll_deliver, NULL,
                                        NULL};

/* ------------------------------------------------------------ poll rounds */

static int send_poll(sofa__endure *e, int node, uint8_t opcode, uint16_t vbid,
                     const uint8_t *body, size_t nbody, poll_req *pr)
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

/* One OBSERVE per node carrying every (key, copy) it holds, for keys without a token. */
static void round_observe(sofa__endure *e, const sofa__config *cfg, size_t ncopies,
                          const uint8_t *was_busy)
{
    sofa_client *c = e->c;
    size_t nn = c->nnodes;
    size_t *bytes = calloc(nn, sizeof(*bytes));
    size_t *count = calloc(nn, sizeof(*count));
    if (!bytes || !count)
        goto done;
    for (size_t i = 0; i < e->nkeys; i++) {
        dur_key *k = &e->keys[i];
        if (k->done || k->token.vbuuid != 0)
            continue;
        for (size_t cp = 0; cp < ncopies; cp++) {
            int idx = copy_node(cfg, k->vbid, cp);
            if (idx < 0 || (size_t)idx >= nn || was_busy[idx])
                continue;
            bytes[idx] += 4u + k->nkey;
            count[idx]++;
        }
    }
    for (size_t n = 0; n < nn; n++) {
        if (!count[n])
            continue;
        uint8_t *body = malloc(bytes[n]);
        poll_req *pr = malloc(sizeof(*pr) + count[n] * sizeof(poll_ent));
        if (!body || !pr) {
            free(body);
            free(pr);
            continue; /* retried on the next tick */
        }
        memset(pr, 0, sizeof(*pr));
        size_t off = 0;
        for (size_t i = 0; i < e->nkeys; i++) {
            dur_key *k = &e->keys[i];
            if (k->done || k->token.vbuuid != 0)
                continue;
            for (size_t cp = 0; cp < ncopies; cp++) {
                if (copy_node(cfg, k->vbid, cp) != (int)n)
                    continue;
                off += sofa__observe_key_encode(body + off, k->vbid, k->key, k->nkey);
                pr->ents[pr->n].key = (uint32_t)i;
                pr->ents[pr->n].copy = (uint8_t)cp;
                pr->n++;
            }
        }
        pr->seqno = 0;
        send_poll(e, (int)n, SOFA__OP_OBSERVE, 0, body, off, pr);
        free(body);
    }
done:
    free(bytes);
    free(count);
}

/* One OBSERVE_SEQNO per (vBucket, vbuuid) and copy, for keys with a token. */
static void round_seqno(sofa__endure *e, const sofa__config *cfg, size_t ncopies,
                        const uint8_t *was_busy)
{
    size_t nn = e->c->nnodes;
    size_t i = 0;
    while (i < e->norder) {
        const dur_key *first = &e->keys[e->order[i]];
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

static void run_round(sofa__endure *e)
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

static void on_tick(sofa__tentry *t, void *arg)
{
    sofa__endure *e = arg;
    (void)t;
    if (e->finished)
        return;
    if (e->nleft == 0) {
        finish(e); /* zero keys */
        return;
    }
    run_round(e);
    sofa_client *c = e->c;
    uint64_t next = sofa__now(c->io) + e->interval;
    if (next > e->deadline)
        next = e->deadline;
    if (sofa__timerq_add(&c->tq, &e->tick, next) != 0)
        SOFA_LOG(&c->logger, SOFA_LOG_WARN, "durability", "out of memory re-arming a poll");
}

static void on_expire(sofa__tentry *t, void *arg)
{
    sofa__endure *e = arg;
    (void)t;
    if (e->finished)
        return;
    if (evaluate(e)) /* answers that arrived in this same loop turn still count */
        return;
    for (size_t i = 0; i < e->nkeys; i++)
        key_final(e, &e->keys[i], SOFA_E_DURABILITY_TIMEOUT);
    finish(e);
}

/* ------------------------------------------------------------ submit */

/* qsort has no context argument in C11: sort (vbid, vbuuid, index) triples instead. */
typedef struct order_item {
    uint16_t vbid;
    uint64_t vbuuid;
    uint32_t idx;
} order_item;

static int cmp_item(const void *a, const void *b)
{
    const order_item *x = a, *y = b;
    if (x->vbid != y->vbid)
        return x->vbid < y->vbid ? -1 : 1;
    if (x->vbuuid != y->vbuuid)
        return x->vbuuid < y->vbuuid ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int build_order(sofa__endure *e)
{
    size_t n = 0;
    for (size_t i = 0; i < e->nkeys; i++)
        n += e->keys[i].token.vbuuid != 0;
    if (n == 0)
        return 0;
    order_item *tmp = malloc(n * sizeof(*tmp));
    e->order = malloc(n * sizeof(*e->order));
    if (!tmp || !e->order) {
        free(tmp);
        return SOFA_E_NO_MEMORY;
    }
    size_t j = 0;
    for (size_t i = 0; i < e->nkeys; i++)
        if (e->keys[i].token.vbuuid != 0)
            tmp[j++] = (order_item){e->keys[i].vbid, e->keys[i].token.vbuuid, (uint32_t)i};
    qsort(tmp, n, sizeof(*tmp), cmp_item);
    for (size_t i = 0; i < n; i++)
        e->order[i] = tmp[i].idx;
    e->norder = n;
    free(tmp);
    return 0;
}

static int check_keys(const sofa_endure_key *keys, size_t nkeys, size_t *keybytes)
{
    if (nkeys > SOFA_ENDURE_MAX_KEYS || (!keys && nkeys))
        return SOFA_E_INVALID_ARGUMENT;
    size_t total = 0;
    for (size_t i = 0; i < nkeys; i++) {
        int rc = sofa__check_key(keys[i].key, keys[i].nkey);
        if (rc != 0)
            return rc;
        total += keys[i].nkey; /* <= 4096 * 250: no overflow */
    }
    *keybytes = total;
    return 0;
}

int sofa__endure_start(sofa_client *c, const sofa_endure_key *keys, size_t nkeys,
                       const sofa_endure_opts *o, sofa_endure_cb cb, void *cookie)
{
    int rc = sofa__check_submit(c, (const void *)cb);
    if (rc != 0)
        return rc;
    size_t keybytes = 0;
    rc = check_keys(keys, nkeys, &keybytes);
    if (rc != 0)
        return rc;
    if (c->memcached)
        return SOFA_E_NOT_SUPPORTED;
    static const sofa_endure_opts defaults = {0, 0, 0, 0, 0};
    if (!o)
        o = &defaults;
    int persist = 0, replicate = 0;
    rc = sofa__endure_resolve(c->config, o->persist_to, o->replicate_to, &persist, &replicate);
    if (rc != 0)
        return rc;
    dur_registry *reg = registry_of(c);
    if (!reg)
        return SOFA_E_NO_MEMORY;
    sofa__endure *e = calloc(1, sizeof(*e));
    if (!e)
        return SOFA_E_NO_MEMORY;
    size_t nalloc = nkeys ? nkeys : 1;
    /* keys and their bytes in one block */
    e->keys = malloc(nalloc * sizeof(dur_key) + keybytes + 1);
    if (!e->keys) {
        free(e);
        return SOFA_E_NO_MEMORY;
    }
    uint8_t *kb = (uint8_t *)(e->keys + nalloc);
    const sofa__config *cfg = c->config;
    for (size_t i = 0; i < nkeys; i++) {
        dur_key *k = &e->keys[i];
        memset(k, 0, sizeof(*k));
        memcpy(kb, keys[i].key, keys[i].nkey);
        k->key = kb;
        k->nkey = (uint16_t)keys[i].nkey;
        kb += keys[i].nkey;
        k->vbid = sofa__vbucket_of(k->key, k->nkey, cfg->nvbuckets);
        k->cas = keys[i].cas;
        k->token = keys[i].token;
        if (k->token.vbuuid != 0 && k->token.vbid != k->vbid)
            k->token.vbuuid = 0; /* a token for another vBucket: fall back to OBSERVE */
        for (size_t cp = 0; cp < SOFA__DUR_COPIES; cp++)
            k->node[cp] = -1;
    }
    e->c = c;
    e->nkeys = e->nleft = nkeys;
    e->persist_to = persist;
    e->replicate_to = replicate;
    e->check_removed = o->check_removed != 0;
    e->interval = o->interval_us ? o->interval_us : c->cs.durability_interval_us;
    if (e->interval < SOFA__DUR_MIN_INTERVAL_US)
        e->interval = SOFA__DUR_MIN_INTERVAL_US;
    uint64_t timeout = o->timeout_us ? o->timeout_us : c->cs.durability_timeout_us;
    e->cb = cb;
    e->cookie = cookie;
    sofa__tentry_init(&e->tick, on_tick, e);
    sofa__tentry_init(&e->expire, on_expire, e);
    uint64_t now = sofa__now(c->io);
    e->deadline = now + timeout;
    if (build_order(e) != 0 || sofa__timerq_add(&c->tq, &e->expire, e->deadline) != 0 ||
        sofa__timerq_add(&c->tq, &e->tick, now) != 0) {
        sofa__timerq_remove(&c->tq, &e->expire);
        endure_free(e);
        return SOFA_E_NO_MEMORY;
    }
    e->reg = reg;
    e->rnext = reg->head;
    if (reg->head)
        reg->head->rprev = e;
    reg->head = e;
    sofa__client_pending_add(c);
    SOFA_LOG(&c->logger, SOFA_LOG_DEBUG, "durability",
             "endure %zu key(s): persist_to %d replicate_to %d%s, timeout %llu ms", nkeys,
             persist, replicate, e->check_removed ? " (removed)" : "",
             (unsigned long long)(timeout / 1000));
    return 0;
}

int sofa_endure(sofa_client *c, const sofa_endure_key *keys, size_t nkeys,
                const sofa_endure_opts *o, sofa_endure_cb cb, void *cookie)
{
    return sofa__endure_start(c, keys, nkeys, o, cb, cookie);
}
