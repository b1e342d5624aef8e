/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* sofa-bench: options, threads, the progress line. See docs/bench.md. */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* After the connect barrier: report clients that failed to connect or populate.
 * Returns 0, or the exit code (3: connect, 1: populate). */
static int check_workers(bench_run *run)
{
    const bench_config *cfg = run->cfg;
    int failed = 0;
    for (unsigned i = 0; i < cfg->threads; i++) {
        bench_worker *w = &run->workers[i];
        if (w->connect_status != SOFA_OK) {
            fprintf(stderr, "sofa-bench: thread %u: cannot connect to '%s': %s (%s)\n%s%s", i,
                    cfg->connstr, sofa_status_name(w->connect_status),
                    sofa_strerror(w->connect_status), w->connect_report,
                    w->connect_report[0] ? "\n" : "");
            failed = 3;
        } else if (w->populate_status != SOFA_OK && failed == 0) {
            fprintf(stderr, "sofa-bench: thread %u: populate failed: %s\n", i,
                    sofa_status_name(w->populate_status));
            failed = 1;
        }
    }
    return failed;
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
    int failed = check_workers(&run);
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
    cfg.window = 1;
    cfg.keyspace = 1000;
    cfg.set_percent = 33;
    cfg.min_size = 50;
    cfg.max_size = 5120;
    cfg.seed = 1;
    cfg.rounds = 3;
    if (bench_parse_args(argc, argv, &cfg) != 0) {
        return 2;
    }
    if (cfg.pending > 0) {
        return bench_pending(&cfg);
    }
    return run_load(&cfg);
}
