/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * The config manager: bootstrap from the seeds in order (CCCP: the handshake then
 * GET_CLUSTER_CONFIG), apply newer configs by (epoch, rev) from any source (polling,
 * NOT_MY_VBUCKET bodies, server pushes), keep connections to unchanged nodes, retire
 * removed nodes, and poll every config_poll_interval.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv/engine.h"
#include "sofa/status.h"

static void try_next_seed(sofa_client *c);

#define DEFAULT_MGMT_PORT 8091      /* cluster manager (HTTP) */
#define DEFAULT_KV_PORT 11210       /* memcached binary protocol (KV) */
#define DEFAULT_MGMT_TLS_PORT 18091 /* the same over TLS (couchbases://) */
#define DEFAULT_KV_TLS_PORT 11207

/* ------------------------------------------------------------ the config fetch op */

typedef struct fetch_priv {
    int boot; /* the bootstrap's fetch */
} fetch_priv;

static int fetch_map_status(sofa__op *op, const sofa__resp *r)
{
    (void)op;
    if (r->status == SOFA__ST_SUCCESS)
        return SOFA_OK;
    if (r->status == SOFA__ST_UNKNOWN_COMMAND || r->status == SOFA__ST_NOT_SUPPORTED)
        return SOFA_E_NOT_SUPPORTED;
    if (r->status == SOFA__ST_AUTH_ERROR || r->status == SOFA__ST_EACCESS)
        return SOFA_E_ACCESS_DENIED;
    return SOFA_E_SERVER_ERROR; /* never retried: the next poll tries again */
}

static void fetch_deliver(sofa__op *op, int status, const sofa__resp *resp)
{
    sofa_client *c = op->client;
    fetch_priv *fp = op->priv;
    int boot = fp && fp->boot && c->boot_state == SOFA__BOOT_RUNNING;
    if (!boot)
        c->refresh_inflight = 0;
    if (c->destroying)
        return;
    if (status == SOFA_OK && resp && resp->nvalue > 0) {
        int rc = sofa__config_offer(c, resp->value, resp->nvalue, op->node ? op->node->host : NULL);
        if (boot) {
            if (rc >= 0 && c->config) {
                sofa__boot_finish(c, SOFA_OK);
            } else if (c->boot_node) {
                sofa__kvnode *n = c->boot_node;
                sofa__boot_node_failed(c, n, SOFA_E_BAD_CONFIG, "configuration rejected");
            }
        }
        return;
    }
    if (boot && c->boot_node) {
        const char *why = status == SOFA_E_NOT_SUPPORTED ? "GET_CLUSTER_CONFIG not supported (no CCCP)"
                          : status == SOFA_E_TIMEOUT || status == SOFA_E_TIMEOUT_READ
                              ? "GET_CLUSTER_CONFIG timed out"
                              : "GET_CLUSTER_CONFIG failed";
        sofa__boot_node_failed(c, c->boot_node, status, why);
    }
}

static const sofa__op_type fetch_type = {"get_cluster_config", SOFA__OPF_INTERNAL, fetch_deliver,
                                         NULL, fetch_map_status};

static int send_fetch(sofa_client *c, sofa__kvnode *pinned, int boot)
{
    sofa__op *op = sofa__op_new(c, &fetch_type, 0);
    fetch_priv *fp = calloc(1, sizeof(*fp));
    if (!op || !fp) {
        free(op);
        free(fp);
        return SOFA_E_NO_MEMORY;
    }
    op->priv = fp;
    fp->boot = boot;
    sofa__op_set_request(op, SOFA__OP_GET_CLUSTER_CONFIG, NULL, 0, NULL, 0, NULL, 0, NULL, 0);
    op->route = pinned ? SOFA__ROUTE_PINNED : SOFA__ROUTE_ANY;
    op->pin = pinned;
    return sofa__op_submit(op, c->cs.config_node_timeout_us);
}

/* ------------------------------------------------------------ bootstrap */

void sofa__client_report(sofa_client *c, const char *fmt, ...)
{
    if (c->report_len >= sizeof(c->report) - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->report + c->report_len, sizeof(c->report) - c->report_len, fmt, ap);
    va_end(ap);
    if (n > 0) {
        c->report_len += (size_t)n;
        if (c->report_len >= sizeof(c->report))
            c->report_len = sizeof(c->report) - 1;
    }
}

static void on_boot_timer(sofa__tentry *e, void *arg)
{
    sofa_client *c = arg;
    (void)e;
    if (c->boot_state != SOFA__BOOT_RUNNING)
        return;
    if (c->config) { /* memcached:// (the list was the config) or an HTTP stream's first */
        sofa__boot_finish(c, SOFA_OK);
        return;
    }
    sofa__client_report(c, "bootstrap: total timeout (config_total_timeout) reached\n");
    if (c->boot_node) {
        sofa__kvnode *n = c->boot_node;
        c->boot_node = NULL;
        sofa__node_free(n);
    }
    sofa__boot_finish(c, SOFA_E_BOOTSTRAP_TIMEOUT);
}

static void on_poll_timer(sofa__tentry *e, void *arg)
{
    sofa_client *c = arg;
    (void)e;
    if (c->destroying || c->boot_state != SOFA__BOOT_DONE || c->memcached)
        return;
    if (!c->refresh_inflight && send_fetch(c, NULL, 0) == 0) {
        c->refresh_inflight = 1;
        c->last_refresh = sofa__now(c->io);
    }
    if (c->cs.config_poll_interval_us)
        (void)sofa__timerq_add(&c->tq, &c->poll_timer,
                               sofa__now(c->io) + c->cs.config_poll_interval_us);
}

void sofa__config_refresh(sofa_client *c)
{
    if (c->destroying || c->boot_state != SOFA__BOOT_DONE || c->memcached || c->refresh_inflight)
        return;
    uint64_t now = sofa__now(c->io);
    if (c->last_refresh && now - c->last_refresh < SOFA__CONFIG_REFRESH_MIN_US)
        return;
    if (send_fetch(c, NULL, 0) == 0) {
        c->refresh_inflight = 1;
        c->last_refresh = now;
    }
}

int sofa__boot_start(sofa_client *c)
{
    c->boot_state = SOFA__BOOT_RUNNING;
    c->boot_status = 0;
    c->seed = 0;
    c->seed_phase = 0;
    c->report_len = 0;
    c->report[0] = '\0';
    sofa__tentry_init(&c->boot_timer, on_boot_timer, c);
    sofa__tentry_init(&c->poll_timer, on_poll_timer, c);
    uint64_t now = sofa__now(c->io);
    if (c->memcached) {
        const char **hosts = calloc(c->cs.nhosts, sizeof(*hosts));
        uint16_t *ports = calloc(c->cs.nhosts, sizeof(*ports));
        sofa__config *cfg = NULL;
        int rc = (!hosts || !ports) ? SOFA_E_NO_MEMORY : 0;
        for (size_t i = 0; rc == 0 && i < c->cs.nhosts; i++) {
            hosts[i] = c->cs.hosts[i].host;
            ports[i] = c->cs.hosts[i].port;
        }
        if (rc == 0)
            rc = sofa__config_from_servers(hosts, ports, c->cs.nhosts, &cfg);
        free(hosts);
        free(ports);
        if (rc == 0 && sofa__config_apply(c, cfg) < 0)
            rc = SOFA_E_NO_MEMORY;
        if (rc != 0) {
            c->boot_state = SOFA__BOOT_IDLE;
            return rc;
        }
        /* finish on the next loop turn, never inside sofa_client_connect */
        return sofa__timerq_add(&c->tq, &c->boot_timer, now);
    }
    int rc = sofa__timerq_add(&c->tq, &c->boot_timer, now + c->cs.config_total_timeout_us);
    if (rc != 0) {
        c->boot_state = SOFA__BOOT_IDLE;
        return rc;
    }
    try_next_seed(c);
    return 0;
}

static int all_same(const sofa_client *c)
{
    return c->boot_status != 0 && c->boot_status != SOFA_E_BOOTSTRAP_FAILED;
}

void sofa__boot_init_ports(sofa_client *c)
{
    c->seed_mgmt_port = c->tls ? DEFAULT_MGMT_TLS_PORT : DEFAULT_MGMT_PORT;
    c->seed_kv_port = c->tls ? DEFAULT_KV_TLS_PORT : DEFAULT_KV_PORT;
}

uint16_t sofa__boot_cccp_port(const sofa_client *c, const sofa__host *h)
{
    if (h->type == SOFA__HOST_KV || h->port != c->seed_mgmt_port ||
        !(c->cs.bootstrap_on & SOFA__BOOTSTRAP_CCCP))
        return 0;
    return c->seed_kv_port;
}

static void try_next_seed(sofa_client *c)
{
    while (c->seed < c->cs.nhosts) {
        const sofa__host *h = &c->cs.hosts[c->seed];
        uint16_t cccp_port = c->seed_phase == 0 ? sofa__boot_cccp_port(c, h) : 0;
        if (cccp_port != 0) {
            c->seed_phase = 1;
            sofa__kvnode *n = sofa__node_new(c, h->host, cccp_port, 1);
            if (n) {
                c->boot_node = n;
                sofa__node_connect(n);
                return;
            }
        }
        c->seed_phase = 0;
        c->seed++;
        if (h->type != SOFA__HOST_KV) {
            if (!(c->cs.bootstrap_on & SOFA__BOOTSTRAP_HTTP)) {
                sofa__client_report(c, "seed %zu %s:%u: HTTP disabled by bootstrap_on; skipped\n",
                                    c->seed, h->host, (unsigned)h->port);
                continue;
            }
            int rc = sofa__httpboot_start(c, h->host, h->port);
            if (rc == 0)
                return;
            sofa__client_report(c, "seed %zu %s:%u: cannot start HTTP bootstrap (%s)\n", c->seed,
                                h->host, (unsigned)h->port, sofa_status_name(rc));
            continue;
        }
        if (!(c->cs.bootstrap_on & SOFA__BOOTSTRAP_CCCP)) {
            sofa__client_report(c, "seed %zu %s:%u: CCCP disabled by bootstrap_on; skipped\n",
                                c->seed, h->host, (unsigned)h->port);
            continue;
        }
        sofa__kvnode *n = sofa__node_new(c, h->host, h->port, 1);
        if (!n) {
            sofa__client_report(c, "seed %zu %s:%u: out of memory\n", c->seed, h->host,
                                (unsigned)h->port);
            continue;
        }
        c->boot_node = n;
        sofa__node_connect(n);
        return;
    }
    int st = all_same(c) ? c->boot_status : SOFA_E_BOOTSTRAP_FAILED;
    sofa__boot_finish(c, st);
}

void sofa__boot_seed_failed(sofa_client *c, const char *name, int status, const char *why)
{
    sofa__client_report(c, "seed %zu %s: %s (%s)\n", c->seed + (c->seed_phase ? 1 : 0), name,
                        why ? why : "failed",
                        sofa_status_name(status));
    /* The final status is specific when every seed failed the same way (auth, bucket,
     * timeout). */
    if (status == SOFA_E_TIMEOUT || status == SOFA_E_TIMEOUT_READ)
        status = SOFA_E_BOOTSTRAP_TIMEOUT;
    int specific = status == SOFA_E_BOOTSTRAP_TIMEOUT || status == SOFA_E_AUTH_FAILED ||
                   status == SOFA_E_BUCKET_NOT_FOUND || status == SOFA_E_AUTH_NO_MECHANISM ||
                   status == SOFA_E_AUTH_SERVER_PROOF || status == SOFA_E_TLS ||
                   status == SOFA_E_TLS_VERIFY;
    if (c->boot_status == 0)
        c->boot_status = specific ? status : SOFA_E_BOOTSTRAP_FAILED;
    else if (c->boot_status != status)
        c->boot_status = SOFA_E_BOOTSTRAP_FAILED;
}

void sofa__boot_next_seed(sofa_client *c)
{
    try_next_seed(c);
}

void sofa__boot_node_failed(sofa_client *c, sofa__kvnode *n, int status, const char *why)
{
    if (c->boot_state != SOFA__BOOT_RUNNING || c->boot_node != n)
        return;
    sofa__boot_seed_failed(c, n->name, status, why);
    c->boot_node = NULL;
    n->state = SOFA__NODE_FAILED;
    /* ops parked on the seed go back to the client's waiting list */
    sofa__op *op;
    while ((op = sofa__list_pop(&n->waitq)) != NULL) {
        op->node = NULL;
        if (op->route == SOFA__ROUTE_PINNED) {
            op->state = SOFA__OPS_NEW;
            sofa__op_complete(op, SOFA_E_CONNECTION_CLOSED, NULL);
            continue;
        }
        op->state = SOFA__OPS_WAITING;
        sofa__list_push(&c->waiting, op);
    }
    sofa__node_free(n);
    try_next_seed(c);
}

void sofa__boot_node_ready(sofa_client *c, sofa__kvnode *n)
{
    int rc = send_fetch(c, n, 1);
    if (rc != 0)
        sofa__boot_node_failed(c, n, rc, "cannot send GET_CLUSTER_CONFIG");
}

void sofa__boot_finish(sofa_client *c, int status)
{
    if (c->boot_state != SOFA__BOOT_RUNNING)
        return;
    sofa__timerq_remove(&c->tq, &c->boot_timer);
    c->boot_state = status == SOFA_OK ? SOFA__BOOT_DONE : SOFA__BOOT_FAILED;
    c->boot_status = status;
    if (c->boot_node) { /* adopted by the config, or not needed any more */
        sofa__kvnode *n = c->boot_node;
        c->boot_node = NULL;
        n->bootstrap = 0;
        if (n->index < 0)
            sofa__node_free(n);
    }
    SOFA_LOG(&c->logger, status ? SOFA_LOG_WARN : SOFA_LOG_INFO, "config", "bootstrap %s%s",
             status ? "failed: " : "done", status ? sofa_status_name(status) : "");
    /* Parked operations go out now, or fail with the bootstrap's status. */
    sofa__op *op;
    while ((op = sofa__list_pop(&c->waiting)) != NULL) {
        op->state = SOFA__OPS_NEW;
        if (status == SOFA_OK)
            sofa__op_dispatch(op);
        else
            sofa__op_complete(op, status, NULL);
        if (c->free_asked)
            break;
    }
    if (status == SOFA_OK && c->cs.config_poll_interval_us && !c->memcached)
        (void)sofa__timerq_add(&c->tq, &c->poll_timer,
                               sofa__now(c->io) + c->cs.config_poll_interval_us);
    sofa_connect_cb cb = c->connect_cb;
    c->connect_cb = NULL;
    if (cb) {
        cb(c, (sofa_status)status, c->connect_cookie);
        if (!c->free_asked)
            sofa__client_op_done(c);
    } else {
        sofa__client_op_done(c);
    }
}

/* ------------------------------------------------------------ applying configs */

int sofa__config_offer(sofa_client *c, const uint8_t *json, size_t len, const char *from_host)
{
    sofa__config *cfg = NULL;
    char err[200];
    int rc = sofa__config_parse((const char *)json, len, from_host, &cfg, err, sizeof(err));
    if (rc != 0) {
        SOFA_LOG(&c->logger, SOFA_LOG_WARN, "config", "rejected a configuration: %s", err);
        return rc;
    }
    if (!c->memcached && c->bucket && cfg->bucket && strcmp(cfg->bucket, c->bucket) != 0) {
        SOFA_LOG(&c->logger, SOFA_LOG_WARN, "config", "configuration for bucket '%s' ignored",
                 cfg->bucket);
        sofa__config_unref(cfg);
        return 0;
    }
    return sofa__config_apply(c, cfg);
}

static uint16_t kv_port(const sofa_client *c, const sofa__node *cn)
{
    return c->cs.tls ? cn->kv_tls : cn->kv;
}

/* Fill @p nodes (one per KV node of @p cfg): an existing node object with the same host:port
 * (its connection is kept), the bootstrap node, or a new one. Nothing is moved until every
 * allocation succeeded, so running out of memory changes nothing. */
static int match_nodes(sofa_client *c, const sofa__config *cfg, sofa__kvnode **nodes)
{
    size_t nkv = cfg->nkv;
    long *match = calloc(nkv, sizeof(*match));
    char *taken = calloc(c->nnodes + 1, 1);
    if (!match || !taken) {
        free(match);
        free(taken);
        return SOFA_E_NO_MEMORY;
    }
    int boot_taken = 0, rc = 0;
    for (size_t i = 0; i < nkv && rc == 0; i++) {
        const sofa__node *cn = &cfg->nodes[i];
        uint16_t port = kv_port(c, cn);
        if (port == 0)
            SOFA_LOG(&c->logger, SOFA_LOG_WARN, "config",
                     "node %s offers no %s KV port in the configuration; it cannot be reached",
                     cn->host, c->cs.tls ? "TLS (kvSSL)" : "plain");
        match[i] = -1;
        for (size_t k = 0; k < c->nnodes; k++) {
            sofa__kvnode *o = c->nodes[k];
            if (o && !taken[k] && o->port == port && strcmp(o->host, cn->host) == 0) {
                match[i] = (long)k;
                taken[k] = 1;
                break;
            }
        }
        if (match[i] < 0 && !boot_taken && c->boot_node && c->boot_node->index < 0 &&
            c->boot_node->port == port && strcmp(c->boot_node->host, cn->host) == 0) {
            match[i] = -2;
            boot_taken = 1;
        }
        if (match[i] == -1 && !(nodes[i] = sofa__node_new(c, cn->host, port, 0)))
            rc = SOFA_E_NO_MEMORY;
    }
    for (size_t i = 0; i < nkv; i++) {
        if (rc != 0) {
            if (match[i] == -1 && nodes[i])
                sofa__node_free(nodes[i]);
            nodes[i] = NULL;
        } else if (match[i] >= 0) {
            nodes[i] = c->nodes[match[i]];
            c->nodes[match[i]] = NULL;
        } else if (match[i] == -2) {
            nodes[i] = c->boot_node;
        }
    }
    free(match);
    free(taken);
    return rc;
}

/* Operations waiting for a node may now belong elsewhere: route them again. */
static void reroute_waiting(sofa_client *c)
{
    sofa__op_list moved = {NULL, NULL, 0};
    sofa__op *op;
    for (size_t i = 0; i < c->nnodes; i++)
        while ((op = sofa__list_pop(&c->nodes[i]->waitq)) != NULL)
            sofa__list_push(&moved, op);
    if (c->boot_state == SOFA__BOOT_DONE)
        while ((op = sofa__list_pop(&c->waiting)) != NULL)
            sofa__list_push(&moved, op);
    while ((op = sofa__list_pop(&moved)) != NULL) {
        op->state = SOFA__OPS_NEW;
        op->node = NULL;
        sofa__op_dispatch(op);
    }
}

int sofa__config_apply(sofa_client *c, sofa__config *cfg)
{
    if (c->config && sofa__config_compare(cfg, c->config) <= 0 &&
        !(c->config->bucket == NULL && cfg->bucket != NULL)) {
        sofa__config_unref(cfg);
        return 0;
    }
    size_t nkv = cfg->nkv;
    sofa__kvnode **nodes = calloc(nkv ? nkv : 1, sizeof(*nodes));
    if (!nodes || (nkv && match_nodes(c, cfg, nodes) != 0)) {
        free(nodes);
        sofa__config_unref(cfg);
        return SOFA_E_NO_MEMORY;
    }
    sofa__kvnode **old = c->nodes;
    size_t nold = c->nnodes;
    c->nodes = nodes;
    c->nnodes = nkv;
    for (size_t i = 0; i < nkv; i++)
        nodes[i]->index = (int)i;
    sofa__config *prev = c->config;
    c->config = cfg;
    c->config_gen++;
    SOFA_LOG(&c->logger, SOFA_LOG_INFO, "config", "applied config epoch %lld rev %lld: %zu node(s)",
             (long long)cfg->epoch, (long long)cfg->rev, nkv);
    for (size_t k = 0; k < nold; k++) /* nodes no longer in the config */
        if (old[k])
            sofa__node_retire(old[k]);
    free(old);
    sofa__config_unref(prev);
    reroute_waiting(c);
    /* connect eagerly to every node (a kept one is already connected) */
    for (size_t i = 0; i < c->nnodes; i++)
        if (c->nodes[i]->state == SOFA__NODE_IDLE &&
            !sofa__tentry_queued(&c->nodes[i]->reconnect) && !c->memcached)
            sofa__node_connect(c->nodes[i]);
    return 1;
}
