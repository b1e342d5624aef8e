/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * Multi-get: one GET per key, all scheduled in one turn (so they leave in one write
 * per node), one callback with per-key results in the order given (a MultiResult).
 */
#include <stdlib.h>
#include <string.h>

#include "kv/engine.h"
#include "sofa/status.h"

typedef struct multi_coll {
    sofa_multi_item *items;
    void **values; /* copies: responses arrive over many reads */
    const sofa_key *keys_unused;
    size_t n;
    int quiet;
} multi_coll;

static void multi_child_deliver(sofa__op *op, int status, const sofa__resp *r)
{
    multi_coll *mc = op->parent->priv;
    sofa_multi_item *it = &mc->items[op->slot];
    it->status = (sofa_status)status;
    if (status == SOFA_OK && r) {
        it->result.cas = r->cas;
        it->result.datatype = r->datatype;
        uint32_t flags = 0;
        if (sofa__resp_get_flags(r, &flags) == 0)
            it->result.flags = flags;
        if (r->nvalue) {
            mc->values[op->slot] = sofa__memdup(r->value, r->nvalue);
            if (!mc->values[op->slot]) {
                it->status = SOFA_E_NO_MEMORY;
            } else {
                it->result.value = mc->values[op->slot];
                it->result.nvalue = r->nvalue;
            }
        }
    }
    sofa__op_child_done(op);
}

static void multi_parent_deliver(sofa__op *p, int status, const sofa__resp *r)
{
    multi_coll *mc = p->priv;
    (void)r;
    int st = status;
    for (size_t i = 0; st == SOFA_OK && i < mc->n; i++) {
        sofa_status s = mc->items[i].status;
        if (s != SOFA_OK && !(mc->quiet && s == SOFA_E_NOT_FOUND))
            st = s;
    }
    ((sofa_multi_get_cb)p->cb)(p->client, (sofa_status)st, mc->items, mc->n, p->cookie);
    for (size_t i = 0; i < mc->n; i++) {
        free(mc->values[i]);
        free((void *)mc->items[i].result.key);
    }
    free(mc->values);
    free(mc->items);
}

static const sofa__op_type multi_child_type = {"get_multi.key", SOFA__OPF_RETRY_LOCKED,
                                               multi_child_deliver, NULL, NULL};
static const sofa__op_type multi_parent_type = {"get_multi", 0, multi_parent_deliver, NULL, NULL};

int sofa_kv_get_multi(sofa_client *c, const sofa_key *keys, size_t nkeys, int flags,
                      const sofa_kv_opts *o, sofa_multi_get_cb cb, void *cookie)
{
    int rc = sofa__check_submit(c, (const void *)cb);
    if (rc != 0)
        return rc;
    if ((!keys && nkeys) || (flags & ~SOFA_MULTI_QUIET))
        return SOFA_E_INVALID_ARGUMENT;
    if (nkeys > SOFA__MAX_PENDING_OPS - c->live.n)
        return SOFA_E_NO_MEMORY;
    for (size_t i = 0; i < nkeys; i++) {
        rc = sofa__check_key(keys[i].key, keys[i].nkey);
        if (rc != 0)
            return rc;
    }
    sofa__op *p = sofa__op_new(c, &multi_parent_type, 0);
    multi_coll *mc = calloc(1, sizeof(*mc));
    sofa__op **kids = nkeys ? calloc(nkeys, sizeof(*kids)) : NULL;
    int oom = !p || !mc || (nkeys && !kids) || sofa__op_parent_reserve(c) != 0;
    if (!oom) {
        mc->items = calloc(nkeys ? nkeys : 1, sizeof(*mc->items));
        mc->values = calloc(nkeys ? nkeys : 1, sizeof(*mc->values));
        oom = !mc->items || !mc->values;
    }
    for (size_t i = 0; !oom && i < nkeys; i++) {
        kids[i] = sofa__kv_op(c, &multi_child_type, SOFA__OP_GET, keys[i].key, keys[i].nkey,
                              NULL, 0, NULL, 0, NULL);
        void *kcopy = sofa__memdup(keys[i].key, keys[i].nkey);
        if (kcopy) {
            mc->items[i].result.key = kcopy;
            mc->items[i].result.nkey = keys[i].nkey;
        }
        oom = !kids[i] || !kcopy;
    }
    if (!oom && nkeys)
        oom = sofa__timerq_reserve(&c->tq, c->tq.n + nkeys) != 0;
    if (oom) {
        for (size_t i = 0; kids && i < nkeys; i++)
            free(kids[i]);
        if (mc && mc->items)
            for (size_t i = 0; i < nkeys; i++)
                free((void *)mc->items[i].result.key);
        if (mc) {
            free(mc->items);
            free(mc->values);
        }
        free(mc);
        free(kids);
        free(p);
        return SOFA_E_NO_MEMORY;
    }
    mc->n = nkeys;
    mc->quiet = (flags & SOFA_MULTI_QUIET) != 0;
    for (size_t i = 0; i < nkeys; i++)
        mc->items[i].status = SOFA_E_NO_MEMORY; /* until the key's answer */
    sofa__op_launch(p, mc, (void (*)(void))cb, cookie, kids, nkeys, o ? o->timeout_us : 0);
    free(kids);
    return 0;
}
