/* sofa-mock: shared internal declarations (cluster model, store, nodes, connections).
 * The mock is independent of libsofa: it has its own codec and constants. Everything runs
 * on one libevent loop in one thread. */
#ifndef SOFA_TOOLS_MOCK_MOCK_H
#define SOFA_TOOLS_MOCK_MOCK_H

#include <stddef.h>
#include <stdint.h>

#include "store_api.h"

struct event_base;
struct event;

/* ------------------------------------------------------------------ limits */
#define MOCK_MAX_NODES 16
#define MOCK_MAX_REPLICAS 3
#define MOCK_MAX_VBUCKETS 4096
#define MOCK_MAX_BUCKETS 16
#define MOCK_MAX_USERS 64
#define MOCK_MAX_NAME 100           /* bucket / user names */
#define MOCK_MAX_PASS 128
#define MOCK_MAX_KEY 250
#define MOCK_MAX_VALUE (20u * 1024u * 1024u)
#define MOCK_MAX_BODY (MOCK_MAX_VALUE + 4096u)
#define MOCK_LOCK_DEFAULT_S 15
#define MOCK_LOCK_MAX_S 30
#define MOCK_DURABILITY_DEFAULT_MS 30000

/* ------------------------------------------------------------------ misc helpers */
extern int64_t mock_clock_offset_ms; /* advanced by the control API */
extern int mock_verbose;             /* --verbose: log every request */
int64_t mock_now_ms(void);       /* mock clock: wall clock + offset, ms */
int64_t mock_mono_ms(void);      /* monotonic, for timers */
void mock_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mock_strbuf_free(mock_strbuf *b);
int mock_strbuf_reserve(mock_strbuf *b, size_t extra);
int mock_strbuf_printf(mock_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mock_strbuf_consume(mock_strbuf *b, size_t n); /* drop n bytes from the front */
uint64_t mock_random64(void);
size_t mock_base64_encode(const unsigned char *in, size_t n, char *out); /* out >= 4*ceil(n/3)+1 */
int mock_base64_decode(const char *in, size_t n, unsigned char *out, size_t cap, size_t *outlen);

/* ------------------------------------------------------------------ store */
typedef struct mock_item {
    struct mock_item *next; /* hash chain */
    uint64_t cas;
    uint64_t seqno;
    uint64_t lock_cas;
    int64_t lock_until_ms;  /* mock clock; 0 = not locked */
    int64_t exp_ms;         /* mock clock; 0 = never */
    int64_t sync_until_ms;  /* monotonic: a durable write on this key is pending until then */
    uint32_t flags;
    uint32_t hash;
    uint16_t vbid;
    uint8_t datatype;
    uint8_t deleted;        /* tombstone: value empty, kept for OBSERVE / GET_META */
    char *value;
    uint32_t nvalue;
    uint32_t value_cap;     /* allocated bytes at value */
    uint16_t nkey;
    char key[];
} mock_item;

typedef struct mock_pending {  /* one mutation whose replication/persistence is not done */
    uint64_t seqno;
    int64_t at_ms;             /* monotonic time of the mutation */
} mock_pending;

typedef struct mock_failover_entry {
    uint64_t uuid;
    uint64_t seqno;
} mock_failover_entry;

#define MOCK_FAILOVER_LOG 8

typedef struct mock_vbucket {
    uint64_t uuid;
    uint64_t high_seqno;
    uint64_t floor_seqno;      /* every seqno <= floor is replicated and persisted everywhere */
    mock_pending *pending;     /* FIFO ring */
    size_t npending, pending_head, pending_cap;
    mock_failover_entry log[MOCK_FAILOVER_LOG]; /* older uuids, newest first */
    int nlog;
    int16_t map[MOCK_MAX_REPLICAS + 1]; /* node index per copy, -1 = none */
} mock_vbucket;

typedef enum { MOCK_BUCKET_COUCHBASE, MOCK_BUCKET_MEMCACHED } mock_bucket_type;

struct mock_bucket {
    mock_cluster *cluster;
    char name[MOCK_MAX_NAME + 1];
    char password[MOCK_MAX_PASS + 1];
    int has_password;
    mock_bucket_type type;
    char uuid[33];
    mock_item **table;
    size_t table_size, nitems;
    size_t nbytes; /* sum of value sizes */
    int nvbuckets;
    mock_vbucket *vbs;
    void *query_state; /* owned by the views/N1QL modules, if any */
    /* config JSON cache per serving node and $HOST mode, valid for config_rev */
    char *config_cache[MOCK_MAX_NODES][2];
    int64_t config_cache_rev[MOCK_MAX_NODES][2];
};

mock_item *mock_store_find(mock_bucket *b, const char *key, size_t nkey); /* live or tombstone; expires lazily */
mock_item *mock_store_find_live(mock_bucket *b, const char *key, size_t nkey);
/* Insert or replace the item for key with value; returns the item or NULL (OOM). Sets a new cas
 * and seqno (vbucket mutation), clears lock and tombstone. */
mock_item *mock_store_put(mock_bucket *b, const char *key, size_t nkey, const char *val, size_t nval,
                          uint32_t flags, int64_t exp_ms, uint8_t datatype, uint16_t vbid);
/* Same, with the item for key already looked up (existing may be NULL: then it is looked up). */
mock_item *mock_store_put_at(mock_bucket *b, mock_item *existing, const char *key, size_t nkey,
                             const char *val, size_t nval, uint32_t flags, int64_t exp_ms,
                             uint8_t datatype, uint16_t vbid);
/* Record a mutation of an existing item (new cas + seqno). */
void mock_store_touch_item(mock_bucket *b, mock_item *it);
void mock_store_delete(mock_bucket *b, mock_item *it); /* becomes a tombstone with a new cas/seqno */
void mock_store_remove(mock_bucket *b, mock_item *it); /* gone entirely (expiry, flush, lost) */
void mock_store_flush(mock_bucket *b);
void mock_store_free(mock_bucket *b);
int mock_store_init(mock_bucket *b);
uint16_t mock_vbucket_of(const mock_bucket *b, const char *key, size_t nkey);
uint64_t mock_next_cas(void);
int mock_item_locked(const mock_item *it, int64_t now);

/* Replication/persistence progress of a vbucket at monotonic time now. */
typedef struct mock_vb_progress {
    uint64_t high;              /* in memory on the master */
    uint64_t persisted_master;
    uint64_t replicated;        /* in memory on every replica */
    uint64_t persisted_replica; /* on disk on every replica */
} mock_vb_progress;
void mock_vb_progress_get(mock_cluster *c, mock_vbucket *vb, int64_t now, mock_vb_progress *p);

/* ------------------------------------------------------------------ cluster */
typedef struct mock_user {
    char name[MOCK_MAX_NAME + 1];
    char password[MOCK_MAX_PASS + 1];
    char buckets[512]; /* comma-separated list; "" = every bucket */
} mock_user;

typedef enum {
    MOCK_FAULT_STATUS,   /* answer with a status */
    MOCK_FAULT_TRUNCATE, /* send half a header, then close */
    MOCK_FAULT_GARBAGE,  /* send 24 bytes of garbage instead of the response */
} mock_fault_kind;

typedef struct mock_fault {
    mock_fault_kind kind;
    int node;      /* -1 = any */
    int opcode;    /* -1 = any */
    int status;
    int remaining; /* requests left to hit */
} mock_fault;

#define MOCK_MAX_FAULTS 32

typedef struct mock_listener {
    int fd;               /* -1 when closed */
    int port;             /* kept across close/reopen */
    struct event *ev;
    void (*on_accept)(void *arg, int fd);
    void *arg;
    struct event *pause; /* re-arms ev after running out of descriptors */
} mock_listener;

struct mock_kvconn;
struct mock_httpconn;

typedef struct mock_node {
    mock_cluster *cluster;
    int index;
    int running;      /* ports open */
    int failed_over;  /* out of the cluster map */
    int delay_ms;     /* response delay */
    int hang;         /* accept, never answer */
    uint64_t nobserve, nobserve_seqno; /* OBSERVE / OBSERVE_SEQNO requests received */
    mock_listener kv, http;
    mock_listener kvtls;   /* KV over TLS; open only when the cluster has a TLS context */
    mock_listener httptls; /* HTTPS (mgmt, capi, n1ql); likewise */
    struct mock_kvconn *kvconns;
    struct mock_httpconn *httpconns;
    struct event *restart_timer;
} mock_node;

struct mock_cluster {
    struct event_base *base;
    char host[64];
    int nnodes, nreplicas, nvbuckets;
    mock_node nodes[MOCK_MAX_NODES];
    mock_bucket *buckets[MOCK_MAX_BUCKETS];
    int nbuckets;
    mock_user users[MOCK_MAX_USERS];
    int nusers;
    int64_t rev;
    int64_t rev_epoch;
    int rebalance_shift;
    int replicate_delay_ms, persist_delay_ms;
    int no_sync_replication; /* HELLO does not acknowledge SyncReplication (0x11) */
    mock_fault faults[MOCK_MAX_FAULTS];
    int nfaults;
    mock_listener ctl;                   /* control-only HTTP port, never closed */
    struct ssl_ctx_st *tls;              /* --tls-cert/--tls-key given: KV over TLS, else NULL */
    char sasl_mechs[128];                /* --sasl-mechs: SASL_LIST_MECHS answer, "" = all */
    struct mock_httpconn *ctlconns;
    struct mock_httpconn *streams;       /* /pools/default/bs/ subscribers (all nodes) */
};

/* Auth: 1 if user/pass are valid credentials; bucket access checks below. */
int mock_cluster_auth(mock_cluster *c, const char *user, const char *pass);
/* 1 if an authenticated user may use bucket. */
int mock_cluster_user_can_access(mock_cluster *c, const char *user, const mock_bucket *b);
/* Password to use for SCRAM: 0 found (pass set), -1 unknown user. */
int mock_cluster_user_password(mock_cluster *c, const char *user, const char **pass);
/* Node role for a vbucket: 0 master, 1..n replica, -1 none. */
int mock_node_role(const mock_bucket *b, int vbid, int node);
/* Config JSON for bucket b (NULL = bucketless cluster config) as served by node `node`,
 * with $HOST for that node when dollar_host, else the real host. Caller frees. */
char *mock_config_json(mock_cluster *c, mock_bucket *b, int node, int dollar_host);
void mock_config_cache_free(mock_bucket *b); /* cached configs (kept per rev) */
/* Cluster topology changes (each bumps rev and pushes to streams). 0 / -1 with msg. */
int mock_cluster_failover(mock_cluster *c, int node, char *msg, size_t msglen);
int mock_cluster_rebalance(mock_cluster *c, const int *nodes, int n, char *msg, size_t msglen);
void mock_cluster_topology_changed(mock_cluster *c);
int mock_node_start(mock_node *n);
int mock_node_schedule_restart(mock_node *n, int ms);
mock_bucket *mock_bucket_new(mock_cluster *c, const char *name, const char *password,
                             mock_bucket_type type);
void mock_node_stop(mock_node *n);
void mock_node_drop_connections(mock_node *n);

/* ------------------------------------------------------------------ KV / HTTP servers */
/* Listen on host:l->port (0 = ephemeral; the chosen port is stored back). 0 / -1. */
int mock_listener_open(mock_listener *l, struct event_base *base, const char *host);
void mock_listener_close(mock_listener *l);
void mock_kv_accept(void *node, int fd);
void mock_kv_tls_accept(void *node, int fd); /* the node's TLS KV port */
/* Server TLS context from a PEM certificate (chain) and key. NULL with a message on stderr. */
struct ssl_ctx_st *mock_tls_ctx_new(const char *cert_file, const char *key_file);
void mock_kvconn_close(struct mock_kvconn *c); /* deferred when called from its own dispatch */
struct mock_kvconn *mock_kvconn_next(struct mock_kvconn *c);
void mock_http_accept(void *node, int fd);     /* node's HTTP port */
void mock_https_accept(void *node, int fd);    /* node's HTTPS port */
void mock_http_ctl_accept(void *cluster, int fd); /* the control-only port */
void mock_httpconn_close(struct mock_httpconn *c);
void mock_http_push_config(mock_cluster *c);

/* SASL (server side). */
typedef struct mock_sasl {
    int mech;                  /* 0 none, 1 PLAIN, 2 SHA1, 3 SHA256, 4 SHA512 */
    char user[MOCK_MAX_NAME + 1];
    char client_first_bare[512];
    char server_first[256];
    char nonce[128];
    unsigned char salted[64];
    int known_user;
} mock_sasl;

/* Handle SASL_AUTH (step=0) / SASL_STEP (step=1). Returns the status (0x00, 0x20, 0x21, 0x04)
 * and writes the server message into out. On 0x00, *user_out is the authenticated name. */
int mock_sasl_handle(mock_cluster *c, mock_sasl *s, int step, const char *mech, size_t nmech,
                     const char *data, size_t ndata, mock_strbuf *out, char *user_out, size_t userlen);
const char *mock_sasl_mechs(void);

/* Error map JSON (version 1 or 2). */
const char *mock_errmap_json(int version);

/* Optional sample loader from tools/mock/sample.c (weak). */
int mock_sample_load(mock_cluster *c, const char *name) __attribute__((weak));

#endif /* SOFA_TOOLS_MOCK_MOCK_H */
