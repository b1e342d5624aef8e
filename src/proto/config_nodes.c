/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* Config node lists (serverList, nodesExt, nodes) with $HOST replacement (PROTOCOL.md §6). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/config_parse.h"
#include "sofa/status.h"

#define MAX_STRING SOFA__CFG_MAX_STRING
#define HOST_TOKEN "$HOST"
#define HOST_TOKEN_LEN 5u

int sofa__cfg_fail(sofa__cfg_ctx *x, const char *fmt, ...)
{
    if (x->err && x->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->err, x->errlen, fmt, ap);
        va_end(ap);
    }
    return SOFA_E_BAD_CONFIG;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* Replace every $HOST in @p s with @p with. */
static int subst(sofa__cfg_ctx *x, const char *field, const char *s, const char *with, char **out)
{
    size_t n = strlen(s), wl = with ? strlen(with) : 0, count = 0;
    for (const char *p = strstr(s, HOST_TOKEN); p; p = strstr(p + HOST_TOKEN_LEN, HOST_TOKEN))
        count++;
    if (count && !with)
        return sofa__cfg_fail(x, "%s: contains $HOST but the serving host is unknown", field);
    if (n > MAX_STRING || (count && wl > (MAX_STRING - n) / count + HOST_TOKEN_LEN))
        return sofa__cfg_fail(x, "%s: longer than %u bytes", field, MAX_STRING);
    size_t total = n + count * wl - count * HOST_TOKEN_LEN;
    if (total > MAX_STRING)
        return sofa__cfg_fail(x, "%s: longer than %u bytes", field, MAX_STRING);
    char *d = malloc(total + 1), *q = d;
    if (!d)
        return SOFA_E_NO_MEMORY;
    const char *p = s, *hit;
    while ((hit = strstr(p, HOST_TOKEN)) != NULL) {
        memcpy(q, p, (size_t)(hit - p));
        q += hit - p;
        memcpy(q, with, wl);
        q += wl;
        p = hit + HOST_TOKEN_LEN;
    }
    strcpy(q, p);
    *out = d;
    return SOFA_OK;
}

/* Host field: strip [] around an IPv6 literal, check length and characters. */
static int take_host(sofa__cfg_ctx *x, const char *field, const char *h, size_t n, char **out)
{
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        h++;
        n -= 2;
    }
    if (n == 0)
        return sofa__cfg_fail(x, "%s: empty host", field);
    if (n > SOFA__CONFIG_MAX_HOST)
        return sofa__cfg_fail(x, "%s: host longer than %u bytes", field, SOFA__CONFIG_MAX_HOST);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)h[i] <= ' ' || h[i] == '/' || h[i] == '[' || h[i] == ']')
            return sofa__cfg_fail(x, "%s: invalid character in host", field);
    *out = dup_n(h, n);
    return *out ? SOFA_OK : SOFA_E_NO_MEMORY;
}

static int parse_port_text(const char *s, uint16_t *port)
{
    unsigned long v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > 65535)
            return -1;
    }
    if (v == 0)
        return -1;
    *port = (uint16_t)v;
    return 0;
}

/* "host:port" or "[v6]:port" (after $HOST replacement). */
static int split_hostport(sofa__cfg_ctx *x, const char *field, const char *s, char **host,
                          uint16_t *port)
{
    const char *colon;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return sofa__cfg_fail(x, "%s: \"%.64s\" is not [host]:port", field, s);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || memchr(s, ':', (size_t)(colon - s)))
            return sofa__cfg_fail(x, "%s: \"%.64s\" is not host:port", field, s);
    }
    if (parse_port_text(colon + 1, port) != 0)
        return sofa__cfg_fail(x, "%s: invalid port in \"%.64s\"", field, s);
    return take_host(x, field, s, (size_t)(colon - s), host);
}

static int get_port(sofa__cfg_ctx *x, const char *field, json_t *obj, const char *key,
                    uint16_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return SOFA_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 65535)
        return sofa__cfg_fail(x, "%s.%s: not a port number (1..65535)", field, key);
    *out = (uint16_t)json_integer_value(v);
    return SOFA_OK;
}

static sofa__node *add_node(sofa__cfg_ctx *x)
{
    sofa__config *c = x->c;
    if (c->nnodes >= x->cap || c->nnodes >= SOFA__CONFIG_MAX_NODES)
        return NULL;
    sofa__node *n = &c->nodes[c->nnodes++];
    memset(n, 0, sizeof(*n));
    return n;
}

static int find_node_by(const sofa__config *c, const char *host, uint16_t kv)
{
    for (size_t i = 0; i < c->nnodes; i++)
        if (c->nodes[i].kv == kv && strcmp(c->nodes[i].host, host) == 0)
            return (int)i;
    return -1;
}

int sofa__cfg_check_array(sofa__cfg_ctx *x, json_t *a, const char *field, size_t max)
{
    if (!json_is_array(a))
        return sofa__cfg_fail(x, "%s: not an array", field);
    if (json_array_size(a) > max)
        return sofa__cfg_fail(x, "%s: more than %zu entries", field, max);
    return SOFA_OK;
}

/* vBucketServerMap.serverList: the KV nodes, in order. */
int sofa__cfg_parse_server_list(sofa__cfg_ctx *x, json_t *list)
{
    int rc = sofa__cfg_check_array(x, list, "vBucketServerMap.serverList", SOFA__CONFIG_MAX_NODES);
    if (rc)
        return rc;
    size_t i;
    json_t *e;
    char field[64];
    json_array_foreach(list, i, e)
    {
        snprintf(field, sizeof(field), "vBucketServerMap.serverList[%zu]", i);
        if (!json_is_string(e))
            return sofa__cfg_fail(x, "%s: not a string", field);
        char *s = NULL, *host = NULL;
        uint16_t port = 0;
        if ((rc = subst(x, field, json_string_value(e), x->host_url, &s)) != SOFA_OK)
            return rc;
        rc = split_hostport(x, field, s, &host, &port);
        free(s);
        if (rc)
            return rc;
        if (find_node_by(x->c, host, port) >= 0) {
            free(host);
            return sofa__cfg_fail(x, "%s: duplicate server", field);
        }
        sofa__node *n = add_node(x);
        if (!n) {
            free(host);
            return sofa__cfg_fail(x, "%s: too many servers", field);
        }
        n->host = host;
        n->kv = port;
        n->is_kv = 1;
    }
    x->c->nkv = x->c->nnodes;
    return SOFA_OK;
}

/* One nodesExt entry: fill the matching KV node, or append a non-KV node. */
int sofa__cfg_parse_node_ext(sofa__cfg_ctx *x, size_t idx, json_t *e, int kv_from_ext)
{
    char field[64];
    snprintf(field, sizeof(field), "nodesExt[%zu]", idx);
    if (!json_is_object(e))
        return sofa__cfg_fail(x, "%s: not an object", field);
    json_t *svc = json_object_get(e, "services");
    if (svc && !json_is_object(svc))
        return sofa__cfg_fail(x, "%s.services: not an object", field);
    json_t *hn = json_object_get(e, "hostname");
    if (hn && !json_is_string(hn))
        return sofa__cfg_fail(x, "%s.hostname: not a string", field);
    char *s = NULL, *host = NULL;
    int rc = subst(x, field, hn ? json_string_value(hn) : HOST_TOKEN, x->host, &s);
    if (rc)
        return rc;
    rc = take_host(x, field, s, strlen(s), &host);
    free(s);
    if (rc)
        return rc;
    sofa__node tmp;
    memset(&tmp, 0, sizeof(tmp));
    static const struct {
        const char *key;
        size_t off;
    } ports[] = {{"kv", offsetof(sofa__node, kv)},     {"kvSSL", offsetof(sofa__node, kv_tls)},
                 {"mgmt", offsetof(sofa__node, mgmt)}, {"mgmtSSL", offsetof(sofa__node, mgmt_tls)},
                 {"capi", offsetof(sofa__node, capi)}, {"capiSSL", offsetof(sofa__node, capi_tls)},
                 {"n1ql", offsetof(sofa__node, n1ql)}, {"n1qlSSL", offsetof(sofa__node, n1ql_tls)},
                 {"fts", offsetof(sofa__node, fts)},   {"ftsSSL", offsetof(sofa__node, fts_tls)},
                 {"cbas", offsetof(sofa__node, cbas)}, {"cbasSSL", offsetof(sofa__node, cbas_tls)}};
    for (size_t i = 0; svc && i < sizeof(ports) / sizeof(ports[0]); i++) {
        uint16_t *dst = (uint16_t *)(void *)((char *)&tmp + ports[i].off);
        char sfield[80];
        snprintf(sfield, sizeof(sfield), "%s.services", field);
        if ((rc = get_port(x, sfield, svc, ports[i].key, dst)) != SOFA_OK) {
            free(host);
            return rc;
        }
    }
    json_t *tn = json_object_get(e, "thisNode");
    tmp.this_node = json_is_true(tn);
    int at = tmp.kv ? find_node_by(x->c, host, tmp.kv) : -1;
    sofa__node *n;
    if (at >= 0 && (size_t)at < x->c->nkv) {
        n = &x->c->nodes[at];
        free(host);
        for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
            uint16_t v = *(uint16_t *)(void *)((char *)&tmp + ports[i].off);
            if (v)
                *(uint16_t *)(void *)((char *)n + ports[i].off) = v;
        }
        n->this_node = tmp.this_node;
        return SOFA_OK;
    }
    if (at >= 0) {
        free(host);
        return sofa__cfg_fail(x, "%s: duplicate node", field);
    }
    if (!(n = add_node(x))) {
        free(host);
        return sofa__cfg_fail(x, "%s: more than %u nodes", field, SOFA__CONFIG_MAX_NODES);
    }
    tmp.host = host;
    tmp.is_kv = kv_from_ext && tmp.kv != 0;
    *n = tmp;
    if (tmp.is_kv)
        x->c->nkv++;
    return SOFA_OK;
}

/* One nodes[] entry (verbose list of KV nodes): couchApiBase, mgmt port from hostname. */
int sofa__cfg_parse_node_legacy(sofa__cfg_ctx *x, size_t idx, json_t *e, int add_kv)
{
    char field[64];
    snprintf(field, sizeof(field), "nodes[%zu]", idx);
    if (!json_is_object(e))
        return sofa__cfg_fail(x, "%s: not an object", field);
    json_t *hn = json_object_get(e, "hostname");
    if (!json_is_string(hn))
        return sofa__cfg_fail(x, "%s.hostname: missing or not a string", field);
    char *s = NULL, *host = NULL, *api = NULL;
    uint16_t mgmt = 0, kv = 0;
    int rc = subst(x, field, json_string_value(hn), x->host_url, &s);
    if (rc)
        return rc;
    rc = split_hostport(x, field, s, &host, &mgmt);
    free(s);
    if (rc)
        return rc;
    json_t *ports = json_object_get(e, "ports");
    if (ports && !json_is_object(ports))
        rc = sofa__cfg_fail(x, "%s.ports: not an object", field);
    if (!rc && ports)
        rc = get_port(x, field, ports, "direct", &kv);
    json_t *cab = json_object_get(e, "couchApiBase");
    if (!rc && cab && !json_is_string(cab))
        rc = sofa__cfg_fail(x, "%s.couchApiBase: not a string", field);
    if (!rc && cab)
        rc = subst(x, field, json_string_value(cab), x->host_url, &api);
    if (rc) {
        free(host);
        return rc;
    }
    int at = kv ? find_node_by(x->c, host, kv) : -1;
    sofa__node *n = NULL;
    if (at < 0 && add_kv && kv) {
        if (!(n = add_node(x))) {
            free(host);
            free(api);
            return sofa__cfg_fail(x, "nodes: more than %u nodes", SOFA__CONFIG_MAX_NODES);
        }
        n->host = host;
        n->kv = kv;
        n->is_kv = 1;
        x->c->nkv = x->c->nnodes;
        host = NULL;
    } else if (at >= 0) {
        n = &x->c->nodes[at];
    }
    free(host);
    if (n) {
        if (!n->mgmt)
            n->mgmt = mgmt;
        if (!n->couch_api_base) {
            n->couch_api_base = api;
            api = NULL;
        }
    }
    free(api);
    return SOFA_OK;
}
