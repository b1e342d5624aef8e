/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* sofa-bench: one worker thread = one client. Connect, optionally populate its share of
 * the key space, then schedule batches of gets and sets and wait for each batch. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t bench_rand(uint64_t *s)
{
    /* xorshift64* */
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 2685821657736338717ull;
}

size_t bench_key(char *buf, uint64_t n)
{
    static const char prefix[] = BENCH_KEY_PREFIX;
    size_t p = sizeof(prefix) - 1;
    /* the lowest 10 digits of n, mostly two per division */
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930"
                                "31323334353637383940414243444546474849505152535455565758596061"
                                "62636465666768697071727374757677787980818283848586878889909192"
                                "93949596979899";
    memcpy(buf, prefix, p);
    n %= 10000000000u; /* then two 5-digit halves in 32-bit arithmetic */
    uint32_t half[2] = {(uint32_t)(n / 100000u), (uint32_t)(n % 100000u)};
    for (size_t h = 0; h < 2; h++) {
        char *d = buf + p + 5 * h;
        uint32_t x = half[h];
        memcpy(d, pairs + 2 * (x / 1000u), 2);
        memcpy(d + 2, pairs + 2 * (x / 10u % 100u), 2);
        d[4] = (char)('0' + x % 10u);
    }
    buf[p + 10] = '\0';
    return p + 10;
}

static void on_connect(sofa_client *client, sofa_status status, void *cookie)
{
    *(int *)cookie = status;
}

int bench_client_open(const bench_config *cfg, sofa_client **out, char *report, size_t rlen)
{
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = cfg->connstr;
    o.username = cfg->username;
    o.password = cfg->password;
    report[0] = '\0';
    int rc = sofa_client_new(out, &o, report, rlen);
    if (rc != SOFA_OK) {
        return rc;
    }
    int status = 1;
    rc = sofa_client_connect(*out, on_connect, &status);
    if (rc == SOFA_OK) {
        rc = sofa_client_wait(*out);
    }
    if (rc == SOFA_OK) {
        rc = status == 1 ? SOFA_E_INTERNAL : status;
    }
    if (rc != SOFA_OK) {
        snprintf(report, rlen, "%s", sofa_client_bootstrap_report(*out));
        sofa_client_free(*out);
        *out = NULL;
    }
    return rc;
}

static void count(bench_worker *w, int status)
{
    if (status == SOFA_OK) {
        return;
    }
    if (status == SOFA_E_NOT_FOUND) {
        w->misses++;
        return;
    }
    w->errors++;
    unsigned idx = status < 0 && status > -BENCH_NSTATUS ? (unsigned)-status : 0;
    w->status_counts[idx]++;
}

static void batch_answered(bench_worker *w, uint32_t b);

static void finish_op(bench_slot *s, int status)
{
    bench_worker *w = s->w;
    hist_record(&w->latency, bench_now_ns() - s->start_ns);
    count(w, status);
    atomic_fetch_add_explicit(&w->done, 1, memory_order_relaxed);
    if (w->run != NULL && --w->batch_left[s->batch] == 0) {
        batch_answered(w, s->batch);
    }
}

static void on_get(sofa_client *client, sofa_status status, const sofa_get_result *r, void *cookie)
{
    finish_op(cookie, status);
}

static void on_store(sofa_client *client, sofa_status status, const sofa_mutation_result *r,
                     void *cookie)
{
    finish_op(cookie, status);
}

static uint32_t value_size(bench_worker *w)
{
    const bench_config *c = w->cfg;
    uint32_t span = c->max_size - c->min_size + 1;
    return c->min_size + (uint32_t)(bench_rand(&w->rng) % span);
}

/* @p start_ns: when the batch was scheduled. The operations of a batch are scheduled
 * together and leave in one write, so one clock reading serves them all (as in
 * compare-libmemcached, which times whole batches). */
static void schedule(bench_worker *w, bench_slot *s, int is_set, uint64_t keyn,
                     const sofa_kv_opts *o, uint64_t start_ns)
{
    char key[BENCH_KEY_MAX];
    size_t nkey = bench_key(key, keyn);
    s->w = w;
    s->start_ns = start_ns;
    int rc = is_set ? sofa_kv_upsert(w->client, key, nkey, w->value, value_size(w), o, on_store, s)
                    : sofa_kv_get(w->client, key, nkey, o, on_get, s);
    if (is_set) {
        w->sets++;
    } else {
        w->gets++;
    }
    if (rc != SOFA_OK) {
        finish_op(s, rc); /* the callback will never fire: count the failure now */
    }
}

static void populate(bench_worker *w)
{
    const bench_config *c = w->cfg;
    sofa_kv_opts o = {0};
    o.timeout_us = c->timeout_us;
    uint64_t k = w->id;
    while (k < c->keyspace) {
        unsigned n = 0;
        uint64_t t0 = bench_now_ns();
        for (; n < c->batch && k < c->keyspace; n++, k += c->threads) {
            w->slots[n].w = w;
            schedule(w, &w->slots[n], 1, k, &o, t0);
        }
        sofa_client_wait(w->client);
        w->populated += n;
    }
    if (w->errors > 0) {
        for (unsigned i = 1; i < BENCH_NSTATUS; i++) {
            if (w->status_counts[i] != 0) {
                w->populate_status = -(int)i;
                break;
            }
        }
    }
    /* reset the counters: the timed phase starts from zero */
    w->gets = w->sets = w->misses = w->errors = 0;
    memset(w->status_counts, 0, sizeof(w->status_counts));
    hist_init(&w->latency);
    atomic_store(&w->done, 0);
}

/* How many operations the next batch has: 0 when the run is over. */
static unsigned claim_batch(bench_run *run, const bench_config *c)
{
    unsigned n = c->batch;
    if (c->ops > 0) {
        uint64_t got = atomic_fetch_add(&run->claimed, c->batch);
        if (got >= c->ops) {
            return 0;
        }
        if (c->ops - got < n) {
            n = (unsigned)(c->ops - got);
        }
    } else if (atomic_load_explicit(&run->stop, memory_order_relaxed)) {
        return 0;
    }
    return n;
}

static void schedule_batch(bench_worker *w, bench_slot *slots, unsigned n, const sofa_kv_opts *o)
{
    const bench_config *c = w->cfg;
    uint64_t t0 = bench_now_ns();
    for (unsigned i = 0; i < n; i++) {
        uint64_t r = bench_rand(&w->rng);
        int is_set = (unsigned)(r % 100) < c->set_percent;
        schedule(w, &slots[i], is_set, (r >> 8) % c->keyspace, o, t0);
    }
}

/* --window > 1: batch b has been answered in full; put a new one in its place (from inside
 * the last answer's callback, so the engine sends it in the same loop turn). Failures to
 * schedule are answered synchronously, which can empty the batch again at once: loop rather
 * than recurse. */
static void batch_answered(bench_worker *w, uint32_t b)
{
    const bench_config *c = w->cfg;
    sofa_kv_opts o = {0};
    o.timeout_us = c->timeout_us;
    bench_slot *slots = &w->slots[(size_t)b * c->batch];
    unsigned n;
    while ((n = claim_batch(w->run, c)) > 0) {
        w->batch_left[b] = n + 1; /* +1: not answered while we are still scheduling */
        schedule_batch(w, slots, n, &o);
        if (--w->batch_left[b] != 0) {
            return;
        }
    }
}

static void run_timed(bench_run *run, bench_worker *w)
{
    const bench_config *c = w->cfg;
    sofa_kv_opts o = {0};
    o.timeout_us = c->timeout_us;
    if (c->window > 1) {
        w->run = run;
        for (uint32_t b = 0; b < c->window; b++) {
            for (uint32_t i = 0; i < c->batch; i++) {
                w->slots[(size_t)b * c->batch + i].batch = b;
            }
            batch_answered(w, b);
        }
        /* each answered batch schedules the next from its callback: wait returns when the
         * run is over and the last batches are answered */
        sofa_client_wait(w->client);
        w->run = NULL;
        return;
    }
    unsigned n;
    while ((n = claim_batch(run, c)) > 0) {
        schedule_batch(w, w->slots, n, &o);
        sofa_client_wait(w->client);
    }
}

void *bench_worker_main(void *arg)
{
    bench_run_arg *a = arg;
    bench_run *run = a->run;
    bench_worker *w = a->w;
    const bench_config *c = w->cfg;
    hist_init(&w->latency);
    w->rng = (c->seed ^ (0x9E3779B97F4A7C15ull * (w->id + 1))) | 1;
    w->slots = calloc((size_t)c->batch * c->window, sizeof(*w->slots));
    w->batch_left = calloc(c->window, sizeof(*w->batch_left));
    w->value = malloc(c->max_size ? c->max_size : 1);
    if (w->slots == NULL || w->batch_left == NULL || w->value == NULL) {
        w->connect_status = SOFA_E_NO_MEMORY;
    } else {
        memset(w->value, 'x', c->max_size);
        w->connect_status =
            bench_client_open(c, &w->client, w->connect_report, sizeof(w->connect_report));
    }
    if (w->connect_status == SOFA_OK && c->populate) {
        populate(w);
    }
    pthread_barrier_wait(&run->connected);
    pthread_barrier_wait(&run->connected); /* main checked everyone: go (or stop) */
    if (w->connect_status == SOFA_OK && w->populate_status == SOFA_OK && !atomic_load(&run->stop)) {
        run_timed(run, w);
    }
    sofa_client_free(w->client);
    w->client = NULL;
    free(w->slots);
    free(w->batch_left);
    free(w->value);
    w->slots = NULL;
    w->batch_left = NULL;
    w->value = NULL;
    return NULL;
}
