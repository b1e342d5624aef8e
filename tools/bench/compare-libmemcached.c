/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* compare-libmemcached: the sofa-bench workload (batches of gets and sets over a key
 * space) done with libmemcached, the reference C client, against real memcached. To be
 * fair to libmemcached it uses its fastest pipelined paths: binary protocol, buffered
 * (no-reply) sets flushed once per batch, and one mget per batch for the gets.
 * Run by tools/bench/run-memcached-compare.sh; see docs/bench.md. */
#include <errno.h>
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
    unsigned port, batch, set_percent;
    uint64_t keyspace, ops;
    size_t value_size;
    double duration;
    int populate, json;
    uint64_t seed;
} cfg;

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

static int parse_num(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (s[0] == '-' || errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "compare-libmemcached: bad number '%s'\n", s);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse(int argc, char **argv, cfg *c)
{
    static const struct option lo[] = {{"populate", no_argument, NULL, 1},
                                       {"json", no_argument, NULL, 2},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    int o;
    uint64_t v;
    while ((o = getopt_long(argc, argv, "H:p:B:I:r:s:n:d:h", lo, NULL)) != -1) {
        int rc = 0;
        switch (o) {
        case 'H':
            c->host = optarg;
            break;
        case 'p':
            rc = parse_num(optarg, 1, 65535, &v);
            c->port = (unsigned)v;
            break;
        case 'B':
            rc = parse_num(optarg, 1, MAX_BATCH, &v);
            c->batch = (unsigned)v;
            break;
        case 'I':
            rc = parse_num(optarg, 1, 9999999999ull, &c->keyspace);
            break;
        case 'r':
            rc = parse_num(optarg, 0, 100, &v);
            c->set_percent = (unsigned)v;
            break;
        case 's':
            rc = parse_num(optarg, 0, 1024 * 1024, &v);
            c->value_size = v;
            break;
        case 'n':
            rc = parse_num(optarg, 1, UINT64_MAX / 2, &c->ops);
            break;
        case 'd':
            c->duration = strtod(optarg, NULL);
            rc = c->duration > 0 ? 0 : -1;
            break;
        case 1:
            c->populate = 1;
            break;
        case 2:
            c->json = 1;
            break;
        case 'h':
        default:
            fprintf(o == 'h' ? stdout : stderr,
                    "usage: compare-libmemcached -p PORT [-H HOST] [-B BATCH] [-I KEYS] "
                    "[-r SET_PCT] [-s VALUE_SIZE] [-n OPS | -d SECONDS] [--populate] [--json]\n");
            exit(o == 'h' ? 0 : 2);
        }
        if (rc != 0) {
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

/* One batch: buffered sets, flushed, then one mget for the gets, fetched to the end. */
static void batch(memcached_st *mc, const cfg *c, unsigned n, uint64_t *rng, const char *value,
                  char (*keys)[KEY_LEN + 1], const char **kp, size_t *kl, counts *t)
{
    size_t ngets = 0;
    for (unsigned i = 0; i < n; i++) {
        uint64_t r = rnd(rng);
        char *key = keys[i];
        make_key(key, (r >> 8) % c->keyspace);
        if ((unsigned)(r % 100) < c->set_percent) {
            memcached_return_t rc = memcached_set(mc, key, KEY_LEN, value, c->value_size, 0, 0);
            t->sets++;
            if (rc != MEMCACHED_SUCCESS && rc != MEMCACHED_BUFFERED) {
                t->errors++;
            }
        } else {
            kp[ngets] = key;
            kl[ngets] = KEY_LEN;
            ngets++;
        }
    }
    if (memcached_flush_buffers(mc) != MEMCACHED_SUCCESS) {
        t->errors++;
    }
    if (ngets > 0) {
        t->gets += ngets;
        if (memcached_mget(mc, kp, kl, ngets) != MEMCACHED_SUCCESS) {
            t->errors += ngets;
        } else {
            memcached_result_st res;
            memcached_result_create(mc, &res);
            memcached_return_t rc;
            while (memcached_fetch_result(mc, &res, &rc) != NULL) {
                t->hits++;
            }
            if (rc != MEMCACHED_END && rc != MEMCACHED_SUCCESS && rc != MEMCACHED_NOTFOUND) {
                t->errors++;
            }
            memcached_result_free(&res);
        }
    }
    t->ops += n;
}

int main(int argc, char **argv)
{
    cfg c = {"127.0.0.1", 0, 100, 10, 1000, 0, 100, 0, 0, 0, 1};
    if (parse(argc, argv, &c) != 0) {
        return 2;
    }
    memcached_st *mc = memcached_create(NULL);
    char(*keys)[KEY_LEN + 1] = calloc(c.batch, sizeof(*keys));
    const char **kp = calloc(c.batch, sizeof(*kp));
    size_t *kl = calloc(c.batch, sizeof(*kl));
    char *value = malloc(c.value_size + 1);
    if (mc == NULL || keys == NULL || kp == NULL || kl == NULL || value == NULL) {
        fprintf(stderr, "compare-libmemcached: out of memory\n");
        return 1;
    }
    memset(value, 'x', c.value_size);
    memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1);
    memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
    memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_BUFFER_REQUESTS, 1);
    memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_NOREPLY, 1);
    if (memcached_server_add(mc, c.host, (in_port_t)c.port) != MEMCACHED_SUCCESS) {
        fprintf(stderr, "compare-libmemcached: cannot add server %s:%u\n", c.host, c.port);
        return 1;
    }
    counts t = {0};
    uint64_t rng = c.seed | 1;
    if (c.populate) {
        for (uint64_t k = 0; k < c.keyspace; k++) {
            make_key(keys[0], k);
            memcached_set(mc, keys[0], KEY_LEN, value, c.value_size, 0, 0);
            if (k % c.batch == c.batch - 1) {
                memcached_flush_buffers(mc);
            }
        }
        memcached_flush_buffers(mc);
        /* a synchronous round trip so that every populate set was processed */
        memcached_return_t vrc = memcached_version(mc);
        (void)vrc;
    }
    hist h;
    hist_init(&h);
    uint64_t start = now_ns();
    for (;;) {
        unsigned n = c.batch;
        if (c.ops > 0) {
            if (t.ops >= c.ops) {
                break;
            }
            if (c.ops - t.ops < n) {
                n = (unsigned)(c.ops - t.ops);
            }
        } else if ((double)(now_ns() - start) / 1e9 >= c.duration) {
            break;
        }
        uint64_t b0 = now_ns();
        batch(mc, &c, n, &rng, value, keys, kp, kl, &t);
        hist_record(&h, now_ns() - b0);
    }
    double secs = (double)(now_ns() - start) / 1e9;
    double rate = secs > 0 ? (double)t.ops / secs : 0;
    if (c.json) {
        json_t *j =
            json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:f}", "client",
                      "libmemcached " LIBMEMCACHED_VERSION_STRING, "ops", (json_int_t)t.ops, "gets",
                      (json_int_t)t.gets, "sets", (json_int_t)t.sets, "hits", (json_int_t)t.hits,
                      "errors", (json_int_t)t.errors, "seconds", secs, "ops_per_sec", rate,
                      "batch_p50_us", (double)hist_percentile(&h, 50) / 1000.0, "batch_p99_us",
                      (double)hist_percentile(&h, 99) / 1000.0);
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        if (s != NULL) {
            printf("%s\n", s);
        }
        free(s);
        json_decref(j);
    } else {
        printf("compare-libmemcached (libmemcached %s): %llu ops in %.3f s: %.0f ops/s "
               "(%llu gets, %llu hits, %llu sets, %llu errors; batch of %u: p50 %.1f us, "
               "p99 %.1f us)\n",
               LIBMEMCACHED_VERSION_STRING, (unsigned long long)t.ops, secs, rate,
               (unsigned long long)t.gets, (unsigned long long)t.hits, (unsigned long long)t.sets,
               (unsigned long long)t.errors, c.batch, (double)hist_percentile(&h, 50) / 1000.0,
               (double)hist_percentile(&h, 99) / 1000.0);
    }
    memcached_free(mc);
    free(keys);
    free(kp);
    free(kl);
    free(value);
    return t.errors ? 1 : 0;
}
