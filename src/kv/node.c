/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* A node pipeline: one connection, its send path, its in-flight table and reconnects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv/engine.h"
#include "sofa/status.h"

static void on_connected(sofa__conn *conn, void *arg);
static void on_data(sofa__conn *conn, void *arg);
static void on_error(sofa__conn *conn, int status, void *arg);
static const sofa__conn_handler node_handler = {on_connected, on_data, on_error};

static void on_reconnect(sofa__tentry *e, void *arg)
{
    sofa__kvnode *n = arg;
    (void)e;
    if (n->state == SOFA__NODE_IDLE && !n->removed)
        sofa__node_connect(n);
}

static void on_hs_timeout(sofa__tentry *e, void *arg)
{
    sofa__kvnode *n = arg;
    (void)e;
    if (n->state != SOFA__NODE_CONNECTING && n->state != SOFA__NODE_HANDSHAKE)
        return;
    sofa_client *c = n->client;
    sofa__client_enter(c);
    char why[96];
    snprintf(why, sizeof(why), "%s timed out after %llu ms",
             n->state == SOFA__NODE_CONNECTING ? "connect" : "handshake",
             (unsigned long long)(c->cs.config_node_timeout_us / 1000));
    sofa__node_fail(n, SOFA_E_TIMEOUT, why);
    sofa__client_leave(c);
}

sofa__kvnode *sofa__node_new(sofa_client *c, const char *host, uint16_t port, int bootstrap)
{
    if (!host || strlen(host) >= SOFA__CONN_HOST_MAX)
        return NULL;
    sofa__kvnode *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->client = c;
    snprintf(n->host, sizeof(n->host), "%s", host);
    n->port = port;
    if (strchr(host, ':'))
        snprintf(n->name, sizeof(n->name), "[%s]:%u", host, (unsigned)port);
    else
        snprintf(n->name, sizeof(n->name), "%s:%u", host, (unsigned)port);
    n->index = -1;
    n->state = SOFA__NODE_IDLE;
    n->bootstrap = bootstrap;
    n->next_opaque = 1;
    sofa__tentry_init(&n->reconnect, on_reconnect, n);
    sofa__tentry_init(&n->hs_timer, on_hs_timeout, n);
    return n;
}

void sofa__node_connect(sofa__kvnode *n)
{
    sofa_client *c = n->client;
    if (n->conn || n->removed)
        return;
    sofa__conn_opts o;
    memset(&o, 0, sizeof(o));
    o.connect_timeout_us = c->cs.config_node_timeout_us;
    o.ipv6 = c->cs.ipv6 == SOFA__IPV6_DISABLED ? 0 : c->cs.ipv6 == SOFA__IPV6_ONLY ? 2 : 1;
    o.nodelay = c->cs.tcp_nodelay;
    o.tls = c->tls;
    int rc = sofa__conn_new(&n->conn, c->io, &c->tq, &c->logger, n->host, n->port, &o,
                            &node_handler, n);
    if (rc != 0) {
        n->conn = NULL;
        sofa__node_fail(n, rc, "cannot create connection");
        return;
    }
    n->state = SOFA__NODE_CONNECTING;
    n->stream_pos = 0;
    if (c->cs.config_node_timeout_us)
        (void)sofa__timerq_add(&c->tq, &n->hs_timer,
                               sofa__now(c->io) + c->cs.config_node_timeout_us);
    SOFA_LOG(&c->logger, SOFA_LOG_DEBUG, "kv", "%s: connecting", n->name);
}

static void maybe_release(sofa__kvnode *n);

int sofa__node_write_req(sofa__kvnode *n, const sofa__req *r)
{
    size_t need = sofa__req_size(r);
    if (!need || !n->conn)
        return SOFA_E_INVALID_ARGUMENT;
    uint8_t *p = sofa__conn_wreserve(n->conn, need);
    if (!p)
        return SOFA_E_NO_MEMORY;
    sofa__req_encode(r, p);
    sofa__conn_wcommit(n->conn, need);
    n->stream_pos += need;
    return 0;
}

int sofa__node_send(sofa__kvnode *n, sofa__op *op)
{
    /* op->body already holds framing | extras | key | value in wire order: the packet is
     * the header and one copy of the body (the same checks as sofa__req_check) */
    uint64_t nbody = (uint64_t)op->nframing + op->nextras + op->nkey + op->nvalue;
    if (nbody > UINT32_MAX || nbody > SIZE_MAX - SOFA__HEADER_LEN ||
        (op->nframing && op->nkey > SOFA__MAX_FLEX_KEY_LEN))
        return SOFA_E_INVALID_ARGUMENT;
    size_t need = SOFA__HEADER_LEN + (size_t)nbody;
    uint8_t *p = sofa__conn_wreserve(n->conn, need);
    if (!p)
        return SOFA_E_NO_MEMORY;
    uint32_t opaque = n->next_opaque++;
    if (n->next_opaque == 0)
        n->next_opaque = 1;
    sofa__req_header(p, op->opcode, op->nframing, op->nextras, op->nkey,
                     (n->features & SOFA__NF_JSON) ? op->datatype : 0, op->vb0 ? 0 : op->vbid,
                     (uint32_t)nbody, opaque, op->cas);
    if (nbody)
        memcpy(p + SOFA__HEADER_LEN, op->body, (size_t)nbody);
    sofa__conn_wcommit(n->conn, need);
    n->stream_pos += need;
    op->opaque = opaque;
    op->wpos = n->stream_pos;
    op->node = n;
    op->state = SOFA__OPS_SENT;
    if (op->type->flags & SOFA__OPF_MUTATION)
        op->maybe_executed = 1;
    sofa__list_push(&n->inflight, op);
    return 0;
}

static void send_or_fail(sofa__kvnode *n, sofa__op *op)
{
    /* a durability frame (id 1, the first frame) needs AltRequest and SyncReplication */
    int sync_missing = op->nframing && (op->body[0] >> 4) == SOFA__FRAME_REQ_DURABILITY &&
                       !(n->features & SOFA__NF_SYNC_REPLICATION);
    if (op->nframing && (!(n->features & SOFA__NF_ALT_REQUEST) || sync_missing)) {
        op->state = SOFA__OPS_NEW;
        sofa__op_fail_later(op, SOFA_E_DURABILITY_IMPOSSIBLE);
        return;
    }
    int rc = sofa__node_send(n, op);
    if (rc != 0) {
        op->state = SOFA__OPS_NEW;
        sofa__op_fail_later(op, rc);
    }
}

void sofa__node_enqueue(sofa__kvnode *n, sofa__op *op)
{
    if (n->state == SOFA__NODE_READY && n->conn) {
        send_or_fail(n, op);
        return;
    }
    op->node = n;
    op->state = SOFA__OPS_QUEUED;
    sofa__list_push(&n->waitq, op);
    if (n->state == SOFA__NODE_IDLE && !sofa__tentry_queued(&n->reconnect))
        sofa__node_connect(n);
}

void sofa__node_ready(sofa__kvnode *n)
{
    sofa_client *c = n->client;
    n->state = SOFA__NODE_READY;
    sofa__timerq_remove(&c->tq, &n->hs_timer);
    n->failures = 0;
    n->backoff_us = 0;
    SOFA_LOG(&c->logger, SOFA_LOG_DEBUG, "kv", "%s: ready (features 0x%x)", n->name, n->features);
    sofa__op *op;
    while ((op = sofa__list_pop(&n->waitq)) != NULL)
        send_or_fail(n, op);
    if (c->boot_state == SOFA__BOOT_RUNNING && c->boot_node == n)
        sofa__boot_node_ready(c, n);
}

void sofa__node_fail(sofa__kvnode *n, int status, const char *why)
{
    sofa_client *c = n->client;
    SOFA_LOG(&c->logger, SOFA_LOG_INFO, "kv", "%s: connection lost: %s (%s)", n->name,
             why ? why : "", sofa_status_name(status));
    uint64_t flushed = 0; /* bytes the socket accepted: packets beyond never left */
    if (n->conn) {
        flushed = n->conn->bytes_out;
        sofa__conn_free(n->conn);
        n->conn = NULL;
    }
    sofa__sasl_free(n->sasl);
    n->sasl = NULL;
    n->hs_pending = 0;
    n->state = SOFA__NODE_IDLE;
    sofa__timerq_remove(&c->tq, &n->hs_timer);
    n->busy++;
    /* In-flight operations: retried if never written, else answered with the status. */
    sofa__op *op;
    while ((op = sofa__list_pop(&n->inflight)) != NULL)
        sofa__op_on_conn_lost(op, status, op->wpos <= flushed);
    n->busy--;
    if (c->boot_state == SOFA__BOOT_RUNNING && c->boot_node == n) {
        sofa__boot_node_failed(c, n, status, why);
        return;
    }
    if (n->removed) {
        maybe_release(n);
        return;
    }
    if (sofa_status_flags(status) & SOFA_F_FATAL) {
        /* bad credentials or bucket: waiting ops cannot succeed on this node */
        while ((op = sofa__list_pop(&n->waitq)) != NULL) {
            op->state = SOFA__OPS_NEW;
            sofa__op_fail_later(op, status);
        }
    }
    n->failures++;
    n->backoff_us = n->backoff_us ? n->backoff_us * 2 : SOFA__RECONNECT_MIN_US;
    if (n->backoff_us > SOFA__RECONNECT_MAX_US)
        n->backoff_us = SOFA__RECONNECT_MAX_US;
    if (sofa__timerq_add(&c->tq, &n->reconnect, sofa__now(c->io) + n->backoff_us) != 0)
        SOFA_LOG(&c->logger, SOFA_LOG_WARN, "kv", "%s: cannot schedule reconnect", n->name);
    sofa__config_refresh(c);
}

static void unlink_draining(sofa__kvnode *n)
{
    sofa_client *c = n->client;
    for (sofa__kvnode **pp = &c->draining; *pp; pp = &(*pp)->dnext) {
        if (*pp == n) {
            *pp = n->dnext;
            n->dnext = NULL;
            return;
        }
    }
}

void sofa__node_free(sofa__kvnode *n)
{
    if (!n)
        return;
    sofa_client *c = n->client;
    if (n->busy) {
        n->free_asked = 1;
        return;
    }
    unlink_draining(n);
    if (c->boot_node == n)
        c->boot_node = NULL;
    if (n->conn) {
        sofa__conn_free(n->conn);
        n->conn = NULL;
    }
    sofa__sasl_free(n->sasl);
    sofa__timerq_remove(&c->tq, &n->reconnect);
    sofa__timerq_remove(&c->tq, &n->hs_timer);
    sofa__op *op;
    while ((op = sofa__list_pop(&n->inflight)) != NULL) {
        if (op->zombie) {
            sofa__op_free(op);
        } else { /* not expected: answer it rather than lose it */
            op->state = SOFA__OPS_NEW;
            sofa__op_complete(op, SOFA_E_CANCELED, NULL);
        }
    }
    while ((op = sofa__list_pop(&n->waitq)) != NULL) {
        op->state = SOFA__OPS_NEW;
        op->node = NULL;
        if (op->route == SOFA__ROUTE_PINNED)
            sofa__op_complete(op, SOFA_E_CONNECTION_CLOSED, NULL);
        else
            sofa__op_dispatch(op);
    }
    free(n);
}

static void maybe_release(sofa__kvnode *n)
{
    if (n->removed && n->inflight.n == 0 && n->waitq.n == 0)
        sofa__node_free(n);
}

void sofa__node_retire(sofa__kvnode *n)
{
    sofa_client *c = n->client;
    n->removed = 1;
    n->index = -1;
    sofa__timerq_remove(&c->tq, &n->reconnect);
    sofa__op *op;
    while ((op = sofa__list_pop(&n->waitq)) != NULL) {
        op->state = SOFA__OPS_NEW;
        op->node = NULL;
        sofa__op_dispatch(op);
    }
    if (n->inflight.n == 0) {
        sofa__node_free(n);
        return;
    }
    SOFA_LOG(&c->logger, SOFA_LOG_DEBUG, "kv", "%s: removed; draining %zu in-flight op(s)",
             n->name, n->inflight.n);
    n->dnext = c->draining;
    c->draining = n;
}

/* ------------------------------------------------------------ connection events */

static void on_connected(sofa__conn *conn, void *arg)
{
    sofa__kvnode *n = arg;
    sofa_client *c = n->client;
    (void)conn;
    sofa__client_enter(c);
    if (!c->free_asked) { /* else freed by an earlier event of this loop turn */
        n->state = SOFA__NODE_HANDSHAKE;
        sofa__hs_start(n);
    }
    sofa__client_leave(c);
}

static void on_error(sofa__conn *conn, int status, void *arg)
{
    sofa__kvnode *n = arg;
    sofa_client *c = n->client;
    sofa__client_enter(c);
    /* when an earlier event of this loop turn freed the client, the destroy that follows
     * answers the node's operations with CANCELED: nothing else may fire after the free */
    if (!c->free_asked) {
        char why[sizeof(conn->errmsg)];
        snprintf(why, sizeof(why), "%s", conn->errmsg);
        sofa__node_fail(n, status, why);
    }
    sofa__client_leave(c);
}

static void on_server_request(sofa__kvnode *n, const sofa__resp *r)
{
    if (r->opcode == SOFA__SOP_CLUSTERMAP_CHANGE && r->nvalue > 0)
        (void)sofa__config_offer(n->client, r->value, r->nvalue, n->host);
}

static sofa__op *find_inflight(sofa__kvnode *n, uint32_t opaque)
{
    for (sofa__op *op = n->inflight.head; op; op = op->next)
        if (op->opaque == opaque)
            return op;
    return NULL;
}

static void handle_packet(sofa__kvnode *n, const sofa__resp *r)
{
    sofa_client *c = n->client;
    if (r->magic == SOFA__MAGIC_SERVER_REQ) {
        on_server_request(n, r);
        return;
    }
    if (n->state == SOFA__NODE_HANDSHAKE) {
        sofa__hs_on_response(n, r);
        return;
    }
    sofa__op *op = find_inflight(n, r->opaque);
    if (!op) {
        SOFA_LOG(&c->logger, SOFA_LOG_DEBUG, "kv", "%s: response with unknown opaque %u",
                 n->name, (unsigned)r->opaque);
        return;
    }
    if ((op->type->flags & SOFA__OPF_MULTI_RESP) && !op->zombie) {
        if (!op->type->on_packet(op, r))
            return; /* more to come */
    } else if ((op->type->flags & SOFA__OPF_MULTI_RESP) && op->zombie) {
        if (r->status == SOFA__ST_SUCCESS && r->nkey > 0)
            return; /* skip to the terminator */
    }
    sofa__list_remove(op);
    if (op->zombie) {
        sofa__op_free(op);
        return;
    }
    op->state = SOFA__OPS_NEW; /* op->node stays set while the response is delivered */
    sofa__op_on_response(op, n, r);
}

static void on_data(sofa__conn *conn, void *arg)
{
    sofa__kvnode *n = arg;
    sofa_client *c = n->client;
    sofa__client_enter(c);
    n->busy++;
    size_t used = 0;
    while (!c->free_asked && n->conn == conn) {
        sofa__resp r;
        long got = sofa__resp_parse(sofa__buf_head(&conn->rbuf) + used,
                                    sofa__buf_used(&conn->rbuf) - used, &r);
        if (got == 0)
            break;
        if (got < 0) {
            sofa__node_fail(n, SOFA_E_PROTOCOL, "malformed packet from the server");
            break;
        }
        used += (size_t)got;
        handle_packet(n, &r);
    }
    if (n->conn == conn)
        sofa__buf_consume(&conn->rbuf, used);
    n->busy--;
    if (n->free_asked)
        sofa__node_free(n);
    else if (n->removed)
        maybe_release(n);
    sofa__client_leave(c);
}
