/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* The operation record: submit, dispatch, deadline, retry and the single completion. */
#include <stdlib.h>
#include <string.h>

#include "kv/engine.h"
#include "sofa/status.h"

static void on_op_timer(sofa__tentry *e, void *arg);

/* sofa__op_new, inlined into this file's hot callers */
static inline sofa__op *op_alloc(sofa_client *c, const sofa__op_type *type, size_t nbody)
{
    if (nbody > SIZE_MAX - sizeof(sofa__op))
        return NULL;
    int cls = nbody <= SOFA__OP_SMALL_BODY    ? 1
              : nbody <= SOFA__OP_MEDIUM_BODY ? 2
              : nbody <= SOFA__OP_LARGE_BODY  ? 3
                                              : 0;
    sofa__op *op;
    if (cls && c->free_ops[cls - 1]) {
        op = c->free_ops[cls - 1];
        c->free_ops[cls - 1] = op->next;
        c->nfree_ops[cls - 1]--;
    } else {
        static const size_t caps[SOFA__OP_CLASSES] = {SOFA__OP_SMALL_BODY, SOFA__OP_MEDIUM_BODY,
                                                      SOFA__OP_LARGE_BODY};
        size_t cap = cls ? caps[cls - 1] : nbody;
        op = malloc(sizeof(*op) + cap);
        if (!op)
            return NULL;
    }
    memset(op, 0, sizeof(*op));
    op->size_class = (uint8_t)cls;
    op->client = c;
    op->type = type;
    op->body = (uint8_t *)(op + 1);
    op->fixed_node = -1;
    sofa__tentry_init(&op->timer, on_op_timer, op);
    return op;
}

sofa__op *sofa__op_new(sofa_client *c, const sofa__op_type *type, size_t nbody)
{
    return op_alloc(c, type, nbody);
}

/* sofa__op_set_request, inlined into this file's hot callers */
static inline void op_fill(sofa__op *op, uint8_t opcode, const void *framing, uint8_t nframing,
                           const void *extras, uint8_t nextras, const void *key, uint16_t nkey,
                           const void *value, uint32_t nvalue)
{
    uint8_t *p = op->body;
    op->opcode = opcode;
    op->nframing = nframing;
    op->nextras = nextras;
    op->nkey = nkey;
    op->nvalue = nvalue;
    if (nframing) {
        memcpy(p, framing, nframing);
        p += nframing;
    }
    if (nextras) {
        memcpy(p, extras, nextras);
        p += nextras;
    }
    if (nkey) {
        memcpy(p, key, nkey);
        p += nkey;
    }
    if (nvalue)
        memcpy(p, value, nvalue);
}

void sofa__op_set_request(sofa__op *op, uint8_t opcode, const void *framing, uint8_t nframing,
                          const void *extras, uint8_t nextras, const void *key, uint16_t nkey,
                          const void *value, uint32_t nvalue)
{
    op_fill(op, opcode, framing, nframing, extras, nextras, key, nkey, value, nvalue);
}

/* The next live record after @p op (the first when @p op is NULL), or NULL. */
static sofa__op *live_next(const sofa_client *c, const sofa__op *op)
{
    return SOFA__DLIST_ENTRY(op ? op->live.next : c->live.head, sofa__op, live);
}

static int counted(const sofa__op *op)
{
    return !op->parent && !(op->type->flags & SOFA__OPF_INTERNAL);
}

int sofa__op_submit(sofa__op *op, uint64_t timeout_us)
{
    sofa_client *c = op->client;
    uint64_t now = sofa__now(c->io);
    op->start = now;
    if (timeout_us == 0)
        timeout_us = c->op_timeout_us;
    op->deadline = now + timeout_us;
    if (sofa__timerq_add(&c->tq, &op->timer, op->deadline) != 0) {
        free(op);
        return SOFA_E_NO_MEMORY;
    }
    sofa__dlist_push(&c->live, &op->live);
    if (counted(op))
        c->npending++;
    op->state = SOFA__OPS_NEW;
    sofa__op_dispatch(op);
    return 0;
}

int sofa__op_parent_reserve(sofa_client *c)
{
    return sofa__timerq_reserve(&c->tq, c->tq.n + 1);
}

int sofa__op_submit_parent(sofa__op *parent, size_t n)
{
    sofa_client *c = parent->client;
    parent->is_parent = 1;
    parent->remaining = n;
    parent->start = sofa__now(c->io);
    sofa__dlist_push(&c->live, &parent->live);
    c->npending++;
    parent->state = SOFA__OPS_NEW;
    if (n == 0)
        sofa__op_fail_later(parent, SOFA_OK);
    return 0;
}

void sofa__op_launch(sofa__op *p, void *priv, void (*cb)(void), void *cookie, sofa__op **kids,
                     size_t n, uint64_t timeout_us)
{
    p->priv = priv;
    p->cb = cb;
    p->cookie = cookie;
    sofa__op_submit_parent(p, n);
    for (size_t i = 0; i < n; i++) {
        kids[i]->parent = p;
        kids[i]->slot = i;
        /* a child that cannot be accepted counts as answered: the collector still
         * completes exactly once */
        if (sofa__op_submit(kids[i], timeout_us) != 0 && --p->remaining == 0)
            sofa__op_fail_later(p, SOFA_OK);
    }
}

void sofa__op_fail_later(sofa__op *op, int status)
{
    sofa_client *c = op->client;
    op->fail_status = status ? status : 1; /* 1 = complete with SOFA_OK */
    sofa__list_remove(op);
    op->state = SOFA__OPS_RETRY;
    if (sofa__timerq_add(&c->tq, &op->timer, sofa__now(c->io)) != 0) {
        /* cannot defer: the heap is full; complete at the next deadline check instead */
        SOFA_LOG(&c->logger, SOFA_LOG_WARN, "kv", "out of memory deferring a completion");
    }
}

void sofa__op_dispatch(sofa__op *op)
{
    sofa_client *c = op->client;
    int st = 0;
    sofa__kvnode *n = sofa__route(c, op, &st);
    if (n) {
        sofa__node_enqueue(n, op);
        return;
    }
    if (st == SOFA_E_NO_CONFIG) {
        if (c->boot_state == SOFA__BOOT_FAILED) {
            sofa__op_fail_later(op, c->boot_status ? c->boot_status : SOFA_E_BOOTSTRAP_FAILED);
            return;
        }
        op->state = SOFA__OPS_WAITING;
        sofa__list_push(&c->waiting, op);
        return;
    }
    if (st == SOFA_E_NO_NODE && op->route == SOFA__ROUTE_KEY && op->replica == 0) {
        /* e.g. a failover in progress: the vBucket has no master right now */
        sofa__config_refresh(c);
        sofa__op_retry_later(op, sofa__retry_backoff(op->attempts));
        return;
    }
    sofa__op_fail_later(op, st);
}

void sofa__op_free(sofa__op *op)
{
    sofa_client *c = op->client;
    sofa__list_remove(op);
    if (sofa__tentry_queued(&op->timer)) /* answered ops left the queue already */
        sofa__timerq_remove(&c->tq, &op->timer);
    (void)sofa__dlist_unlink(&c->live, &op->live);
    if (op->priv)
        free(op->priv);
    int cls = op->size_class;
    if (cls && !c->destroying &&
        c->nfree_ops[cls - 1] < (cls == 3 ? SOFA__OP_FREELIST_LARGE_MAX : SOFA__OP_FREELIST_MAX)) {
        op->next = c->free_ops[cls - 1];
        c->free_ops[cls - 1] = op;
        c->nfree_ops[cls - 1]++;
        return;
    }
    free(op);
}

void sofa__op_pool_free(sofa_client *c)
{
    for (int k = 0; k < SOFA__OP_CLASSES; k++) {
        while (c->free_ops[k]) {
            sofa__op *op = c->free_ops[k];
            c->free_ops[k] = op->next;
            free(op);
        }
        c->nfree_ops[k] = 0;
    }
}

void sofa__op_complete(sofa__op *op, int status, const sofa__resp *resp)
{
    sofa_client *c = op->client;
    if (op->state == SOFA__OPS_DONE)
        return;
    int in_flight = op->state == SOFA__OPS_SENT;
    if (!in_flight)
        sofa__list_remove(op);
    sofa__timerq_remove(&c->tq, &op->timer);
    op->state = SOFA__OPS_DONE;
    int count = counted(op);
    op->type->deliver(op, status, resp);
    if (count && c->npending > 1)
        c->npending--; /* not the last: sofa__client_op_done would do only this */
    else if (count)
        sofa__client_op_done(c);
    if (in_flight)
        op->zombie = 1; /* released when its response or its connection's end arrives */
    else
        sofa__op_free(op);
}

void sofa__op_child_done(sofa__op *child)
{
    sofa__op *p = child->parent;
    if (!p || p->remaining == 0)
        return;
    /* During sofa_client_free() the collector ends because it was canceled, whatever its
     * children that finished earlier said: every pending operation gets CANCELED. */
    if (--p->remaining == 0)
        sofa__op_complete(p, p->client->destroying ? SOFA_E_CANCELED : SOFA_OK, NULL);
}

void sofa__op_retry_later(sofa__op *op, uint64_t delay_us)
{
    sofa_client *c = op->client;
    uint64_t now = sofa__now(c->io);
    op->attempts++;
    sofa__list_remove(op);
    op->node = NULL;
    op->state = SOFA__OPS_RETRY;
    uint64_t when = now + delay_us;
    if (when > op->deadline)
        when = op->deadline;
    op->retry_at = when;
    if (sofa__timerq_add(&c->tq, &op->timer, when) != 0)
        op->retry_at = 0; /* the old deadline entry stays armed */
}

static void on_op_timer(sofa__tentry *e, void *arg)
{
    sofa__op *op = arg;
    sofa_client *c = op->client;
    (void)e;
    if (op->fail_status) {
        int st = op->fail_status == 1 ? SOFA_OK : op->fail_status;
        op->fail_status = 0;
        sofa__op_complete(op, st, NULL);
        return;
    }
    uint64_t now = sofa__now(c->io);
    if (op->state == SOFA__OPS_RETRY && now < op->deadline) {
        op->state = SOFA__OPS_NEW;
        op->retry_at = 0;
        if (sofa__timerq_add(&c->tq, &op->timer, op->deadline) != 0) {
            sofa__op_complete(op, SOFA_E_NO_MEMORY, NULL);
            return;
        }
        sofa__op_dispatch(op);
        return;
    }
    if (now < op->deadline) { /* woken early (a moved entry); sleep again */
        if (sofa__timerq_add(&c->tq, &op->timer, op->deadline) == 0)
            return;
    }
    int st = sofa__timeout_status(op->type->flags, op->state == SOFA__OPS_SENT,
                                  op->maybe_executed);
    SOFA_LOG(&c->logger, SOFA_LOG_DEBUG, "kv", "%s timed out (%s) after %u attempt(s)",
             op->type->name, sofa_status_name(st), (unsigned)op->attempts + 1);
    sofa__op_complete(op, st, NULL);
}

void sofa__op_on_response(sofa__op *op, sofa__kvnode *n, const sofa__resp *resp)
{
    sofa_client *c = op->client;
    if (resp->status == SOFA__ST_SUCCESS && !op->type->map_status) { /* the common case */
        sofa__op_complete(op, SOFA_OK, resp);
        return;
    }
    int st = op->type->map_status ? op->type->map_status(op, resp)
                                  : sofa__status_from_server(resp->status, op->opcode, op->had_cas);
    if (st == SOFA_OK) {
        sofa__op_complete(op, SOFA_OK, resp);
        return;
    }
    if (st == SOFA_E_NOT_MY_VBUCKET) {
        op->maybe_executed = 0; /* the server did not execute it */
        int applied = 0;
        if (resp->nvalue > 0)
            applied = sofa__config_offer(c, resp->value, resp->nvalue, n->host) == 1;
        if (!applied)
            sofa__config_refresh(c);
        if (op->route == SOFA__ROUTE_NODE) { /* fixed target: nothing to re-route */
            sofa__op_complete(op, st, resp);
            return;
        }
        sofa__op_retry_later(op, applied ? 0 : sofa__retry_backoff(op->attempts));
        return;
    }
    uint64_t delay = 0;
    sofa__retry_action a = sofa__retry_decide(st, op->type->flags, op->attempts, &delay);
    if (st == SOFA_E_SERVER_ERROR && c->errmap) { /* a status newer than sofa: ask the map */
        const sofa__errmap_entry *e = sofa__errmap_lookup(c->errmap, resp->status);
        int refresh = 0;
        if (e) {
            a = sofa__retry_decide_attrs(e->attrs, op->attempts, &delay, &refresh);
            if (refresh)
                sofa__config_refresh(c);
            SOFA_LOG(&c->logger, SOFA_LOG_DEBUG, "kv", "status 0x%x (%s) per error map: %s",
                     (unsigned)resp->status, e->name, a == SOFA__RETRY_NO ? "fail" : "retry");
        }
    }
    if (a != SOFA__RETRY_NO) {
        op->maybe_executed = 0;
        sofa__op_retry_later(op, delay);
        return;
    }
    sofa__op_complete(op, st, resp);
}

void sofa__op_on_conn_lost(sofa__op *op, int status, int sent)
{
    if (op->zombie) {
        sofa__op_free(op);
        return;
    }
    op->node = NULL;
    op->state = SOFA__OPS_NEW;
    if (!sent && op->route != SOFA__ROUTE_PINNED) {
        op->maybe_executed = 0;
        sofa__op_retry_later(op, SOFA__RETRY_MIN_US);
        return;
    }
    sofa__op_complete(op, status, NULL);
}

static void cancel_pass(sofa_client *c, int parents)
{
    /* Completing one op may free others (its collector), so take a snapshot first. */
    size_t n = 0;
    for (sofa__op *op = live_next(c, NULL); op; op = live_next(c, op))
        if (op->state != SOFA__OPS_DONE && op->is_parent == parents)
            n++;
    if (n == 0)
        return;
    sofa__op **snap = malloc(n * sizeof(*snap));
    if (!snap) { /* slow path without memory: restart from the head after each one */
        for (;;) {
            sofa__op *op = live_next(c, NULL);
            while (op && (op->state == SOFA__OPS_DONE || op->is_parent != parents))
                op = live_next(c, op);
            if (!op)
                return;
            op->fail_status = 0;
            op->remaining = 0;
            sofa__op_complete(op, SOFA_E_CANCELED, NULL);
        }
    }
    size_t i = 0;
    for (sofa__op *op = live_next(c, NULL); op && i < n; op = live_next(c, op))
        if (op->state != SOFA__OPS_DONE && op->is_parent == parents)
            snap[i++] = op;
    for (size_t k = 0; k < i; k++) {
        sofa__op *op = snap[k];
        if (parents) { /* a collector may have been completed (and freed) by its children */
            int alive = 0;
            for (sofa__op *q = live_next(c, NULL); q; q = live_next(c, q))
                if (q == op) {
                    alive = 1;
                    break;
                }
            if (!alive || op->state == SOFA__OPS_DONE)
                continue;
            op->remaining = 0;
        }
        op->fail_status = 0;
        sofa__op_complete(op, SOFA_E_CANCELED, NULL);
    }
    free(snap);
}

void sofa__op_cancel_all(sofa_client *c)
{
    cancel_pass(c, 0); /* every real op; collectors complete through their children */
    cancel_pass(c, 1); /* collectors left without children (e.g. zero keys) */
}

void *sofa__memdup(const void *p, size_t n)
{
    void *d = malloc(n ? n : 1);
    if (d && n)
        memcpy(d, p, n);
    return d;
}

int sofa__kv_durability(const sofa_kv_opts *o, uint8_t frame[4], uint8_t *nframe,
                        uint64_t timeout_us)
{
    *nframe = 0;
    if (!o || o->durability_level == SOFA_DURABILITY_NONE)
        return 0;
    if (o->durability_level > SOFA_DURABILITY_PERSIST_TO_MAJORITY)
        return SOFA_E_INVALID_ARGUMENT;
    /* like lcb: ask the server to give up at 90% of our own deadline */
    uint64_t ms = timeout_us / 1000u * 9u / 10u;
    if (ms > 65534u)
        ms = 65534u;
    if (ms == 0)
        ms = 1;
    *nframe = (uint8_t)sofa__frame_durability(frame, o->durability_level, (uint16_t)ms);
    return 0;
}

sofa__op *sofa__kv_op(sofa_client *c, const sofa__op_type *type, uint8_t opcode,
                      const void *key, size_t nkey, const void *extras, uint8_t nextras,
                      const void *value, size_t nvalue, const sofa_kv_opts *o)
{
    uint8_t frame[SOFA__FRAME_DURABILITY_MAX];
    uint8_t nframe = 0;
    if ((type->flags & SOFA__OPF_MUTATION) &&
        sofa__kv_durability(o, frame, &nframe,
                            o && o->timeout_us ? o->timeout_us : c->op_timeout_us) != 0)
        return NULL;
    size_t nbody = (size_t)nframe + nextras + nkey + nvalue;
    sofa__op *op = op_alloc(c, type, nbody);
    if (!op)
        return NULL;
    op_fill(op, opcode, frame, nframe, extras, nextras, key, (uint16_t)nkey, value,
            (uint32_t)nvalue);
    op->route = SOFA__ROUTE_KEY;
    if (o) {
        op->datatype = o->datatype;
        if (type->flags & SOFA__OPF_MUTATION) {
            op->cas = o->cas;
            op->had_cas = o->cas != 0;
        }
    }
    return op;
}
