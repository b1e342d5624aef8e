/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
#include "query/view_req.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "query/reqerr.h"
#include "sofa/status.h"

int sofa__url_encode(char *dst, size_t cap, size_t *pos, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t p = *pos;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '~';
        size_t need = plain ? 1 : 3;
        if (need >= cap - p) { /* keep room for the NUL */
            return -1;
        }
        if (plain) {
            dst[p++] = (char)c;
        } else {
            dst[p++] = '%';
            dst[p++] = hex[c >> 4];
            dst[p++] = hex[c & 15];
        }
    }
    dst[p] = '\0';
    *pos = p;
    return 0;
}

/* A growing query string. */
typedef struct qs {
    char *buf;
    size_t len, cap;
    int failed; /* SOFA_E_NO_MEMORY or SOFA_E_INVALID_ARGUMENT (too long) */
    int first;
} qs;

static void qs_raw(qs *q, const char *s, size_t n, int encode)
{
    if (q->failed) {
        return;
    }
    size_t worst = encode ? n * 3 : n;
    if (worst > SOFA__VIEW_MAX_PATH || q->len + worst + 1 > SOFA__VIEW_MAX_PATH) {
        q->failed = SOFA_E_INVALID_ARGUMENT;
        return;
    }
    if (q->len + worst + 1 > q->cap) {
        size_t cap = q->cap ? q->cap : 256;
        while (cap < q->len + worst + 1) {
            cap *= 2;
        }
        char *p = realloc(q->buf, cap);
        if (!p) {
            q->failed = SOFA_E_NO_MEMORY;
            return;
        }
        q->buf = p;
        q->cap = cap;
    }
    if (encode) {
        sofa__url_encode(q->buf, q->cap, &q->len, s, n); /* fits: room was made */
    } else {
        memcpy(q->buf + q->len, s, n);
        q->len += n;
        q->buf[q->len] = '\0';
    }
}

static void qs_param(qs *q, const char *name, const char *value)
{
    qs_raw(q, q->first ? "?" : "&", 1, 0);
    q->first = 0;
    qs_raw(q, name, strlen(name), 0);
    qs_raw(q, "=", 1, 0);
    qs_raw(q, value, strlen(value), 1);
}

/* A JSON option: validated, re-serialised compactly, encoded. */
static int json_param(qs *q, const char *name, const char *text, char *err, size_t errlen)
{
    if (!text) {
        return 0;
    }
    json_error_t je;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &je);
    if (!v) {
        return json_error_code(&je) == json_error_out_of_memory
                   ? SOFA_E_NO_MEMORY
                   : sofa__q_bad_arg(err, errlen, "view option %s is not JSON: %s", name, je.text);
    }
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(v);
    if (!s) {
        return SOFA_E_NO_MEMORY;
    }
    qs_param(q, name, s);
    free(s);
    return 0;
}

static void tristate_param(qs *q, const char *name, sofa_tristate t)
{
    if (t == SOFA_TRUE || t == SOFA_FALSE) {
        qs_param(q, name, t == SOFA_TRUE ? "true" : "false");
    }
}

static void number_param(qs *q, const char *name, uint32_t v)
{
    char num[16];
    snprintf(num, sizeof(num), "%u", (unsigned)v);
    qs_param(q, name, num);
}

static int check_name(const char *what, const char *name, char *err, size_t errlen)
{
    if (!name || !*name) {
        return sofa__q_bad_arg(err, errlen, "empty %s name", what);
    }
    if (strlen(name) > SOFA__VIEW_MAX_NAME) {
        return sofa__q_bad_arg(err, errlen, "%s name longer than %u bytes", what,
                               SOFA__VIEW_MAX_NAME);
    }
    return 0;
}

static int check_opts(const sofa_view_opts *o, char *err, size_t errlen)
{
    if (o->struct_size != sizeof(*o)) {
        return sofa__q_bad_arg(err, errlen, "sofa_view_opts.struct_size is %zu, expected %zu",
                               o->struct_size, sizeof(*o));
    }
    if (o->nkeys && !o->keys) {
        return sofa__q_bad_arg(err, errlen, "nkeys is set but keys is NULL");
    }
    if (o->nkeys > SOFA__VIEW_MAX_KEYS) {
        return sofa__q_bad_arg(err, errlen, "more than %u keys", SOFA__VIEW_MAX_KEYS);
    }
    if (o->nkeys && o->key) {
        return sofa__q_bad_arg(err, errlen, "key and keys are mutually exclusive");
    }
    const sofa_tristate ts[] = {o->inclusive_end, o->descending, o->reduce, o->group};
    for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
        if (ts[i] != SOFA_DEFAULT && ts[i] != SOFA_TRUE && ts[i] != SOFA_FALSE) {
            return sofa__q_bad_arg(err, errlen, "a true/false option has the value %d", (int)ts[i]);
        }
    }
    if ((unsigned)o->stale > SOFA_STALE_UPDATE_AFTER) {
        return sofa__q_bad_arg(err, errlen, "unknown stale value %d", (int)o->stale);
    }
    if ((unsigned)o->on_error > SOFA_VIEW_ON_ERROR_STOP) {
        return sofa__q_bad_arg(err, errlen, "unknown on_error value %d", (int)o->on_error);
    }
    if (o->docs_concurrency > SOFA__VIEW_MAX_DOCS_CONCURRENCY) {
        return sofa__q_bad_arg(err, errlen, "docs_concurrency larger than %u",
                               SOFA__VIEW_MAX_DOCS_CONCURRENCY);
    }
    return 0;
}

static int build_body(const sofa_view_opts *o, sofa__view_req *out, char *err, size_t errlen)
{
    json_t *keys = json_array();
    json_t *doc = json_pack("{so}", "keys", keys);
    if (!keys || !doc) {
        json_decref(doc);
        return SOFA_E_NO_MEMORY;
    }
    for (size_t i = 0; i < o->nkeys; i++) {
        json_error_t je;
        json_t *k = o->keys[i] ? json_loads(o->keys[i], JSON_DECODE_ANY, &je) : NULL;
        if (!k) {
            json_decref(doc);
            return o->keys[i] && json_error_code(&je) == json_error_out_of_memory
                       ? SOFA_E_NO_MEMORY
                       : sofa__q_bad_arg(err, errlen, "view key %zu is not JSON", i + 1);
        }
        if (json_array_append_new(keys, k) != 0) {
            json_decref(doc);
            return SOFA_E_NO_MEMORY;
        }
    }
    out->body = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!out->body) {
        return SOFA_E_NO_MEMORY;
    }
    out->nbody = strlen(out->body);
    return 0;
}

static int add_options(qs *q, const sofa_view_opts *o, char *err, size_t errlen)
{
    static const char *const stale[] = {NULL, "ok", "false", "update_after"};
    static const char *const on_error[] = {NULL, "continue", "stop"};
    int rc = json_param(q, "key", o->key, err, errlen);
    if (rc == 0) {
        rc = json_param(q, "startkey", o->startkey, err, errlen);
    }
    if (rc == 0) {
        rc = json_param(q, "endkey", o->endkey, err, errlen);
    }
    if (rc != 0) {
        return rc;
    }
    if (o->startkey_docid) {
        qs_param(q, "startkey_docid", o->startkey_docid);
    }
    if (o->endkey_docid) {
        qs_param(q, "endkey_docid", o->endkey_docid);
    }
    tristate_param(q, "inclusive_end", o->inclusive_end);
    tristate_param(q, "descending", o->descending);
    tristate_param(q, "reduce", o->reduce);
    tristate_param(q, "group", o->group);
    if (o->limit) {
        number_param(q, "limit", o->limit);
    }
    if (o->skip) {
        number_param(q, "skip", o->skip);
    }
    if (o->group_level) {
        number_param(q, "group_level", o->group_level);
    }
    if (o->stale != SOFA_STALE_DEFAULT) {
        qs_param(q, "stale", stale[o->stale]);
    }
    if (o->on_error != SOFA_VIEW_ON_ERROR_DEFAULT) {
        qs_param(q, "on_error", on_error[o->on_error]);
    }
    return 0;
}

int sofa__view_req_build(const char *prefix, const char *ddoc, const char *view,
                         const sofa_view_opts *opts, sofa__view_req *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (ddoc && strncmp(ddoc, "_design/", 8) == 0) {
        ddoc += 8; /* accept the full id too */
    }
    int rc = check_name("design document", ddoc, err, errlen);
    if (rc == 0) {
        rc = check_name("view", view, err, errlen);
    }
    if (rc == 0 && opts) {
        rc = check_opts(opts, err, errlen);
    }
    if (rc != 0) {
        return rc;
    }
    if (!prefix) {
        prefix = "";
    }
    qs q = {NULL, 0, 0, 0, 1};
    qs_raw(&q, prefix, strlen(prefix), 0);
    qs_raw(&q, "/_design/", 9, 0);
    qs_raw(&q, ddoc, strlen(ddoc), 1);
    qs_raw(&q, "/_view/", 7, 0);
    qs_raw(&q, view, strlen(view), 1);
    if (opts) {
        rc = add_options(&q, opts, err, errlen);
        if (rc == 0 && opts->nkeys) {
            rc = build_body(opts, out, err, errlen);
        }
    }
    if (rc == 0 && q.failed) {
        rc = q.failed == SOFA_E_NO_MEMORY
                 ? SOFA_E_NO_MEMORY
                 : sofa__q_bad_arg(err, errlen, "view path longer than %u bytes",
                                   SOFA__VIEW_MAX_PATH);
    }
    if (rc != 0) {
        free(q.buf);
        sofa__view_req_free(out);
        return rc;
    }
    out->path = q.buf;
    return 0;
}

void sofa__view_req_free(sofa__view_req *r)
{
    free(r->path);
    free(r->body);
    r->path = NULL;
    r->body = NULL;
    r->nbody = 0;
}
