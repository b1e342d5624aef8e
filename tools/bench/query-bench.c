/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * query-bench: N1QL streaming throughput and client memory (public API only).
 *
 *   query-bench [-U CONNSTR] [-u USER] [-P PASS] [-n RUNS] [--rows N]... [--json]
 *               [STATEMENT]
 *
 * For each --rows N (default: 10000 and 100000) it runs STATEMENT with $1 = N
 * (default "SELECT RAW d FROM default d WHERE d.type = 'row' AND d.n < $1", the
 * documents of `sofa-mock --sample rows:100000`) RUNS times and reports rows/s,
 * MB/s of row data, the time to the first row, and the growth of the resident
 * set (VmRSS, sampled at every batch of rows) above the level before the query:
 * with streaming it must not grow with the number of rows. The process's peak
 * resident set (VmHWM) after each size is printed too: it stays flat from 10,000
 * to 100,000 rows. The client's CPU time
 * (user + system) per run shows the client's own cost when the server is the
 * bottleneck (as sofa-mock is).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <sofa/sofa.h>
#include <sofa/query.h>

#define MAX_SIZES 8

typedef struct run_stats {
    size_t rows;
    size_t bytes;
    double t_start, t_first, t_end;
    double cpu; /* client CPU seconds (user + system) */
    long rss_base_kib, rss_max_kib;
    int status;
    int done;
    char msg[256];
} run_stats;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A "Vm...:" field in KiB from /proc/self/status; -1 when unknown. */
static long status_kib(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) {
        return -1;
    }
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, field, n) == 0) {
            v = strtol(line + n, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

static long rss_kib(void)
{
    return status_kib("VmRSS:");
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void on_rows(sofa_client *c, const sofa_row *rows, size_t n, void *cookie)
{
    run_stats *s = cookie;
    (void)c;
    if (s->rows == 0) {
        s->t_first = now_s();
    }
    for (size_t i = 0; i < n; i++) {
        s->bytes += rows[i].len;
    }
    s->rows += n;
    long r = rss_kib();
    if (r > s->rss_max_kib) {
        s->rss_max_kib = r;
    }
}

static void on_done(sofa_client *c, const sofa_query_meta *m, void *cookie)
{
    run_stats *s = cookie;
    (void)c;
    (void)m;
    s->t_end = now_s();
    s->done = 1;
}

static void on_error(sofa_client *c, sofa_status st, const sofa_query_meta *m, void *cookie)
{
    run_stats *s = cookie;
    (void)c;
    s->t_end = now_s();
    s->done = 1;
    s->status = st;
    snprintf(s->msg, sizeof(s->msg), "%s", m->error_msg);
}

static int one_run(sofa_client *c, const char *stmt, size_t nrows, run_stats *s)
{
    memset(s, 0, sizeof(*s));
    char arg[32];
    snprintf(arg, sizeof(arg), "%zu", nrows);
    const char *args[] = {arg};
    sofa_query_opts o = SOFA_QUERY_OPTS_INIT;
    o.args = args;
    o.nargs = 1;
    static const sofa_query_callbacks cbs = {on_rows, on_done, on_error};
    s->rss_base_kib = rss_kib();
    s->rss_max_kib = s->rss_base_kib;
    s->t_start = now_s();
    double cpu0 = cpu_s();
    int rc = sofa_query_start(c, stmt, &o, &cbs, s, NULL);
    if (rc != 0) {
        return rc;
    }
    sofa_client_wait(c);
    s->cpu = cpu_s() - cpu0;
    return s->done ? s->status : SOFA_E_INTERNAL;
}

static void usage(void)
{
    fprintf(stderr, "usage: query-bench [-U CONNSTR] [-u USER] [-P PASS] [-n RUNS] "
                    "[--rows N]... [--json] [STATEMENT]\n");
}

int main(int argc, char **argv)
{
    const char *connstr = getenv("SOFA_CONNSTR"), *user = "Administrator", *pass = "password";
    const char *stmt = "SELECT RAW d FROM default d WHERE d.type = 'row' AND d.n < $1";
    size_t sizes[MAX_SIZES], nsizes = 0;
    int runs = 3, json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-U") == 0 && v) {
            connstr = v, i++;
        } else if (strcmp(a, "-u") == 0 && v) {
            user = v, i++;
        } else if (strcmp(a, "-P") == 0 && v) {
            pass = v, i++;
        } else if (strcmp(a, "-n") == 0 && v) {
            runs = atoi(v), i++;
        } else if (strcmp(a, "--rows") == 0 && v && nsizes < MAX_SIZES) {
            sizes[nsizes++] = (size_t)strtoul(v, NULL, 10), i++;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (a[0] != '-') {
            stmt = a;
        } else {
            usage();
            return 2;
        }
    }
    if (runs < 1) {
        usage();
        return 2;
    }
    if (nsizes == 0) {
        sizes[nsizes++] = 10000;
        sizes[nsizes++] = 100000;
    }
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = connstr ? connstr : "couchbase://127.0.0.1/default";
    o.username = user;
    o.password = pass;
    sofa_client *c;
    char err[256];
    if (sofa_client_new(&c, &o, err, sizeof(err)) != 0) {
        fprintf(stderr, "query-bench: %s\n", err);
        return 2;
    }
    sofa_client_connect(c, NULL, NULL);
    sofa_client_wait(c);
    if (!sofa_client_is_connected(c)) {
        fprintf(stderr, "query-bench: cannot connect:\n%s", sofa_client_bootstrap_report(c));
        sofa_client_free(c);
        return 3;
    }
    int failed = 0;
    if (json) {
        printf("[");
    }
    for (size_t k = 0; k < nsizes; k++) {
        double best_rps = 0, best_mbs = 0, first_ms = 0, cpu = 0;
        long growth = 0;
        size_t rows = 0, bytes = 0;
        for (int r = 0; r < runs; r++) {
            run_stats s;
            int rc = one_run(c, stmt, sizes[k], &s);
            if (rc != 0) {
                fprintf(stderr, "query-bench: %s: %s\n", sofa_status_name(rc), s.msg);
                failed = 1;
                break;
            }
            double secs = s.t_end - s.t_start;
            double rps = secs > 0 ? (double)s.rows / secs : 0;
            double mbs = secs > 0 ? (double)s.bytes / secs / 1e6 : 0;
            if (rps > best_rps) {
                best_rps = rps;
                best_mbs = mbs;
                first_ms = (s.t_first - s.t_start) * 1e3;
                cpu = s.cpu;
            }
            if (s.rss_max_kib - s.rss_base_kib > growth) {
                growth = s.rss_max_kib - s.rss_base_kib;
            }
            rows = s.rows;
            bytes = s.bytes;
        }
        if (failed) {
            break;
        }
        if (json) {
            printf("%s{\"rows\":%zu,\"bytes\":%zu,\"rows_per_s\":%.0f,\"mb_per_s\":%.1f,"
                   "\"first_row_ms\":%.2f,\"client_cpu_s\":%.3f,\"rss_growth_kib\":%ld,"
                   "\"peak_rss_kib\":%ld}",
                   k ? "," : "", rows, bytes, best_rps, best_mbs, first_ms, cpu, growth,
                   status_kib("VmHWM:"));
        } else {
            printf("%8zu rows  %7.1f MB  %10.0f rows/s  %7.1f MB/s  first row %7.2f ms  "
                   "client CPU %6.3f s  RSS growth %6ld KiB  peak RSS %6ld KiB (best of %d)\n",
                   rows, (double)bytes / 1e6, best_rps, best_mbs, first_ms, cpu, growth,
                   status_kib("VmHWM:"), runs);
        }
    }
    if (json) {
        printf("]\n");
    }
    sofa_client_free(c);
    return failed;
}
