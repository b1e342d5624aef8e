/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * Cluster configuration (PROTOCOL.md §6): parse the terse/verbose bucket config JSON into an
 * immutable, reference-counted sofa__config. Sans-I/O: the caller hands over JSON text.
 */
#ifndef SOFA_PROTO_CONFIG_H
#define SOFA_PROTO_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "proto/hash.h"

/* Named limits on what a config may contain. */
#define SOFA__CONFIG_MAX_JSON (16u * 1024u * 1024u) /* bytes of JSON text */
#define SOFA__CONFIG_MAX_NODES 1024u
#define SOFA__CONFIG_MAX_VBUCKETS 65536u /* vbucket ids are 16 bits */
#define SOFA__CONFIG_MAX_REPLICAS 3
#define SOFA__CONFIG_MAX_HOST 1024u /* bytes of one host name after $HOST replacement */

typedef struct sofa__node {
    char *host; /* $HOST replaced, IPv6 without brackets */
    uint16_t kv, kv_tls, mgmt, mgmt_tls, capi, capi_tls, n1ql, n1ql_tls; /* 0 = not offered */
    uint16_t fts, fts_tls, cbas, cbas_tls;
    char *couch_api_base; /* NULL if the node has no views base URL */
    int is_kv;            /* the node is in serverList (a KV node) */
    int this_node;        /* nodesExt thisNode: the node that served the config */
} sofa__node;

/* Bucket/cluster capabilities (bucketCapabilities and clusterCapabilities.n1ql). */
enum {
    SOFA__CAP_DURABLE_WRITE = 1u << 0,
    SOFA__CAP_COUCHAPI = 1u << 1,
    SOFA__CAP_CCCP = 1u << 2,
    SOFA__CAP_XATTR = 1u << 3,
    SOFA__CAP_COLLECTIONS = 1u << 4,
    SOFA__CAP_DCP = 1u << 5,
    SOFA__CAP_CBHELLO = 1u << 6,
    SOFA__CAP_TOUCH = 1u << 7,
    SOFA__CAP_NODES_EXT = 1u << 8,
    SOFA__CAP_TOMBSTONED_XATTRS = 1u << 9,
    SOFA__CAP_ENHANCED_PREPARED = 1u << 16 /* cluster capability (n1ql) */
};

typedef struct sofa__config {
    int64_t epoch;     /* revEpoch; -1 when absent */
    int64_t rev;       /* -1 when absent */
    char *bucket;      /* NULL for a bucketless (cluster) config */
    char *uuid;        /* NULL when absent */
    int is_ketama;     /* nodeLocator "ketama" (memcached bucket) */
    sofa__node *nodes; /* KV nodes first, in serverList order, then non-KV nodes */
    size_t nnodes;
    size_t nkv; /* number of KV nodes = length of serverList */
    int nreplicas;
    uint32_t nvbuckets;     /* 0 for ketama */
    int16_t *vbmap;         /* nvbuckets * (nreplicas + 1); -1 = none */
    int16_t *vbmap_forward; /* same shape, or NULL */
    sofa__ketama ketama;    /* continuum over the KV nodes, for ketama configs */
    unsigned caps;          /* SOFA__CAP_* */
    int refcount;
} sofa__config;

/*
 * Parse @p json (@p len bytes, need not be NUL-terminated). @p host = the host the client used
 * to reach the serving node (replaces "$HOST"; an IPv6 literal without brackets; may be NULL
 * when the text holds no $HOST). On success *out has refcount 1.
 * Returns 0, SOFA_E_BAD_CONFIG (message naming the field in @p errbuf, if given) or
 * SOFA_E_NO_MEMORY.
 */
int sofa__config_parse(const char *json, size_t len, const char *host, sofa__config **out,
                       char *errbuf, size_t errlen);

/*
 * A ketama config from a plain server list (memcached://): @p hosts[i]:@p ports[i] become the
 * KV nodes in order. Epoch and rev are -1, no bucket. Returns 0, SOFA_E_INVALID_ARGUMENT,
 * SOFA_E_NO_MEMORY.
 */
int sofa__config_from_servers(const char *const *hosts, const uint16_t *ports, size_t n,
                              sofa__config **out);

void sofa__config_ref(sofa__config *c);
void sofa__config_unref(sofa__config *c); /* frees at 0; NULL is a no-op */

/* <0, 0, >0 comparing (epoch, rev); a missing epoch or rev counts as -1. */
int sofa__config_compare(const sofa__config *a, const sofa__config *b);

/* Node index of the vbucket's master / replica @p i (0-based), or -1 if none or out of range. */
int sofa__config_master(const sofa__config *c, uint16_t vb);
int sofa__config_replica(const sofa__config *c, uint16_t vb, int i);
/* Same on vBucketMapForward; -1 when there is no forward map. */
int sofa__config_master_forward(const sofa__config *c, uint16_t vb);

/* Node index serving @p key (vbucket master, or ketama server), -1 if none. *vb is set to the
 * vbucket (0 for ketama). */
int sofa__config_map_key(const sofa__config *c, const void *key, size_t nkey, uint16_t *vb);

/* Index of the KV node with this host and KV (plain or TLS) port, or -1. */
int sofa__config_find_node(const sofa__config *c, const char *host, uint16_t port);

#endif /* SOFA_PROTO_CONFIG_H */
