/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* Durable writes: the write, then an endure of its mutation; one callback after both. */
#include <stdlib.h>
#include <string.h>

#include "durability/durable.h"
#include "durability/endure.h"
#include "kv/engine.h"
#include "sofa/status.h"

typedef struct dwrite {
    sofa_mutation_cb cb;
    void *cookie;
    sofa_endure_opts eo;
    uint64_t cas, counter;
    sofa_mutation_token token;
    size_t nkey;
    uint8_t key[];
} dwrite;

static void deliver(sofa_client *c, dwrite *w, int status)
{
    sofa_mutation_result res;
    memset(&res, 0, sizeof(res));
    res.key = w->key;
    res.nkey = w->nkey;
    res.cas = w->cas;
    res.token = w->token;
    res.counter = w->counter;
    w->cb(c, (sofa_status)status, &res, w->cookie);
    free(w);
}

static void on_endured(sofa_client *c, sofa_status status, const sofa_endure_item *items,
                       size_t nitems, void *cookie)
{
    (void)items;
    (void)nitems;
    deliver(c, cookie, status);
}

static void on_written(sofa_client *c, sofa_status status, const sofa_mutation_result *r,
                       void *cookie)
{
    dwrite *w = cookie;
    if (status != SOFA_OK || !r) {
        deliver(c, w, status);
        return;
    }
    w->cas = r->cas;
    w->token = r->token;
    w->counter = r->counter;
    sofa_endure_key k;
    memset(&k, 0, sizeof(k));
    k.key = w->key;
    k.nkey = w->nkey;
    k.cas = r->cas;
    k.token = r->token;
    /* the endure copies the key: w stays valid until on_endured */
    int rc = sofa__endure_start(c, &k, 1, &w->eo, on_endured, w);
    if (rc != 0) {
        SOFA_LOG(&c->logger, SOFA_LOG_DEBUG, "durability",
                 "write done but its durability check could not start: %s", sofa_status_name(rc));
        if (rc == SOFA_E_SHUTDOWN)
            rc = SOFA_E_CANCELED; /* the client is going away: as for every other operation */
        deliver(c, w, rc);        /* we are inside the write's callback: firing now is fine */
    }
}

/* What to write: one of the three mutation kinds and its arguments. */
typedef struct write_args {
    enum { W_STORE, W_REMOVE, W_COUNTER } kind;
    sofa_store_op sop;
    const void *value;
    size_t nvalue;
    int64_t delta;
    uint64_t initial;
    int create;
} write_args;

/* Checks, the record, then the write itself with the record as its cookie. */
static int submit(sofa_client *c, const void *key, size_t nkey, const sofa_kv_opts *o,
                  const write_args *a, sofa_mutation_cb cb, void *cookie)
{
    int rc = sofa__check_key_submit(c, (const void *)cb, key, nkey);
    if (rc != 0)
        return rc;
    if (o->durability_level != SOFA_DURABILITY_NONE)
        return SOFA_E_INVALID_ARGUMENT; /* server-side and observe-based: pick one */
    if (c->memcached)
        return SOFA_E_NOT_SUPPORTED;
    if (c->config) { /* known now: refuse at once; otherwise checked after the write */
        int p = 0, r = 0;
        rc = sofa__endure_resolve(c->config, o->persist_to, o->replicate_to, &p, &r);
        if (rc != 0)
            return rc;
    }
    dwrite *w = calloc(1, sizeof(*w) + nkey);
    if (!w)
        return SOFA_E_NO_MEMORY;
    w->cb = cb;
    w->cookie = cookie;
    w->nkey = nkey;
    memcpy(w->key, key, nkey);
    w->eo.persist_to = o->persist_to;
    w->eo.replicate_to = o->replicate_to;
    w->eo.check_removed = a->kind == W_REMOVE;
    sofa_kv_opts plain = *o;
    plain.persist_to = 0;
    plain.replicate_to = 0;
    switch (a->kind) {
    case W_STORE:
        rc = sofa_kv_store(c, a->sop, key, nkey, a->value, a->nvalue, &plain, on_written, w);
        break;
    case W_REMOVE:
        rc = sofa_kv_remove(c, key, nkey, &plain, on_written, w);
        break;
    default:
        rc = sofa_kv_counter(c, key, nkey, a->delta, a->initial, a->create, &plain, on_written, w);
        break;
    }
    if (rc != 0)
        free(w); /* refused: nothing will fire */
    return rc;
}

int sofa__durable_store(sofa_client *c, sofa_store_op op, const void *key, size_t nkey,
                        const void *value, size_t nvalue, const sofa_kv_opts *o,
                        sofa_mutation_cb cb, void *cookie)
{
    write_args a = {W_STORE, op, value, nvalue, 0, 0, 0};
    return submit(c, key, nkey, o, &a, cb, cookie);
}

int sofa__durable_remove(sofa_client *c, const void *key, size_t nkey, const sofa_kv_opts *o,
                         sofa_mutation_cb cb, void *cookie)
{
    write_args a = {W_REMOVE, SOFA_STORE_UPSERT, NULL, 0, 0, 0, 0};
    return submit(c, key, nkey, o, &a, cb, cookie);
}

int sofa__durable_counter(sofa_client *c, const void *key, size_t nkey, int64_t delta,
                          uint64_t initial, int create, const sofa_kv_opts *o, sofa_mutation_cb cb,
                          void *cookie)
{
    write_args a = {W_COUNTER, SOFA_STORE_UPSERT, NULL, 0, delta, initial, create};
    return submit(c, key, nkey, o, &a, cb, cookie);
}
