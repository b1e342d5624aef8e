/* Query-service request parsing (see n1ql_request.h). */
#include "n1ql_request.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every request parameter the query service knows; others are rejected with 1065. */
static const char *const known[] = {
    "statement", "args", "prepared", "encoded_plan", "auto_execute", "auto_prepare", "scan_consistency",
    "scan_vectors", "scan_vector", "scan_wait", "client_context_id", "timeout", "readonly", "metrics",
    "pretty", "max_parallelism", "scan_cap", "pipeline_batch", "pipeline_cap", "profile", "query_context",
    "creds", "signature", "compression", "encoding", "format", "namespace", "controls", "use_fts",
    "memory_quota", "preserve_expiry", "use_cbo", "txid", "tximplicit", "txtimeout", "txstmtnum",
    "txdata", "atrcollection", "numatrs", "durability_level", "durability_timeout", "kvtimeout",
    "sort_projection", "use_replica", "query_context", "client_context_id",
};

static int fail(n1ql_err *err, int code, const char *fmt, const char *arg)
{
    err->code = code;
    snprintf(err->msg, sizeof(err->msg), fmt, arg);
    return -1;
}

int n1ql_parse_duration(const char *s, unsigned long long *ns)
{
    static const struct {
        const char *u;
        double mult;
    } units[] = {{"ns", 1}, {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
    double total = 0;
    if (s == NULL || *s == '\0') {
        return -1;
    }
    if (strcmp(s, "0") == 0) {
        *ns = 0;
        return 0;
    }
    while (*s != '\0') {
        if (!isdigit((unsigned char)*s) && *s != '.') {
            return -1;
        }
        char *end = NULL;
        double v = strtod(s, &end);
        if (end == s || !isfinite(v) || v < 0) {
            return -1;
        }
        s = end;
        size_t best = 0, k = 0, found = sizeof(units) / sizeof(units[0]);
        for (k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
            size_t ul = strlen(units[k].u);
            if (strncmp(s, units[k].u, ul) == 0 && ul > best) {
                best = ul;
                found = k;
            }
        }
        if (found == sizeof(units) / sizeof(units[0])) {
            return -1;
        }
        total += v * units[found].mult;
        s += best;
    }
    if (total > 1e18) {
        return -1;
    }
    *ns = (unsigned long long)total;
    return 0;
}

static int check_known(const char *name)
{
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (strcmp(name, known[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static int parse_bool_field(const json_t *v, int *dst, const char *name, n1ql_err *err)
{
    if (json_is_boolean(v)) {
        *dst = json_is_true(v);
    } else if (json_is_string(v) && (strcmp(json_string_value(v), "true") == 0 ||
                                     strcmp(json_string_value(v), "false") == 0)) {
        *dst = strcmp(json_string_value(v), "true") == 0;
    } else {
        return fail(err, 1060, "Invalid value for parameter %s: expected a boolean.", name);
    }
    return 0;
}

static int apply(n1ql_request *r, const char *name, const json_t *v, n1ql_err *err)
{
    if (name[0] == '$') {
        if (name[1] == '\0') {
            return fail(err, 1060, "Invalid named parameter name %s.", name);
        }
        return json_object_set(r->named, name + 1, (json_t *)v) == 0 ? 0 : fail(err, 5000, "out of memory%s", "");
    }
    if (!check_known(name)) {
        return fail(err, 1065, "Unrecognized parameter in request: %s", name);
    }
    if (strcmp(name, "statement") == 0) {
        if (!json_is_string(v)) {
            return fail(err, 1060, "Invalid value for parameter %s: expected a string.", name);
        }
        r->statement = json_string_value(v);
    } else if (strcmp(name, "args") == 0) {
        if (!json_is_array(v)) {
            return fail(err, 1060, "Invalid value for parameter %s: expected an array.", name);
        }
        r->args = v;
    } else if (strcmp(name, "prepared") == 0) {
        r->prepared = v;
    } else if (strcmp(name, "encoded_plan") == 0) {
        if (!json_is_string(v)) {
            return fail(err, 1060, "Invalid value for parameter %s: expected a string.", name);
        }
        r->encoded_plan = json_string_value(v);
    } else if (strcmp(name, "auto_execute") == 0) {
        return parse_bool_field(v, &r->auto_execute, name, err);
    } else if (strcmp(name, "metrics") == 0) {
        return parse_bool_field(v, &r->metrics, name, err);
    } else if (strcmp(name, "readonly") == 0 || strcmp(name, "pretty") == 0) {
        int ignored;
        return parse_bool_field(v, &ignored, name, err);
    } else if (strcmp(name, "client_context_id") == 0) {
        r->client_context_id = v;
    } else if (strcmp(name, "timeout") == 0 || strcmp(name, "scan_wait") == 0) {
        unsigned long long ns = 0;
        if (!json_is_string(v) || n1ql_parse_duration(json_string_value(v), &ns) != 0) {
            return fail(err, 1060, "Invalid value for parameter %s: expected a duration such as \"75s\".", name);
        }
        if (strcmp(name, "timeout") == 0) {
            r->timeout_ns = ns;
        }
    } else if (strcmp(name, "scan_consistency") == 0) {
        const char *s = json_string_value(v);
        if (s == NULL || (strcmp(s, "not_bounded") != 0 && strcmp(s, "request_plus") != 0 &&
                          strcmp(s, "at_plus") != 0 && strcmp(s, "statement_plus") != 0)) {
            return fail(err, 1060, "Invalid value for parameter %s: not_bounded, request_plus, at_plus or "
                                   "statement_plus.", name);
        }
    } else if (strcmp(name, "scan_vectors") == 0 || strcmp(name, "scan_vector") == 0) {
        if (!json_is_object(v) && !json_is_array(v)) {
            return fail(err, 1060, "Invalid value for parameter %s: expected an object.", name);
        }
    }
    return 0; /* accepted and ignored: the mock always reads the latest data */
}

int n1ql_request_parse(n1ql_request *r, const char *body, size_t n, n1ql_err *err)
{
    memset(r, 0, sizeof(*r));
    r->metrics = 1;
    err->code = 0;
    err->msg[0] = '\0';
    r->named = json_object();
    if (r->named == NULL) {
        return fail(err, 5000, "out of memory%s", "");
    }
    if (n > MOCK_N1QL_MAX_BODY) {
        return fail(err, 1000, "Request body too large%s", "");
    }
    json_error_t je;
    r->body = json_loadb(body, n, 0, &je);
    if (!json_is_object(r->body)) {
        return fail(err, 1000, "Request body must be a JSON object: %s", r->body == NULL ? je.text : "not an object");
    }
    const char *name;
    json_t *v;
    json_object_foreach(r->body, name, v) {
        if (apply(r, name, v, err) != 0) {
            return -1;
        }
    }
    if (r->statement == NULL && r->prepared == NULL) {
        return fail(err, 1050, "No statement or prepared value%s", "");
    }
    return 0;
}

void n1ql_request_clear(n1ql_request *r)
{
    json_decref(r->body);
    json_decref(r->named);
    memset(r, 0, sizeof(*r));
}
