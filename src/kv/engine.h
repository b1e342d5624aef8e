/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * The KV engine's private structures: the client, its node pipelines and the
 * operation record. docs/design.md ("KV engine") describes how they fit together.
 *
 * One operation record (sofa__op) lives from submit to its single completion. It is
 * on at most one list at a time:
 *   client->waiting   no usable config / node yet (bootstrap, or a node to reconnect)
 *   node->waitq       routed to a node whose connection is not ready yet
 *   node->inflight    encoded into the node's send buffer and awaiting its response
 *   (none)            sleeping in the deadline queue until a retry
 * and always in client->live (for cancel-all at destroy). Its timer entry is armed for
 * its deadline, or for its retry time when that comes first.
 *
 * An operation answered while its packet is still in flight (deadline) becomes a
 * "zombie": its callback is gone, and the record stays in node->inflight until the
 * response (or the connection's end) releases it, so opaques are never reused early.
 */
#ifndef SOFA_KV_ENGINE_H
#define SOFA_KV_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "core/connstr.h"
#include "core/dlist.h"
#include "http/client.h"
#include "core/log.h"
#include "io/conn.h"
#include "kv/cfgstream.h"
#include "io/timerq.h"
#include "proto/config.h"
#include "proto/errmap.h"
#include "proto/packet.h"
#include "proto/sasl.h"
#include "sofa/client.h"
#include "sofa/kv.h"
#include "sofa/status.h"

typedef struct sofa__op sofa__op;
typedef struct sofa__kvnode sofa__kvnode;

/* Named limits and tunables. */
#define SOFA__RETRY_MIN_US 1000u            /* first backoff after a retryable status */
#define SOFA__RETRY_MAX_US 500000u          /* backoff cap */
#define SOFA__RECONNECT_MIN_US 50000u       /* first reconnect delay */
#define SOFA__RECONNECT_MAX_US 4000000u     /* reconnect delay cap */
#define SOFA__CONFIG_REFRESH_MIN_US 100000u /* throttle for NMVB/error-driven refreshes */
#define SOFA__REPORT_MAX 4096u              /* bootstrap report bytes */
#define SOFA__NODE_NAME_MAX 300u
#define SOFA__MAX_PENDING_OPS (16u * 1024u * 1024u)
/* Operation records with small bodies are recycled (no malloc/free per operation). */
#define SOFA__OP_SMALL_BODY 64u
#define SOFA__OP_MEDIUM_BODY 256u
#define SOFA__OP_FREELIST_MAX 4096u
/* Records with bodies up to 8 KiB (e.g. a store of a few KiB) are kept too, fewer of them
 * (at most ~1 MiB idle per client). */
#define SOFA__OP_LARGE_BODY 8192u
#define SOFA__OP_FREELIST_LARGE_MAX 128u
#define SOFA__OP_CLASSES 3

typedef struct sofa__op_list {
    sofa__op *head, *tail;
    size_t n;
} sofa__op_list;

/* ------------------------------------------------------------ operation */

enum {
    SOFA__OPF_MUTATION = 1 << 0,  /* has side effects: never retried once maybe executed */
    SOFA__OPF_RETRY_LOCKED = 1 << 1, /* LOCKED is retried (reads other than GETL) */
    SOFA__OPF_INTERNAL = 1 << 2,  /* engine-internal (config fetch): not a user operation */
    SOFA__OPF_MULTI_RESP = 1 << 3 /* several responses per request (STAT) */
};

typedef struct sofa__op_type {
    const char *name;
    unsigned flags;
    /* The final answer: status and, when the server answered, its response (borrowed).
     * Called exactly once, never for a zombie. Must not free the op. */
    void (*deliver)(sofa__op *op, int status, const sofa__resp *resp);
    /* SOFA__OPF_MULTI_RESP only: a response packet; return 1 when it was the last. */
    int (*on_packet)(sofa__op *op, const sofa__resp *resp);
    /* Choose the server status's meaning (NULL = sofa__status_from_server). */
    int (*map_status)(sofa__op *op, const sofa__resp *resp);
} sofa__op_type;

enum sofa__op_state {
    SOFA__OPS_NEW,
    SOFA__OPS_WAITING, /* client->waiting */
    SOFA__OPS_QUEUED,  /* node->waitq */
    SOFA__OPS_SENT,    /* node->inflight */
    SOFA__OPS_RETRY,   /* sleeping until timer */
    SOFA__OPS_DONE     /* answered; zombie if still in node->inflight */
};

/* How an op picks its node. */
enum sofa__route {
    SOFA__ROUTE_KEY,     /* vbucket master (or replica) / ketama server of the key */
    SOFA__ROUTE_NODE,    /* a fixed node index in the current config (ping, stats) */
    SOFA__ROUTE_VBUCKET, /* fixed vbucket (observe_seqno) + replica index */
    SOFA__ROUTE_ANY,     /* any ready node (config polling) */
    SOFA__ROUTE_PINNED   /* exactly op->pin (bootstrap config fetch); never re-routed */
};

struct sofa__op {
    sofa__tentry timer;
    sofa__op *next, *prev;   /* list links */
    sofa__op_list *list;
    sofa__dlink live;        /* on client->live */
    sofa_client *client;
    const sofa__op_type *type;
    sofa__kvnode *node;        /* when QUEUED or SENT (and during delivery of a response) */
    sofa__kvnode *pin;         /* ROUTE_PINNED */
    uint64_t deadline;
    uint64_t retry_at;
    uint64_t start;          /* submit time (latency) */
    uint64_t wpos;           /* node stream offset after this packet: sent when conn->bytes_out >= */
    uint32_t opaque;
    uint32_t attempts;
    uint8_t state;
    uint8_t route;
    uint8_t replica;         /* 0 master, n = replica n */
    uint8_t maybe_executed;  /* a mutation reached a socket and was not refused since */
    uint8_t zombie;
    uint8_t had_cas;
    uint8_t vb0;             /* send vBucket 0 in the header (OBSERVE) */
    int fixed_node;          /* ROUTE_NODE: index in config; also the node used (ping) */
    uint32_t config_gen;     /* ROUTE_NODE: config generation the index refers to */
    /* the request */
    uint8_t opcode, datatype, nframing, nextras;
    uint16_t vbid;
    uint16_t nkey;
    uint32_t nvalue;
    uint64_t cas;
    uint8_t *body; /* framing | extras | key | value, owned (allocated with the op) */
    /* the user's side */
    void (*cb)(void);
    void *cookie;
    sofa__op *parent; /* aggregate helpers: the collector op (never sent) */
    size_t slot;      /* index in the parent's result array */
    size_t remaining; /* collector: children not yet answered */
    int is_parent;    /* a collector: never routed, completes when its children have */
    int fail_status;  /* deferred completion with this status (never inside a submit) */
    void *priv;       /* per-type state */
    uint8_t size_class; /* 0: own allocation, 1: small, 2: medium, 3: large (recyclable) */
};

static inline const uint8_t *sofa__op_key(const sofa__op *op)
{
    return op->body + op->nframing + op->nextras;
}

/* ------------------------------------------------------------ node */

enum sofa__node_state {
    SOFA__NODE_IDLE,       /* no connection (backing off before a reconnect) */
    SOFA__NODE_CONNECTING,
    SOFA__NODE_HANDSHAKE,
    SOFA__NODE_READY,
    SOFA__NODE_FAILED      /* bootstrap node that failed: waiting to be released */
};

enum sofa__hs_step {
    SOFA__HS_HELLO = 1 << 0,
    SOFA__HS_ERRMAP = 1 << 1,
    SOFA__HS_MECHS = 1 << 2,
    SOFA__HS_AUTH = 1 << 3,
    SOFA__HS_SELECT = 1 << 4
};

enum {
    SOFA__NF_MUTATION_SEQNO = 1 << 0,
    SOFA__NF_XERROR = 1 << 1,
    SOFA__NF_SELECT_BUCKET = 1 << 2,
    SOFA__NF_JSON = 1 << 3,
    SOFA__NF_ALT_REQUEST = 1 << 4,
    SOFA__NF_SYNC_REPLICATION = 1 << 5,
    SOFA__NF_TCPNODELAY = 1 << 6
};

struct sofa__kvnode {
    sofa_client *client;
    char host[SOFA__CONN_HOST_MAX];
    uint16_t port;
    char name[SOFA__NODE_NAME_MAX]; /* "host:port", IPv6 in brackets */
    int index;                      /* in the current config, -1 when removed */
    int state;
    sofa__conn *conn;
    sofa__op_list waitq;
    sofa__op_list inflight;
    uint64_t stream_pos; /* bytes encoded into the connection so far */
    uint32_t next_opaque;
    /* handshake */
    unsigned hs_pending; /* SOFA__HS_* still expected */
    sofa__sasl *sasl;
    char mech[SOFA__SASL_MAX_MECH_NAME];
    unsigned features;   /* SOFA__NF_* */
    int hs_status;       /* first handshake failure */
    sofa__tentry hs_timer; /* connect + handshake must finish within config_node_timeout */
    /* reconnect */
    sofa__tentry reconnect;
    uint64_t backoff_us;
    unsigned failures;
    int removed;   /* no longer in the config: closed once in-flight ops are answered */
    int bootstrap; /* created for a bootstrap seed */
    int busy;
    int free_asked;
    sofa__kvnode *dnext; /* client->draining */
};

/* ------------------------------------------------------------ client */

/* A subsystem living on the client (HTTP queries, durability...): its teardown hook runs
 * first in the client's destroy, where it answers its own pending requests (E_CANCELED). */
typedef struct sofa__client_ext {
    void (*on_teardown)(sofa_client *c, void *arg);
    void *arg;
    struct sofa__client_ext *next;
} sofa__client_ext;

enum sofa__boot_state {
    SOFA__BOOT_IDLE,    /* connect not called */
    SOFA__BOOT_RUNNING,
    SOFA__BOOT_DONE,
    SOFA__BOOT_FAILED
};

struct sofa_client {
    sofa__logger logger;
    sofa__connstr cs;
    struct sofa__tls_ctx *tls; /* couchbases://: shared by every connection, else NULL */
    char *username, *password;
    char *bucket; /* NULL in memcached mode */
    int memcached;
    sofa_iops *io;
    int io_owned;
    sofa__timerq tq;
    sofa_io_timer *timer;
    sofa_io_timer *tick_timer;
    sofa__errmap *errmap; /* newest server error map (GET_ERROR_MAP), or NULL */
    /* topology */
    sofa__config *config;
    uint32_t config_gen;
    sofa__kvnode **nodes; /* config->nkv entries (index = server index) */
    size_t nnodes;
    sofa__kvnode *draining;
    /* bootstrap */
    int boot_state;
    int boot_status;
    size_t seed;             /* next seed index */
    int seed_phase;          /* 1: the CCCP attempt of an HTTP seed on port 8091 is running */
    uint16_t seed_mgmt_port; /* an HTTP seed on this port is tried over CCCP first ... */
    uint16_t seed_kv_port;   /* ... on this port (8091/11210, 18091/11207 with TLS) */
    sofa__kvnode *boot_node;
    sofa__tentry boot_timer; /* total bootstrap timeout */
    sofa_connect_cb connect_cb;
    void *connect_cookie;
    /* HTTP bootstrap (httpboot.c): a streaming config request to one seed */
    sofa__http *http;
    sofa__http_req *hreq;
    sofa__cfgstream hstream;
    char hhost[SOFA__CONN_HOST_MAX];
    uint16_t hport;
    int hfail;               /* failure to process from hb_timer (never inside HTTP callbacks) */
    char hwhy[160];
    sofa__tentry hb_timer;   /* per-seed timeout and deferred failure */
    char report[SOFA__REPORT_MAX];
    size_t report_len;
    /* config refresh */
    sofa__tentry poll_timer;
    uint64_t last_refresh;
    int refresh_inflight;
    size_t poll_rr;
    /* ops */
    sofa__op_list waiting;
    sofa__dlist live; /* records alive, including zombies and children (sofa__op.live) */
    sofa__op *free_ops[SOFA__OP_CLASSES]; /* recycled records per size class (through next) */
    size_t nfree_ops[SOFA__OP_CLASSES];
    size_t npending;  /* user-visible operations not yet answered */
    /* life cycle */
    int depth;        /* > 0 inside a callback from the loop */
    int waiting_loop; /* inside sofa_client_wait */
    int stop_called;
    int free_asked;
    int destroying;
    sofa__client_ext *exts;
    void (*destroyed_cb)(void *);
    void *destroyed_cookie;
    uint64_t op_timeout_us;
};

/* ------------------------------------------------------------ lists */
static inline void sofa__list_push(sofa__op_list *l, sofa__op *op)
{
    op->next = NULL;
    op->prev = l->tail;
    if (l->tail)
        l->tail->next = op;
    else
        l->head = op;
    l->tail = op;
    l->n++;
    op->list = l;
}

/* No-op when @p op is on no list. */
static inline void sofa__list_remove(sofa__op *op)
{
    sofa__op_list *l = op->list;
    if (!l)
        return;
    if (op->prev)
        op->prev->next = op->next;
    else
        l->head = op->next;
    if (op->next)
        op->next->prev = op->prev;
    else
        l->tail = op->prev;
    l->n--;
    op->next = op->prev = NULL;
    op->list = NULL;
}

static inline sofa__op *sofa__list_pop(sofa__op_list *l)
{
    sofa__op *op = l->head;
    if (op)
        sofa__list_remove(op);
    return op;
}

/* ------------------------------------------------------------ client internals */
void sofa__client_enter(sofa_client *c);
void sofa__client_leave(sofa_client *c);
/* Other subsystems' requests take part in wait/tick through these two: count one more
 * user-visible request (wait keeps running), and its end (wait stops at zero). Their
 * callbacks into user code must run between sofa__client_enter/leave so that
 * sofa_client_free() inside them is deferred. */
void sofa__client_pending_add(sofa_client *c);
/* A user-visible operation finished (pending count bookkeeping, wait stop). */
void sofa__client_op_done(sofa_client *c);
/* Register @p ext (storage owned by the caller, alive until its on_teardown ran). */
void sofa__client_add_ext(sofa_client *c, sofa__client_ext *ext);
/* Append a line to the bootstrap report. */
void sofa__client_report(sofa_client *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* ------------------------------------------------------------ operations (op.c) */
/* Allocate a record with room for the body (framing + extras + key + value). */
sofa__op *sofa__op_new(sofa_client *c, const sofa__op_type *type, size_t nbody);
/* Validate a user key: 0, SOFA_E_EMPTY_KEY, SOFA_E_KEY_TOO_LONG, SOFA_E_INVALID_ARGUMENT. */
static inline int sofa__check_key(const void *key, size_t nkey)
{
    if (!key && nkey)
        return SOFA_E_INVALID_ARGUMENT;
    if (nkey == 0)
        return SOFA_E_EMPTY_KEY;
    if (nkey > SOFA_KV_MAX_KEY)
        return SOFA_E_KEY_TOO_LONG;
    return 0;
}
/* Check that a submit is allowed now: 0 or SOFA_E_SHUTDOWN / SOFA_E_INVALID_ARGUMENT /
 * SOFA_E_NO_MEMORY (SOFA__MAX_PENDING_OPS records alive). */
static inline int sofa__check_submit(sofa_client *c, const void *cb)
{
    if (!c || !cb)
        return SOFA_E_INVALID_ARGUMENT;
    if (c->destroying || c->free_asked)
        return SOFA_E_SHUTDOWN;
    if (c->live.n >= SOFA__MAX_PENDING_OPS)
        return SOFA_E_NO_MEMORY;
    return 0;
}
/* sofa__check_submit, then sofa__check_key: the checks of every operation on one key. */
static inline int sofa__check_key_submit(sofa_client *c, const void *cb, const void *key,
                                         size_t nkey)
{
    int rc = sofa__check_submit(c, cb);
    return rc != 0 ? rc : sofa__check_key(key, nkey);
}
/* sofa__check_key_submit, then SOFA_E_NOT_SUPPORTED in memcached mode: the checks of an
 * operation on a key's copies (replica reads, observe), which memcached does not have. */
static inline int sofa__check_copies_submit(sofa_client *c, const void *cb, const void *key,
                                            size_t nkey)
{
    int rc = sofa__check_key_submit(c, cb, key, nkey);
    return rc != 0 ? rc : c->memcached ? SOFA_E_NOT_SUPPORTED : 0;
}
/* Fill the request: copies framing, extras, key and value into op->body. */
void sofa__op_set_request(sofa__op *op, uint8_t opcode, const void *framing, uint8_t nframing,
                          const void *extras, uint8_t nextras, const void *key, uint16_t nkey,
                          const void *value, uint32_t nvalue);
/* Accept the op: deadline from @p timeout_us (0 = client default), count it as pending
 * (unless it is a child or internal), dispatch. Returns 0 or SOFA_E_NO_MEMORY (the op
 * is freed and nothing fires). */
int sofa__op_submit(sofa__op *op, uint64_t timeout_us);
/* Route and queue (or park) an accepted op. */
void sofa__op_dispatch(sofa__op *op);
/* Complete with a status (and response): delivers, then releases or zombifies. */
void sofa__op_complete(sofa__op *op, int status, const sofa__resp *resp);
/* A response for an in-flight op: retry logic, then complete. */
void sofa__op_on_response(sofa__op *op, sofa__kvnode *n, const sofa__resp *resp);
/* The op's connection died: retried when its packet never left the send buffer (@p sent
 * = 0), else answered with @p status (a sent mutation may have executed). */
void sofa__op_on_conn_lost(sofa__op *op, int status, int sent);
/* Schedule a retry after @p delay_us (bounded by the deadline). */
void sofa__op_retry_later(sofa__op *op, uint64_t delay_us);
/* Complete from the deadline queue on the next loop turn (never inside a submit). */
void sofa__op_fail_later(sofa__op *op, int status);
/* A child of a collector finished: count it; completes the collector after the last. */
void sofa__op_child_done(sofa__op *child);
/* Make sure a collector can always be completed later (room in the deadline heap): call
 * before sofa__op_submit_parent(), treating failure as out of memory. 0 or NO_MEMORY. */
int sofa__op_parent_reserve(sofa_client *c);
/* Accept a collector op (counted as pending; @p n children follow). Cannot fail after
 * sofa__op_parent_reserve() succeeded. */
int sofa__op_submit_parent(sofa__op *parent, size_t n);
/* Start collector @p p (after sofa__op_parent_reserve) with its state @p priv, the user's
 * callback and cookie, and its @p n prepared children (parent and slot are set here). */
void sofa__op_launch(sofa__op *p, void *priv, void (*cb)(void), void *cookie, sofa__op **kids,
                     size_t n, uint64_t timeout_us);
/* Release a finished record. */
void sofa__op_free(sofa__op *op);
/* Release the recycled records (client teardown). */
void sofa__op_pool_free(sofa_client *c);
/* Deliver SOFA_E_CANCELED to every live op (destroy). */
void sofa__op_cancel_all(sofa_client *c);

/* Build a keyed request record: validates the key, copies everything. NULL = no memory. */
sofa__op *sofa__kv_op(sofa_client *c, const sofa__op_type *type, uint8_t opcode,
                      const void *key, size_t nkey, const void *extras, uint8_t nextras,
                      const void *value, size_t nvalue, const sofa_kv_opts *o);
/* Add a durability frame for opts->durability_level. 0, or SOFA_E_INVALID_ARGUMENT. */
int sofa__kv_durability(const sofa_kv_opts *o, uint8_t frame[4], uint8_t *nframe,
                        uint64_t timeout_us);
/* Copy @p n bytes (n may be 0) into new storage; NULL on no memory. */
void *sofa__memdup(const void *p, size_t n);

/* ------------------------------------------------------------ retry (retry.c) */
typedef enum sofa__retry_action { SOFA__RETRY_NO, SOFA__RETRY_NOW, SOFA__RETRY_BACKOFF } sofa__retry_action;
/* Pure decision for a server status (already mapped to sofa_status). */
sofa__retry_action sofa__retry_decide(int status, unsigned op_flags, uint32_t attempts,
                                      uint64_t *delay_us);
uint64_t sofa__retry_backoff(uint32_t attempts);
/* For a status sofa does not know (SOFA_E_SERVER_ERROR): the server's error-map attributes
 * decide. *refresh = 1 when the map asks for a new config. */
sofa__retry_action sofa__retry_decide_attrs(unsigned attrs, uint32_t attempts, uint64_t *delay_us,
                                            int *refresh);
/* The status to report when the deadline passes. */
int sofa__timeout_status(unsigned op_flags, int sent, int maybe_executed);

/* ------------------------------------------------------------ nodes (node.c) */
sofa__kvnode *sofa__node_new(sofa_client *c, const char *host, uint16_t port, int bootstrap);
void sofa__node_connect(sofa__kvnode *n);
/* Queue an op on a node: encodes immediately when ready, else waits in waitq. */
void sofa__node_enqueue(sofa__kvnode *n, sofa__op *op);
/* Encode an op into the connection's send buffer. 0 or SOFA_E_NO_MEMORY. */
int sofa__node_send(sofa__kvnode *n, sofa__op *op);
/* Write an internal packet (handshake). 0 or SOFA_E_NO_MEMORY. */
int sofa__node_write_req(sofa__kvnode *n, const sofa__req *r);
/* Close the connection, fail/requeue its ops with @p status, schedule a reconnect. */
void sofa__node_fail(sofa__kvnode *n, int status, const char *why);
/* Removed from the config: re-route waiting ops; close once in-flight ops are answered. */
void sofa__node_retire(sofa__kvnode *n);
void sofa__node_free(sofa__kvnode *n);
/* The node became READY. */
void sofa__node_ready(sofa__kvnode *n);

/* ------------------------------------------------------------ handshake (handshake.c) */
void sofa__hs_start(sofa__kvnode *n);
/* A response while in HANDSHAKE. */
void sofa__hs_on_response(sofa__kvnode *n, const sofa__resp *r);

/* ------------------------------------------------------------ config (confmon.c) */
int sofa__boot_start(sofa_client *c);
/* Sets c->seed_mgmt_port and c->seed_kv_port to the defaults for c->tls (at client creation). */
void sofa__boot_init_ports(sofa_client *c);
/* The port to try CCCP on before the HTTP config stream of seed @h, 0 for none: an HTTP seed
 * on the cluster manager's default port is tried first on the same host's default KV port
 * (as libcouchbase does), unless bootstrap_on excludes CCCP. */
uint16_t sofa__boot_cccp_port(const sofa_client *c, const sofa__host *h);
/* A node connection failed during handshake (or a bootstrap step failed). */
void sofa__boot_node_failed(sofa_client *c, sofa__kvnode *n, int status, const char *why);
/* The bootstrap node is ready: fetch the config. */
void sofa__boot_node_ready(sofa_client *c, sofa__kvnode *n);
/* Parse and apply a config JSON served by @p from_host. 1 = applied (newer), 0 = not
 * newer, <0 = error. */
int sofa__config_offer(sofa_client *c, const uint8_t *json, size_t len, const char *from_host);
/* Apply a parsed config (takes the reference). 1 applied, 0 not newer. */
int sofa__config_apply(sofa_client *c, sofa__config *cfg);
/* Ask for a config soon (throttled). */
void sofa__config_refresh(sofa_client *c);
/* Fail every waiting op and the connect callback when bootstrap fails. */
void sofa__boot_finish(sofa_client *c, int status);

/* A seed failed (KV or HTTP): report it, aggregate the final status, try the next. */
void sofa__boot_seed_failed(sofa_client *c, const char *name, int status, const char *why);
/* Try the next seed (or finish with the aggregated failure). */
void sofa__boot_next_seed(sofa_client *c);

/* ------------------------------------------------------------ HTTP bootstrap (httpboot.c) */
/* Start streaming configs from host:port (the seed). 0 or a negative status. */
int sofa__httpboot_start(sofa_client *c, const char *host, uint16_t port);
/* Stop the stream and release the HTTP pool (not from inside its callbacks). */
void sofa__httpboot_free(sofa_client *c);

/* ------------------------------------------------------------ routing (router.c) */
/* The node for an op under the current config, or NULL (with *status why). */
sofa__kvnode *sofa__route(sofa_client *c, sofa__op *op, int *status);

#endif
