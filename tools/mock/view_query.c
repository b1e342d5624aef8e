/* View query option parser (see view_query.h). */
#include "view_query.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query_util.h"

void mock_view_opts_clear(mock_view_opts *o)
{
    json_decref(o->key);
    json_decref(o->keys);
    json_decref(o->startkey);
    json_decref(o->endkey);
    free(o->startkey_docid);
    free(o->endkey_docid);
    memset(o, 0, sizeof(*o));
    o->inclusive_end = 1;
    o->limit = -1;
    o->reduce = -1;
    o->group_level = -1;
}

static mock_view_opts_rc bad(char *err, size_t nerr, const char *fmt, const char *name, const char *val)
{
    snprintf(err, nerr, fmt, name, val);
    return MOCK_VIEW_OPTS_BAD;
}

static mock_view_opts_rc parse_bool(int *dst, const char *name, const char *val, char *err, size_t nerr)
{
    if (strcmp(val, "true") == 0) {
        *dst = 1;
    } else if (strcmp(val, "false") == 0) {
        *dst = 0;
    } else {
        return bad(err, nerr, "Invalid boolean parameter %s: \"%s\"", name, val);
    }
    return MOCK_VIEW_OPTS_OK;
}

static mock_view_opts_rc parse_count(long long *dst, const char *name, const char *val, char *err,
                                     size_t nerr)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(val, &end, 10);
    if (val[0] == '\0' || *end != '\0' || errno != 0 || v < 0 || val[0] == '+' || val[0] == ' ') {
        return bad(err, nerr, "Invalid value for non-negative integer parameter %s: \"%s\"", name, val);
    }
    *dst = v;
    return MOCK_VIEW_OPTS_OK;
}

static mock_view_opts_rc parse_json(json_t **dst, const char *name, const char *val, size_t nval,
                                    char *err, size_t nerr)
{
    json_error_t je;
    json_t *j = json_loadb(val, nval, JSON_DECODE_ANY, &je);
    if (j == NULL) {
        return bad(err, nerr, "Invalid JSON value for parameter %s: \"%s\"", name, val);
    }
    json_decref(*dst);
    *dst = j;
    return MOCK_VIEW_OPTS_OK;
}

static mock_view_opts_rc set_docid(char **dst, const char *val)
{
    char *c = strdup(val);
    if (c == NULL) {
        return MOCK_VIEW_OPTS_NOMEM;
    }
    free(*dst);
    *dst = c;
    return MOCK_VIEW_OPTS_OK;
}

static mock_view_opts_rc apply(mock_view_opts *o, const char *name, const char *val, size_t nval,
                               char *err, size_t nerr)
{
    long long n = 0;
    mock_view_opts_rc rc;
    if (strcmp(name, "key") == 0) {
        return parse_json(&o->key, name, val, nval, err, nerr);
    }
    if (strcmp(name, "keys") == 0) {
        rc = parse_json(&o->keys, name, val, nval, err, nerr);
        if (rc == MOCK_VIEW_OPTS_OK && !json_is_array(o->keys)) {
            return bad(err, nerr, "Parameter %s must be a JSON array, got \"%s\"", name, val);
        }
        return rc;
    }
    if (strcmp(name, "startkey") == 0 || strcmp(name, "start_key") == 0) {
        return parse_json(&o->startkey, name, val, nval, err, nerr);
    }
    if (strcmp(name, "endkey") == 0 || strcmp(name, "end_key") == 0) {
        return parse_json(&o->endkey, name, val, nval, err, nerr);
    }
    if (strcmp(name, "startkey_docid") == 0 || strcmp(name, "start_key_doc_id") == 0) {
        return set_docid(&o->startkey_docid, val);
    }
    if (strcmp(name, "endkey_docid") == 0 || strcmp(name, "end_key_doc_id") == 0) {
        return set_docid(&o->endkey_docid, val);
    }
    if (strcmp(name, "inclusive_end") == 0) {
        return parse_bool(&o->inclusive_end, name, val, err, nerr);
    }
    if (strcmp(name, "descending") == 0) {
        return parse_bool(&o->descending, name, val, err, nerr);
    }
    if (strcmp(name, "reduce") == 0) {
        return parse_bool(&o->reduce, name, val, err, nerr);
    }
    if (strcmp(name, "group") == 0) {
        return parse_bool(&o->group, name, val, err, nerr);
    }
    if (strcmp(name, "limit") == 0) {
        return parse_count(&o->limit, name, val, err, nerr);
    }
    if (strcmp(name, "skip") == 0) {
        return parse_count(&o->skip, name, val, err, nerr);
    }
    if (strcmp(name, "group_level") == 0) {
        rc = parse_count(&n, name, val, err, nerr);
        if (rc == MOCK_VIEW_OPTS_OK) {
            if (n > 1000000) {
                return bad(err, nerr, "Invalid value for parameter %s: \"%s\" (too large)", name, val);
            }
            o->group_level = (int)n;
        }
        return rc;
    }
    if (strcmp(name, "stale") == 0) {
        if (strcmp(val, "ok") != 0 && strcmp(val, "false") != 0 && strcmp(val, "update_after") != 0) {
            return bad(err, nerr, "Invalid value for parameter %s: \"%s\" (ok, false, update_after)",
                       name, val);
        }
        return MOCK_VIEW_OPTS_OK;
    }
    if (strcmp(name, "on_error") == 0) {
        if (strcmp(val, "continue") != 0 && strcmp(val, "stop") != 0) {
            return bad(err, nerr, "Invalid value for parameter %s: \"%s\" (continue, stop)", name, val);
        }
        return MOCK_VIEW_OPTS_OK;
    }
    if (strcmp(name, "debug") == 0 || strcmp(name, "full_set") == 0) {
        int ignored = 0;
        return parse_bool(&ignored, name, val, err, nerr);
    }
    return MOCK_VIEW_OPTS_OK; /* connection_timeout and unknown names are ignored */
}

static mock_view_opts_rc parse_query(mock_view_opts *o, const char *q, size_t nq, char *err, size_t nerr)
{
    size_t i = 0;
    while (i < nq) {
        size_t end = i;
        while (end < nq && q[end] != '&') {
            end++;
        }
        size_t eq = i;
        while (eq < end && q[eq] != '=') {
            eq++;
        }
        if (end > i) {
            int badesc = 0;
            size_t nval = 0;
            char *name = mock_q_url_decode(q + i, eq - i, NULL, &badesc);
            char *val = name == NULL ? NULL
                      : mock_q_url_decode(q + (eq < end ? eq + 1 : end), end - (eq < end ? eq + 1 : end),
                                          &nval, &badesc);
            mock_view_opts_rc rc;
            if (name == NULL || val == NULL) {
                rc = badesc ? bad(err, nerr, "Invalid URL encoding in %s%s", "query string", "")
                            : MOCK_VIEW_OPTS_NOMEM;
            } else {
                rc = apply(o, name, val, nval, err, nerr);
            }
            free(name);
            free(val);
            if (rc != MOCK_VIEW_OPTS_OK) {
                return rc;
            }
        }
        i = end + 1;
    }
    return MOCK_VIEW_OPTS_OK;
}

static mock_view_opts_rc parse_body(mock_view_opts *o, const char *body, size_t nbody, char *err,
                                    size_t nerr)
{
    json_error_t je;
    json_t *j = json_loadb(body, nbody, 0, &je);
    if (j == NULL) {
        snprintf(err, nerr, "Invalid JSON request body: %s", je.text);
        return MOCK_VIEW_OPTS_BAD;
    }
    json_t *keys = json_object_get(j, "keys");
    if (keys != NULL) {
        if (!json_is_array(keys)) {
            json_decref(j);
            snprintf(err, nerr, "`keys` member must be an array.");
            return MOCK_VIEW_OPTS_BAD;
        }
        json_decref(o->keys);
        o->keys = json_incref(keys);
    }
    json_decref(j);
    return MOCK_VIEW_OPTS_OK;
}

mock_view_opts_rc mock_view_opts_parse(mock_view_opts *o, const char *query, size_t nquery,
                                       const char *body, size_t nbody, char *err, size_t nerr)
{
    memset(o, 0, sizeof(*o));
    mock_view_opts_clear(o);
    if (nerr > 0) {
        err[0] = '\0';
    }
    if (nquery > MOCK_VIEW_QUERY_MAX || nbody > MOCK_VIEW_BODY_MAX) {
        snprintf(err, nerr, "Query string or body too long (limits %d / %d bytes)", MOCK_VIEW_QUERY_MAX,
                 MOCK_VIEW_BODY_MAX);
        return MOCK_VIEW_OPTS_BAD;
    }
    mock_view_opts_rc rc = MOCK_VIEW_OPTS_OK;
    if (query != NULL) {
        rc = parse_query(o, query, nquery, err, nerr);
    }
    if (rc == MOCK_VIEW_OPTS_OK && body != NULL && nbody > 0) {
        rc = parse_body(o, body, nbody, err, nerr);
    }
    if (rc == MOCK_VIEW_OPTS_OK && o->key != NULL && o->keys != NULL) {
        snprintf(err, nerr, "`keys` is incompatible with `key`");
        rc = MOCK_VIEW_OPTS_BAD;
    }
    if (rc == MOCK_VIEW_OPTS_OK && o->group_level >= 0 && o->group_level > 0) {
        o->group = 1; /* group_level implies grouping */
    }
    return rc;
}
