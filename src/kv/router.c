/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* The router: which node serves an operation under the current configuration. */
#include "kv/engine.h"
#include "proto/hash.h"
#include "sofa/status.h"

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
    int idx = -1;
    switch (op->route) {
    case SOFA__ROUTE_KEY:
        if (cfg->is_ketama) {
            if (op->replica) {
                *status = SOFA_E_NOT_SUPPORTED;
                return NULL;
            }
            /* one server owns every key: skip the MD5 */
            idx = cfg->nkv == 1 ? 0
                                : (int)sofa__ketama_lookup(&cfg->ketama, sofa__op_key(op), op->nkey);
            op->vbid = 0;
        } else {
            op->vbid = sofa__vbucket_of(sofa__op_key(op), op->nkey, cfg->nvbuckets);
            idx = op->replica == 0 ? sofa__config_master(cfg, op->vbid)
                                   : sofa__config_replica(cfg, op->vbid, op->replica - 1);
        }
        break;
    case SOFA__ROUTE_VBUCKET:
        if (cfg->is_ketama || op->vbid >= cfg->nvbuckets) {
            *status = cfg->is_ketama ? SOFA_E_NOT_SUPPORTED : SOFA_E_INVALID_ARGUMENT;
            return NULL;
        }
        idx = op->replica == 0 ? sofa__config_master(cfg, op->vbid)
                               : sofa__config_replica(cfg, op->vbid, op->replica - 1);
        break;
    case SOFA__ROUTE_NODE:
        if (op->config_gen != c->config_gen) {
            /* the topology changed since the op picked its node */
            *status = SOFA_E_NO_NODE;
            return NULL;
        }
        idx = op->fixed_node;
        break;
    case SOFA__ROUTE_ANY:
    default: {
        for (size_t i = 0; i < c->nnodes; i++) {
            size_t k = (c->poll_rr + i) % c->nnodes;
            if (c->nodes[k] && c->nodes[k]->state == SOFA__NODE_READY) {
                idx = (int)k;
                break;
            }
        }
        c->poll_rr++;
        if (idx < 0)
            idx = (int)(c->poll_rr % c->nnodes);
        break;
    }
    }
    if (idx < 0 || (size_t)idx >= c->nnodes || !c->nodes[idx]) {
        *status = SOFA_E_NO_NODE;
        return NULL;
    }
    return c->nodes[idx];
}
