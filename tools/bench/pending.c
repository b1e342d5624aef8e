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

typedef struct pending_round {
    size_t pending_reported; /* sofa_client_pending() with all scheduled */
    uint64_t rss_full;       /* KiB with all scheduled */
    uint64_t rss_after;      /* KiB once all were answered */
    double seconds;          /* to answer them all */
    uint64_t lost, doubled, rejected;
} pending_round;

typedef struct pending_run {
    const bench_config *cfg;
    sofa_client *client;
    pending_state st;
    pending_op *ops;
    char *value;
    uint64_t rng, hwm;
    uint64_t *rss; /* round 1: before, then every PENDING_STEP scheduled */
    size_t nrss;
} pending_run;

/* Schedule cfg->pending operations without running the loop, then answer them all. */
static void run_round(pending_run *p, int first, pending_round *out)
{
    const bench_config *cfg = p->cfg;
    uint64_t n = cfg->pending;
    sofa_kv_opts o = {0};
    o.timeout_us = cfg->timeout_us;
    memset(p->st.calls, 0, n);
    memset(out, 0, sizeof(*out));
    for (uint64_t i = 0; i < n; i++) {
        char key[BENCH_KEY_MAX];
        uint64_t r = bench_rand(&p->rng);
        size_t nkey = bench_key(key, (r >> 8) % cfg->keyspace);
        p->ops[i].st = &p->st;
        p->ops[i].index = i;
        uint32_t size =
            cfg->min_size + (uint32_t)(bench_rand(&p->rng) % (cfg->max_size - cfg->min_size + 1));
        int s = (unsigned)(r % 100) < cfg->set_percent
                    ? sofa_kv_upsert(p->client, key, nkey, p->value, size, &o, on_store, &p->ops[i])
                    : sofa_kv_get(p->client, key, nkey, &o, on_get, &p->ops[i]);
        if (s != SOFA_OK) {
            out->rejected++;
            p->st.calls[i] = 1; /* its callback never fires: count it as answered */
            p->st.answered++;
            p->st.errors++;
        }
        if (first && (i + 1) % PENDING_STEP == 0) {
            bench_rss_kib(&p->rss[p->nrss++], &p->hwm);
        }
    }
    out->pending_reported = sofa_client_pending(p->client);
    bench_rss_kib(&out->rss_full, &p->hwm);
    uint64_t t0 = bench_now_ns();
    sofa_client_wait(p->client);
    out->seconds = (double)(bench_now_ns() - t0) / 1e9;
    bench_rss_kib(&out->rss_after, &p->hwm);
    for (uint64_t i = 0; i < n; i++) {
        out->lost += p->st.calls[i] == 0;
        out->doubled += p->st.calls[i] > 1;
    }
}

static void print_json(const pending_run *p, const pending_round *rounds, unsigned nrounds,
                       double per_10k, uint64_t lost, uint64_t doubled)
{
    json_t *j = json_object();
    json_t *samples = json_array();
    json_t *jr = json_array();
    if (j == NULL || samples == NULL || jr == NULL) {
        json_decref(j);
        json_decref(samples);
        json_decref(jr);
        fprintf(stderr, "sofa-bench: out of memory\n");
        return;
    }
    for (size_t i = 0; i < p->nrss; i++) {
        json_array_append_new(samples, json_integer((json_int_t)p->rss[i]));
    }
    for (unsigned r = 0; r < nrounds; r++) {
        json_array_append_new(jr, json_pack("{s:I,s:I,s:f,s:I,s:I}", "rss_kib_all_pending",
                                            (json_int_t)rounds[r].rss_full, "rss_kib_after",
                                            (json_int_t)rounds[r].rss_after, "answer_seconds",
                                            rounds[r].seconds, "lost", (json_int_t)rounds[r].lost,
                                            "doubled", (json_int_t)rounds[r].doubled));
    }
    json_object_set_new(j, "pending", json_integer((json_int_t)p->cfg->pending));
    json_object_set_new(j, "pending_reported",
                        json_integer((json_int_t)rounds[0].pending_reported));
    json_object_set_new(j, "rss_kib_per_10000", samples);
    json_object_set_new(j, "rss_kib_before", json_integer((json_int_t)p->rss[0]));
    json_object_set_new(j, "rss_kib_all_pending", json_integer((json_int_t)rounds[0].rss_full));
    json_object_set_new(j, "hwm_kib", json_integer((json_int_t)p->hwm));
    json_object_set_new(j, "kib_per_10000_pending", json_real(per_10k));
    json_object_set_new(j, "rounds", jr);
    json_object_set_new(j, "ok", json_integer((json_int_t)p->st.ok));
    json_object_set_new(j, "misses", json_integer((json_int_t)p->st.misses));
    json_object_set_new(j, "errors", json_integer((json_int_t)p->st.errors));
    json_object_set_new(j, "lost", json_integer((json_int_t)lost));
    json_object_set_new(j, "doubled", json_integer((json_int_t)doubled));
    char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(6));
    if (s != NULL) {
        printf("%s\n", s);
    }
    free(s);
    json_decref(j);
}

static void print_text(const pending_run *p, const pending_round *rounds, unsigned nrounds,
                       double per_10k)
{
    printf("sofa-bench --pending %llu: %zu pending reported by the client\n",
           (unsigned long long)p->cfg->pending, rounds[0].pending_reported);
    printf("RSS (KiB) before, then every %u scheduled:", PENDING_STEP);
    for (size_t i = 0; i < p->nrss; i++) {
        printf(" %llu", (unsigned long long)p->rss[i]);
    }
    printf("\nRSS before %llu KiB, with all pending %llu KiB: %.1f KiB per 10,000 pending "
           "operations (%.0f bytes each)\n",
           (unsigned long long)p->rss[0], (unsigned long long)rounds[0].rss_full, per_10k,
           per_10k * 1024.0 / PENDING_STEP);
    for (unsigned r = 0; r < nrounds; r++) {
        printf("round %u: all pending %llu KiB, answered in %.3f s, after %llu KiB; lost %llu, "
               "doubled %llu, rejected at submit %llu\n",
               r + 1, (unsigned long long)rounds[r].rss_full, rounds[r].seconds,
               (unsigned long long)rounds[r].rss_after, (unsigned long long)rounds[r].lost,
               (unsigned long long)rounds[r].doubled, (unsigned long long)rounds[r].rejected);
    }
    printf("all rounds: %llu ok, %llu misses, %llu errors; peak RSS %llu KiB\n",
           (unsigned long long)p->st.ok, (unsigned long long)p->st.misses,
           (unsigned long long)p->st.errors, (unsigned long long)p->hwm);
}

int bench_pending(const bench_config *cfg)
{
    pending_run p;
    memset(&p, 0, sizeof(p));
    p.cfg = cfg;
    char report[512];
    int rc = bench_client_open(cfg, &p.client, report, sizeof(report));
    if (rc != SOFA_OK) {
        fprintf(stderr, "sofa-bench: cannot connect to '%s': %s\n%s\n", cfg->connstr,
                sofa_status_name(rc), report);
        return 3;
    }
    uint64_t n = cfg->pending;
    pending_round rounds[BENCH_MAX_ROUNDS];
    p.st.calls = malloc(n);
    p.ops = malloc(n * sizeof(*p.ops));
    p.rss = calloc(n / PENDING_STEP + 2, sizeof(*p.rss));
    p.value = malloc(cfg->max_size ? cfg->max_size : 1);
    if (p.st.calls == NULL || p.ops == NULL || p.rss == NULL || p.value == NULL) {
        fprintf(stderr, "sofa-bench: out of memory\n");
        rc = 1;
        goto done;
    }
    memset(p.value, 'x', cfg->max_size);
    /* touch our own arrays now so that their pages are in the baseline, not the growth */
    memset(p.ops, 0, n * sizeof(*p.ops));
    memset(p.st.calls, 0, n);
    p.rng = cfg->seed | 1;
    bench_rss_kib(&p.rss[p.nrss++], &p.hwm);
    uint64_t lost = 0, doubled = 0;
    for (unsigned r = 0; r < cfg->rounds; r++) {
        run_round(&p, r == 0, &rounds[r]);
        lost += rounds[r].lost;
        doubled += rounds[r].doubled;
    }
    uint64_t growth = rounds[0].rss_full > p.rss[0] ? rounds[0].rss_full - p.rss[0] : 0;
    double per_10k = n >= PENDING_STEP ? (double)growth * PENDING_STEP / (double)n : 0.0;
    if (cfg->json) {
        print_json(&p, rounds, cfg->rounds, per_10k, lost, doubled);
    } else {
        print_text(&p, rounds, cfg->rounds, per_10k);
    }
    rc = (lost || doubled || p.st.errors) ? 1 : 0;
done:
    sofa_client_free(p.client);
    free(p.st.calls);
    free(p.ops);
    free(p.rss);
    free(p.value);
    return rc;
}
