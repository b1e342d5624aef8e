/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * Connection strings: a sans-I/O parser (no DNS, no sockets, no logging).
 *
 *   scheme://host[:port][=type][,host[:port][=type]...][/bucket][?key=value[&key=value...]]
 *
 * Schemes: couchbase:// (KV, default port 11210), couchbases:// (TLS, 11207),
 * http:// (HTTP bootstrap, 8091), memcached:// (plain memcached, 11211, no bucket).
 * A string without "://" is an error (SOFA_E_CONNSTR_SCHEME): guessing "http" hides
 * typos such as "couchbse:/host", so sofa asks for the scheme to be written out.
 * See docs/connstr.md for every rule and option.
 */
#ifndef SOFA_CORE_CONNSTR_H
#define SOFA_CORE_CONNSTR_H

#include <stddef.h>
#include <stdint.h>

/* Named limits. */
#define SOFA__CONNSTR_MAX_LEN 4096  /* whole string, bytes */
#define SOFA__CONNSTR_MAX_HOSTS 128 /* hosts in one string */
#define SOFA__CONNSTR_MAX_BUCKET 100 /* bucket name, bytes after decoding */

typedef enum sofa__scheme {
    SOFA__SCHEME_COUCHBASE,
    SOFA__SCHEME_COUCHBASES,
    SOFA__SCHEME_HTTP,
    SOFA__SCHEME_MEMCACHED
} sofa__scheme;

/* The service behind a host's port. */
typedef enum sofa__host_type { SOFA__HOST_KV, SOFA__HOST_HTTP } sofa__host_type;

typedef struct sofa__host {
    char *host;           /* decoded; no brackets for IPv6 */
    uint16_t port;        /* explicit, or the scheme's default */
    sofa__host_type type; /* explicit "=type" suffix, or the scheme's */
    int port_given;       /* 1 if the port came from the string (and was kept) */
    int is_ipv6;          /* 1 if given as [literal] */
} sofa__host;

enum { SOFA__BOOTSTRAP_CCCP = 1, SOFA__BOOTSTRAP_HTTP = 2 };

typedef enum sofa__ipv6 { SOFA__IPV6_DISABLED, SOFA__IPV6_ALLOW, SOFA__IPV6_ONLY } sofa__ipv6;

typedef struct sofa__connstr {
    sofa__scheme scheme;
    sofa__host *hosts;
    size_t nhosts;
    char *bucket;              /* default "default" for couchbase schemes, NULL for memcached:// */
    char *username, *password; /* from options, may be NULL */
    uint64_t operation_timeout_us;    /* default 2.5 s */
    uint64_t query_timeout_us;        /* default 75 s */
    uint64_t view_timeout_us;         /* default 75 s */
    uint64_t durability_timeout_us;   /* default 5 s */
    uint64_t durability_interval_us;  /* default 100 ms */
    uint64_t config_total_timeout_us; /* default 5 s */
    uint64_t config_node_timeout_us;  /* default 2 s */
    uint64_t config_poll_interval_us; /* default 2.5 s */
    int bootstrap_on;      /* SOFA__BOOTSTRAP_* bitmask; default CCCP|HTTP */
    char *iops;            /* plugin name or NULL */
    int tcp_nodelay;       /* default 1 */
    char *sasl_mech_force; /* NULL or mechanism name (upper-cased as given) */
    sofa__ipv6 ipv6;       /* default SOFA__IPV6_ALLOW */
    int log_level;         /* -1 = not given, else a sofa_log_level 0..4 (or -1 for "off") */
    int tls;               /* 1 for couchbases:// */
    /* Extra options (beyond the brief's list). */
    char *certpath;             /* CA file for TLS (certpath= or truststorepath=), or NULL */
    int tls_no_verify;          /* ssl=no_verify: accept any server certificate (unsafe) */
    int log_level_given;        /* 1 if log_level was in the string (also for "off") */
    int enable_mutation_tokens; /* default 1 */
} sofa__connstr;

/* Parse @text into @out (fully owned, free with sofa__connstr_free()).
 * Returns 0, or a SOFA_E_CONNSTR_* code (SOFA_E_INVALID_ARGUMENT for NULL text/out,
 * SOFA_E_NO_MEMORY) with a message in errbuf naming the offending part (e.g.
 * "unknown option 'foo'", "option 'operation_timeout' given twice", "empty host at
 * position 2"). On error *out is left zeroed. errbuf may be NULL when errlen is 0. */
int sofa__connstr_parse(const char *text, sofa__connstr *out, char *errbuf, size_t errlen);

/* NULL-safe; leaves *cs zeroed. */
void sofa__connstr_free(sofa__connstr *cs);

/* Duration: a decimal number with an optional unit: "us", "ms", "s", "m", "h".
 * A plain number means SECONDS (the libcouchbase convention: "operation_timeout=2.5").
 * Fractions allowed ("2.5s", "0.5ms"); result rounded down to whole microseconds.
 * Returns 0, or SOFA_E_CONNSTR_VALUE for an empty/malformed/negative value or one that
 * does not fit in uint64 microseconds. */
int sofa__parse_duration(const char *text, uint64_t *out_us);

/* "couchbase", "couchbases", "http", "memcached". */
const char *sofa__scheme_name(sofa__scheme scheme);

#endif /* SOFA_CORE_CONNSTR_H */
