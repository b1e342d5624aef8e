/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* The router: which node serves an operation under the current configuration. */
#include "kv/engine.h"
#include "proto/hash.h"
#include "sofa/status.h"

/* Node index for copy @p replica (0 = master) of vBucket @p vb, or -1. */
static int copy_of(const sofa__config *cfg, uint16_t vb, unsigned replica)
{
    return replica == 0 ? sofa__config_master(cfg, vb)
                        : sofa__config_replica(cfg, vb, (int)replica - 1);
}

static int route_key(const sofa__config *cfg, sofa__op *op, int *status)
{
    if (!cfg->is_ketama) {
        op->vbid = sofa__vbucket_of(sofa__op_key(op), op->nkey, cfg->nvbuckets);
        return copy_of(cfg, op->vbid, op->replica);
    }
    if (op->replica) {
        *status = SOFA_E_NOT_SUPPORTED;
        return -2;
    }
    op->vbid = 0;
    /* one server owns every key: skip the MD5 */
    return cfg->nkv == 1 ? 0 : (int)sofa__ketama_lookup(&cfg->ketama, sofa__op_key(op), op->nkey);
}

/* Any ready node, in turn (config polling); a not-ready one when none is. */
static int route_any(sofa_client *c)
{
    int idx = -1;
    for (size_t i = 0; i < c->nnodes && idx < 0; i++) {
        size_t k = (c->poll_rr + i) % c->nnodes;
        if (c->nodes[k] && c->nodes[k]->state == SOFA__NODE_READY)
            idx = (int)k;
    }
    c->poll_rr++;
    return idx >= 0 ? idx : (int)(c->poll_rr % c->nnodes);
}

sofa__kvnode *sofa__route(sofa_client *c, sofa__op *op, int *status)
{
    const sofa__config *cfg = c->config;
    if (op->route == SOFA__ROUTE_PINNED) {
        if (!op->pin || op->pin->removed || op->pin->state == SOFA__NODE_FAILED) {
            *status = SOFA_E_NO_NODE;
            return NULL;
        }
        return op->pin;
    }
    if (!cfg || c->nnodes == 0) {
        *status = SOFA_E_NO_CONFIG;
        return NULL;
    }
    int idx;
    switch (op->route) {
    case SOFA__ROUTE_KEY:
        idx = route_key(cfg, op, status);
        if (idx == -2)
            return NULL;
        break;
    case SOFA__ROUTE_VBUCKET:
        if (cfg->is_ketama || op->vbid >= cfg->nvbuckets) {
            *status = cfg->is_ketama ? SOFA_E_NOT_SUPPORTED : SOFA_E_INVALID_ARGUMENT;
            return NULL;
        }
        idx = copy_of(cfg, op->vbid, op->replica);
        break;
    case SOFA__ROUTE_NODE: /* stale when the topology changed since the op picked its node */
        idx = op->config_gen == c->config_gen ? op->fixed_node : -1;
        break;
    default:
        idx = route_any(c);
        break;
    }
    if (idx < 0 || (size_t)idx >= c->nnodes || !c->nodes[idx]) {
        *status = SOFA_E_NO_NODE;
        return NULL;
    }
    return c->nodes[idx];
}
