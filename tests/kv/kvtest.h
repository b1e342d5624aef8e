/* Helpers for the KV integration tests: callbacks that record what they saw and count
 * how often they fired, so every test can check "exactly once". */
#ifndef SOFA_TESTS_KV_KVTEST_H
#define SOFA_TESTS_KV_KVTEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sofa/sofa.h"

typedef struct kt_res {
    int calls;
    int status;
    char value[4096];
    size_t nvalue;
    uint32_t flags;
    uint64_t cas;
    uint64_t counter;
    sofa_mutation_token token;
    int exists;
    size_t nitems;
    int is_replica;
} kt_res;

static inline void kt_get_cb(sofa_client *c, sofa_status st, const sofa_get_result *r, void *ck)
{
    kt_res *k = ck;
    (void)c;
    k->calls++;
    k->status = st;
    k->nvalue = 0;
    if (r && r->nvalue && r->nvalue < sizeof(k->value)) {
        memcpy(k->value, r->value, r->nvalue);
        k->nvalue = r->nvalue;
    }
    k->value[k->nvalue] = '\0';
    if (r) {
        k->flags = r->flags;
        k->cas = r->cas;
        k->is_replica = r->is_replica;
    }
}

static inline void kt_mut_cb(sofa_client *c, sofa_status st, const sofa_mutation_result *r,
                             void *ck)
{
    kt_res *k = ck;
    (void)c;
    k->calls++;
    k->status = st;
    if (r) {
        k->cas = r->cas;
        k->counter = r->counter;
        k->token = r->token;
    }
}

static inline void kt_exists_cb(sofa_client *c, sofa_status st, const sofa_exists_result *r,
                                void *ck)
{
    kt_res *k = ck;
    (void)c;
    k->calls++;
    k->status = st;
    k->exists = r ? r->exists : -1;
    k->cas = r ? r->cas : 0;
}

static inline void kt_connect_cb(sofa_client *c, sofa_status st, void *ck)
{
    kt_res *k = ck;
    (void)c;
    k->calls++;
    k->status = st;
}

/* A client for @connstr (with optional credentials) using the built-in select plugin
 * unless @io is given. */
static inline sofa_client *kt_client(const char *connstr, const char *user, const char *pass,
                                     sofa_iops *io)
{
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = connstr;
    o.username = user;
    o.password = pass;
    o.iops = io;
    sofa_client *c = NULL;
    char err[256] = "";
    int rc = sofa_client_new(&c, &o, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "sofa_client_new(%s): %s: %s\n", connstr, sofa_status_name(rc), err);
        return NULL;
    }
    return c;
}

/* Connect and wait; returns the connect status. */
static inline int kt_connect(sofa_client *c)
{
    kt_res r = {0};
    if (sofa_client_connect(c, kt_connect_cb, &r) != 0)
        return -9999;
    sofa_client_wait(c);
    if (r.calls != 1)
        return -9998;
    if (r.status != 0)
        fprintf(stderr, "bootstrap failed: %s\n%s", sofa_status_name(r.status),
                sofa_client_bootstrap_report(c));
    return r.status;
}

static inline int kt_upsert(sofa_client *c, const char *key, const char *val)
{
    kt_res r = {0};
    if (sofa_kv_upsert(c, key, strlen(key), val, strlen(val), NULL, kt_mut_cb, &r) != 0)
        return -9999;
    sofa_client_wait(c);
    return r.calls == 1 ? r.status : -9998;
}

static inline int kt_get(sofa_client *c, const char *key, kt_res *r)
{
    memset(r, 0, sizeof(*r));
    if (sofa_kv_get(c, key, strlen(key), NULL, kt_get_cb, r) != 0)
        return -9999;
    sofa_client_wait(c);
    return r->calls == 1 ? r->status : -9998;
}

#endif
