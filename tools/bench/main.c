/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* sofa-bench: options, threads, the progress line. See docs/bench.md. */
#include "bench.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: sofa-bench [options]\n"
        "  -U, --connstr CONNSTR   connection string (default $SOFA_CONNSTR, else\n"
        "                          couchbase://127.0.0.1/default)\n"
        "  -u, --username USER     user name (default $SOFA_USERNAME)\n"
        "  -P, --password PASS     password (default $SOFA_PASSWORD)\n"
        "  -t, --threads N         threads, one client each (default 1, at most %d)\n"
        "  -B, --batch N           operations scheduled per batch before waiting (default 100)\n"
        "  -I, --keyspace N        number of distinct keys (default 1000)\n"
        "  -r, --set-pct PCT       percentage of sets; the rest are gets (default 33)\n"
        "  -m, --min-size BYTES    smallest value (default 50)\n"
        "  -M, --max-size BYTES    largest value (default 5120)\n"
        "  -n, --num-ops N         total operations (default 100000 unless -d)\n"
        "  -d, --duration SECONDS  run this long instead of -n\n"
        "  -T, --timeout SECONDS   per-operation timeout (default: the connstr's)\n"
        "      --populate          store every key once first (not counted)\n"
        "      --pending N         memory test: schedule N operations without waiting,\n"
        "                          report RSS per 10,000 pending, then wait for all\n"
        "      --seed N            random seed (default 1)\n"
        "      --json              print the summary as JSON on stdout\n"
        "  -v, --verbose           progress line even when stderr is not a terminal\n"
        "  -h, --help\n"
        "Exit code: 0 when every operation succeeded (a get of a missing key counts as a\n"
        "miss, not an error), 1 when any failed, 2 for a bad command line, 3 when a\n"
        "client could not connect.\n",
        BENCH_MAX_THREADS);
}

static int parse_u64(const char *name, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = s[0] == '-' ? 0 : strtoull(s, &end, 10);
    if (s[0] == '-' || errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "sofa-bench: invalid %s '%s' (expected %llu..%llu)\n", name, s,
                (unsigned long long)lo, (unsigned long long)hi);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_seconds(const char *name, const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double d = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(d) || d <= 0 || d > 86400) {
        fprintf(stderr, "sofa-bench: invalid %s '%s' (seconds, > 0)\n", name, s);
        return -1;
    }
    *out = d;
    return 0;
}

static int parse_args(int argc, char **argv, bench_config *c)
{
    static const struct option longopts[] = {{"connstr", required_argument, NULL, 'U'},
                                             {"username", required_argument, NULL, 'u'},
                                             {"password", required_argument, NULL, 'P'},
                                             {"threads", required_argument, NULL, 't'},
                                             {"batch", required_argument, NULL, 'B'},
                                             {"keyspace", required_argument, NULL, 'I'},
                                             {"set-pct", required_argument, NULL, 'r'},
                                             {"min-size", required_argument, NULL, 'm'},
                                             {"max-size", required_argument, NULL, 'M'},
                                             {"num-ops", required_argument, NULL, 'n'},
                                             {"duration", required_argument, NULL, 'd'},
                                             {"timeout", required_argument, NULL, 'T'},
                                             {"populate", no_argument, NULL, 1},
                                             {"pending", required_argument, NULL, 2},
                                             {"seed", required_argument, NULL, 3},
                                             {"rounds", required_argument, NULL, 5},
                                             {"json", no_argument, NULL, 4},
                                             {"verbose", no_argument, NULL, 'v'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    uint64_t v = 0;
    double d = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "U:u:P:t:B:I:r:m:M:n:d:T:vh", longopts, NULL)) != -1) {
        int rc = 0;
        switch (opt) {
        case 'U':
            c->connstr = optarg;
            break;
        case 'u':
            c->username = optarg;
            break;
        case 'P':
            c->password = optarg;
            break;
        case 't':
            rc = parse_u64("-t", optarg, 1, BENCH_MAX_THREADS, &v);
            c->threads = (unsigned)v;
            break;
        case 'B':
            rc = parse_u64("-B", optarg, 1, BENCH_MAX_BATCH, &v);
            c->batch = (unsigned)v;
            break;
        case 'I':
            rc = parse_u64("-I", optarg, 1, 9999999999ull, &c->keyspace);
            break;
        case 'r':
            rc = parse_u64("-r", optarg, 0, 100, &v);
            c->set_percent = (unsigned)v;
            break;
        case 'm':
            rc = parse_u64("-m", optarg, 0, BENCH_MAX_VALUE, &v);
            c->min_size = (uint32_t)v;
            break;
        case 'M':
            rc = parse_u64("-M", optarg, 0, BENCH_MAX_VALUE, &v);
            c->max_size = (uint32_t)v;
            break;
        case 'n':
            rc = parse_u64("-n", optarg, 1, UINT64_MAX / 2, &c->ops);
            break;
        case 'd':
            rc = parse_seconds("-d", optarg, &c->duration);
            break;
        case 'T':
            rc = parse_seconds("-T", optarg, &d);
            c->timeout_us = (uint64_t)(d * 1e6) + 1;
            break;
        case 1:
            c->populate = 1;
            break;
        case 2:
            rc = parse_u64("--pending", optarg, 1, 100000000, &c->pending);
            break;
        case 3:
            rc = parse_u64("--seed", optarg, 0, UINT64_MAX, &c->seed);
            break;
        case 5:
            rc = parse_u64("--rounds", optarg, 1, BENCH_MAX_ROUNDS, &v);
            c->rounds = (unsigned)v;
            break;
        case 4:
            c->json = 1;
            break;
        case 'v':
            c->verbose++;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
        if (rc != 0) {
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sofa-bench: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (c->min_size > c->max_size) {
        fprintf(stderr, "sofa-bench: -m %u is larger than -M %u\n", c->min_size, c->max_size);
        return -1;
    }
    if (c->ops > 0 && c->duration > 0) {
        fprintf(stderr, "sofa-bench: give -n or -d, not both\n");
        return -1;
    }
    if (c->ops == 0 && c->duration == 0) {
        c->ops = 100000;
    }
    c->progress = c->verbose > 0 || isatty(2);
    return 0;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static uint64_t total_done(bench_run *run)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < run->cfg->threads; i++) {
        n += atomic_load_explicit(&run->workers[i].done, memory_order_relaxed);
    }
    return n;
}

/* Wait for the run to end (ops mode: all claimed ops done; duration mode: time is up),
 * printing the progress line once a second. */
static void supervise(bench_run *run, uint64_t start)
{
    const bench_config *c = run->cfg;
    uint64_t last_ns = start, last_done = 0, next_print = start + 1000000000u;
    int printed = 0;
    for (;;) {
        sleep_ms(20);
        uint64_t now = bench_now_ns();
        uint64_t done = total_done(run);
        if (c->ops > 0 ? done >= c->ops : (double)(now - start) / 1e9 >= c->duration) {
            break;
        }
        if (c->progress && now >= next_print) {
            double rate = (double)(done - last_done) / ((double)(now - last_ns) / 1e9);
            fprintf(stderr, "%s[%6.1f s] %llu ops, %.0f ops/s%s", isatty(2) ? "\r" : "",
                    (double)(now - start) / 1e9, (unsigned long long)done, rate,
                    isatty(2) ? "   " : "\n");
            fflush(stderr);
            printed = 1;
            last_ns = now;
            last_done = done;
            next_print = now + 1000000000u;
        }
    }
    atomic_store(&run->stop, 1);
    if (printed && isatty(2)) {
        fprintf(stderr, "\n");
    }
}

static int run_load(bench_config *cfg)
{
    bench_run run;
    memset(&run, 0, sizeof(run));
    run.cfg = cfg;
    run.workers = calloc(cfg->threads, sizeof(*run.workers));
    bench_run_arg *args = calloc(cfg->threads, sizeof(*args));
    if (run.workers == NULL || args == NULL ||
        pthread_barrier_init(&run.connected, NULL, cfg->threads + 1) != 0) {
        fprintf(stderr, "sofa-bench: out of memory\n");
        free(run.workers);
        free(args);
        return 1;
    }
    unsigned started = 0;
    for (unsigned i = 0; i < cfg->threads; i++) {
        run.workers[i].cfg = cfg;
        run.workers[i].id = i;
        args[i].run = &run;
        args[i].w = &run.workers[i];
        if (pthread_create(&run.workers[i].thread, NULL, bench_worker_main, &args[i]) != 0) {
            fprintf(stderr, "sofa-bench: cannot start thread %u\n", i);
            exit(1); /* the barrier cannot be released; nothing to clean up that matters */
        }
        started++;
    }
    pthread_barrier_wait(&run.connected);
    int failed = 0;
    for (unsigned i = 0; i < cfg->threads; i++) {
        bench_worker *w = &run.workers[i];
        if (w->connect_status != SOFA_OK) {
            fprintf(stderr, "sofa-bench: thread %u: cannot connect to '%s': %s (%s)\n%s%s", i,
                    cfg->connstr, sofa_status_name(w->connect_status),
                    sofa_strerror(w->connect_status), w->connect_report,
                    w->connect_report[0] ? "\n" : "");
            failed = 3;
        } else if (w->populate_status != SOFA_OK) {
            fprintf(stderr, "sofa-bench: thread %u: populate failed: %s\n", i,
                    sofa_status_name(w->populate_status));
            failed = 1;
        }
    }
    if (failed) {
        atomic_store(&run.stop, 1);
    }
    uint64_t start = bench_now_ns();
    pthread_barrier_wait(&run.connected);
    if (!failed) {
        supervise(&run, start);
    }
    for (unsigned i = 0; i < started; i++) {
        pthread_join(run.workers[i].thread, NULL);
    }
    double seconds = (double)(bench_now_ns() - start) / 1e9;
    int rc = failed;
    if (!failed) {
        bench_report(cfg, run.workers, seconds);
        for (unsigned i = 0; i < cfg->threads; i++) {
            rc |= run.workers[i].errors > 0;
        }
    }
    pthread_barrier_destroy(&run.connected);
    free(run.workers);
    free(args);
    return rc;
}

int main(int argc, char **argv)
{
    bench_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.connstr = getenv("SOFA_CONNSTR") ? getenv("SOFA_CONNSTR") : "couchbase://127.0.0.1/default";
    cfg.username = getenv("SOFA_USERNAME");
    cfg.password = getenv("SOFA_PASSWORD");
    cfg.threads = 1;
    cfg.batch = 100;
    cfg.keyspace = 1000;
    cfg.set_percent = 33;
    cfg.min_size = 50;
    cfg.max_size = 5120;
    cfg.seed = 1;
    cfg.rounds = 3;
    if (parse_args(argc, argv, &cfg) != 0) {
        return 2;
    }
    if (cfg.pending > 0) {
        return bench_pending(&cfg);
    }
    return run_load(&cfg);
}
