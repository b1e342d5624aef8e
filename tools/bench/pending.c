/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* sofa-bench --pending N: schedule N operations on one client without running the loop,
 * sampling the process's resident memory every 10,000, then answer them all and check
 * that each callback fired exactly once. */
#include "bench.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PENDING_STEP 10000u

void bench_rss_kib(uint64_t *rss, uint64_t *hwm)
{
    *rss = *hwm = 0;
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL) {
        return;
    }
    char line[256];
    while (fgets(line, sizeof(line), f) != NULL) {
        unsigned long long v;
        if (sscanf(line, "VmRSS: %llu kB", &v) == 1) {
            *rss = v;
        } else if (sscanf(line, "VmHWM: %llu kB", &v) == 1) {
            *hwm = v;
        }
    }
    fclose(f);
}

typedef struct pending_state {
    uint64_t answered, ok, misses, errors;
    unsigned char *calls; /* per operation: how many times its callback fired */
} pending_state;

typedef struct pending_op {
    pending_state *st;
    uint64_t index;
} pending_op;

static void answer(pending_op *op, int status)
{
    pending_state *st = op->st;
    st->answered++;
    if (st->calls[op->index] < 255) {
        st->calls[op->index]++;
    }
    if (status == SOFA_OK) {
        st->ok++;
    } else if (status == SOFA_E_NOT_FOUND) {
        st->misses++;
    } else {
        st->errors++;
    }
}

static void on_get(sofa_client *c, sofa_status status, const sofa_get_result *r, void *cookie)
{
    answer(cookie, status);
}

static void on_store(sofa_client *c, sofa_status status, const sofa_mutation_result *r,
                     void *cookie)
{
    answer(cookie, status);
}

int bench_pending(const bench_config *cfg)
{
    sofa_client *client = NULL;
    char report[512];
    int rc = bench_client_open(cfg, &client, report, sizeof(report));
    if (rc != SOFA_OK) {
        fprintf(stderr, "sofa-bench: cannot connect to '%s': %s\n%s\n", cfg->connstr,
                sofa_status_name(rc), report);
        return 3;
    }
    uint64_t n = cfg->pending;
    uint64_t nsamples = n / PENDING_STEP + 2;
    pending_state st = {0, 0, 0, 0, calloc(n, 1)};
    pending_op *ops = calloc(n, sizeof(*ops));
    uint64_t *rss = calloc(nsamples, sizeof(*rss));
    char *value = malloc(cfg->max_size ? cfg->max_size : 1);
    if (st.calls == NULL || ops == NULL || rss == NULL || value == NULL) {
        fprintf(stderr, "sofa-bench: out of memory\n");
        rc = 1;
        goto done;
    }
    memset(value, 'x', cfg->max_size);
    /* touch our own arrays now so that their pages are in the baseline, not the growth */
    memset(ops, 0, n * sizeof(*ops));
    memset(st.calls, 0, n);
    uint64_t rng = cfg->seed | 1, hwm = 0, rejected = 0;
    sofa_kv_opts o = {0};
    o.timeout_us = cfg->timeout_us;
    size_t ns = 0;
    bench_rss_kib(&rss[ns++], &hwm); /* the state before any operation (our arrays included) */
    for (uint64_t i = 0; i < n; i++) {
        char key[BENCH_KEY_MAX];
        uint64_t r = bench_rand(&rng);
        size_t nkey = bench_key(key, (r >> 8) % cfg->keyspace);
        ops[i].st = &st;
        ops[i].index = i;
        uint32_t size =
            cfg->min_size + (uint32_t)(bench_rand(&rng) % (cfg->max_size - cfg->min_size + 1));
        int s = (unsigned)(r % 100) < cfg->set_percent
                    ? sofa_kv_upsert(client, key, nkey, value, size, &o, on_store, &ops[i])
                    : sofa_kv_get(client, key, nkey, &o, on_get, &ops[i]);
        if (s != SOFA_OK) {
            rejected++;
            st.calls[i] = 1; /* never fires: not expected */
            st.answered++;
            st.errors++;
        }
        if ((i + 1) % PENDING_STEP == 0) {
            bench_rss_kib(&rss[ns++], &hwm);
        }
    }
    size_t pending_now = sofa_client_pending(client);
    uint64_t rss_full = 0;
    bench_rss_kib(&rss_full, &hwm);
    uint64_t t0 = bench_now_ns();
    sofa_client_wait(client);
    double secs = (double)(bench_now_ns() - t0) / 1e9;
    uint64_t rss_after = 0;
    bench_rss_kib(&rss_after, &hwm);
    uint64_t lost = 0, doubled = 0;
    for (uint64_t i = 0; i < n; i++) {
        lost += st.calls[i] == 0;
        doubled += st.calls[i] > 1;
    }
    double per_10k =
        n >= PENDING_STEP ? (double)(rss_full - rss[0]) * PENDING_STEP / (double)n : 0.0;
    if (cfg->json) {
        json_t *j = json_object();
        json_t *samples = json_array();
        for (size_t i = 0; i < ns; i++) {
            json_array_append_new(samples, json_integer((json_int_t)rss[i]));
        }
        json_object_set_new(j, "pending", json_integer((json_int_t)n));
        json_object_set_new(j, "pending_reported", json_integer((json_int_t)pending_now));
        json_object_set_new(j, "rss_kib_per_10000", samples);
        json_object_set_new(j, "rss_kib_before", json_integer((json_int_t)rss[0]));
        json_object_set_new(j, "rss_kib_all_pending", json_integer((json_int_t)rss_full));
        json_object_set_new(j, "rss_kib_after", json_integer((json_int_t)rss_after));
        json_object_set_new(j, "hwm_kib", json_integer((json_int_t)hwm));
        json_object_set_new(j, "kib_per_10000_pending", json_real(per_10k));
        json_object_set_new(j, "answer_seconds", json_real(secs));
        json_object_set_new(j, "ok", json_integer((json_int_t)st.ok));
        json_object_set_new(j, "misses", json_integer((json_int_t)st.misses));
        json_object_set_new(j, "errors", json_integer((json_int_t)st.errors));
        json_object_set_new(j, "lost", json_integer((json_int_t)lost));
        json_object_set_new(j, "doubled", json_integer((json_int_t)doubled));
        char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(6));
        if (s != NULL) {
            printf("%s\n", s);
        }
        free(s);
        json_decref(j);
    } else {
        printf("sofa-bench --pending %llu: %zu pending reported by the client\n",
               (unsigned long long)n, pending_now);
        printf("RSS (KiB) every %u scheduled:", PENDING_STEP);
        for (size_t i = 0; i < ns; i++) {
            printf(" %llu", (unsigned long long)rss[i]);
        }
        printf("\nRSS before %llu KiB, with all pending %llu KiB: %.1f KiB per 10,000 pending "
               "operations (%.0f bytes each)\n",
               (unsigned long long)rss[0], (unsigned long long)rss_full, per_10k,
               per_10k * 1024.0 / PENDING_STEP);
        printf("answered in %.3f s: %llu ok, %llu misses, %llu errors (%llu rejected at "
               "submit); lost %llu, doubled %llu; RSS after %llu KiB, peak %llu KiB\n",
               secs, (unsigned long long)st.ok, (unsigned long long)st.misses,
               (unsigned long long)st.errors, (unsigned long long)rejected,
               (unsigned long long)lost, (unsigned long long)doubled, (unsigned long long)rss_after,
               (unsigned long long)hwm);
    }
    rc = (lost || doubled || st.errors) ? 1 : 0;
done:
    sofa_client_free(client);
    free(st.calls);
    free(ops);
    free(rss);
    free(value);
    return rc;
}
