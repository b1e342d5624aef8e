/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* Cluster configuration JSON (PROTOCOL.md §6) parsed with jansson into a sofa__config. */
#include "proto/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/config_parse.h"
#include "sofa/status.h"

#define MAX_STRING SOFA__CFG_MAX_STRING

static int get_int(sofa__cfg_ctx *x, json_t *root, const char *key, int64_t *out)
{
    json_t *v = json_object_get(root, key);
    *out = -1;
    if (!v)
        return SOFA_OK;
    if (!json_is_integer(v))
        return sofa__cfg_fail(x, "%s: not an integer", key);
    *out = json_integer_value(v);
    return SOFA_OK;
}

static int get_opt_string(sofa__cfg_ctx *x, json_t *root, const char *key, char **out)
{
    json_t *v = json_object_get(root, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return SOFA_OK;
    if (!json_is_string(v))
        return sofa__cfg_fail(x, "%s: not a string", key);
    if (json_string_length(v) > MAX_STRING)
        return sofa__cfg_fail(x, "%s: longer than %u bytes", key, MAX_STRING);
    *out = strdup(json_string_value(v));
    return *out ? SOFA_OK : SOFA_E_NO_MEMORY;
}

static int parse_vbmap(sofa__cfg_ctx *x, json_t *map, const char *name, int16_t **out)
{
    sofa__config *c = x->c;
    int rc = sofa__cfg_check_array(x, map, name, SOFA__CONFIG_MAX_VBUCKETS);
    if (rc)
        return rc;
    size_t nvb = json_array_size(map), width = (size_t)c->nreplicas + 1;
    if (nvb == 0)
        return sofa__cfg_fail(x, "%s: empty", name);
    if (c->nvbuckets && nvb != c->nvbuckets)
        return sofa__cfg_fail(x, "%s: %zu rows, vBucketMap has %u", name, nvb, c->nvbuckets);
    int16_t *m = malloc(nvb * width * sizeof(*m));
    if (!m)
        return SOFA_E_NO_MEMORY;
    size_t i;
    json_t *row;
    json_array_foreach(map, i, row)
    {
        if (!json_is_array(row) || json_array_size(row) != width) {
            free(m);
            return sofa__cfg_fail(x, "%s[%zu]: not an array of %zu server indexes", name, i, width);
        }
        for (size_t j = 0; j < width; j++) {
            json_t *v = json_array_get(row, j);
            json_int_t idx = json_is_integer(v) ? json_integer_value(v) : -2;
            if (idx < -1 || idx >= (json_int_t)c->nkv) {
                free(m);
                return sofa__cfg_fail(x, "%s[%zu][%zu]: not a server index (-1..%zu)", name, i, j,
                                      c->nkv ? c->nkv - 1 : 0);
            }
            m[i * width + j] = (int16_t)idx;
        }
    }
    c->nvbuckets = (uint32_t)nvb;
    *out = m;
    return SOFA_OK;
}

static int parse_vbucket_map(sofa__cfg_ctx *x, json_t *vbsm)
{
    if (!json_is_object(vbsm))
        return sofa__cfg_fail(x, "vBucketServerMap: not an object");
    json_t *alg = json_object_get(vbsm, "hashAlgorithm");
    if (alg && (!json_is_string(alg) || strcmp(json_string_value(alg), "CRC") != 0))
        return sofa__cfg_fail(x, "vBucketServerMap.hashAlgorithm: only \"CRC\" is supported");
    json_t *nr = json_object_get(vbsm, "numReplicas");
    if (!json_is_integer(nr) || json_integer_value(nr) < 0 ||
        json_integer_value(nr) > SOFA__CONFIG_MAX_REPLICAS)
        return sofa__cfg_fail(x, "vBucketServerMap.numReplicas: missing or not 0..%d",
                              SOFA__CONFIG_MAX_REPLICAS);
    x->c->nreplicas = (int)json_integer_value(nr);
    json_t *sl = json_object_get(vbsm, "serverList");
    if (!sl)
        return sofa__cfg_fail(x, "vBucketServerMap.serverList: missing");
    int rc = sofa__cfg_parse_server_list(x, sl);
    if (rc)
        return rc;
    json_t *map = json_object_get(vbsm, "vBucketMap");
    if (!map)
        return sofa__cfg_fail(x, "vBucketServerMap.vBucketMap: missing");
    if ((rc = parse_vbmap(x, map, "vBucketServerMap.vBucketMap", &x->c->vbmap)) != SOFA_OK)
        return rc;
    json_t *fwd = json_object_get(vbsm, "vBucketMapForward");
    if (fwd && !json_is_null(fwd))
        rc = parse_vbmap(x, fwd, "vBucketServerMap.vBucketMapForward", &x->c->vbmap_forward);
    return rc;
}

static int parse_caps(sofa__cfg_ctx *x, json_t *root)
{
    static const struct {
        const char *name;
        unsigned bit;
    } bucket_caps[] = {{"durableWrite", SOFA__CAP_DURABLE_WRITE},
                       {"couchapi", SOFA__CAP_COUCHAPI},
                       {"cccp", SOFA__CAP_CCCP},
                       {"xattr", SOFA__CAP_XATTR},
                       {"collections", SOFA__CAP_COLLECTIONS},
                       {"dcp", SOFA__CAP_DCP},
                       {"cbhello", SOFA__CAP_CBHELLO},
                       {"touch", SOFA__CAP_TOUCH},
                       {"nodesExt", SOFA__CAP_NODES_EXT},
                       {"tombstonedUserXAttrs", SOFA__CAP_TOMBSTONED_XATTRS}};
    json_t *bc = json_object_get(root, "bucketCapabilities");
    size_t i;
    json_t *e;
    if (bc) {
        if (!json_is_array(bc))
            return sofa__cfg_fail(x, "bucketCapabilities: not an array");
        json_array_foreach(bc, i, e)
        {
            if (!json_is_string(e))
                return sofa__cfg_fail(x, "bucketCapabilities[%zu]: not a string", i);
            for (size_t k = 0; k < sizeof(bucket_caps) / sizeof(bucket_caps[0]); k++)
                if (strcmp(json_string_value(e), bucket_caps[k].name) == 0)
                    x->c->caps |= bucket_caps[k].bit;
        }
    }
    json_t *cc = json_object_get(root, "clusterCapabilities");
    if (cc && !json_is_object(cc))
        return sofa__cfg_fail(x, "clusterCapabilities: not an object");
    json_t *n1ql = cc ? json_object_get(cc, "n1ql") : NULL;
    if (n1ql && !json_is_array(n1ql))
        return sofa__cfg_fail(x, "clusterCapabilities.n1ql: not an array");
    json_array_foreach(n1ql, i, e)
    {
        if (json_is_string(e) && strcmp(json_string_value(e), "enhancedPreparedStatements") == 0)
            x->c->caps |= SOFA__CAP_ENHANCED_PREPARED;
    }
    return SOFA_OK;
}

static int build_ketama(sofa__config *c)
{
    if (c->nkv == 0)
        return SOFA_E_BAD_CONFIG;
    char **names = calloc(c->nkv, sizeof(*names));
    if (!names)
        return SOFA_E_NO_MEMORY;
    int rc = SOFA_OK;
    for (size_t i = 0; i < c->nkv && rc == SOFA_OK; i++) {
        const sofa__node *n = &c->nodes[i];
        size_t len = strlen(n->host) + 10;
        if (!(names[i] = malloc(len))) {
            rc = SOFA_E_NO_MEMORY;
            break;
        }
        snprintf(names[i], len, strchr(n->host, ':') ? "[%s]:%u" : "%s:%u", n->host,
                 (unsigned)n->kv);
    }
    if (rc == SOFA_OK)
        rc = sofa__ketama_build((const char *const *)names, c->nkv, &c->ketama);
    for (size_t i = 0; i < c->nkv; i++)
        free(names[i]);
    free(names);
    return rc;
}

static int parse_root(sofa__cfg_ctx *x, json_t *root)
{
    sofa__config *c = x->c;
    int rc;
    if (!json_is_object(root))
        return sofa__cfg_fail(x, "config: not a JSON object");
    if ((rc = get_int(x, root, "rev", &c->rev)) || (rc = get_int(x, root, "revEpoch", &c->epoch)))
        return rc;
    if ((rc = get_opt_string(x, root, "name", &c->bucket)) ||
        (rc = get_opt_string(x, root, "uuid", &c->uuid)))
        return rc;
    json_t *loc = json_object_get(root, "nodeLocator");
    json_t *vbsm = json_object_get(root, "vBucketServerMap");
    if (loc && !json_is_string(loc))
        return sofa__cfg_fail(x, "nodeLocator: not a string");
    if (loc && strcmp(json_string_value(loc), "ketama") == 0)
        c->is_ketama = 1;
    else if (loc && strcmp(json_string_value(loc), "vbucket") != 0)
        return sofa__cfg_fail(x, "nodeLocator: unknown value \"%.32s\"", json_string_value(loc));
    if (loc && !c->is_ketama && !vbsm)
        return sofa__cfg_fail(x, "vBucketServerMap: missing for nodeLocator \"vbucket\"");

    json_t *ext = json_object_get(root, "nodesExt");
    json_t *nodes = json_object_get(root, "nodes");
    if (ext && (rc = sofa__cfg_check_array(x, ext, "nodesExt", SOFA__CONFIG_MAX_NODES)))
        return rc;
    if (nodes && (rc = sofa__cfg_check_array(x, nodes, "nodes", SOFA__CONFIG_MAX_NODES)))
        return rc;
    json_t *sl = json_is_object(vbsm) ? json_object_get(vbsm, "serverList") : NULL;
    x->cap = json_array_size(sl) + json_array_size(ext) + json_array_size(nodes) + 1;
    if (!(c->nodes = calloc(x->cap, sizeof(*c->nodes))))
        return SOFA_E_NO_MEMORY;

    if (vbsm && !c->is_ketama && (rc = parse_vbucket_map(x, vbsm)))
        return rc;
    /* Without a serverList, KV nodes come from nodes[] (ketama buckets) or nodesExt. */
    int kv_from_legacy = !c->nvbuckets && nodes && json_array_size(nodes) > 0;
    size_t i;
    json_t *e;
    json_array_foreach(nodes, i, e)
    {
        if ((rc = sofa__cfg_parse_node_legacy(x, i, e, kv_from_legacy)))
            return rc;
    }
    json_array_foreach(ext, i, e)
    {
        if ((rc = sofa__cfg_parse_node_ext(x, i, e, !c->nvbuckets && !kv_from_legacy)))
            return rc;
    }
    if (c->is_ketama) {
        if (c->nkv == 0)
            return sofa__cfg_fail(x, "nodes: a ketama config needs at least one KV node");
        if ((rc = build_ketama(c)))
            return rc == SOFA_E_BAD_CONFIG ? sofa__cfg_fail(x, "nodes: cannot build ketama") : rc;
    }
    return parse_caps(x, root);
}

static void config_free(sofa__config *c)
{
    for (size_t i = 0; i < c->nnodes; i++) {
        free(c->nodes[i].host);
        free(c->nodes[i].couch_api_base);
    }
    free(c->nodes);
    free(c->bucket);
    free(c->uuid);
    free(c->vbmap);
    free(c->vbmap_forward);
    sofa__ketama_free(&c->ketama);
    free(c);
}

static sofa__config *config_alloc(void)
{
    sofa__config *c = calloc(1, sizeof(*c));
    if (c) {
        c->epoch = -1;
        c->rev = -1;
        c->refcount = 1;
    }
    return c;
}

int sofa__config_parse(const char *json, size_t len, const char *host, sofa__config **out,
                       char *errbuf, size_t errlen)
{
    sofa__cfg_ctx x = {.host = host, .err = errbuf, .errlen = errlen};
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (!json || !out)
        return SOFA_E_INVALID_ARGUMENT;
    *out = NULL;
    if (len > SOFA__CONFIG_MAX_JSON)
        return sofa__cfg_fail(&x, "config: larger than %u bytes", SOFA__CONFIG_MAX_JSON);
    if (host && strlen(host) > SOFA__CONFIG_MAX_HOST)
        return sofa__cfg_fail(&x, "host: longer than %u bytes", SOFA__CONFIG_MAX_HOST);
    if (host) {
        size_t hl = strlen(host);
        int v6 = strchr(host, ':') != NULL && host[0] != '[';
        if (!(x.host_url = malloc(hl + 3)))
            return SOFA_E_NO_MEMORY;
        snprintf(x.host_url, hl + 3, v6 ? "[%s]" : "%s", host);
    }
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        free(x.host_url);
        if (json_error_code(&jerr) == json_error_out_of_memory)
            return SOFA_E_NO_MEMORY;
        return sofa__cfg_fail(&x, "config: invalid JSON at line %d column %d: %s", jerr.line,
                              jerr.column, jerr.text);
    }
    int rc = SOFA_E_NO_MEMORY;
    if ((x.c = config_alloc()) != NULL)
        rc = parse_root(&x, root);
    json_decref(root);
    free(x.host_url);
    if (rc != SOFA_OK) {
        if (x.c)
            config_free(x.c);
        return rc;
    }
    /* give back the unused node slots */
    if (x.c->nnodes == 0) {
        free(x.c->nodes);
        x.c->nodes = NULL;
    } else {
        sofa__node *shrunk = realloc(x.c->nodes, x.c->nnodes * sizeof(*shrunk));
        if (shrunk)
            x.c->nodes = shrunk;
    }
    *out = x.c;
    return SOFA_OK;
}

int sofa__config_from_servers(const char *const *hosts, const uint16_t *ports, size_t n,
                              sofa__config **out)
{
    if (!out)
        return SOFA_E_INVALID_ARGUMENT;
    *out = NULL;
    if (!hosts || !ports || n == 0 || n > SOFA__CONFIG_MAX_NODES)
        return SOFA_E_INVALID_ARGUMENT;
    for (size_t i = 0; i < n; i++)
        if (!hosts[i] || !hosts[i][0] || strlen(hosts[i]) > SOFA__CONFIG_MAX_HOST || !ports[i])
            return SOFA_E_INVALID_ARGUMENT;
    sofa__config *c = config_alloc();
    if (!c)
        return SOFA_E_NO_MEMORY;
    c->is_ketama = 1;
    if (!(c->nodes = calloc(n, sizeof(*c->nodes)))) {
        config_free(c);
        return SOFA_E_NO_MEMORY;
    }
    for (size_t i = 0; i < n; i++) {
        sofa__node *nd = &c->nodes[c->nnodes++];
        if (!(nd->host = strdup(hosts[i]))) {
            config_free(c);
            return SOFA_E_NO_MEMORY;
        }
        nd->kv = ports[i];
        nd->is_kv = 1;
    }
    c->nkv = n;
    int rc = build_ketama(c);
    if (rc != SOFA_OK) {
        config_free(c);
        return rc;
    }
    *out = c;
    return SOFA_OK;
}

void sofa__config_ref(sofa__config *c)
{
    if (c)
        c->refcount++;
}

void sofa__config_unref(sofa__config *c)
{
    if (c && --c->refcount <= 0)
        config_free(c);
}

int sofa__config_compare(const sofa__config *a, const sofa__config *b)
{
    if (a->epoch != b->epoch)
        return a->epoch < b->epoch ? -1 : 1;
    if (a->rev != b->rev)
        return a->rev < b->rev ? -1 : 1;
    return 0;
}

static int map_at(const sofa__config *c, const int16_t *map, uint16_t vb, int i)
{
    if (!c || !map || vb >= c->nvbuckets || i < 0 || i > c->nreplicas)
        return -1;
    return map[(size_t)vb * ((size_t)c->nreplicas + 1) + (size_t)i];
}

int sofa__config_master(const sofa__config *c, uint16_t vb)
{
    return map_at(c, c ? c->vbmap : NULL, vb, 0);
}

int sofa__config_replica(const sofa__config *c, uint16_t vb, int i)
{
    if (i < 0 || i >= SOFA__CONFIG_MAX_REPLICAS)
        return -1;
    return map_at(c, c ? c->vbmap : NULL, vb, i + 1);
}

int sofa__config_master_forward(const sofa__config *c, uint16_t vb)
{
    return map_at(c, c ? c->vbmap_forward : NULL, vb, 0);
}

int sofa__config_map_key(const sofa__config *c, const void *key, size_t nkey, uint16_t *vb)
{
    uint16_t dummy;
    if (!vb)
        vb = &dummy;
    *vb = 0;
    if (!c)
        return -1;
    if (c->is_ketama)
        return c->ketama.npoints ? (int)sofa__ketama_lookup(&c->ketama, key, nkey) : -1;
    if (c->nvbuckets == 0)
        return -1;
    *vb = sofa__vbucket_of(key, nkey, c->nvbuckets);
    return sofa__config_master(c, *vb);
}

int sofa__config_find_node(const sofa__config *c, const char *host, uint16_t port)
{
    if (!c || !host)
        return -1;
    for (size_t i = 0; i < c->nkv; i++) {
        const sofa__node *n = &c->nodes[i];
        if ((n->kv == port || (n->kv_tls && n->kv_tls == port)) && strcmp(n->host, host) == 0)
            return (int)i;
    }
    return -1;
}
