/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* Per-node operations: observe, observe_seqno, ping (NOOP) and stats. */
#include <stdlib.h>
#include <string.h>

#include "kv/engine.h"
#include "sofa/status.h"

/* Server names are copied into collectors so that results stay valid while the
 * topology changes under them. */
static char *node_name_of(sofa_client *c, int idx)
{
    const char *name = "?";
    if (idx >= 0 && (size_t)idx < c->nnodes && c->nodes[idx])
        name = c->nodes[idx]->name;
    return sofa__memdup(name, strlen(name) + 1);
}

/* ------------------------------------------------------------ observe */

typedef struct observe_coll {
    sofa_observe_entry *entries;
    char **names;
    size_t n;
} observe_coll;

static void observe_child_deliver(sofa__op *op, int status, const sofa__resp *r)
{
    observe_coll *oc = op->parent->priv;
    sofa_observe_entry *e = &oc->entries[op->slot];
    e->status = (sofa_status)status;
    if (status == SOFA_OK && r) {
        size_t pos = 0;
        sofa__observe_entry oe;
        int got = sofa__observe_next(r->value, r->nvalue, &pos, &oe);
        if (got == 1) {
            e->state = oe.state;
            e->cas = oe.cas;
            e->ttp = (uint32_t)(r->cas >> 32);
            e->ttr = (uint32_t)r->cas;
        } else {
            e->status = SOFA_E_PROTOCOL;
        }
    }
    sofa__op_child_done(op);
}

static void observe_parent_deliver(sofa__op *p, int status, const sofa__resp *r)
{
    observe_coll *oc = p->priv;
    (void)r;
    int st = status != SOFA_OK ? status : oc->n ? oc->entries[0].status : SOFA_E_NO_NODE;
    ((sofa_observe_cb)p->cb)(p->client, (sofa_status)st, oc->entries, oc->n, p->cookie);
    for (size_t i = 0; i < oc->n; i++)
        free(oc->names[i]);
    free(oc->names);
    free(oc->entries);
}

static const sofa__op_type observe_child_type = {"observe.node", 0, observe_child_deliver, NULL,
                                                 NULL};
static const sofa__op_type observe_parent_type = {"observe", 0, observe_parent_deliver, NULL,
                                                  NULL};

static void free_kids(sofa__op **kids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(kids[i]);
}

int sofa_kv_observe(sofa_client *c, const void *key, size_t nkey, int master_only,
                    const sofa_kv_opts *o, sofa_observe_cb cb, void *cookie)
{
    int rc = sofa__check_copies_submit(c, (const void *)cb, key, nkey);
    if (rc != 0)
        return rc;
    if (!c->config)
        return SOFA_E_NOT_CONNECTED;
    const sofa__config *cfg = c->config;
    uint16_t vb = sofa__vbucket_of(key, nkey, cfg->nvbuckets);
    size_t n = master_only ? 1 : (size_t)cfg->nreplicas + 1;
    sofa__op *kids[SOFA__CONFIG_MAX_REPLICAS + 1] = {NULL};
    sofa__op *p = sofa__op_new(c, &observe_parent_type, nkey);
    observe_coll *oc = calloc(1, sizeof(*oc));
    int oom = !p || !oc || sofa__op_parent_reserve(c) != 0;
    if (!oom) {
        oc->entries = calloc(n, sizeof(*oc->entries));
        oc->names = calloc(n, sizeof(*oc->names));
        oom = !oc->entries || !oc->names;
    }
    uint8_t body[4 + SOFA_KV_MAX_KEY];
    size_t nbody = sofa__observe_key_encode(body, vb, key, (uint16_t)nkey);
    for (size_t i = 0; !oom && i < n; i++) {
        kids[i] = sofa__op_new(c, &observe_child_type, nbody);
        int idx = i == 0 ? sofa__config_master(cfg, vb) : sofa__config_replica(cfg, vb, (int)i - 1);
        oc->names[i] = node_name_of(c, idx);
        oom = !kids[i] || !oc->names[i];
    }
    if (oom) {
        free_kids(kids, n);
        if (oc) {
            for (size_t i = 0; oc->names && i < n; i++)
                free(oc->names[i]);
            free(oc->names);
            free(oc->entries);
        }
        free(oc);
        free(p);
        return SOFA_E_NO_MEMORY;
    }
    oc->n = n;
    sofa__op_set_request(p, 0, NULL, 0, NULL, 0, key, (uint16_t)nkey, NULL, 0);
    for (size_t i = 0; i < n; i++) {
        sofa__op *k = kids[i];
        sofa__op_set_request(k, SOFA__OP_OBSERVE, NULL, 0, NULL, 0, NULL, 0, body,
                             (uint32_t)nbody);
        k->route = SOFA__ROUTE_VBUCKET;
        k->vbid = vb;
        k->vb0 = 1;
        k->replica = (uint8_t)i;
        oc->entries[i].server = oc->names[i];
        oc->entries[i].is_master = i == 0;
        oc->entries[i].status = SOFA_E_NO_MEMORY; /* until the node's answer */
    }
    sofa__op_launch(p, oc, (void (*)(void))cb, cookie, kids, n, o ? o->timeout_us : 0);
    return 0;
}

/* ------------------------------------------------------------ observe_seqno */

static void oseq_deliver(sofa__op *op, int status, const sofa__resp *r)
{
    sofa_observe_seqno_result res;
    memset(&res, 0, sizeof(res));
    res.server = op->node ? op->node->name : "";
    res.is_master = op->replica == 0;
    res.vbid = op->vbid;
    if (status == SOFA_OK && r) {
        sofa__observe_seqno os;
        if (sofa__observe_seqno_parse(r->value, r->nvalue, &os) == 0) {
            res.format = (uint8_t)os.format;
            res.vbid = os.vbid;
            res.vbuuid = os.vbuuid;
            res.persisted_seqno = os.persisted_seqno;
            res.current_seqno = os.current_seqno;
            res.old_vbuuid = os.old_vbuuid;
            res.last_seqno = os.last_seqno;
        } else {
            status = SOFA_E_PROTOCOL;
        }
    }
    ((sofa_observe_seqno_cb)op->cb)(op->client, (sofa_status)status, &res, op->cookie);
}

static const sofa__op_type oseq_type = {"observe_seqno", 0, oseq_deliver, NULL, NULL};

int sofa_kv_observe_seqno(sofa_client *c, uint16_t vbid, uint64_t vbuuid, unsigned replica,
                          const sofa_kv_opts *o, sofa_observe_seqno_cb cb, void *cookie)
{
    int rc = sofa__check_submit(c, (const void *)cb);
    if (rc != 0)
        return rc;
    if (c->memcached)
        return SOFA_E_NOT_SUPPORTED;
    if (replica > SOFA__CONFIG_MAX_REPLICAS)
        return SOFA_E_INVALID_ARGUMENT;
    uint8_t v[8];
    sofa__put64(v, vbuuid);
    sofa__op *op = sofa__op_new(c, &oseq_type, sizeof(v));
    if (!op)
        return SOFA_E_NO_MEMORY;
    sofa__op_set_request(op, SOFA__OP_OBSERVE_SEQNO, NULL, 0, NULL, 0, NULL, 0, v, sizeof(v));
    op->route = SOFA__ROUTE_VBUCKET;
    op->vbid = vbid;
    op->replica = (uint8_t)replica;
    op->cb = (void (*)(void))cb;
    op->cookie = cookie;
    return sofa__op_submit(op, o ? o->timeout_us : 0);
}

/* ------------------------------------------------------------ ping */

typedef struct ping_coll {
    sofa_ping_entry *entries;
    char **names;
    size_t n;
} ping_coll;

static void ping_child_deliver(sofa__op *op, int status, const sofa__resp *r)
{
    ping_coll *pc = op->parent->priv;
    (void)r;
    pc->entries[op->slot].status = (sofa_status)status;
    pc->entries[op->slot].latency_us = sofa__now(op->client->io) - op->start;
    sofa__op_child_done(op);
}

static void ping_parent_deliver(sofa__op *p, int status, const sofa__resp *r)
{
    ping_coll *pc = p->priv;
    (void)r;
    int st = status;
    for (size_t i = 0; st == SOFA_OK && i < pc->n; i++)
        if (pc->entries[i].status != SOFA_OK)
            st = pc->entries[i].status;
    ((sofa_ping_cb)p->cb)(p->client, (sofa_status)st, pc->entries, pc->n, p->cookie);
    for (size_t i = 0; i < pc->n; i++)
        free(pc->names[i]);
    free(pc->names);
    free(pc->entries);
}

static const sofa__op_type ping_child_type = {"ping.node", 0, ping_child_deliver, NULL, NULL};
static const sofa__op_type ping_parent_type = {"ping", 0, ping_parent_deliver, NULL, NULL};

/* ------------------------------------------------------------ stats */

typedef struct stats_coll {
    sofa_stat_entry *entries;
    size_t n, cap;
    char **names;
    size_t nnames;
    int oom;         /* an entry could not be kept */
    int first_error; /* the first node's failure */
} stats_coll;

static int stats_packet(sofa__op *op, const sofa__resp *r)
{
    stats_coll *sc = op->parent->priv;
    if (r->status != SOFA__ST_SUCCESS || r->nkey == 0)
        return 1; /* an error or the terminator */
    if (sc->n == sc->cap) {
        size_t ncap = sc->cap ? sc->cap * 2 : 64;
        sofa_stat_entry *e = realloc(sc->entries, ncap * sizeof(*e));
        if (!e) {
            sc->oom = 1;
            return 0;
        }
        sc->entries = e;
        sc->cap = ncap;
    }
    char *k = malloc((size_t)r->nkey + 1);
    char *v = malloc((size_t)r->nvalue + 1);
    if (!k || !v) {
        free(k);
        free(v);
        sc->oom = 1;
        return 0;
    }
    memcpy(k, r->key, r->nkey);
    k[r->nkey] = '\0';
    if (r->nvalue)
        memcpy(v, r->value, r->nvalue);
    v[r->nvalue] = '\0';
    sofa_stat_entry *e = &sc->entries[sc->n++];
    e->server = sc->names[op->slot];
    e->key = k;
    e->value = v;
    return 0;
}

static void stats_child_deliver(sofa__op *op, int status, const sofa__resp *r)
{
    (void)r;
    stats_coll *sc = op->parent->priv;
    if (status != SOFA_OK && !sc->first_error)
        sc->first_error = status;
    sofa__op_child_done(op);
}

static void stats_parent_deliver(sofa__op *p, int status, const sofa__resp *r)
{
    stats_coll *sc = p->priv;
    (void)r;
    int st = status != SOFA_OK ? status
             : sc->first_error  ? sc->first_error
             : sc->oom          ? SOFA_E_NO_MEMORY
                                : SOFA_OK;
    ((sofa_stats_cb)p->cb)(p->client, (sofa_status)st, sc->entries, sc->n, p->cookie);
    for (size_t i = 0; i < sc->n; i++) {
        free((char *)sc->entries[i].key);
        free((char *)sc->entries[i].value);
    }
    free(sc->entries);
    for (size_t i = 0; i < sc->nnames; i++)
        free(sc->names[i]);
    free(sc->names);
}

static const sofa__op_type stats_child_type = {"stats.node", SOFA__OPF_MULTI_RESP,
                                               stats_child_deliver, stats_packet, NULL};
static const sofa__op_type stats_parent_type = {"stats", 0, stats_parent_deliver, NULL, NULL};

/* One child per KV node of the current config. */
static int per_node(sofa_client *c, const sofa__op_type *pt, const sofa__op_type *kt,
                    uint8_t opcode, const char *key, const sofa_kv_opts *o, void (*cb)(void),
                    void *cookie)
{
    int rc = sofa__check_submit(c, (const void *)cb);
    if (rc != 0)
        return rc;
    if (!c->config)
        return SOFA_E_NOT_CONNECTED;
    size_t nkey = key ? strlen(key) : 0;
    if (nkey > SOFA_KV_MAX_KEY)
        return SOFA_E_KEY_TOO_LONG;
    size_t n = c->nnodes;
    sofa__op *p = sofa__op_new(c, pt, 0);
    sofa__op **kids = n ? calloc(n, sizeof(*kids)) : NULL;
    char **names = n ? calloc(n, sizeof(*names)) : NULL;
    int oom = !p || (n && (!kids || !names)) || sofa__op_parent_reserve(c) != 0;
    for (size_t i = 0; !oom && i < n; i++) {
        kids[i] = sofa__op_new(c, kt, nkey);
        names[i] = node_name_of(c, (int)i);
        oom = !kids[i] || !names[i];
    }
    void *priv = NULL;
    if (!oom && pt == &ping_parent_type) {
        ping_coll *pc = calloc(1, sizeof(*pc));
        if (pc) {
            pc->entries = calloc(n ? n : 1, sizeof(*pc->entries));
            if (!pc->entries) {
                free(pc);
                pc = NULL;
            } else {
                pc->names = names;
                pc->n = n;
                for (size_t i = 0; i < n; i++) {
                    pc->entries[i].server = names[i];
                    pc->entries[i].status = SOFA_E_NO_MEMORY;
                }
            }
        }
        priv = pc;
    } else if (!oom) {
        stats_coll *sc = calloc(1, sizeof(*sc));
        if (sc) {
            sc->names = names;
            sc->nnames = n;
        }
        priv = sc;
    }
    if (oom || !priv) {
        for (size_t i = 0; kids && i < n; i++)
            free(kids[i]);
        for (size_t i = 0; names && i < n; i++)
            free(names[i]);
        free(kids);
        free(names);
        free(p);
        return SOFA_E_NO_MEMORY;
    }
    for (size_t i = 0; i < n; i++) {
        sofa__op *k = kids[i];
        sofa__op_set_request(k, opcode, NULL, 0, NULL, 0, key, (uint16_t)nkey, NULL, 0);
        k->route = SOFA__ROUTE_NODE;
        k->fixed_node = (int)i;
        k->config_gen = c->config_gen;
    }
    sofa__op_launch(p, priv, cb, cookie, kids, n, o ? o->timeout_us : 0);
    free(kids);
    return 0;
}

int sofa_kv_ping(sofa_client *c, const sofa_kv_opts *o, sofa_ping_cb cb, void *cookie)
{
    return per_node(c, &ping_parent_type, &ping_child_type, SOFA__OP_NOOP, NULL, o,
                    (void (*)(void))cb, cookie);
}

int sofa_kv_stats(sofa_client *c, const char *group, const sofa_kv_opts *o, sofa_stats_cb cb,
                  void *cookie)
{
    return per_node(c, &stats_parent_type, &stats_child_type, SOFA__OP_STAT,
                    group && *group ? group : NULL, o, (void (*)(void))cb, cookie);
}
