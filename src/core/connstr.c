/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* Connection strings, part 1: scheme, hosts, bucket, the overall shape.
 * Options and durations are in connstr_opts.c. Rules: docs/connstr.md. */
#include "core/connstr.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/connstr_util.h"
#include "sofa/status.h"

#define MAX_HOSTNAME 253 /* DNS limit, also applied to IPv6 literals */
#define PORT_MGMT 8091u
#define PORT_MGMT_TLS 18091u
#define PORT_KV 11210u
#define PORT_KV_TLS 11207u
#define PORT_MEMCACHED 11211u

/* ------------------------------------------------------------------ helpers */

int sofa__cs_fail(sofa__cs_ctx *ctx, int code, const char *fmt, ...)
{
    if (ctx->errbuf != NULL && ctx->errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(ctx->errbuf, ctx->errlen, fmt, ap);
        va_end(ap);
        if (n < 0) {
            ctx->errbuf[0] = '\0';
        }
    }
    return code;
}

void sofa__cs_quote(char *dst, size_t dstlen, const char *s, size_t n)
{
    if (dstlen == 0) {
        return;
    }
    size_t keep = n > SOFA__CONNSTR_QUOTE_MAX ? SOFA__CONNSTR_QUOTE_MAX : n;
    size_t room = dstlen - 1;
    size_t i = 0;
    for (; i < keep && i < room; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (keep < n) {
        for (int d = 0; d < 3 && i < room; d++) {
            dst[i++] = '.';
        }
    }
    dst[i] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

int sofa__cs_decode(sofa__cs_ctx *ctx, const char *s, size_t n, const char *what, char **out)
{
    char q[SOFA__CONNSTR_QUOTE_MAX + 4];
    *out = NULL;
    char *buf = malloc(n + 1);
    if (buf == NULL) {
        return sofa__cs_fail(ctx, SOFA_E_NO_MEMORY, "out of memory");
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            buf[o++] = s[i];
            continue;
        }
        int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
        int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(buf);
            sofa__cs_quote(q, sizeof(q), s, n);
            return sofa__cs_fail(ctx, SOFA_E_CONNSTR_SYNTAX,
                                 "%s '%s': bad percent-encoding at byte %zu", what, q, i + 1);
        }
        buf[o++] = (char)(hi * 16 + lo);
        i += 2;
    }
    buf[o] = '\0';
    *out = buf;
    return SOFA_OK;
}

int sofa__cs_check_bucket(sofa__cs_ctx *ctx, const char *bucket)
{
    char q[SOFA__CONNSTR_QUOTE_MAX + 4];
    size_t n = strlen(bucket);
    sofa__cs_quote(q, sizeof(q), bucket, n);
    if (n == 0) {
        return sofa__cs_fail(ctx, SOFA_E_CONNSTR_BUCKET, "empty bucket name");
    }
    if (n > SOFA__CONNSTR_MAX_BUCKET) {
        return sofa__cs_fail(ctx, SOFA_E_CONNSTR_BUCKET, "bucket name '%s' longer than %d bytes",
                             q, SOFA__CONNSTR_MAX_BUCKET);
    }
    for (size_t i = 0; i < n; i++) {
        char c = bucket[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-' || c == '%';
        if (!ok) {
            return sofa__cs_fail(ctx, SOFA_E_CONNSTR_BUCKET,
                                 "bucket name '%s' has an invalid character at byte %zu", q, i + 1);
        }
    }
    return SOFA_OK;
}

const char *sofa__scheme_name(sofa__scheme scheme)
{
    switch (scheme) {
    case SOFA__SCHEME_COUCHBASE:
        return "couchbase";
    case SOFA__SCHEME_COUCHBASES:
        return "couchbases";
    case SOFA__SCHEME_HTTP:
        return "http";
    case SOFA__SCHEME_MEMCACHED:
        return "memcached";
    }
    return "?";
}

void sofa__connstr_free(sofa__connstr *cs)
{
    if (cs == NULL) {
        return;
    }
    for (size_t i = 0; i < cs->nhosts; i++) {
        free(cs->hosts[i].host);
    }
    free(cs->hosts);
    free(cs->bucket);
    free(cs->username);
    if (cs->password != NULL) {
        /* Do not leave the password in freed heap memory. */
        volatile char *p = cs->password;
        while (*p != '\0') {
            *p++ = '\0';
        }
        free(cs->password);
    }
    free(cs->iops);
    free(cs->sasl_mech_force);
    free(cs->certpath);
    memset(cs, 0, sizeof(*cs));
}

/* ------------------------------------------------------------------ scheme */

static int parse_scheme(sofa__cs_ctx *ctx, const char *text, const char **rest)
{
    static const struct {
        const char *name;
        sofa__scheme scheme;
    } schemes[] = {{"couchbase", SOFA__SCHEME_COUCHBASE},
                   {"couchbases", SOFA__SCHEME_COUCHBASES},
                   {"http", SOFA__SCHEME_HTTP},
                   {"memcached", SOFA__SCHEME_MEMCACHED}};
    /* A scheme is letters, digits, '+', '-', '.' followed by "://" (RFC 3986). */
    const char *sep = text;
    while ((*sep >= 'a' && *sep <= 'z') || (*sep >= 'A' && *sep <= 'Z') ||
           (*sep >= '0' && *sep <= '9') || *sep == '+' || *sep == '-' || *sep == '.') {
        sep++;
    }
    char q[SOFA__CONNSTR_QUOTE_MAX + 4];
    if (strncmp(sep, "://", 3) != 0) {
        sofa__cs_quote(q, sizeof(q), text, strlen(text));
        return sofa__cs_fail(ctx, SOFA_E_CONNSTR_SCHEME,
                             "missing scheme in '%s' (write couchbase://, couchbases://, http:// "
                             "or memcached://)",
                             q);
    }
    size_t n = (size_t)(sep - text);
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        if (strlen(schemes[i].name) == n && strncasecmp(text, schemes[i].name, n) == 0) {
            ctx->cs->scheme = schemes[i].scheme;
            *rest = sep + 3;
            return SOFA_OK;
        }
    }
    sofa__cs_quote(q, sizeof(q), text, n);
    return sofa__cs_fail(ctx, SOFA_E_CONNSTR_SCHEME, "unknown scheme '%s'", q);
}

/* ------------------------------------------------------------------ hosts */

static int is_tls(const sofa__connstr *cs)
{
    return cs->scheme == SOFA__SCHEME_COUCHBASES;
}

static uint16_t default_port(const sofa__connstr *cs, sofa__host_type type)
{
    if (cs->scheme == SOFA__SCHEME_MEMCACHED) {
        return PORT_MEMCACHED;
    }
    if (type == SOFA__HOST_HTTP) {
        return is_tls(cs) ? PORT_MGMT_TLS : PORT_MGMT;
    }
    return is_tls(cs) ? PORT_KV_TLS : PORT_KV;
}

/* "=type" suffix: sets *type, returns 0 or an error. */
static int parse_host_type(sofa__cs_ctx *ctx, const char *s, size_t n, size_t pos,
                           sofa__host_type *type)
{
    static const struct {
        const char *name;
        sofa__host_type type;
        int tls;
    } types[] = {{"http", SOFA__HOST_HTTP, 0},
                 {"https", SOFA__HOST_HTTP, 1},
                 {"mcd", SOFA__HOST_KV, 0},
                 {"mcds", SOFA__HOST_KV, 1},
                 {"mccompat", SOFA__HOST_KV, 0}};
    char q[SOFA__CONNSTR_QUOTE_MAX + 4];
    sofa__cs_quote(q, sizeof(q), s, n);
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strlen(types[i].name) != n || strncasecmp(s, types[i].name, n) != 0) {
            continue;
        }
        if (types[i].tls != is_tls(ctx->cs)) {
            return sofa__cs_fail(ctx, SOFA_E_CONNSTR_PORT,
                                 "port type '%s' of host at position %zu needs %s", q, pos,
                                 types[i].tls ? "couchbases://" : "a non-TLS scheme");
        }
        if (ctx->cs->scheme == SOFA__SCHEME_MEMCACHED && types[i].type != SOFA__HOST_KV) {
            return sofa__cs_fail(ctx, SOFA_E_CONNSTR_PORT,
                                 "port type '%s' of host at position %zu is not allowed with "
                                 "memcached://",
                                 q, pos);
        }
        *type = types[i].type;
        return SOFA_OK;
    }
    return sofa__cs_fail(ctx, SOFA_E_CONNSTR_PORT,
                         "unknown port type '%s' of host at position %zu", q, pos);
}

static int parse_port(sofa__cs_ctx *ctx, const char *s, size_t n, size_t pos, uint16_t *port)
{
    char q[SOFA__CONNSTR_QUOTE_MAX + 4];
    unsigned long v = 0;
    int ok = n > 0 && n <= 5;
    for (size_t i = 0; ok && i < n; i++) {
        ok = s[i] >= '0' && s[i] <= '9';
        v = v * 10u + (unsigned long)(s[i] - '0');
    }
    if (!ok || v == 0 || v > 65535u) {
        sofa__cs_quote(q, sizeof(q), s, n);
        return sofa__cs_fail(ctx, SOFA_E_CONNSTR_PORT,
                             "invalid port '%s' of host at position %zu (want 1..65535)", q, pos);
    }
    *port = (uint16_t)v;
    return SOFA_OK;
}

static int check_hostname(sofa__cs_ctx *ctx, const char *h, int ipv6, size_t pos)
{
    char q[SOFA__CONNSTR_QUOTE_MAX + 4];
    size_t n = strlen(h);
    sofa__cs_quote(q, sizeof(q), h, n);
    if (n == 0) {
        return sofa__cs_fail(ctx, SOFA_E_CONNSTR_HOST, "empty host at position %zu", pos);
    }
    if (n > MAX_HOSTNAME) {
        return sofa__cs_fail(ctx, SOFA_E_CONNSTR_HOST, "host at position %zu longer than %d bytes",
                             pos, MAX_HOSTNAME);
    }
    int colons = 0;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        int ok;
        if (ipv6) {
            ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                 c == ':' || c == '.';
            colons += c == ':';
        } else {
            ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '.' || c == '_';
        }
        if (!ok) {
            return sofa__cs_fail(ctx, SOFA_E_CONNSTR_HOST,
                                 "invalid character at byte %zu of host '%s' at position %zu",
                                 i + 1, q, pos);
        }
    }
    if (!ipv6 && (h[0] == '-' || h[0] == '.' || strstr(h, "..") != NULL)) {
        return sofa__cs_fail(ctx, SOFA_E_CONNSTR_HOST,
                             "host '%s' at position %zu has an empty or malformed label", q, pos);
    }
    if (ipv6 && colons < 2) {
        return sofa__cs_fail(ctx, SOFA_E_CONNSTR_HOST,
                             "'%s' at position %zu is not an IPv6 address", q, pos);
    }
    return SOFA_OK;
}

/* Finds the name in one raw host spec: [ipv6] or a plain name. On success *name..*name_end
 * is the (still encoded) name and *after what follows it (":port", "=type" or the end). */
static int split_name(sofa__cs_ctx *ctx, const char *s, size_t n, size_t pos, const char **name,
                      const char **name_end, const char **after, int *is_ipv6)
{
    char q[SOFA__CONNSTR_QUOTE_MAX + 4];
    const char *end = s + n;
    if (s[0] == '[') {
        const char *rb = memchr(s, ']', n);
        if (rb == NULL) {
            sofa__cs_quote(q, sizeof(q), s, n);
            return sofa__cs_fail(ctx, SOFA_E_CONNSTR_HOST,
                                 "missing ']' in host '%s' at position %zu", q, pos);
        }
        *name = s + 1;
        *name_end = rb;
        *after = rb + 1;
        *is_ipv6 = 1;
        if (rb + 1 < end && rb[1] != ':' && rb[1] != '=') {
            sofa__cs_quote(q, sizeof(q), s, n);
            return sofa__cs_fail(ctx, SOFA_E_CONNSTR_HOST,
                                 "unexpected text after ']' in host '%s' at position %zu", q, pos);
        }
        return SOFA_OK;
    }
    const char *e = s;
    while (e < end && *e != ':' && *e != '=') {
        e++;
    }
    size_t tail = (size_t)(end - e);
    if (tail > 1 && *e == ':' && memchr(e + 1, ':', tail - 1) != NULL) {
        sofa__cs_quote(q, sizeof(q), s, n);
        return sofa__cs_fail(ctx, SOFA_E_CONNSTR_HOST,
                             "host '%s' at position %zu: write IPv6 addresses in brackets, "
                             "e.g. [::1]:11210",
                             q, pos);
    }
    *name = s;
    *name_end = e;
    *after = e;
    *is_ipv6 = 0;
    return SOFA_OK;
}

/* Parses one raw host spec (name, port, type) into *h. */
static int parse_host(sofa__cs_ctx *ctx, const char *s, size_t n, size_t pos, sofa__host *h)
{
    char q[SOFA__CONNSTR_QUOTE_MAX + 4];
    const char *end = s + n;
    const char *name = s, *name_end = s, *after = s;
    memset(h, 0, sizeof(*h));
    if (n == 0) {
        return sofa__cs_fail(ctx, SOFA_E_CONNSTR_HOST, "empty host at position %zu", pos);
    }
    int rc = split_name(ctx, s, n, pos, &name, &name_end, &after, &h->is_ipv6);
    if (rc != SOFA_OK) {
        return rc;
    }
    size_t tail = after < end ? (size_t)(end - after) : 0;
    const char *eq = tail > 0 ? memchr(after, '=', tail) : NULL;
    const char *port_s = NULL, *port_e = NULL;
    if (after < end && *after == ':') {
        port_s = after + 1;
        port_e = eq != NULL ? eq : end;
    }
    if (eq != NULL && port_s == NULL) {
        sofa__cs_quote(q, sizeof(q), s, n);
        return sofa__cs_fail(ctx, SOFA_E_CONNSTR_PORT,
                             "host '%s' at position %zu has a port type but no port", q, pos);
    }
    rc = sofa__cs_decode(ctx, name, (size_t)(name_end - name), "host", &h->host);
    if (rc == SOFA_OK) {
        rc = check_hostname(ctx, h->host, h->is_ipv6, pos);
    }
    h->type = ctx->cs->scheme == SOFA__SCHEME_HTTP ? SOFA__HOST_HTTP : SOFA__HOST_KV;
    if (rc == SOFA_OK && eq != NULL) {
        rc = parse_host_type(ctx, eq + 1, (size_t)(end - eq - 1), pos, &h->type);
    }
    if (rc == SOFA_OK && port_s != NULL) {
        rc = parse_port(ctx, port_s, (size_t)(port_e - port_s), pos, &h->port);
        h->port_given = 1;
    }
    if (rc != SOFA_OK) {
        free(h->host);
        h->host = NULL;
        return rc;
    }
    /* couchbase://host:8091 (couchbases://host:18091) without a type is a common
     * mistake: the management port given to a KV scheme. The port is ignored. */
    if (h->port_given && eq == NULL &&
        ((ctx->cs->scheme == SOFA__SCHEME_COUCHBASE && h->port == PORT_MGMT) ||
         (ctx->cs->scheme == SOFA__SCHEME_COUCHBASES && h->port == PORT_MGMT_TLS))) {
        h->port_given = 0;
    }
    if (!h->port_given) {
        h->port = default_port(ctx->cs, h->type);
    }
    return SOFA_OK;
}

static int same_host(const sofa__host *a, const sofa__host *b)
{
    return a->port == b->port && a->type == b->type && strcasecmp(a->host, b->host) == 0;
}

static int parse_hosts(sofa__cs_ctx *ctx, const char *s, size_t n)
{
    sofa__connstr *cs = ctx->cs;
    if (n == 0) {
        return sofa__cs_fail(ctx, SOFA_E_CONNSTR_HOST, "no host given");
    }
    size_t count = 1;
    for (size_t i = 0; i < n; i++) {
        count += s[i] == ',' || s[i] == ';';
    }
    if (count > SOFA__CONNSTR_MAX_HOSTS) {
        return sofa__cs_fail(ctx, SOFA_E_CONNSTR_HOST, "more than %d hosts",
                             SOFA__CONNSTR_MAX_HOSTS);
    }
    cs->hosts = calloc(count, sizeof(*cs->hosts));
    if (cs->hosts == NULL) {
        return sofa__cs_fail(ctx, SOFA_E_NO_MEMORY, "out of memory");
    }
    const char *p = s, *end = s + n;
    for (size_t pos = 1; pos <= count; pos++) {
        const char *e = p;
        while (e < end && *e != ',' && *e != ';') {
            e++;
        }
        sofa__host h;
        int rc = parse_host(ctx, p, (size_t)(e - p), pos, &h);
        if (rc != SOFA_OK) {
            return rc;
        }
        int dup = 0;
        for (size_t i = 0; i < cs->nhosts && !dup; i++) {
            dup = same_host(&cs->hosts[i], &h);
        }
        if (dup) {
            free(h.host); /* the same node twice: keep the first */
        } else {
            cs->hosts[cs->nhosts++] = h;
        }
        p = e + 1;
    }
    return SOFA_OK;
}

/* ------------------------------------------------------------------ bucket, options */

static int parse_bucket(sofa__cs_ctx *ctx, const char *s, size_t n)
{
    if (n == 0) {
        return SOFA_OK; /* "couchbase://h/" : no bucket in the path */
    }
    if (ctx->cs->scheme == SOFA__SCHEME_MEMCACHED) {
        return sofa__cs_fail(ctx, SOFA_E_CONNSTR_BUCKET, "memcached:// takes no bucket");
    }
    if (memchr(s, '/', n) != NULL) {
        char q[SOFA__CONNSTR_QUOTE_MAX + 4];
        sofa__cs_quote(q, sizeof(q), s, n);
        return sofa__cs_fail(ctx, SOFA_E_CONNSTR_BUCKET, "bucket path '%s' has more than one "
                             "segment", q);
    }
    int rc = sofa__cs_decode(ctx, s, n, "bucket", &ctx->cs->bucket);
    if (rc == SOFA_OK) {
        rc = sofa__cs_check_bucket(ctx, ctx->cs->bucket);
    }
    ctx->bucket_in_path = rc == SOFA_OK;
    return rc;
}

static int parse_options(sofa__cs_ctx *ctx, const char *s, size_t n)
{
    const char *p = s, *end = s + n;
    while (p < end) {
        const char *e = memchr(p, '&', (size_t)(end - p));
        if (e == NULL) {
            e = end;
        }
        if (e > p) { /* empty pieces ("a=1&&b=2", a trailing '&') are skipped */
            int rc = sofa__cs_option(ctx, p, (size_t)(e - p));
            if (rc != SOFA_OK) {
                return rc;
            }
        }
        p = e + 1;
    }
    return SOFA_OK;
}

static int finish(sofa__cs_ctx *ctx)
{
    sofa__connstr *cs = ctx->cs;
    if (cs->ipv6 == SOFA__IPV6_DISABLED) {
        for (size_t i = 0; i < cs->nhosts; i++) {
            if (cs->hosts[i].is_ipv6) {
                return sofa__cs_fail(ctx, SOFA_E_CONNSTR_VALUE,
                                     "IPv6 host at position %zu but ipv6=disabled", i + 1);
            }
        }
    }
    if (cs->bucket == NULL && cs->scheme != SOFA__SCHEME_MEMCACHED) {
        cs->bucket = strdup("default");
        if (cs->bucket == NULL) {
            return sofa__cs_fail(ctx, SOFA_E_NO_MEMORY, "out of memory");
        }
    }
    /* http:// on a port other than 8091 says nothing about where KV listens:
     * unless bootstrap_on was given, bootstrap over HTTP only. */
    if (cs->scheme == SOFA__SCHEME_HTTP && !ctx->bootstrap_given) {
        for (size_t i = 0; i < cs->nhosts; i++) {
            if (cs->hosts[i].type == SOFA__HOST_HTTP && cs->hosts[i].port != PORT_MGMT) {
                cs->bootstrap_on = SOFA__BOOTSTRAP_HTTP;
            }
        }
    }
    return SOFA_OK;
}

int sofa__connstr_parse(const char *text, sofa__connstr *out, char *errbuf, size_t errlen)
{
    if (errbuf != NULL && errlen > 0) {
        errbuf[0] = '\0';
    }
    sofa__cs_ctx ctx = {.cs = out, .errbuf = errbuf, .errlen = errlen};
    if (out == NULL) {
        return sofa__cs_fail(&ctx, SOFA_E_INVALID_ARGUMENT, "no output structure");
    }
    memset(out, 0, sizeof(*out));
    if (text == NULL) {
        return sofa__cs_fail(&ctx, SOFA_E_INVALID_ARGUMENT, "connection string is NULL");
    }
    size_t len = strnlen(text, SOFA__CONNSTR_MAX_LEN + 1);
    if (len > SOFA__CONNSTR_MAX_LEN) {
        return sofa__cs_fail(&ctx, SOFA_E_CONNSTR_SYNTAX,
                             "connection string longer than %d bytes", SOFA__CONNSTR_MAX_LEN);
    }
    sofa__cs_defaults(out);
    const char *rest = NULL;
    int rc = parse_scheme(&ctx, text, &rest);
    if (rc == SOFA_OK) {
        const char *end = text + len;
        const char *qm = strchr(rest, '?');
        const char *hosts_end = rest;
        while (hosts_end < end && *hosts_end != '/' && *hosts_end != '?') {
            hosts_end++;
        }
        out->tls = out->scheme == SOFA__SCHEME_COUCHBASES;
        rc = parse_hosts(&ctx, rest, (size_t)(hosts_end - rest));
        if (rc == SOFA_OK && *hosts_end == '/') {
            const char *b_end = qm != NULL ? qm : end;
            rc = parse_bucket(&ctx, hosts_end + 1, (size_t)(b_end - hosts_end - 1));
        }
        if (rc == SOFA_OK && qm != NULL) {
            rc = parse_options(&ctx, qm + 1, (size_t)(end - qm - 1));
        }
        if (rc == SOFA_OK) {
            rc = finish(&ctx);
        }
    }
    if (rc != SOFA_OK) {
        sofa__connstr_free(out);
    }
    return rc;
}
