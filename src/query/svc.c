/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
#include "query/svc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "query/qcore.h"
#include "sofa/query.h"
#include "sofa/status.h"

int sofa__svc_new(sofa_client *client, sofa_iops *io, const sofa__logger *lg, const char *user,
                  const char *password, const char *bucket, const sofa__svc_hooks *hooks,
                  void *hook_arg, sofa__svc **out)
{
    *out = NULL;
    if (!io || !hooks || !hooks->config || (bucket && strlen(bucket) > SOFA__SVC_MAX_BUCKET)) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    sofa__svc *s = calloc(1, sizeof(*s));
    if (!s) {
        return SOFA_E_NO_MEMORY;
    }
    s->http = sofa__http_new(io, lg, user, password);
    if (!s->http) {
        free(s);
        return SOFA_E_NO_MEMORY;
    }
    sofa__http_set_guard(s->http, hooks->enter, hooks->leave, hook_arg);
    s->client = client;
    s->io = io;
    s->lg = lg;
    if (bucket) {
        strcpy(s->bucket, bucket);
    }
    s->hooks = *hooks;
    s->hook_arg = hook_arg;
    s->query_timeout_us = SOFA_QUERY_DEFAULT_TIMEOUT_US;
    s->view_timeout_us = SOFA_QUERY_DEFAULT_TIMEOUT_US;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    s->next_id = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)s;
    *out = s;
    return 0;
}

void sofa__svc_free(sofa__svc *s)
{
    if (!s) {
        return;
    }
    s->freeing = 1;
    sofa__queries_cancel_all(s);
    sofa__http_free(s->http);
    while (s->prepared) {
        sofa__prepared *p = s->prepared;
        s->prepared = p->next;
        free(p->statement);
        free(p->name);
        free(p->plan);
        free(p);
    }
    free(s);
}

static uint16_t service_port(const sofa__node *n, sofa__service svc, int tls)
{
    switch (svc) {
    case SOFA__SVC_MGMT:
        return tls ? n->mgmt_tls : n->mgmt;
    case SOFA__SVC_CAPI:
        return tls ? n->capi_tls : n->capi;
    default:
        return tls ? n->n1ql_tls : n->n1ql;
    }
}

size_t sofa__svc_count(sofa__svc *s, sofa__service svc)
{
    const sofa__config *c = s->hooks.config(s->hook_arg);
    size_t n = 0;
    for (size_t i = 0; c && i < c->nnodes; i++) {
        n += service_port(&c->nodes[i], svc, s->tls) != 0;
    }
    return n;
}

/* couchApiBase "http://host:port/path" → endpoint; returns 0 or -1. */
static int parse_base(const char *base, sofa__endpoint *ep)
{
    if (strncmp(base, "http://", 7) != 0) {
        return -1;
    }
    const char *h = base + 7, *hend, *p;
    if (*h == '[') {
        hend = strchr(h, ']');
        if (!hend) {
            return -1;
        }
        h++;
        p = hend + 1;
    } else {
        hend = h + strcspn(h, ":/");
        p = hend;
    }
    size_t hl = (size_t)(hend - h);
    if (hl == 0 || hl > SOFA__CONFIG_MAX_HOST || *p != ':') {
        return -1;
    }
    char *end;
    unsigned long port = strtoul(p + 1, &end, 10);
    if (port == 0 || port > 65535 || (*end != '/' && *end != '\0') ||
        strlen(end) >= sizeof(ep->prefix)) {
        return -1;
    }
    memcpy(ep->host, h, hl);
    ep->host[hl] = '\0';
    ep->port = (uint16_t)port;
    strcpy(ep->prefix, end);
    return 0;
}

int sofa__svc_pick(sofa__svc *s, sofa__service svc, size_t attempt, size_t *base,
                   sofa__endpoint *out)
{
    const sofa__config *c = s->hooks.config(s->hook_arg);
    if (!c) {
        return SOFA_E_NO_CONFIG;
    }
    size_t count = sofa__svc_count(s, svc);
    if (count == 0) {
        return SOFA_E_NO_SERVICE;
    }
    if (attempt == 0) {
        *base = s->rr[svc]++;
    }
    size_t want = (*base + attempt) % count;
    for (size_t i = 0, k = 0; i < c->nnodes; i++) {
        const sofa__node *n = &c->nodes[i];
        uint16_t port = service_port(n, svc, s->tls);
        if (!port || k++ != want) {
            continue;
        }
        memset(out, 0, sizeof(*out));
        if (svc == SOFA__SVC_CAPI && n->couch_api_base && parse_base(n->couch_api_base, out) == 0) {
            /* couchApiBase names the plain port: over TLS keep its host and path, take the
             * node's capiSSL port */
            if (s->tls) {
                out->port = port;
            }
            return 0;
        }
        if (strlen(n->host) > SOFA__CONFIG_MAX_HOST) {
            return SOFA_E_BAD_CONFIG;
        }
        strcpy(out->host, n->host);
        out->port = port;
        if (svc == SOFA__SVC_CAPI) {
            snprintf(out->prefix, sizeof(out->prefix), "/%s", s->bucket);
        }
        return 0;
    }
    return SOFA_E_NO_SERVICE;
}

int sofa__svc_enhanced_prepared(sofa__svc *s)
{
    const sofa__config *c = s->hooks.config(s->hook_arg);
    return c && (c->caps & SOFA__CAP_ENHANCED_PREPARED) != 0;
}

const sofa__prepared *sofa__svc_prepared_get(sofa__svc *s, const char *statement)
{
    for (sofa__prepared *p = s->prepared; p; p = p->next) {
        if (strcmp(p->statement, statement) == 0) {
            return p;
        }
    }
    return NULL;
}

void sofa__svc_prepared_drop(sofa__svc *s, const char *statement)
{
    for (sofa__prepared **pp = &s->prepared; *pp; pp = &(*pp)->next) {
        sofa__prepared *p = *pp;
        if (strcmp(p->statement, statement) == 0) {
            *pp = p->next;
            free(p->statement);
            free(p->name);
            free(p->plan);
            free(p);
            s->nprepared--;
            return;
        }
    }
}

int sofa__svc_prepared_put(sofa__svc *s, const char *statement, const char *name, const char *plan)
{
    sofa__svc_prepared_drop(s, statement);
    if (s->nprepared >= SOFA__PREPARED_CACHE_MAX) { /* drop the oldest (the list tail) */
        sofa__prepared **pp = &s->prepared;
        while ((*pp)->next) {
            pp = &(*pp)->next;
        }
        sofa__svc_prepared_drop(s, (*pp)->statement);
    }
    sofa__prepared *p = calloc(1, sizeof(*p));
    if (!p) {
        return SOFA_E_NO_MEMORY;
    }
    p->statement = strdup(statement);
    p->name = strdup(name);
    p->plan = plan ? strdup(plan) : NULL;
    if (!p->statement || !p->name || (plan && !p->plan)) {
        free(p->statement);
        free(p->name);
        free(p->plan);
        free(p);
        return SOFA_E_NO_MEMORY;
    }
    p->next = s->prepared;
    s->prepared = p;
    s->nprepared++;
    return 0;
}

void sofa__svc_context_id(sofa__svc *s, char *buf, size_t len)
{
    uint64_t x = s->next_id++;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    snprintf(buf, len, "sofa-%016" PRIx64, x);
}
