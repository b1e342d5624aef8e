/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* sofa-bench: the command line, from one table (getopt_long's tables and the usage text
 * are generated from it). */
#include "bench.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum opt_type {
    OPT_STR,     /* const char * */
    OPT_U32,     /* uint32_t in [lo, hi] */
    OPT_U64,     /* uint64_t in [lo, hi] */
    OPT_SECONDS, /* double > 0, <= hi */
    OPT_FLAG,    /* int set to 1 */
    OPT_COUNT,   /* int incremented */
    OPT_HELP
} opt_type;

typedef struct bench_option {
    const char *name;
    char short_name; /* 0 = long only */
    opt_type type;
    size_t offset; /* into bench_config */
    uint64_t lo, hi;
    const char *metavar;
    const char *help;
} bench_option;

#define CFG(field) offsetof(bench_config, field)

static const bench_option options[] = {
    {"connstr", 'U', OPT_STR, CFG(connstr), 0, 0, "CONNSTR",
     "connection string (default $SOFA_CONNSTR, else couchbase://127.0.0.1/default)"},
    {"username", 'u', OPT_STR, CFG(username), 0, 0, "USER", "user name (default $SOFA_USERNAME)"},
    {"password", 'P', OPT_STR, CFG(password), 0, 0, "PASS", "password (default $SOFA_PASSWORD)"},
    {"threads", 't', OPT_U32, CFG(threads), 1, BENCH_MAX_THREADS, "N",
     "threads, one client each (default 1)"},
    {"batch", 'B', OPT_U32, CFG(batch), 1, BENCH_MAX_BATCH, "N",
     "operations scheduled per batch before waiting (default 100)"},
    {"window", 'W', OPT_U32, CFG(window), 1, BENCH_MAX_WINDOW, "N",
     "batches kept in flight: a batch is replaced as soon as it is answered (default 1)"},
    {"keyspace", 'I', OPT_U64, CFG(keyspace), 1, 9999999999ull, "N",
     "number of distinct keys (default 1000)"},
    {"set-pct", 'r', OPT_U32, CFG(set_percent), 0, 100, "PCT",
     "percentage of sets; the rest are gets (default 33)"},
    {"min-size", 'm', OPT_U32, CFG(min_size), 0, BENCH_MAX_VALUE, "BYTES",
     "smallest value (default 50)"},
    {"max-size", 'M', OPT_U32, CFG(max_size), 0, BENCH_MAX_VALUE, "BYTES",
     "largest value (default 5120)"},
    {"num-ops", 'n', OPT_U64, CFG(ops), 1, UINT64_MAX / 2, "N",
     "total operations (default 100000 unless -d)"},
    {"duration", 'd', OPT_SECONDS, CFG(duration), 0, 86400, "SECONDS",
     "run this long instead of -n"},
    {"timeout", 'T', OPT_SECONDS, CFG(timeout), 0, 86400, "SECONDS",
     "per-operation timeout (default: the connstr's)"},
    {"populate", 0, OPT_FLAG, CFG(populate), 0, 0, NULL,
     "store every key once first (not timed, not counted)"},
    {"pending", 0, OPT_U64, CFG(pending), 1, 100000000, "N",
     "memory test: schedule N operations without waiting, report RSS per 10,000 pending"},
    {"rounds", 0, OPT_U32, CFG(rounds), 1, BENCH_MAX_ROUNDS, "R",
     "--pending: repeat schedule-all/answer-all R times (default 3)"},
    {"seed", 0, OPT_U64, CFG(seed), 0, UINT64_MAX, "N", "random seed (default 1)"},
    {"json", 0, OPT_FLAG, CFG(json), 0, 0, NULL, "print the summary as JSON on stdout"},
    {"verbose", 'v', OPT_COUNT, CFG(verbose), 0, 0, NULL,
     "progress line even when stderr is not a terminal"},
    {"help", 'h', OPT_HELP, 0, 0, 0, NULL, "this help"},
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static void usage(FILE *f)
{
    fprintf(f, "usage: sofa-bench [options]\n");
    for (size_t i = 0; i < NOPTIONS; i++) {
        const bench_option *o = &options[i];
        char lhs[48];
        snprintf(lhs, sizeof(lhs), "%c%c%c --%s%s%s", o->short_name ? '-' : ' ',
                 o->short_name ? o->short_name : ' ', o->short_name ? ',' : ' ', o->name,
                 o->metavar ? " " : "", o->metavar ? o->metavar : "");
        fprintf(f, "  %-26s %s\n", lhs, o->help);
    }
    fprintf(f, "Exit code: 0 when every operation succeeded (a get of a missing key is a miss,\n"
               "not an error), 1 when any failed, 2 for a bad command line, 3 when a client\n"
               "could not connect. See docs/bench.md.\n");
}

static int set_value(const bench_option *o, const char *arg, bench_config *c)
{
    char *field = (char *)c + o->offset;
    char *end = NULL;
    errno = 0;
    switch (o->type) {
    case OPT_STR:
        memcpy(field, &arg, sizeof(arg));
        return 0;
    case OPT_FLAG:
    case OPT_COUNT:
        *(int *)(void *)field = o->type == OPT_FLAG ? 1 : *(int *)(void *)field + 1;
        return 0;
    case OPT_SECONDS: {
        double d = strtod(arg, &end);
        if (errno != 0 || end == arg || *end != '\0' || !isfinite(d) || d <= 0 ||
            d > (double)o->hi) {
            fprintf(stderr, "sofa-bench: invalid --%s '%s' (seconds, > 0)\n", o->name, arg);
            return -1;
        }
        *(double *)(void *)field = d;
        return 0;
    }
    case OPT_U32:
    case OPT_U64: {
        unsigned long long v = arg[0] == '-' ? 0 : strtoull(arg, &end, 10);
        if (arg[0] == '-' || errno != 0 || end == arg || *end != '\0' || v < o->lo || v > o->hi) {
            fprintf(stderr, "sofa-bench: invalid --%s '%s' (expected %llu..%llu)\n", o->name, arg,
                    (unsigned long long)o->lo, (unsigned long long)o->hi);
            return -1;
        }
        if (o->type == OPT_U32) {
            *(uint32_t *)(void *)field = (uint32_t)v;
        } else {
            *(uint64_t *)(void *)field = (uint64_t)v;
        }
        return 0;
    }
    case OPT_HELP:
        break;
    }
    return -1;
}

static int check(bench_config *c)
{
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
    c->timeout_us = c->timeout > 0 ? (uint64_t)(c->timeout * 1e6) + 1 : 0;
    c->progress = c->verbose > 0 || isatty(2);
    return 0;
}

int bench_parse_args(int argc, char **argv, bench_config *c)
{
    struct option longopts[NOPTIONS + 1];
    char shortopts[2 * NOPTIONS + 1];
    size_t ns = 0;
    for (size_t i = 0; i < NOPTIONS; i++) {
        int has_arg = options[i].type <= OPT_SECONDS ? required_argument : no_argument;
        longopts[i] = (struct option){options[i].name, has_arg, NULL, 256 + (int)i};
        if (options[i].short_name != 0) {
            shortopts[ns++] = options[i].short_name;
            if (has_arg == required_argument) {
                shortopts[ns++] = ':';
            }
        }
    }
    longopts[NOPTIONS] = (struct option){NULL, 0, NULL, 0};
    shortopts[ns] = '\0';
    int opt;
    while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        const bench_option *o = NULL;
        for (size_t i = 0; i < NOPTIONS && o == NULL; i++) {
            if (opt == 256 + (int)i || (opt < 256 && opt == options[i].short_name)) {
                o = &options[i];
            }
        }
        if (o == NULL) {
            usage(stderr);
            return -1;
        }
        if (o->type == OPT_HELP) {
            usage(stdout);
            exit(0);
        }
        if (set_value(o, optarg, c) != 0) {
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sofa-bench: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    return check(c);
}
