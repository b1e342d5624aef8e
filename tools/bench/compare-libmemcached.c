/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* compare-libmemcached: the sofa-bench workload (batches of gets and sets over a key
 * space) done with libmemcached, the reference C client, against real memcached. Gets use
 * libmemcached's fastest pipelined path (binary protocol, one mget per batch: GETKQ per
 * key + NOOP). Sets come in three modes (--sets):
 *   noreply   buffered quiet sets (SETQ), flushed once per batch: no confirmation, no CAS
 *             (libmemcached's fastest path; less work than sofa does);
 *   buffered  buffered sets that the server answers (SET), flushed once per batch;
 *             libmemcached reads the answers before the next mget but throws their
 *             status away (the same server and network work as sofa, no per-set status);
 *   sync      every set waits for its answer and its status is checked (the same work
 *             and the same guarantee as sofa, which confirms every op; but one round trip
 *             per set, since libmemcached has no pipelined confirmed store).
 * Run by tools/bench/run-memcached-compare.sh; see docs/bench.md. */
#include <errno.h>
#include <stddef.h>
#include <getopt.h>
#include <jansson.h>
#include <libmemcached/memcached.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hist.h"

#define MAX_BATCH 100000
#define KEY_PREFIX "sofa-bench-"
#define KEY_LEN 21

typedef struct cfg {
    const char *host;
    uint64_t port, batch, set_percent, keyspace, ops, value_size, seed;
    double duration;
    int populate, json;
    int sets; /* SETS_* */
} cfg;

enum { SETS_NOREPLY, SETS_BUFFERED, SETS_SYNC };
static const char *const sets_names[] = {"noreply", "buffered", "sync"};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t rnd(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 2685821657736338717ull;
}

static void make_key(char *buf, uint64_t n)
{
    memcpy(buf, KEY_PREFIX, sizeof(KEY_PREFIX) - 1);
    for (int i = 9; i >= 0; i--) {
        buf[sizeof(KEY_PREFIX) - 1 + (size_t)i] = (char)('0' + n % 10);
        n /= 10;
    }
    buf[KEY_LEN] = '\0';
}

/* The numeric options: letter, range, field. */
static const struct num_opt {
    char letter;
    uint64_t lo, hi;
    size_t offset;
} num_opts[] = {
    {'p', 1, 65535, offsetof(cfg, port)},
    {'B', 1, MAX_BATCH, offsetof(cfg, batch)},
    {'I', 1, 9999999999ull, offsetof(cfg, keyspace)},
    {'r', 0, 100, offsetof(cfg, set_percent)},
    {'s', 0, 1024 * 1024, offsetof(cfg, value_size)},
    {'n', 1, UINT64_MAX / 2, offsetof(cfg, ops)},
};

static int set_num(cfg *c, char letter, const char *s)
{
    for (size_t i = 0; i < sizeof(num_opts) / sizeof(num_opts[0]); i++) {
        const struct num_opt *o = &num_opts[i];
        if (o->letter != letter) {
            continue;
        }
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (s[0] == '-' || errno || end == s || *end || v < o->lo || v > o->hi) {
            fprintf(stderr, "compare-libmemcached: bad -%c '%s' (%llu..%llu)\n", letter, s,
                    (unsigned long long)o->lo, (unsigned long long)o->hi);
            return -1;
        }
        memcpy((char *)c + o->offset, &(uint64_t){v}, sizeof(uint64_t));
        return 0;
    }
    return -1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: compare-libmemcached -p PORT [-H HOST] [-B BATCH] [-I KEYS] [-r SET_PCT] "
               "[-s VALUE_SIZE] [-n OPS | -d SECONDS] [--sets noreply|buffered|sync] "
               "[--populate] [--json]\n");
}

static int parse(int argc, char **argv, cfg *c)
{
    static const struct option lo[] = {{"populate", no_argument, NULL, 1},
                                       {"json", no_argument, NULL, 2},
                                       {"sets", required_argument, NULL, 3},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "H:p:B:I:r:s:n:d:h", lo, NULL)) != -1) {
        char *end = NULL;
        if (o == 'h') {
            usage(stdout);
            exit(0);
        } else if (o == 'H') {
            c->host = optarg;
        } else if (o == 'd') {
            c->duration = strtod(optarg, &end);
            if (*end != '\0' || !isfinite(c->duration) || c->duration <= 0) {
                fprintf(stderr, "compare-libmemcached: bad -d '%s'\n", optarg);
                return -1;
            }
        } else if (o == 3) {
            size_t i = 0;
            while (i < 3 && strcmp(optarg, sets_names[i]) != 0) {
                i++;
            }
            if (i == 3) {
                fprintf(stderr, "compare-libmemcached: bad --sets '%s' (noreply|buffered|sync)\n",
                        optarg);
                return -1;
            }
            c->sets = (int)i;
        } else if (o == 1 || o == 2) {
            *(o == 1 ? &c->populate : &c->json) = 1;
        } else if (o == '?' || set_num(c, (char)o, optarg) != 0) {
            usage(stderr);
            return -1;
        }
    }
    if (c->port == 0) {
        fprintf(stderr, "compare-libmemcached: -p PORT is required\n");
        return -1;
    }
    if (c->ops == 0 && c->duration == 0) {
        c->ops = 100000;
    }
    return 0;
}

typedef struct counts {
    uint64_t ops, gets, sets, hits, errors;
} counts;

/* Everything one run uses. */
typedef struct work {
    const cfg *c;
    memcached_st *mc;
    char (*keys)[KEY_LEN + 1]; /* one batch of keys */
    const char **kp;           /* the gets of a batch, for memcached_mget */
    size_t *kl;
    char *value;
    uint64_t rng;
    counts t;
    hist h; /* batch latency, ns */
} work;

/* One batch: buffered sets, flushed, then one mget for the gets, fetched to the end. */
static void batch(work *w, unsigned n)
{
    const cfg *c = w->c;
    size_t ngets = 0;
    for (unsigned i = 0; i < n; i++) {
        uint64_t r = rnd(&w->rng);
        char *key = w->keys[i];
        make_key(key, (r >> 8) % c->keyspace);
        if ((unsigned)(r % 100) < c->set_percent) {
            memcached_return_t rc =
                memcached_set(w->mc, key, KEY_LEN, w->value, c->value_size, 0, 0);
            w->t.sets++;
            if (c->sets == SETS_SYNC) {
                w->t.errors += rc != MEMCACHED_SUCCESS;
            } else {
                w->t.errors += rc != MEMCACHED_SUCCESS && rc != MEMCACHED_BUFFERED;
            }
        } else {
            w->kp[ngets] = key;
            w->kl[ngets] = KEY_LEN;
            ngets++;
        }
    }
    if (c->sets != SETS_SYNC) {
        w->t.errors += memcached_flush_buffers(w->mc) != MEMCACHED_SUCCESS;
    }
    w->t.ops += n;
    if (ngets == 0) {
        return;
    }
    w->t.gets += ngets;
    if (memcached_mget(w->mc, w->kp, w->kl, ngets) != MEMCACHED_SUCCESS) {
        w->t.errors += ngets;
        return;
    }
    memcached_result_st res;
    memcached_result_create(w->mc, &res);
    memcached_return_t rc;
    while (memcached_fetch_result(w->mc, &res, &rc) != NULL) {
        w->t.hits++;
    }
    w->t.errors += rc != MEMCACHED_END && rc != MEMCACHED_SUCCESS && rc != MEMCACHED_NOTFOUND;
    memcached_result_free(&res);
}

static int work_open(work *w, const cfg *c)
{
    memset(w, 0, sizeof(*w));
    w->c = c;
    w->rng = c->seed | 1;
    hist_init(&w->h);
    w->mc = memcached_create(NULL);
    w->keys = calloc(c->batch, sizeof(*w->keys));
    w->kp = calloc(c->batch, sizeof(*w->kp));
    w->kl = calloc(c->batch, sizeof(*w->kl));
    w->value = malloc(c->value_size + 1);
    if (w->mc == NULL || w->keys == NULL || w->kp == NULL || w->kl == NULL || w->value == NULL) {
        fprintf(stderr, "compare-libmemcached: out of memory\n");
        return -1;
    }
    memset(w->value, 'x', c->value_size);
    /* libmemcached's fastest pipelined settings for the chosen set mode */
    memcached_behavior_set(w->mc, MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1);
    memcached_behavior_set(w->mc, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
    memcached_behavior_set(w->mc, MEMCACHED_BEHAVIOR_BUFFER_REQUESTS, c->sets != SETS_SYNC);
    memcached_behavior_set(w->mc, MEMCACHED_BEHAVIOR_NOREPLY, c->sets == SETS_NOREPLY);
    if (memcached_server_add(w->mc, c->host, (in_port_t)c->port) != MEMCACHED_SUCCESS) {
        fprintf(stderr, "compare-libmemcached: cannot add server %s:%llu\n", c->host,
                (unsigned long long)c->port);
        return -1;
    }
    return 0;
}

static void work_close(work *w)
{
    if (w->mc != NULL) {
        memcached_free(w->mc);
    }
    free(w->keys);
    free(w->kp);
    free(w->kl);
    free(w->value);
}

static void populate(work *w)
{
    const cfg *c = w->c;
    for (uint64_t k = 0; k < c->keyspace; k++) {
        make_key(w->keys[0], k);
        memcached_set(w->mc, w->keys[0], KEY_LEN, w->value, c->value_size, 0, 0);
        if (k % c->batch == c->batch - 1) {
            memcached_flush_buffers(w->mc);
        }
    }
    memcached_flush_buffers(w->mc);
    /* a synchronous round trip so that every populate set was processed */
    memcached_return_t rc = memcached_version(w->mc);
    (void)rc;
}

/* The timed phase; returns its length in seconds. */
static double run(work *w)
{
    const cfg *c = w->c;
    uint64_t start = now_ns();
    for (;;) {
        uint64_t n = c->batch;
        if (c->ops > 0) {
            if (w->t.ops >= c->ops) {
                break;
            }
            n = c->ops - w->t.ops < n ? c->ops - w->t.ops : n;
        } else if ((double)(now_ns() - start) / 1e9 >= c->duration) {
            break;
        }
        uint64_t b0 = now_ns();
        batch(w, (unsigned)n);
        hist_record(&w->h, now_ns() - b0);
    }
    return (double)(now_ns() - start) / 1e9;
}

static void report(const work *w, double secs)
{
    const counts *t = &w->t;
    double rate = secs > 0 ? (double)t->ops / secs : 0;
    double p50 = (double)hist_percentile(&w->h, 50) / 1000.0;
    double p99 = (double)hist_percentile(&w->h, 99) / 1000.0;
    if (!w->c->json) {
        printf("compare-libmemcached (libmemcached %s, %s sets): %llu ops in %.3f s: %.0f ops/s (%llu gets, "
               "%llu hits, %llu sets, %llu errors; batch of %llu: p50 %.1f us, p99 %.1f us)\n",
               LIBMEMCACHED_VERSION_STRING, sets_names[w->c->sets], (unsigned long long)t->ops, secs, rate,
               (unsigned long long)t->gets, (unsigned long long)t->hits,
               (unsigned long long)t->sets, (unsigned long long)t->errors,
               (unsigned long long)w->c->batch, p50, p99);
        return;
    }
    json_t *j = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:f}", "client",
                          "libmemcached " LIBMEMCACHED_VERSION_STRING, "sets_mode",
                          sets_names[w->c->sets], "ops", (json_int_t)t->ops,
                          "gets", (json_int_t)t->gets, "sets", (json_int_t)t->sets, "hits",
                          (json_int_t)t->hits, "errors", (json_int_t)t->errors, "seconds", secs,
                          "ops_per_sec", rate, "batch_p50_us", p50, "batch_p99_us", p99);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (s != NULL) {
        printf("%s\n", s);
    }
    free(s);
    json_decref(j);
}

int main(int argc, char **argv)
{
    cfg c = {"127.0.0.1", 0, 100, 10, 1000, 0, 100, 1, 0, 0, 0, SETS_NOREPLY};
    if (parse(argc, argv, &c) != 0) {
        return 2;
    }
    work w;
    if (work_open(&w, &c) != 0) {
        work_close(&w);
        return 1;
    }
    if (c.populate) {
        populate(&w);
    }
    report(&w, run(&w));
    work_close(&w);
    return w.t.errors ? 1 : 0;
}
