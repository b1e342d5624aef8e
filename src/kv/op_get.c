/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* Reads of one key: get, get-and-touch, get-and-lock, get from a replica, exists. */
#include <stdlib.h>
#include <string.h>

#include "kv/engine.h"
#include "sofa/status.h"

static inline void fill_get(const sofa__op *op, int status, const sofa__resp *r, sofa_get_result *res)
{
    *res = (sofa_get_result){.key = sofa__op_key(op),
                             .nkey = op->nkey,
                             .is_replica = op->opcode == SOFA__OP_GET_REPLICA};
    if (status != SOFA_OK || !r)
        return;
    res->value = r->nvalue ? r->value : NULL;
    res->nvalue = r->nvalue;
    res->datatype = r->datatype;
    res->cas = r->cas;
    if (r->nextras == 4) { /* the common case of sofa__resp_get_flags, inline */
        res->flags = sofa__get32(r->extras);
        return;
    }
    uint32_t flags = 0;
    if (sofa__resp_get_flags(r, &flags) == 0)
        res->flags = flags;
}

static void get_deliver(sofa__op *op, int status, const sofa__resp *r)
{
    sofa_get_result res;
    fill_get(op, status, r, &res);
    ((sofa_get_cb)op->cb)(op->client, (sofa_status)status, &res, op->cookie);
}

static const sofa__op_type get_type = {"get", SOFA__OPF_RETRY_LOCKED, get_deliver, NULL, NULL};
static const sofa__op_type gat_type = {"get_and_touch", SOFA__OPF_RETRY_LOCKED, get_deliver,
                                       NULL, NULL};
static const sofa__op_type getl_type = {"get_and_lock", 0, get_deliver, NULL, NULL};
static const sofa__op_type getr_type = {"get_replica", 0, get_deliver, NULL, NULL};

static int submit_get(sofa_client *c, const sofa__op_type *t, uint8_t opcode, const void *key,
                      size_t nkey, const void *extras, uint8_t nextras, unsigned replica,
                      const sofa_kv_opts *o, void (*cb)(void), void *cookie)
{
    int rc = sofa__check_key_submit(c, (const void *)cb, key, nkey);
    if (rc != 0)
        return rc;
    sofa__op *op = sofa__kv_op(c, t, opcode, key, nkey, extras, nextras, NULL, 0, NULL);
    if (!op)
        return SOFA_E_NO_MEMORY;
    op->replica = (uint8_t)replica;
    op->cb = cb;
    op->cookie = cookie;
    return sofa__op_submit(op, o ? o->timeout_us : 0);
}

int sofa_kv_get(sofa_client *c, const void *key, size_t nkey, const sofa_kv_opts *o,
                sofa_get_cb cb, void *cookie)
{
    return submit_get(c, &get_type, SOFA__OP_GET, key, nkey, NULL, 0, 0, o, (void (*)(void))cb,
                      cookie);
}

int sofa_kv_get_and_touch(sofa_client *c, const void *key, size_t nkey, uint32_t expiry,
                          const sofa_kv_opts *o, sofa_get_cb cb, void *cookie)
{
    uint8_t ex[SOFA__EXTRAS_EXPIRY_LEN];
    sofa__extras_expiry(ex, expiry);
    return submit_get(c, &gat_type, SOFA__OP_GAT, key, nkey, ex, sizeof(ex), 0, o,
                      (void (*)(void))cb, cookie);
}

int sofa_kv_get_and_lock(sofa_client *c, const void *key, size_t nkey, uint32_t lock_seconds,
                         const sofa_kv_opts *o, sofa_get_cb cb, void *cookie)
{
    if (c && c->memcached)
        return SOFA_E_NOT_SUPPORTED;
    uint8_t ex[SOFA__EXTRAS_EXPIRY_LEN];
    sofa__extras_expiry(ex, lock_seconds);
    return submit_get(c, &getl_type, SOFA__OP_GET_LOCKED, key, nkey, ex, sizeof(ex), 0, o,
                      (void (*)(void))cb, cookie);
}

/* ------------------------------------------------------------ replicas */

typedef struct replica_any {
    int fired;       /* the user's callback has run */
    int first_error; /* by replica order */
    int first_error_idx;
} replica_any;

static void any_child_deliver(sofa__op *op, int status, const sofa__resp *r)
{
    sofa__op *p = op->parent;
    replica_any *ra = p->priv;
    if (!ra->fired) {
        if (status == SOFA_OK) {
            ra->fired = 1;
            sofa_get_result res;
            fill_get(op, status, r, &res);
            ((sofa_get_cb)p->cb)(op->client, SOFA_OK, &res, p->cookie);
        } else if (ra->first_error == 0 || (int)op->replica < ra->first_error_idx) {
            ra->first_error = status;
            ra->first_error_idx = op->replica;
        }
    }
    sofa__op_child_done(op);
}

static void any_parent_deliver(sofa__op *p, int status, const sofa__resp *r)
{
    replica_any *ra = p->priv;
    (void)r;
    if (ra->fired)
        return;
    ra->fired = 1;
    sofa_get_result res;
    memset(&res, 0, sizeof(res));
    res.key = sofa__op_key(p);
    res.nkey = p->nkey;
    res.is_replica = 1;
    int st = status != SOFA_OK ? status : ra->first_error ? ra->first_error : SOFA_E_NO_NODE;
    ((sofa_get_cb)p->cb)(p->client, (sofa_status)st, &res, p->cookie);
}

static const sofa__op_type any_child_type = {"get_replica", 0, any_child_deliver, NULL, NULL};
static const sofa__op_type any_parent_type = {"get_any_replica", 0, any_parent_deliver, NULL,
                                              NULL};

int sofa_kv_get_replica(sofa_client *c, const void *key, size_t nkey, sofa_replica_mode mode,
                        unsigned index, const sofa_kv_opts *o, sofa_get_cb cb, void *cookie)
{
    int rc = sofa__check_copies_submit(c, (const void *)cb, key, nkey);
    if (rc != 0)
        return rc;
    if (mode == SOFA_REPLICA_INDEX) {
        if (index < 1 || index > SOFA__CONFIG_MAX_REPLICAS)
            return SOFA_E_INVALID_ARGUMENT;
        return submit_get(c, &getr_type, SOFA__OP_GET_REPLICA, key, nkey, NULL, 0, index, o,
                          (void (*)(void))cb, cookie);
    }
    if (mode != SOFA_REPLICA_ANY)
        return SOFA_E_INVALID_ARGUMENT;
    if (!c->config)
        return SOFA_E_NOT_CONNECTED;
    size_t nrep = (size_t)c->config->nreplicas;
    sofa__op *p = sofa__op_new(c, &any_parent_type, nkey);
    replica_any *ra = calloc(1, sizeof(*ra));
    sofa__op **kids = nrep ? calloc(nrep, sizeof(*kids)) : NULL;
    int oom = !p || !ra || (nrep && !kids) || sofa__op_parent_reserve(c) != 0;
    for (size_t i = 0; !oom && i < nrep; i++) {
        kids[i] = sofa__kv_op(c, &any_child_type, SOFA__OP_GET_REPLICA, key, nkey, NULL, 0, NULL,
                              0, NULL);
        oom = !kids[i];
    }
    if (oom) {
        for (size_t i = 0; kids && i < nrep; i++)
            free(kids[i]);
        free(kids);
        free(ra);
        free(p);
        return SOFA_E_NO_MEMORY;
    }
    sofa__op_set_request(p, 0, NULL, 0, NULL, 0, key, (uint16_t)nkey, NULL, 0);
    if (nrep == 0)
        ra->first_error = SOFA_E_NO_NODE;
    for (size_t i = 0; i < nrep; i++)
        kids[i]->replica = (uint8_t)(i + 1);
    sofa__op_launch(p, ra, (void (*)(void))cb, cookie, kids, nrep, o ? o->timeout_us : 0);
    free(kids);
    return 0;
}

/* all replicas: one callback with every copy */

typedef struct replica_all {
    sofa_replica_item *items;
    void **values;
    size_t n;
} replica_all;

static void all_child_deliver(sofa__op *op, int status, const sofa__resp *r)
{
    replica_all *ra = op->parent->priv;
    sofa_replica_item *it = &ra->items[op->slot];
    it->status = (sofa_status)status;
    fill_get(op, status, r, &it->result);
    it->result.key = sofa__op_key(op->parent);
    if (status == SOFA_OK && it->result.nvalue) {
        ra->values[op->slot] = sofa__memdup(it->result.value, it->result.nvalue);
        if (!ra->values[op->slot]) {
            it->status = SOFA_E_NO_MEMORY;
            it->result.nvalue = 0;
        }
        it->result.value = ra->values[op->slot];
    }
    sofa__op_child_done(op);
}

static void all_parent_deliver(sofa__op *p, int status, const sofa__resp *r)
{
    replica_all *ra = p->priv;
    (void)r;
    int st = status;
    if (st == SOFA_OK) {
        st = ra->n ? ra->items[0].status : SOFA_E_NO_NODE;
        for (size_t i = 0; i < ra->n; i++)
            if (ra->items[i].status == SOFA_OK)
                st = SOFA_OK;
    }
    ((sofa_replicas_cb)p->cb)(p->client, (sofa_status)st, ra->items, ra->n, p->cookie);
    for (size_t i = 0; i < ra->n; i++)
        free(ra->values[i]);
    free(ra->values);
    free(ra->items);
}

static const sofa__op_type all_child_type = {"get_all_replicas.copy", 0, all_child_deliver, NULL,
                                             NULL};
static const sofa__op_type all_parent_type = {"get_all_replicas", 0, all_parent_deliver, NULL,
                                              NULL};

int sofa_kv_get_all_replicas(sofa_client *c, const void *key, size_t nkey,
                             const sofa_kv_opts *o, sofa_replicas_cb cb, void *cookie)
{
    int rc = sofa__check_copies_submit(c, (const void *)cb, key, nkey);
    if (rc != 0)
        return rc;
    if (!c->config)
        return SOFA_E_NOT_CONNECTED;
    size_t n = (size_t)c->config->nreplicas + 1;
    sofa__op *p = sofa__op_new(c, &all_parent_type, nkey);
    replica_all *ra = calloc(1, sizeof(*ra));
    sofa__op *kids[SOFA__CONFIG_MAX_REPLICAS + 1] = {NULL};
    int oom = !p || !ra || sofa__op_parent_reserve(c) != 0;
    if (!oom) {
        ra->items = calloc(n, sizeof(*ra->items));
        ra->values = calloc(n, sizeof(*ra->values));
        oom = !ra->items || !ra->values;
    }
    for (size_t i = 0; !oom && i < n; i++) {
        kids[i] = sofa__kv_op(c, &all_child_type, i ? SOFA__OP_GET_REPLICA : SOFA__OP_GET, key,
                              nkey, NULL, 0, NULL, 0, NULL);
        oom = !kids[i];
    }
    if (oom) {
        for (size_t i = 0; i < n; i++)
            free(kids[i]);
        if (ra) {
            free(ra->items);
            free(ra->values);
        }
        free(ra);
        free(p);
        return SOFA_E_NO_MEMORY;
    }
    ra->n = n;
    sofa__op_set_request(p, 0, NULL, 0, NULL, 0, key, (uint16_t)nkey, NULL, 0);
    for (size_t i = 0; i < n; i++) {
        kids[i]->replica = (uint8_t)i;
        ra->items[i].status = SOFA_E_NO_MEMORY; /* until the copy's answer */
    }
    sofa__op_launch(p, ra, (void (*)(void))cb, cookie, kids, n, o ? o->timeout_us : 0);
    return 0;
}

/* ------------------------------------------------------------ exists */

static int exists_map(sofa__op *op, const sofa__resp *r)
{
    if (r->status == SOFA__ST_KEY_ENOENT)
        return SOFA_OK; /* "does not exist" is an answer, not an error */
    return sofa__status_from_server(r->status, op->opcode, 0);
}

static void exists_deliver(sofa__op *op, int status, const sofa__resp *r)
{
    sofa_exists_result res;
    memset(&res, 0, sizeof(res));
    res.key = sofa__op_key(op);
    res.nkey = op->nkey;
    if (status == SOFA_OK && r && r->status == SOFA__ST_SUCCESS) {
        int deleted = 0;
        if (op->opcode == SOFA__OP_GET_META && r->nextras >= 4)
            deleted = sofa__get32(r->extras) != 0;
        res.exists = !deleted;
        if (res.exists) {
            res.cas = r->cas;
            uint32_t flags = 0;
            if (op->opcode == SOFA__OP_GET_META && r->nextras >= 8)
                flags = sofa__get32(r->extras + 4);
            else if (sofa__resp_get_flags(r, &flags) != 0)
                flags = 0;
            res.flags = flags;
        }
    }
    ((sofa_exists_cb)op->cb)(op->client, (sofa_status)status, &res, op->cookie);
}

static const sofa__op_type exists_type = {"exists", SOFA__OPF_RETRY_LOCKED, exists_deliver, NULL,
                                          exists_map};

int sofa_kv_exists(sofa_client *c, const void *key, size_t nkey, const sofa_kv_opts *o,
                   sofa_exists_cb cb, void *cookie)
{
    /* memcached has no GET_META (and stalls on unknown keyed commands): use GET there */
    uint8_t opcode = c && c->memcached ? SOFA__OP_GET : SOFA__OP_GET_META;
    return submit_get(c, &exists_type, opcode, key, nkey, NULL, 0, 0, o, (void (*)(void))cb,
                      cookie);
}
