/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
#include "query/n1ql_req.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/reqerr.h"
#include "sofa/status.h"

void sofa__n1ql_duration(uint64_t us, char *buf, size_t len)
{
    snprintf(buf, len, "%" PRIu64 "us", us);
}

/* Well-formed UTF-8 (what jansson accepts in strings). */
static int utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p, n;
        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
        } else {
            return 0;
        }
        unsigned cp = c & (0x3fu >> n);
        for (unsigned i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (p[i] & 0x3fu);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10ffff))) {
            return 0;
        }
        p += n + 1;
    }
    return 1;
}

/* A JSON string from user text: SOFA_E_INVALID_ARGUMENT when it is not UTF-8,
 * SOFA_E_NO_MEMORY when jansson could not allocate. */
static json_t *user_string(const char *s, const char *what, char *err, size_t errlen, int *rc)
{
    json_t *v = json_string(s);
    if (!v) {
        *rc = utf8_ok(s) ? SOFA_E_NO_MEMORY
                         : sofa__q_bad_arg(err, errlen, "%s is not valid UTF-8", what);
    }
    return v;
}

/* Parse one JSON value given by the user. */
static json_t *user_json(const char *text, const char *what, size_t index, char *err, size_t errlen,
                         int *rc)
{
    if (!text) {
        *rc = sofa__q_bad_arg(err, errlen, "%s %zu is NULL", what, index);
        return NULL;
    }
    json_error_t je;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!v) {
        *rc = json_error_code(&je) == json_error_out_of_memory
                  ? SOFA_E_NO_MEMORY
                  : sofa__q_bad_arg(err, errlen, "%s %zu is not JSON: %s", what, index, je.text);
    }
    return v;
}

int sofa__n1ql_check_opts(const char *statement, const sofa_query_opts *o, char *err, size_t errlen)
{
    if (!statement || !*statement) {
        return sofa__q_bad_arg(err, errlen, "empty statement");
    }
    if (strlen(statement) > SOFA__N1QL_MAX_STATEMENT) {
        return sofa__q_bad_arg(err, errlen, "statement longer than %u bytes",
                               SOFA__N1QL_MAX_STATEMENT);
    }
    if (!utf8_ok(statement)) {
        return sofa__q_bad_arg(err, errlen, "statement is not valid UTF-8");
    }
    if (!o) {
        return 0;
    }
    if (o->struct_size != sizeof(*o)) {
        return sofa__q_bad_arg(err, errlen, "sofa_query_opts.struct_size is %zu, expected %zu",
                               o->struct_size, sizeof(*o));
    }
    if ((o->nargs && !o->args) || (o->nnamed && !o->named) || (o->ntokens && !o->tokens)) {
        return sofa__q_bad_arg(err, errlen, "a count is set but its array is NULL");
    }
    if (o->nargs > SOFA__N1QL_MAX_PARAMS || o->nnamed > SOFA__N1QL_MAX_PARAMS) {
        return sofa__q_bad_arg(err, errlen, "more than %u parameters", SOFA__N1QL_MAX_PARAMS);
    }
    if (o->ntokens > SOFA__N1QL_MAX_TOKENS) {
        return sofa__q_bad_arg(err, errlen, "more than %u mutation tokens", SOFA__N1QL_MAX_TOKENS);
    }
    if (o->consistency != SOFA_SCAN_NOT_BOUNDED && o->consistency != SOFA_SCAN_REQUEST_PLUS &&
        o->consistency != SOFA_SCAN_AT_PLUS) {
        return sofa__q_bad_arg(err, errlen, "unknown scan consistency %d", (int)o->consistency);
    }
    if (o->consistency == SOFA_SCAN_AT_PLUS) {
        size_t usable = 0;
        for (size_t i = 0; i < o->ntokens; i++) {
            usable += o->tokens[i].vbuuid != 0;
        }
        if (usable == 0) {
            return sofa__q_bad_arg(err, errlen, "at_plus needs at least one mutation token");
        }
    }
    if (o->client_context_id && (strlen(o->client_context_id) > SOFA__N1QL_MAX_CONTEXT_ID ||
                                 !utf8_ok(o->client_context_id))) {
        return sofa__q_bad_arg(err, errlen, "client_context_id longer than %u bytes or not UTF-8",
                               SOFA__N1QL_MAX_CONTEXT_ID);
    }
    if (o->scan_wait && !utf8_ok(o->scan_wait)) {
        return sofa__q_bad_arg(err, errlen, "scan_wait is not valid UTF-8");
    }
    if (o->max_row > 256u * 1024u * 1024u) {
        return sofa__q_bad_arg(err, errlen, "max_row larger than 256 MiB");
    }
    int rc = 0;
    for (size_t i = 0; i < o->nargs; i++) {
        json_t *v = user_json(o->args[i], "positional parameter", i + 1, err, errlen, &rc);
        if (!v) {
            return rc;
        }
        json_decref(v);
    }
    for (size_t i = 0; i < o->nnamed; i++) {
        const char *name = o->named[i].name;
        if (!name || !*name || (name[0] == '$' && !name[1])) {
            return sofa__q_bad_arg(err, errlen, "named parameter %zu has no name", i + 1);
        }
        json_t *v = user_json(o->named[i].json, "named parameter", i + 1, err, errlen, &rc);
        if (!v) {
            return rc;
        }
        json_decref(v);
    }
    if (o->raw) {
        json_error_t je;
        json_t *v = json_loads(o->raw, 0, &je);
        if (!v && json_error_code(&je) == json_error_out_of_memory) {
            return SOFA_E_NO_MEMORY;
        }
        if (!v || !json_is_object(v)) {
            json_decref(v);
            return sofa__q_bad_arg(err, errlen, "raw options are not a JSON object%s%s",
                                   v ? "" : ": ", v ? "" : je.text);
        }
        json_decref(v);
    }
    return 0;
}

/* {"BUCKET":{"<vbid>":[seqno,"<vbuuid>"]}}; the highest seqno per vBucket wins. */
static json_t *scan_vectors(const sofa_query_opts *o, const char *bucket)
{
    json_t *vb = json_object();
    json_t *all = json_object();
    if (!vb || !all || json_object_set(all, bucket, vb) != 0) {
        json_decref(vb);
        json_decref(all);
        return NULL;
    }
    json_decref(vb); /* owned by all now */
    for (size_t i = 0; i < o->ntokens; i++) {
        const sofa_mutation_token *t = &o->tokens[i];
        if (t->vbuuid == 0) {
            continue; /* no token */
        }
        char id[8], uuid[24];
        snprintf(id, sizeof(id), "%u", (unsigned)t->vbid);
        snprintf(uuid, sizeof(uuid), "%" PRIu64, t->vbuuid);
        json_t *old = json_object_get(vb, id);
        if (old && (uint64_t)json_integer_value(json_array_get(old, 0)) >= t->seqno) {
            continue;
        }
        json_t *pair = json_pack("[Is]", (json_int_t)t->seqno, uuid);
        if (!pair || json_object_set_new(vb, id, pair) != 0) {
            json_decref(all);
            return NULL;
        }
    }
    return all;
}

static int set_new(json_t *obj, const char *key, json_t *v)
{
    return v ? json_object_set_new(obj, key, v) : -1;
}

/* Parameters, consistency, context id, timeout, readonly, raw members. */
int sofa__n1ql_common(json_t *body, const sofa__n1ql_req *req, char *err, size_t errlen)
{
    const sofa_query_opts *o = req->opts;
    int rc = 0;
    if (req->context_id) {
        json_t *v = user_string(req->context_id, "client_context_id", err, errlen, &rc);
        if (!v || json_object_set_new(body, "client_context_id", v) != 0) {
            return v ? SOFA_E_NO_MEMORY : rc;
        }
    }
    if (req->timeout_us) {
        char d[32];
        sofa__n1ql_duration(req->timeout_us, d, sizeof(d));
        if (set_new(body, "timeout", json_string(d))) {
            return SOFA_E_NO_MEMORY;
        }
    }
    if (!o) {
        return 0;
    }
    if (o->nargs) {
        json_t *args = json_array();
        if (!args || json_object_set_new(body, "args", args) != 0) {
            return SOFA_E_NO_MEMORY;
        }
        for (size_t i = 0; i < o->nargs; i++) {
            json_t *v = user_json(o->args[i], "positional parameter", i + 1, err, errlen, &rc);
            if (!v || json_array_append_new(args, v) != 0) {
                return v ? SOFA_E_NO_MEMORY : rc;
            }
        }
    }
    for (size_t i = 0; i < o->nnamed; i++) {
        const char *name = o->named[i].name;
        char key[300];
        if (!name || !*name || strlen(name) > 256) {
            return sofa__q_bad_arg(err, errlen, "named parameter %zu: bad name", i + 1);
        }
        snprintf(key, sizeof(key), "%s%s", name[0] == '$' ? "" : "$", name);
        json_t *v = user_json(o->named[i].json, "named parameter", i + 1, err, errlen, &rc);
        if (!v) {
            return rc;
        }
        if (json_object_set_new(body, key, v) != 0) {
            return SOFA_E_NO_MEMORY;
        }
    }
    static const char *const names[] = {NULL, "request_plus", "at_plus"};
    if (o->consistency == SOFA_SCAN_REQUEST_PLUS || o->consistency == SOFA_SCAN_AT_PLUS) {
        if (set_new(body, "scan_consistency", json_string(names[o->consistency]))) {
            return SOFA_E_NO_MEMORY;
        }
    }
    if (o->consistency == SOFA_SCAN_AT_PLUS) {
        if (!req->bucket || !*req->bucket) {
            return sofa__q_bad_arg(err, errlen, "at_plus needs the bucket name");
        }
        if (set_new(body, "scan_vectors", scan_vectors(o, req->bucket))) {
            return SOFA_E_NO_MEMORY;
        }
    }
    if (o->scan_wait) {
        json_t *v = user_string(o->scan_wait, "scan_wait", err, errlen, &rc);
        if (!v || json_object_set_new(body, "scan_wait", v) != 0) {
            return v ? SOFA_E_NO_MEMORY : rc;
        }
    }
    if (o->readonly && set_new(body, "readonly", json_true())) {
        return SOFA_E_NO_MEMORY;
    }
    if (o->raw) {
        json_error_t je;
        json_t *raw = json_loads(o->raw, 0, &je);
        if (!raw && json_error_code(&je) == json_error_out_of_memory) {
            return SOFA_E_NO_MEMORY;
        }
        if (!raw || !json_is_object(raw)) {
            json_decref(raw);
            return sofa__q_bad_arg(err, errlen, "raw options are not a JSON object");
        }
        rc = json_object_update(body, raw) == 0 ? 0 : SOFA_E_NO_MEMORY;
        json_decref(raw);
    }
    return rc;
}

static int add_statement(json_t *body, const char *prefix, const char *statement, char *err,
                         size_t errlen)
{
    if (!statement || !*statement) {
        return sofa__q_bad_arg(err, errlen, "empty statement");
    }
    size_t plen = strlen(prefix), slen = strlen(statement);
    if (slen > SOFA__N1QL_MAX_STATEMENT) {
        return sofa__q_bad_arg(err, errlen, "statement longer than %u bytes",
                               SOFA__N1QL_MAX_STATEMENT);
    }
    char *s = malloc(plen + slen + 1);
    if (!s) {
        return SOFA_E_NO_MEMORY;
    }
    memcpy(s, prefix, plen);
    memcpy(s + plen, statement, slen + 1);
    int rc = 0;
    json_t *v = user_string(s, "statement", err, errlen, &rc);
    free(s);
    if (!v) {
        return rc;
    }
    return json_object_set_new(body, "statement", v) == 0 ? 0 : SOFA_E_NO_MEMORY;
}

int sofa__n1ql_body(const sofa__n1ql_req *req, char **out, size_t *outlen, char *err, size_t errlen)
{
    *out = NULL;
    *outlen = 0;
    json_t *body = json_object();
    if (!body) {
        return SOFA_E_NO_MEMORY;
    }
    int rc;
    switch (req->mode) {
    case SOFA__N1QL_ADHOC:
        rc = add_statement(body, "", req->statement, err, errlen);
        if (rc == 0) {
            rc = sofa__n1ql_common(body, req, err, errlen);
        }
        break;
    case SOFA__N1QL_PREPARE: { /* no parameters: only the plan is wanted */
        sofa__n1ql_req plain = *req;
        plain.opts = NULL;
        rc = add_statement(body, "PREPARE ", req->statement, err, errlen);
        if (rc == 0) {
            rc = sofa__n1ql_common(body, &plain, err, errlen);
        }
        break;
    }
    case SOFA__N1QL_PREPARE_EXECUTE:
        rc = add_statement(body, "PREPARE ", req->statement, err, errlen);
        if (rc == 0) {
            rc = set_new(body, "auto_execute", json_true()) ? SOFA_E_NO_MEMORY : 0;
        }
        if (rc == 0) {
            rc = sofa__n1ql_common(body, req, err, errlen);
        }
        break;
    case SOFA__N1QL_EXECUTE:
        if (!req->prepared || !*req->prepared) {
            rc = sofa__q_bad_arg(err, errlen, "no prepared statement name");
            break;
        }
        rc = set_new(body, "prepared", json_string(req->prepared)) ? SOFA_E_NO_MEMORY : 0;
        if (rc == 0 && req->encoded_plan) {
            rc = set_new(body, "encoded_plan", json_string(req->encoded_plan)) ? SOFA_E_NO_MEMORY
                                                                               : 0;
        }
        if (rc == 0) {
            rc = sofa__n1ql_common(body, req, err, errlen);
        }
        break;
    default:
        rc = sofa__q_bad_arg(err, errlen, "unknown request mode");
        break;
    }
    if (rc == 0) {
        *out = json_dumps(body, JSON_COMPACT);
        if (!*out) {
            rc = SOFA_E_NO_MEMORY;
        } else {
            *outlen = strlen(*out);
        }
    }
    json_decref(body);
    return rc;
}
