/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* Error map JSON (v1/v2) parsed with jansson. */
#include "proto/errmap.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sofa/status.h"

static const struct {
    const char *name;
    unsigned bit;
} attr_names[] = {
    {"success", SOFA__ERRATTR_SUCCESS},
    {"item-only", SOFA__ERRATTR_ITEM_ONLY},
    {"invalid-input", SOFA__ERRATTR_INVALID_INPUT},
    {"fetch-config", SOFA__ERRATTR_FETCH_CONFIG},
    {"conn-state-invalidated", SOFA__ERRATTR_CONN_STATE_INVALIDATED},
    {"auth", SOFA__ERRATTR_AUTH},
    {"special-handling", SOFA__ERRATTR_SPECIAL_HANDLING},
    {"support", SOFA__ERRATTR_SUPPORT},
    {"temp", SOFA__ERRATTR_TEMP},
    {"internal", SOFA__ERRATTR_INTERNAL},
    {"retry-now", SOFA__ERRATTR_RETRY_NOW},
    {"retry-later", SOFA__ERRATTR_RETRY_LATER},
    {"no-retry", SOFA__ERRATTR_NO_RETRY},
    {"subdoc", SOFA__ERRATTR_SUBDOC},
    {"dcp", SOFA__ERRATTR_DCP},
    {"rate-limit", SOFA__ERRATTR_RATE_LIMIT},
    {"system-constraint", SOFA__ERRATTR_SYSTEM_CONSTRAINT},
    {"item-locked", SOFA__ERRATTR_ITEM_LOCKED},
    {"item-deleted", SOFA__ERRATTR_ITEM_DELETED},
};

typedef struct ctx {
    char *err;
    size_t errlen;
} ctx;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int
fail(ctx *x, const char *fmt, ...)
{
    if (x->err && x->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->err, x->errlen, fmt, ap);
        va_end(ap);
    }
    return SOFA_E_BAD_CONFIG;
}

/* "0".."ffff", lower or upper case hex, 1 to 4 digits. */
static int parse_code(const char *key, uint16_t *code)
{
    size_t n = strlen(key);
    unsigned v = 0;
    if (n == 0 || n > 4)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return -1;
        v = v * 16 + d;
    }
    *code = (uint16_t)v;
    return 0;
}

static int get_text(ctx *x, json_t *obj, const char *key, const char *code, char **out)
{
    json_t *v = json_object_get(obj, key);
    const char *s = "";
    if (v) {
        if (!json_is_string(v))
            return fail(x, "errors.%s.%s: not a string", code, key);
        if (json_string_length(v) > SOFA__ERRMAP_MAX_TEXT)
            return fail(x, "errors.%s.%s: longer than %u bytes", code, key, SOFA__ERRMAP_MAX_TEXT);
        s = json_string_value(v);
    }
    *out = strdup(s);
    return *out ? SOFA_OK : SOFA_E_NO_MEMORY;
}

static int get_ms(ctx *x, json_t *retry, const char *key, const char *code, uint32_t *out)
{
    json_t *v = json_object_get(retry, key);
    *out = 0;
    if (!v)
        return SOFA_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > UINT32_MAX)
        return fail(x, "errors.%s.retry.%s: not a number of milliseconds", code, key);
    *out = (uint32_t)json_integer_value(v);
    return SOFA_OK;
}

static int parse_retry(ctx *x, json_t *r, const char *code, sofa__errmap_retry *out)
{
    memset(out, 0, sizeof(*out));
    if (!r)
        return SOFA_OK;
    if (!json_is_object(r))
        return fail(x, "errors.%s.retry: not an object", code);
    json_t *st = json_object_get(r, "strategy");
    if (!json_is_string(st))
        return fail(x, "errors.%s.retry.strategy: missing or not a string", code);
    const char *s = json_string_value(st);
    if (strcmp(s, "constant") == 0)
        out->strategy = SOFA__RETRY_CONSTANT;
    else if (strcmp(s, "linear") == 0)
        out->strategy = SOFA__RETRY_LINEAR;
    else if (strcmp(s, "exponential") == 0)
        out->strategy = SOFA__RETRY_EXPONENTIAL;
    /* an unknown (newer) strategy is ignored like an unknown attribute */
    int rc;
    if ((rc = get_ms(x, r, "interval", code, &out->interval_ms)) ||
        (rc = get_ms(x, r, "after", code, &out->after_ms)) ||
        (rc = get_ms(x, r, "ceil", code, &out->ceil_ms)) ||
        (rc = get_ms(x, r, "max-duration", code, &out->max_duration_ms)))
        return rc;
    return SOFA_OK;
}

static int parse_entry(ctx *x, const char *key, json_t *v, sofa__errmap_entry *e)
{
    if (parse_code(key, &e->code) != 0)
        return fail(x, "errors.%.16s: key is not a 16-bit hex status code", key);
    if (!json_is_object(v))
        return fail(x, "errors.%s: not an object", key);
    int rc;
    if ((rc = get_text(x, v, "name", key, &e->name)) ||
        (rc = get_text(x, v, "desc", key, &e->desc)))
        return rc;
    json_t *attrs = json_object_get(v, "attrs");
    if (attrs && !json_is_array(attrs))
        return fail(x, "errors.%s.attrs: not an array", key);
    size_t i;
    json_t *a;
    json_array_foreach(attrs, i, a)
    {
        if (!json_is_string(a))
            return fail(x, "errors.%s.attrs[%zu]: not a string", key, i);
        for (size_t k = 0; k < sizeof(attr_names) / sizeof(attr_names[0]); k++)
            if (strcmp(json_string_value(a), attr_names[k].name) == 0)
                e->attrs |= attr_names[k].bit;
    }
    return parse_retry(x, json_object_get(v, "retry"), key, &e->retry);
}

static int entry_cmp(const void *a, const void *b)
{
    const sofa__errmap_entry *x = a, *y = b;
    return (int)x->code - (int)y->code;
}

static int parse_root(ctx *x, json_t *root, sofa__errmap *m)
{
    if (!json_is_object(root))
        return fail(x, "error map: not a JSON object");
    json_t *ver = json_object_get(root, "version");
    if (!json_is_integer(ver) || json_integer_value(ver) < 1 || json_integer_value(ver) > 2)
        return fail(x, "version: missing or not 1 or 2");
    m->version = (int)json_integer_value(ver);
    json_t *rev = json_object_get(root, "revision");
    if (!json_is_integer(rev))
        return fail(x, "revision: missing or not an integer");
    m->revision = json_integer_value(rev);
    json_t *errors = json_object_get(root, "errors");
    if (!json_is_object(errors))
        return fail(x, "errors: missing or not an object");
    size_t n = json_object_size(errors);
    if (n > 65536)
        return fail(x, "errors: more than 65536 entries");
    if (n && !(m->entries = calloc(n, sizeof(*m->entries))))
        return SOFA_E_NO_MEMORY;
    const char *key;
    json_t *v;
    json_object_foreach(errors, key, v)
    {
        int rc = parse_entry(x, key, v, &m->entries[m->nentries]);
        m->nentries++; /* count it so it is freed even when half parsed */
        if (rc)
            return rc;
    }
    if (m->nentries > 1)
        qsort(m->entries, m->nentries, sizeof(*m->entries), entry_cmp);
    for (size_t i = 1; i < m->nentries; i++)
        if (m->entries[i].code == m->entries[i - 1].code)
            return fail(x, "errors: code 0x%x listed twice", m->entries[i].code);
    return SOFA_OK;
}

void sofa__errmap_free(sofa__errmap *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nentries; i++) {
        free(m->entries[i].name);
        free(m->entries[i].desc);
    }
    free(m->entries);
    free(m);
}

int sofa__errmap_parse(const char *json, size_t len, sofa__errmap **out, char *errbuf,
                       size_t errlen)
{
    ctx x = {errbuf, errlen};
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (!json || !out)
        return SOFA_E_INVALID_ARGUMENT;
    *out = NULL;
    if (len > SOFA__ERRMAP_MAX_JSON)
        return fail(&x, "error map: larger than %u bytes", SOFA__ERRMAP_MAX_JSON);
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root && json_error_code(&jerr) == json_error_out_of_memory)
        return SOFA_E_NO_MEMORY;
    if (!root)
        return fail(&x, "error map: invalid JSON at line %d column %d: %s", jerr.line, jerr.column,
                    jerr.text);
    sofa__errmap *m = calloc(1, sizeof(*m));
    int rc = m ? parse_root(&x, root, m) : SOFA_E_NO_MEMORY;
    json_decref(root);
    if (rc != SOFA_OK) {
        sofa__errmap_free(m);
        return rc;
    }
    *out = m;
    return SOFA_OK;
}

const sofa__errmap_entry *sofa__errmap_lookup(const sofa__errmap *m, uint16_t code)
{
    if (!m)
        return NULL;
    size_t lo = 0, hi = m->nentries;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->entries[mid].code == code)
            return &m->entries[mid];
        if (m->entries[mid].code < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int sofa__errmap_newer(const sofa__errmap *cur, const sofa__errmap *cand)
{
    if (!cand)
        return 0;
    return !cur || cand->revision > cur->revision;
}
