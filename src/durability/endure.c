/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * Endure: poll OBSERVE / OBSERVE_SEQNO until keys meet persist_to / replicate_to. This
 * file: submit, the record's life cycle, its timers and the evaluation; poll.c sends the
 * requests and records their answers.
 *
 * One endure record lives from submit to its single callback (and then until its last
 * poll request has answered). It owns two entries in the client's deadline queue: the
 * poll tick (every interval) and the deadline. Answers are applied as they arrive; a key
 * is final when its criteria hold, its CAS changed, its mutation was lost, or the
 * deadline passed. A failed poll request (node down, NOT_MY_VBUCKET, timeout) only means
 * that node is asked again on a later tick, with the configuration current then.
 *
 * The client's destroy calls the teardown hook, which answers every endure with
 * SOFA_E_CANCELED; the engine then cancels the poll requests, and the last one frees
 * the record.
 */
#include <stdlib.h>
#include <string.h>

#include "durability/record.h"
#include "kv/engine.h"
#include "proto/hash.h"
#include "proto/opcodes.h"
#include "sofa/status.h"

typedef struct sofa__dur_registry dur_registry;

struct sofa__dur_registry {
    sofa__client_ext ext;
    sofa__dlist list; /* running records (sofa__endure.rlink) */
};

/* ------------------------------------------------------------ life cycle */

void sofa__endure_free(sofa__endure *e)
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
    (void)sofa__dlist_unlink(&e->reg->list, &e->rlink);
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
    sofa_endure_item *items = e->items;
    int status = SOFA_OK;
    for (size_t i = 0; i < e->nkeys; i++) {
        sofa__dur_key *k = &e->keys[i];
        if (status == SOFA_OK && k->status != SOFA_OK)
            status = k->status;
        memset(&items[i], 0, sizeof(items[i]));
        items[i].key = k->key;
        items[i].nkey = k->nkey;
        items[i].status = (sofa_status)k->status;
        items[i].cas = k->master_cas;
        items[i].npersisted = k->npersisted;
        items[i].nreplicated = k->nreplicated;
        items[i].persisted_master = k->have[0] >= SOFA__HAVE_DISK;
    }
    e->cb(c, (sofa_status)status, e->nkeys ? items : NULL, e->nkeys, e->cookie);
    sofa__client_op_done(c);
    if (e->outstanding == 0)
        sofa__endure_free(e);
}

void sofa__endure_key_final(sofa__endure *e, sofa__dur_key *k, int status)
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
    while (reg->list.head) {
        sofa__endure *e = SOFA__DLIST_ENTRY(reg->list.head, sofa__endure, rlink);
        for (size_t i = 0; i < e->nkeys; i++)
            sofa__endure_key_final(e, &e->keys[i], SOFA_E_CANCELED);
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
int sofa__endure_evaluate(sofa__endure *e)
{
    sofa_client *c = e->c;
    const sofa__config *cfg = c->config;
    if (!cfg || cfg->is_ketama || cfg->nvbuckets == 0)
        cfg = NULL; /* judge nothing new, but keys finished by an answer still count */
    size_t ncopies = cfg ? (size_t)cfg->nreplicas + 1 : 0;
    if (ncopies > SOFA__DUR_COPIES)
        ncopies = SOFA__DUR_COPIES;
    for (size_t i = 0; cfg && i < e->nkeys; i++) {
        sofa__dur_key *k = &e->keys[i];
        if (k->done)
            continue;
        uint8_t have[SOFA__DUR_COPIES] = {0};
        for (size_t cp = 0; cp < ncopies; cp++) {
            int idx = cp == 0 ? sofa__config_master(cfg, k->vbid)
                              : sofa__config_replica(cfg, k->vbid, (int)cp - 1);
            /* only answers from the node that holds this copy now count */
            if (idx >= 0 && k->node[cp] == idx && k->gen[cp] == c->config_gen)
                have[cp] = k->have[cp];
            /* any version wanted: a replica counts only with the master's current CAS (its
             * answer may have come before the master's) */
            if (cp > 0 && k->cas == 0 && k->token.vbuuid == 0 && !e->check_removed &&
                k->seen_cas[cp] != k->master_cas)
                have[cp] = SOFA__HAVE_NONE;
        }
        if (sofa__endure_met(have, ncopies, e->persist_to, e->replicate_to, &k->npersisted,
                             &k->nreplicated))
            sofa__endure_key_final(e, k, SOFA_OK);
    }
    if (e->nleft == 0) {
        finish(e);
        return 1;
    }
    return 0;
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
    sofa__endure_run_round(e);
    sofa_client *c = e->c;
    uint64_t now = sofa__now(c->io);
    if (now >= e->deadline)
        return; /* the expire entry (due by now) answers; re-arming at the deadline would run
                   this tick again in the same timer pass, forever (it can win every tie) */
    uint64_t next = e->deadline;
    if (now < e->deadline && e->interval < e->deadline - now)
        next = now + e->interval;
    if (sofa__timerq_add(&c->tq, &e->tick, next) != 0)
        SOFA_LOG(&c->logger, SOFA_LOG_WARN, "durability", "out of memory re-arming a poll");
}

static void on_expire(sofa__tentry *t, void *arg)
{
    sofa__endure *e = arg;
    (void)t;
    if (e->finished)
        return;
    if (sofa__endure_evaluate(e)) /* answers that arrived in this same loop turn still count */
        return;
    for (size_t i = 0; i < e->nkeys; i++)
        sofa__endure_key_final(e, &e->keys[i], SOFA_E_DURABILITY_TIMEOUT);
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

/* The keys, the result items and the key bytes in one block; vBuckets under @p cfg. */
static int copy_keys(sofa__endure *e, const sofa_endure_key *keys, size_t nkeys, size_t keybytes,
                     const sofa__config *cfg)
{
    size_t nalloc = nkeys ? nkeys : 1; /* <= SOFA_ENDURE_MAX_KEYS: no overflow below */
    e->keys = malloc(nalloc * (sizeof(sofa__dur_key) + sizeof(sofa_endure_item)) + keybytes + 1);
    if (!e->keys)
        return SOFA_E_NO_MEMORY;
    e->items = (sofa_endure_item *)(e->keys + nalloc);
    uint8_t *kb = (uint8_t *)(e->items + nalloc);
    for (size_t i = 0; i < nkeys; i++) {
        sofa__dur_key *k = &e->keys[i];
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
    e->nkeys = e->nleft = nkeys;
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
    if (!e || copy_keys(e, keys, nkeys, keybytes, c->config) != 0) {
        free(e);
        return SOFA_E_NO_MEMORY;
    }
    e->c = c;
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
    e->deadline = timeout > UINT64_MAX - now ? UINT64_MAX : now + timeout;
    if (build_order(e) != 0 || sofa__timerq_add(&c->tq, &e->expire, e->deadline) != 0 ||
        sofa__timerq_add(&c->tq, &e->tick, now) != 0) {
        sofa__timerq_remove(&c->tq, &e->expire);
        sofa__endure_free(e);
        return SOFA_E_NO_MEMORY;
    }
    e->reg = reg;
    sofa__dlist_push(&reg->list, &e->rlink);
    sofa__client_pending_add(c);
    SOFA_LOG(&c->logger, SOFA_LOG_DEBUG, "durability",
             "endure %zu key(s): persist_to %d replicate_to %d%s, timeout %llu ms", nkeys, persist,
             replicate, e->check_removed ? " (removed)" : "", (unsigned long long)(timeout / 1000));
    return 0;
}

int sofa_endure(sofa_client *c, const sofa_endure_key *keys, size_t nkeys,
                const sofa_endure_opts *o, sofa_endure_cb cb, void *cookie)
{
    return sofa__endure_start(c, keys, nkeys, o, cb, cookie);
}
