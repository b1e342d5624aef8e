/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* Connection strings, part 2: the "?key=value" options and durations. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/connstr.h"
#include "core/connstr_util.h"
#include "sofa/log.h"
#include "sofa/status.h"

#define US_PER_MS 1000ull
#define US_PER_S 1000000ull
#define MAX_DURATION_US (24ull * 3600ull * US_PER_S) /* one day */
#define MAX_FRACTION_DIGITS 9                         /* further digits are ignored */
#define MAX_IOPS_NAME 64
#define MAX_STRING_OPTION 1024 /* username, password, certpath */

/* ------------------------------------------------------------------ durations */

int sofa__parse_duration(const char *text, uint64_t *out_us)
{
    static const struct {
        const char *unit;
        uint64_t us;
    } units[] = {{"", US_PER_S},  {"us", 1},       {"ms", US_PER_MS},
                 {"s", US_PER_S}, {"m", 60 * US_PER_S}, {"h", 3600 * US_PER_S}};
    if (text == NULL || out_us == NULL) {
        return SOFA_E_CONNSTR_VALUE;
    }
    const char *p = text;
    uint64_t whole = 0, frac = 0, frac_scale = 1;
    if (*p < '0' || *p > '9') {
        return SOFA_E_CONNSTR_VALUE; /* empty, sign, space or a leading '.' */
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        if (whole > MAX_DURATION_US) {
            return SOFA_E_CONNSTR_VALUE; /* keeps the multiplication below in range */
        }
        whole = whole * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9') {
            return SOFA_E_CONNSTR_VALUE; /* "5." */
        }
        int digits = 0;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (digits < MAX_FRACTION_DIGITS) {
                frac = frac * 10 + (uint64_t)(*p - '0');
                frac_scale *= 10;
                digits++;
            }
        }
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(p, units[i].unit) != 0) {
            continue;
        }
        uint64_t mult = units[i].us;
        /* whole <= MAX_DURATION_US * 10 + 9 here, so compare before multiplying. */
        if (whole > MAX_DURATION_US / mult) {
            return SOFA_E_CONNSTR_VALUE;
        }
        /* frac < 10^9 and mult <= 3.6e9, so frac * mult < 3.6e18 fits. */
        uint64_t v = whole * mult + frac * mult / frac_scale;
        if (v > MAX_DURATION_US) {
            return SOFA_E_CONNSTR_VALUE;
        }
        *out_us = v;
        return SOFA_OK;
    }
    return SOFA_E_CONNSTR_VALUE;
}

/* ------------------------------------------------------------------ option table */

typedef enum opt_kind {
    K_DURATION,      /* positive duration */
    K_DURATION_ZERO, /* duration, 0 allowed (0 = off) */
    K_BOOL,
    K_STRING,        /* non-empty */
    K_STRING_EMPTY,  /* may be empty (password) */
    K_SPECIAL        /* handled by name in apply_special() */
} opt_kind;

typedef struct opt_def {
    const char *name;
    opt_kind kind;
    size_t offset; /* of the field in sofa__connstr (unused for K_SPECIAL) */
} opt_def;

#define F(field) offsetof(sofa__connstr, field)
static const opt_def options[] = {
    {"bootstrap_on", K_SPECIAL, 0},
    {"bucket", K_SPECIAL, 0},
    {"username", K_STRING, F(username)},
    {"password", K_STRING_EMPTY, F(password)},
    {"operation_timeout", K_DURATION, F(operation_timeout_us)},
    {"query_timeout", K_DURATION, F(query_timeout_us)},
    {"view_timeout", K_DURATION, F(view_timeout_us)},
    {"durability_timeout", K_DURATION, F(durability_timeout_us)},
    {"durability_interval", K_DURATION, F(durability_interval_us)},
    {"config_total_timeout", K_DURATION, F(config_total_timeout_us)},
    {"config_node_timeout", K_DURATION, F(config_node_timeout_us)},
    {"config_poll_interval", K_DURATION_ZERO, F(config_poll_interval_us)},
    {"iops", K_SPECIAL, 0},
    {"tcp_nodelay", K_BOOL, F(tcp_nodelay)},
    {"sasl_mech_force", K_SPECIAL, 0},
    {"ipv6", K_SPECIAL, 0},
    {"log_level", K_SPECIAL, 0},
    {"certpath", K_SPECIAL, 0},
    {"truststorepath", K_SPECIAL, 0},
    {"ssl", K_SPECIAL, 0},
    {"enable_mutation_tokens", K_BOOL, F(enable_mutation_tokens)},
};
#undef F
#define NOPTIONS (sizeof(options) / sizeof(options[0]))
_Static_assert(NOPTIONS <= 32, "sofa__cs_ctx.seen has one bit per option");

void sofa__cs_defaults(sofa__connstr *cs)
{
    cs->operation_timeout_us = 2500 * US_PER_MS;
    cs->query_timeout_us = 75 * US_PER_S;
    cs->view_timeout_us = 75 * US_PER_S;
    cs->durability_timeout_us = 5 * US_PER_S;
    cs->durability_interval_us = 100 * US_PER_MS;
    cs->config_total_timeout_us = 5 * US_PER_S;
    cs->config_node_timeout_us = 2 * US_PER_S;
    cs->config_poll_interval_us = 2500 * US_PER_MS;
    cs->bootstrap_on = SOFA__BOOTSTRAP_CCCP | SOFA__BOOTSTRAP_HTTP;
    cs->tcp_nodelay = 1;
    cs->ipv6 = SOFA__IPV6_ALLOW;
    cs->log_level = -1;
    cs->enable_mutation_tokens = 1;
}

static int bad_value(sofa__cs_ctx *ctx, const opt_def *o, const char *v, const char *want)
{
    char q[SOFA__CONNSTR_QUOTE_MAX + 4];
    sofa__cs_quote(q, sizeof(q), v, strlen(v));
    return sofa__cs_fail(ctx, SOFA_E_CONNSTR_VALUE, "invalid value '%s' for option '%s' (%s)", q,
                         o->name, want);
}

static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = {"1", "true", "on", "yes"};
    static const char *const no[] = {"0", "false", "off", "no"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = 1;
            return 1;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = 0;
            return 1;
        }
    }
    return 0;
}

static int take_string(sofa__cs_ctx *ctx, char **field, char *v)
{
    free(*field); /* not reached twice: duplicates are refused before */
    *field = v;
    (void)ctx;
    return SOFA_OK;
}

/* Options whose value is one of a few words or needs its own check. Takes @v. */
static int apply_special(sofa__cs_ctx *ctx, const opt_def *o, char *v)
{
    sofa__connstr *cs = ctx->cs;
    int rc = SOFA_OK;
    if (strcmp(o->name, "bootstrap_on") == 0) {
        ctx->bootstrap_given = 1;
        if (strcasecmp(v, "cccp") == 0) {
            cs->bootstrap_on = SOFA__BOOTSTRAP_CCCP;
        } else if (strcasecmp(v, "http") == 0) {
            cs->bootstrap_on = SOFA__BOOTSTRAP_HTTP;
        } else if (strcasecmp(v, "all") == 0) {
            cs->bootstrap_on = SOFA__BOOTSTRAP_CCCP | SOFA__BOOTSTRAP_HTTP;
        } else {
            rc = bad_value(ctx, o, v, "cccp, http or all");
        }
    } else if (strcmp(o->name, "ipv6") == 0) {
        if (strcasecmp(v, "allow") == 0) {
            cs->ipv6 = SOFA__IPV6_ALLOW;
        } else if (strcasecmp(v, "only") == 0) {
            cs->ipv6 = SOFA__IPV6_ONLY;
        } else if (strcasecmp(v, "disabled") == 0) {
            cs->ipv6 = SOFA__IPV6_DISABLED;
        } else {
            rc = bad_value(ctx, o, v, "allow, only or disabled");
        }
    } else if (strcmp(o->name, "log_level") == 0) {
        sofa_log_level lvl;
        if (sofa_log_level_parse(v, &lvl) == SOFA_OK) {
            cs->log_level = (int)lvl;
            cs->log_level_given = 1;
        } else {
            rc = bad_value(ctx, o, v, "error, warn, info, debug, trace, off or 0..4");
        }
    } else if (strcmp(o->name, "bucket") == 0) {
        if (cs->scheme == SOFA__SCHEME_MEMCACHED) {
            rc = sofa__cs_fail(ctx, SOFA_E_CONNSTR_BUCKET, "memcached:// takes no bucket");
        } else if (ctx->bucket_in_path) {
            rc = sofa__cs_fail(ctx, SOFA_E_CONNSTR_DUPLICATE,
                               "option 'bucket' given twice (also in the path)");
        } else if ((rc = sofa__cs_check_bucket(ctx, v)) == SOFA_OK) {
            return take_string(ctx, &cs->bucket, v);
        }
    } else if (strcmp(o->name, "iops") == 0) {
        size_t n = strlen(v);
        int ok = n > 0 && n <= MAX_IOPS_NAME;
        for (size_t i = 0; ok && i < n; i++) {
            ok = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') || v[i] == '_';
        }
        if (ok) {
            return take_string(ctx, &cs->iops, v);
        }
        rc = bad_value(ctx, o, v, "a plugin name of a-z, 0-9 and _");
    } else if (strcmp(o->name, "certpath") == 0 || strcmp(o->name, "truststorepath") == 0) {
        /* Two names for one setting (libcouchbase spells it both ways). */
        if (cs->certpath != NULL) {
            rc = sofa__cs_fail(ctx, SOFA_E_CONNSTR_DUPLICATE,
                               "option '%s': the CA file was already given (certpath and "
                               "truststorepath are the same setting)",
                               o->name);
        } else if (strlen(v) > MAX_STRING_OPTION) {
            rc = sofa__cs_fail(ctx, SOFA_E_CONNSTR_VALUE,
                               "value of option '%s' longer than %d bytes", o->name,
                               MAX_STRING_OPTION);
        } else {
            return take_string(ctx, &cs->certpath, v);
        }
    } else if (strcmp(o->name, "ssl") == 0) {
        if (cs->scheme != SOFA__SCHEME_COUCHBASES) {
            rc = sofa__cs_fail(ctx, SOFA_E_CONNSTR_VALUE,
                               "option 'ssl' needs couchbases:// (TLS is chosen by the scheme)");
        } else if (strcasecmp(v, "no_verify") == 0) {
            cs->tls_no_verify = 1;
        } else if (strcasecmp(v, "on") != 0) {
            rc = bad_value(ctx, o, v, "on or no_verify");
        }
    } else if (strcmp(o->name, "sasl_mech_force") == 0) {
        static const char *const mechs[] = {"PLAIN",        "SCRAM-SHA1",    "SCRAM-SHA256",
                                            "SCRAM-SHA512", "SCRAM-SHA-1",   "SCRAM-SHA-256",
                                            "SCRAM-SHA-512"};
        for (size_t i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++) {
            if (strcasecmp(v, mechs[i]) == 0) {
                memcpy(v, mechs[i], strlen(mechs[i])); /* same length: canonical case */
                return take_string(ctx, &cs->sasl_mech_force, v);
            }
        }
        rc = bad_value(ctx, o, v, "PLAIN, SCRAM-SHA1, SCRAM-SHA256 or SCRAM-SHA512");
    }
    free(v);
    return rc;
}

static int apply(sofa__cs_ctx *ctx, const opt_def *o, char *v)
{
    char *base = (char *)ctx->cs;
    if (o->kind == K_SPECIAL) {
        return apply_special(ctx, o, v);
    }
    if (o->kind == K_STRING || o->kind == K_STRING_EMPTY) {
        if (strlen(v) > MAX_STRING_OPTION) {
            free(v);
            return sofa__cs_fail(ctx, SOFA_E_CONNSTR_VALUE,
                                 "value of option '%s' longer than %d bytes", o->name,
                                 MAX_STRING_OPTION);
        }
        return take_string(ctx, (char **)(void *)(base + o->offset), v);
    }
    int rc = SOFA_OK;
    if (o->kind == K_BOOL) {
        if (!parse_bool(v, (int *)(void *)(base + o->offset))) {
            rc = bad_value(ctx, o, v, "true/false, on/off, yes/no or 1/0");
        }
    } else {
        uint64_t us = 0;
        if (sofa__parse_duration(v, &us) != SOFA_OK || (us == 0 && o->kind == K_DURATION)) {
            rc = bad_value(ctx, o, v,
                           o->kind == K_DURATION
                               ? "a positive duration up to 24h such as 2.5s, 500ms, 100us"
                               : "a duration up to 24h such as 2.5s, or 0 for off");
        } else {
            memcpy(base + o->offset, &us, sizeof(us));
        }
    }
    free(v);
    return rc;
}

int sofa__cs_option(sofa__cs_ctx *ctx, const char *kv, size_t n)
{
    char q[SOFA__CONNSTR_QUOTE_MAX + 4];
    const char *eq = memchr(kv, '=', n);
    if (eq == NULL) {
        sofa__cs_quote(q, sizeof(q), kv, n);
        return sofa__cs_fail(ctx, SOFA_E_CONNSTR_SYNTAX, "option '%s' has no '=value'", q);
    }
    char *key = NULL, *val = NULL;
    int rc = sofa__cs_decode(ctx, kv, (size_t)(eq - kv), "option name", &key);
    if (rc != SOFA_OK) {
        return rc;
    }
    const opt_def *o = NULL;
    size_t idx = 0;
    for (; idx < NOPTIONS; idx++) {
        if (strcasecmp(key, options[idx].name) == 0) {
            o = &options[idx];
            break;
        }
    }
    if (o == NULL) {
        sofa__cs_quote(q, sizeof(q), key, strlen(key));
        free(key);
        return sofa__cs_fail(ctx, *q ? SOFA_E_CONNSTR_OPTION : SOFA_E_CONNSTR_SYNTAX,
                             *q ? "unknown option '%s'" : "option with an empty name%s", q);
    }
    free(key);
    if (ctx->seen & (1ul << idx)) {
        return sofa__cs_fail(ctx, SOFA_E_CONNSTR_DUPLICATE, "option '%s' given twice", o->name);
    }
    ctx->seen |= 1ul << idx;
    /* The password's text never goes into a message. */
    rc = sofa__cs_decode(ctx, eq + 1, (size_t)(kv + n - eq - 1),
                         o->kind == K_STRING_EMPTY ? "password" : o->name, &val);
    if (rc != SOFA_OK) {
        if (o->kind == K_STRING_EMPTY && rc == SOFA_E_CONNSTR_SYNTAX) {
            return sofa__cs_fail(ctx, rc, "option 'password': bad percent-encoding");
        }
        return rc;
    }
    if (val[0] == '\0' && o->kind != K_STRING_EMPTY) {
        free(val);
        return sofa__cs_fail(ctx, SOFA_E_CONNSTR_VALUE, "option '%s' has an empty value",
                             o->name);
    }
    return apply(ctx, o, val);
}
