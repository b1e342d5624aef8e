/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* sofa-bench: a load generator for sofa (in the spirit of cbc-pillowfight). See docs/bench.md. */
#ifndef SOFA_TOOLS_BENCH_BENCH_H
#define SOFA_TOOLS_BENCH_BENCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <sofa/sofa.h>

#include "hist.h"

#define BENCH_MAX_THREADS 256
#define BENCH_MAX_BATCH 100000
#define BENCH_MAX_VALUE (20u * 1024u * 1024u)
#define BENCH_KEY_PREFIX "sofa-bench-"
#define BENCH_KEY_MAX 32
/* Status codes are 0..-999: errors are counted per -status. */
#define BENCH_NSTATUS 1000
/* --rounds: at most this many schedule-all/answer-all rounds in --pending mode */
#define BENCH_MAX_ROUNDS 100
/* --window: at most this many batches in flight */
#define BENCH_MAX_WINDOW 64

typedef struct bench_config {
    const char *connstr, *username, *password;
    uint32_t threads;
    uint32_t batch;
    uint32_t window; /* batches in flight (default 1: schedule, wait, repeat) */
    uint64_t keyspace;
    uint32_t set_percent;
    uint32_t min_size, max_size;
    uint64_t ops;    /* 0 = run for duration */
    double duration; /* seconds; used when ops == 0 */
    double timeout;  /* -T seconds; 0 = the connstr's */
    uint64_t timeout_us;
    int populate;
    int json;
    int verbose;
    int progress;     /* live progress line on stderr */
    uint64_t pending; /* --pending N: memory test instead of a load run */
    uint32_t rounds;  /* --rounds R: repeat the pending test R times */
    uint64_t seed;
} bench_config;

typedef struct bench_worker {
    const bench_config *cfg;
    unsigned id;
    pthread_t thread;
    sofa_client *client;
    int connect_status;
    char connect_report[512];
    /* counters of the timed phase (read by the progress thread) */
    _Atomic uint64_t done;
    uint64_t gets, sets, misses, errors;
    uint64_t status_counts[BENCH_NSTATUS];
    hist latency; /* ns */
    uint64_t rng;
    char *value; /* max_size bytes of filler */
    struct bench_slot *slots;
    uint64_t populated;
    int populate_status; /* first failure while populating, or 0 */
    /* --window > 1: operations still unanswered in each batch, and the run it serves
     * (run is set only while the windowed timed phase runs) */
    uint32_t *batch_left;
    struct bench_run *run;
} bench_worker;

typedef struct bench_slot {
    bench_worker *w;
    uint64_t start_ns;
    uint32_t batch; /* --window: which batch this slot belongs to */
} bench_slot;

/* shared run state (run.c) */
typedef struct bench_run {
    const bench_config *cfg;
    bench_worker *workers;
    pthread_barrier_t connected; /* workers + main: connected (and populated) */
    _Atomic uint64_t claimed;    /* ops handed out (ops mode) */
    _Atomic int stop;            /* duration mode: main says stop */
} bench_run;

uint64_t bench_now_ns(void);
uint64_t bench_rand(uint64_t *state);
/* Write BENCH_KEY_PREFIX + 10-digit n into buf (>= BENCH_KEY_MAX); returns the length. */
size_t bench_key(char *buf, uint64_t n);

/* worker.c */
int bench_client_open(const bench_config *cfg, sofa_client **out, char *report, size_t rlen);
void *bench_worker_main(void *arg); /* arg: bench_run_arg */
typedef struct bench_run_arg {
    bench_run *run;
    bench_worker *w;
} bench_run_arg;

/* options.c: parse the command line into cfg (defaults already set); 0, or -1 after a
 * message on stderr. --help prints the usage and exits 0. */
int bench_parse_args(int argc, char **argv, bench_config *cfg);

/* report.c */
void bench_report(const bench_config *cfg, bench_worker *workers, double seconds);
/* pending.c */
int bench_pending(const bench_config *cfg);
/* VmRSS / VmHWM of this process in KiB (0 when unknown). */
void bench_rss_kib(uint64_t *rss, uint64_t *hwm);

#endif /* SOFA_TOOLS_BENCH_BENCH_H */
