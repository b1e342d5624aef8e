/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* Mutations: store (upsert/insert/replace/append/prepend), remove, counter, touch, unlock. */
#include <string.h>

#include "durability/durable.h"
#include "kv/engine.h"
#include "sofa/status.h"

static void mutation_deliver(sofa__op *op, int status, const sofa__resp *r)
{
    sofa_mutation_result res;
    memset(&res, 0, sizeof(res));
    res.key = sofa__op_key(op);
    res.nkey = op->nkey;
    if (status == SOFA_OK && r) {
        res.cas = r->cas;
        uint64_t vbuuid = 0, seqno = 0;
        if (sofa__resp_mutation_token(r, &vbuuid, &seqno) == 0) {
            res.token.vbid = op->vbid;
            res.token.vbuuid = vbuuid;
            res.token.seqno = seqno;
        }
        if (op->opcode == SOFA__OP_INCREMENT || op->opcode == SOFA__OP_DECREMENT) {
            uint64_t v = 0;
            if (sofa__resp_counter_value(r, &v) == 0)
                res.counter = v;
        }
    }
    ((sofa_mutation_cb)op->cb)(op->client, (sofa_status)status, &res, op->cookie);
}

static const sofa__op_type store_type = {"store", SOFA__OPF_MUTATION | SOFA__OPF_RETRY_LOCKED,
                                         mutation_deliver, NULL, NULL};
static const sofa__op_type remove_type = {"remove", SOFA__OPF_MUTATION | SOFA__OPF_RETRY_LOCKED,
                                          mutation_deliver, NULL, NULL};
static const sofa__op_type counter_type = {"counter",
                                           SOFA__OPF_MUTATION | SOFA__OPF_RETRY_LOCKED,
                                           mutation_deliver, NULL, NULL};
static const sofa__op_type touch_type = {"touch", SOFA__OPF_MUTATION | SOFA__OPF_RETRY_LOCKED,
                                         mutation_deliver, NULL, NULL};

/* UNLOCK: a wrong CAS is reported as LOCKED (0x09) and never retried. */
static const sofa__op_type unlock_type = {"unlock", SOFA__OPF_MUTATION, mutation_deliver, NULL,
                                          NULL};

static int submit_mut(sofa_client *c, const sofa__op_type *t, uint8_t opcode, const void *key,
                      size_t nkey, const void *extras, uint8_t nextras, const void *value,
                      size_t nvalue, const sofa_kv_opts *o, uint64_t cas, sofa_mutation_cb cb,
                      void *cookie)
{
    int rc = sofa__check_key_submit(c, (const void *)cb, key, nkey);
    if (rc != 0)
        return rc;
    if (!value && nvalue)
        return SOFA_E_INVALID_ARGUMENT;
    if (nvalue > SOFA_KV_MAX_VALUE)
        return SOFA_E_VALUE_TOO_LARGE;
    if (o && o->durability_level > SOFA_DURABILITY_PERSIST_TO_MAJORITY)
        return SOFA_E_INVALID_ARGUMENT;
    if (o && o->durability_level && c->memcached)
        return SOFA_E_NOT_SUPPORTED;
    if (o && (o->datatype & ~(unsigned)SOFA_DATATYPE_JSON))
        return SOFA_E_INVALID_ARGUMENT; /* sofa sends no compressed or xattr bodies */
    sofa__op *op = sofa__kv_op(c, t, opcode, key, nkey, extras, nextras, value, nvalue, o);
    if (!op)
        return SOFA_E_NO_MEMORY;
    op->cas = cas;
    op->had_cas = cas != 0;
    op->cb = (void (*)(void))cb;
    op->cookie = cookie;
    return sofa__op_submit(op, o ? o->timeout_us : 0);
}

int sofa_kv_store(sofa_client *c, sofa_store_op sop, const void *key, size_t nkey,
                  const void *value, size_t nvalue, const sofa_kv_opts *o, sofa_mutation_cb cb,
                  void *cookie)
{
    static const uint8_t opcodes[] = {SOFA__OP_SET, SOFA__OP_ADD, SOFA__OP_REPLACE,
                                      SOFA__OP_APPEND, SOFA__OP_PREPEND};
    if ((unsigned)sop > SOFA_STORE_PREPEND)
        return SOFA_E_INVALID_ARGUMENT;
    if (sofa__wants_endure(o)) /* client-side durability (src/durability/) */
        return sofa__durable_store(c, sop, key, nkey, value, nvalue, o, cb, cookie);
    uint64_t cas = o ? o->cas : 0;
    if (sop == SOFA_STORE_INSERT && cas)
        return SOFA_E_INVALID_ARGUMENT; /* insert cannot check a CAS */
    uint8_t ex[SOFA__EXTRAS_STORE_LEN];
    uint8_t nex = 0;
    if (sop <= SOFA_STORE_REPLACE) {
        sofa__extras_store(ex, o ? o->flags : 0, o ? o->expiry : 0);
        nex = sizeof(ex);
    }
    return submit_mut(c, &store_type, opcodes[sop], key, nkey, ex, nex, value, nvalue, o, cas,
                      cb, cookie);
}

int sofa_kv_upsert(sofa_client *c, const void *key, size_t nkey, const void *value,
                   size_t nvalue, const sofa_kv_opts *o, sofa_mutation_cb cb, void *cookie)
{
    return sofa_kv_store(c, SOFA_STORE_UPSERT, key, nkey, value, nvalue, o, cb, cookie);
}

int sofa_kv_remove(sofa_client *c, const void *key, size_t nkey, const sofa_kv_opts *o,
                   sofa_mutation_cb cb, void *cookie)
{
    if (sofa__wants_endure(o))
        return sofa__durable_remove(c, key, nkey, o, cb, cookie);
    return submit_mut(c, &remove_type, SOFA__OP_DELETE, key, nkey, NULL, 0, NULL, 0, o,
                      o ? o->cas : 0, cb, cookie);
}

int sofa_kv_counter(sofa_client *c, const void *key, size_t nkey, int64_t delta,
                    uint64_t initial, int create, const sofa_kv_opts *o, sofa_mutation_cb cb,
                    void *cookie)
{
    if (sofa__wants_endure(o))
        return sofa__durable_counter(c, key, nkey, delta, initial, create, o, cb, cookie);
    uint8_t ex[SOFA__EXTRAS_COUNTER_LEN];
    uint8_t opcode = delta >= 0 ? SOFA__OP_INCREMENT : SOFA__OP_DECREMENT;
    uint64_t magnitude = delta >= 0 ? (uint64_t)delta : (uint64_t)(-(delta + 1)) + 1u;
    uint32_t expiry = create ? (o ? o->expiry : 0) : SOFA__COUNTER_NO_CREATE;
    if (create && expiry == SOFA__COUNTER_NO_CREATE)
        return SOFA_E_INVALID_ARGUMENT;
    sofa__extras_counter(ex, magnitude, initial, expiry);
    return submit_mut(c, &counter_type, opcode, key, nkey, ex, sizeof(ex), NULL, 0, o, 0, cb,
                      cookie);
}

int sofa_kv_touch(sofa_client *c, const void *key, size_t nkey, uint32_t expiry,
                  const sofa_kv_opts *o, sofa_mutation_cb cb, void *cookie)
{
    uint8_t ex[SOFA__EXTRAS_EXPIRY_LEN];
    sofa__extras_expiry(ex, expiry);
    return submit_mut(c, &touch_type, SOFA__OP_TOUCH, key, nkey, ex, sizeof(ex), NULL, 0, o, 0,
                      cb, cookie);
}

int sofa_kv_unlock(sofa_client *c, const void *key, size_t nkey, uint64_t cas,
                   const sofa_kv_opts *o, sofa_mutation_cb cb, void *cookie)
{
    if (c && c->memcached)
        return SOFA_E_NOT_SUPPORTED;
    if (cas == 0)
        return SOFA_E_INVALID_ARGUMENT;
    return submit_mut(c, &unlock_type, SOFA__OP_UNLOCK_KEY, key, nkey, NULL, 0, NULL, 0, o, cas,
                      cb, cookie);
}
