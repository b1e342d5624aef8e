/* Helpers for the durability tests: a mock per test, a client with short durability
 * intervals, and callbacks that record what they saw and how often they fired. */
#ifndef SOFA_TESTS_DURABILITY_DURTEST_H
#define SOFA_TESTS_DURABILITY_DURTEST_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kv/kvtest.h"
#include "sofa/durability.h"
#include "support/mockproc.h"

#define DT_MAX_ITEMS 512

typedef struct dt_endure {
    int calls;
    int status;
    size_t nitems;
    sofa_endure_item items[DT_MAX_ITEMS]; /* key pointers are not kept */
    uint64_t done_us;
} dt_endure;

static inline uint64_t dt_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static inline void dt_sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static inline void dt_endure_cb(sofa_client *c, sofa_status st, const sofa_endure_item *items,
                                size_t n, void *ck)
{
    dt_endure *d = ck;
    (void)c;
    d->calls++;
    d->status = st;
    d->nitems = n;
    d->done_us = dt_now_us();
    for (size_t i = 0; i < n && i < DT_MAX_ITEMS; i++) {
        d->items[i] = items[i];
        d->items[i].key = NULL;
    }
}

/* Start a mock with @p args and connect a client with "?durability_interval=20ms" (plus
 * @p extra options, "&..."-joined, may be NULL). */
static inline sofa_client *dt_start(sofa_test_mock *m, const char *const *args, const char *extra)
{
    if (sofa_test_mock_start(m, args) != 0)
        return NULL;
    char cs[1400];
    snprintf(cs, sizeof(cs), "%s?durability_interval=20ms%s%s", m->connstr, extra ? "&" : "",
             extra ? extra : "");
    sofa_client *c = kt_client(cs, "Administrator", "password", NULL);
    if (!c)
        return NULL;
    if (kt_connect(c) != SOFA_OK) {
        sofa_client_free(c);
        return NULL;
    }
    return c;
}

static inline int dt_ctl(sofa_test_mock *m, const char *path)
{
    char out[512];
    int st = sofa_test_mock_ctl(m, "POST", path, NULL, out, sizeof(out));
    if (st != 200)
        fprintf(stderr, "ctl %s: %d %s\n", path, st, out);
    return st;
}

/* Change the mock's simulated delays; returns the HTTP status (200). */
static inline int dt_delays(sofa_test_mock *m, int persist_ms, int replicate_ms)
{
    char p[128];
    snprintf(p, sizeof(p), "/mock/delays?persist_ms=%d&replicate_ms=%d", persist_ms, replicate_ms);
    return dt_ctl(m, p);
}

/* A per-test fixture: a mock and a connected client. */
typedef struct dt_fx {
    sofa_test_mock mock;
    sofa_client *c;
    int nodes; /* --nodes given to the mock */
} dt_fx;

/* cmocka setup: *state = a fixture with a mock started with @p args and a client (extra
 * connection-string options @p extra, may be NULL). 0, or -1. */
static inline int dt_fx_setup(void **state, const char *const *args, const char *extra)
{
    dt_fx *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    f->nodes = 1;
    for (size_t i = 0; args[i] && args[i + 1]; i++)
        if (strcmp(args[i], "--nodes") == 0)
            f->nodes = atoi(args[i + 1]);
    f->c = dt_start(&f->mock, args, extra);
    *state = f;
    return f->c ? 0 : -1;
}

/* cmocka teardown for dt_fx_setup (the test may have freed and cleared f->c). */
static inline int dt_fx_teardown(void **state)
{
    dt_fx *f = *state;
    if (f) {
        sofa_client_free(f->c);
        sofa_test_mock_stop(&f->mock);
        free(f);
    }
    return 0;
}

/* OBSERVE (seqno = 0) or OBSERVE_SEQNO (seqno = 1) requests each node received so far;
 * returns the number of nodes, or -1. */
static inline int dt_observe_counts(sofa_test_mock *m, int seqno, long long *out, int max)
{
    static char buf[65536];
    if (sofa_test_mock_ctl(m, "GET", "/mock/info", NULL, buf, sizeof(buf)) != 200)
        return -1;
    json_error_t err;
    json_t *js = json_loads(buf, 0, &err);
    if (!js)
        return -1;
    json_t *nodes = json_object_get(js, "nodes");
    int n = 0;
    for (size_t i = 0; i < json_array_size(nodes) && n < max; i++) {
        json_t *v = json_object_get(json_array_get(nodes, i), seqno ? "observe_seqno" : "observe");
        if (!json_is_integer(v)) {
            json_decref(js);
            return -1;
        }
        out[n++] = (long long)json_integer_value(v);
    }
    json_decref(js);
    return n;
}

/* A synchronous mutation: returns its status and fills *r. */
static inline int dt_upsert(sofa_client *c, const char *key, const char *val, const sofa_kv_opts *o,
                            kt_res *r)
{
    memset(r, 0, sizeof(*r));
    int rc = sofa_kv_upsert(c, key, strlen(key), val, strlen(val), o, kt_mut_cb, r);
    if (rc != 0)
        return rc;
    sofa_client_wait(c);
    return r->calls == 1 ? r->status : -9998;
}

/* Endure one key and wait; returns the callback's status (or the submit error). */
static inline int dt_endure1(sofa_client *c, const char *key, uint64_t cas,
                             const sofa_mutation_token *tok, const sofa_endure_opts *o,
                             dt_endure *d)
{
    memset(d, 0, sizeof(*d));
    sofa_endure_key k;
    memset(&k, 0, sizeof(k));
    k.key = key;
    k.nkey = strlen(key);
    k.cas = cas;
    if (tok)
        k.token = *tok;
    int rc = sofa_endure(c, &k, 1, o, dt_endure_cb, d);
    if (rc != 0)
        return rc;
    sofa_client_wait(c);
    return d->calls == 1 ? d->status : -9998;
}

#endif
