/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* sofa-bench: the final summary (text on stdout, or one JSON object with --json). */
#include "bench.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct totals {
    uint64_t ops, gets, sets, misses, errors;
    uint64_t status_counts[BENCH_NSTATUS];
    hist lat;
} totals;

static void sum(const bench_config *cfg, bench_worker *w, totals *t)
{
    hist_init(&t->lat);
    for (unsigned i = 0; i < cfg->threads; i++) {
        t->ops += atomic_load(&w[i].done);
        t->gets += w[i].gets;
        t->sets += w[i].sets;
        t->misses += w[i].misses;
        t->errors += w[i].errors;
        for (unsigned s = 0; s < BENCH_NSTATUS; s++) {
            t->status_counts[s] += w[i].status_counts[s];
        }
        hist_merge(&t->lat, &w[i].latency);
    }
}

static double us(uint64_t ns)
{
    return (double)ns / 1000.0;
}

static void print_json(const bench_config *cfg, const totals *t, double seconds)
{
    json_t *o = json_object();
    json_t *lat = json_object();
    json_t *errs = json_object();
    if (o == NULL || lat == NULL || errs == NULL) {
        fprintf(stderr, "sofa-bench: out of memory\n");
        json_decref(o);
        json_decref(lat);
        json_decref(errs);
        return;
    }
    json_object_set_new(o, "connstr", json_string(cfg->connstr));
    json_object_set_new(o, "threads", json_integer(cfg->threads));
    json_object_set_new(o, "batch", json_integer(cfg->batch));
    json_object_set_new(o, "keyspace", json_integer((json_int_t)cfg->keyspace));
    json_object_set_new(o, "set_percent", json_integer(cfg->set_percent));
    json_object_set_new(o, "min_size", json_integer(cfg->min_size));
    json_object_set_new(o, "max_size", json_integer(cfg->max_size));
    json_object_set_new(o, "ops", json_integer((json_int_t)t->ops));
    json_object_set_new(o, "gets", json_integer((json_int_t)t->gets));
    json_object_set_new(o, "sets", json_integer((json_int_t)t->sets));
    json_object_set_new(o, "misses", json_integer((json_int_t)t->misses));
    json_object_set_new(o, "errors", json_integer((json_int_t)t->errors));
    json_object_set_new(o, "seconds", json_real(seconds));
    json_object_set_new(o, "ops_per_sec", json_real(seconds > 0 ? (double)t->ops / seconds : 0));
    json_object_set_new(lat, "min", json_real(us(t->lat.total ? t->lat.min : 0)));
    json_object_set_new(lat, "mean", json_real(hist_mean(&t->lat) / 1000.0));
    json_object_set_new(lat, "p50", json_real(us(hist_percentile(&t->lat, 50))));
    json_object_set_new(lat, "p99", json_real(us(hist_percentile(&t->lat, 99))));
    json_object_set_new(lat, "p99.9", json_real(us(hist_percentile(&t->lat, 99.9))));
    json_object_set_new(lat, "max", json_real(us(t->lat.max)));
    json_object_set_new(o, "latency_us", lat);
    for (unsigned s = 0; s < BENCH_NSTATUS; s++) {
        if (t->status_counts[s] != 0) {
            json_object_set_new(errs, sofa_status_name(-(int)s),
                                json_integer((json_int_t)t->status_counts[s]));
        }
    }
    json_object_set_new(o, "errors_by_status", errs);
    char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
    if (s != NULL) {
        printf("%s\n", s);
        free(s);
    }
    json_decref(o);
}

void bench_report(const bench_config *cfg, bench_worker *workers, double seconds)
{
    totals *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        fprintf(stderr, "sofa-bench: out of memory\n");
        return;
    }
    sum(cfg, workers, t);
    if (cfg->json) {
        print_json(cfg, t, seconds);
        free(t);
        return;
    }
    printf("sofa-bench: %llu ops in %.3f s: %.0f ops/s (%u thread%s, batch %u, %u%% sets, "
           "values %u..%u bytes, %llu keys)\n",
           (unsigned long long)t->ops, seconds, seconds > 0 ? (double)t->ops / seconds : 0,
           cfg->threads, cfg->threads == 1 ? "" : "s", cfg->batch, cfg->set_percent, cfg->min_size,
           cfg->max_size, (unsigned long long)cfg->keyspace);
    printf("operations: %llu gets (%llu misses), %llu sets\n", (unsigned long long)t->gets,
           (unsigned long long)t->misses, (unsigned long long)t->sets);
    printf("latency (us): min %.1f, mean %.1f, p50 %.1f, p99 %.1f, p99.9 %.1f, max %.1f\n",
           us(t->lat.total ? t->lat.min : 0), hist_mean(&t->lat) / 1000.0,
           us(hist_percentile(&t->lat, 50)), us(hist_percentile(&t->lat, 99)),
           us(hist_percentile(&t->lat, 99.9)), us(t->lat.max));
    printf("errors: %llu", (unsigned long long)t->errors);
    const char *sep = " (";
    for (unsigned s = 0; s < BENCH_NSTATUS; s++) {
        if (t->status_counts[s] != 0) {
            printf("%s%s %llu", sep, sofa_status_name(-(int)s),
                   (unsigned long long)t->status_counts[s]);
            sep = ", ";
        }
    }
    printf("%s\n", sep[0] == ',' ? ")" : "");
    free(t);
}
