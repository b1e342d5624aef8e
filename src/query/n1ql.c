/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* N1QL queries: request bodies, the prepared-statement flow, error classification. */
#include "query/n1ql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/n1ql_req.h"
#include "sofa/status.h"

enum { PH_ADHOC, PH_PREPARE, PH_EXECUTE, PH_PREPARE_EXECUTE };

typedef struct n1ql_state {
    char *statement;
    json_t *common; /* every request field except statement / prepared */
    int use_prepared;
    int phase;
    int retried; /* re-prepared once already */
    char *body;
    json_t *prep_row; /* classic PREPARE: the first row (name, encoded_plan) */
    sofa_query_callbacks cbs;
} n1ql_state;

/* ------------------------------------------------------------ classification */

int sofa__n1ql_prepared_retryable(int64_t code)
{
    return code == 4040 || code == 4050 || code == 4070;
}

static int status_for_code(int64_t code)
{
    switch (code) {
    case 3000:
        return SOFA_E_QUERY_SYNTAX;
    case 12003:
        return SOFA_E_QUERY_KEYSPACE_NOT_FOUND;
    case 4040:
    case 4050:
    case 4060:
    case 4070:
    case 4080:
    case 4090:
        return SOFA_E_QUERY_PREPARED;
    case 1080:
        return SOFA_E_QUERY_TIMEOUT;
    case 13014:
        return SOFA_E_ACCESS_DENIED;
    default:
        return SOFA_E_QUERY_ERROR;
    }
}

int sofa__n1ql_classify(int http_status, json_t *meta, int64_t *code, const char **msg)
{
    *code = 0;
    *msg = "";
    json_t *errors = json_object_get(meta, "errors");
    json_t *first = json_array_get(errors, 0);
    const char *status = json_string_value(json_object_get(meta, "status"));
    if (first) {
        json_t *c = json_object_get(first, "code");
        *code = json_is_integer(c) ? json_integer_value(c) : 0;
        const char *m = json_string_value(json_object_get(first, "msg"));
        *msg = m ? m : "query failed (no message)";
        if (*code == 12009 && strstr(*msg, "CAS mismatch")) {
            return SOFA_E_CAS_MISMATCH; /* a DML statement lost a CAS race */
        }
        return status_for_code(*code);
    }
    if (status && strcmp(status, "timeout") == 0) {
        *msg = "the query service timed out";
        return SOFA_E_QUERY_TIMEOUT;
    }
    if (http_status == 401) {
        *msg = "HTTP 401: bad credentials";
        return SOFA_E_AUTH_FAILED;
    }
    if (http_status != 200) {
        *msg = "HTTP error status without an error list";
        return SOFA_E_HTTP_STATUS;
    }
    if (status && strcmp(status, "success") != 0 && strcmp(status, "completed") != 0 &&
        strcmp(status, "running") != 0) {
        *msg = "query ended with a failure status";
        return SOFA_E_QUERY_ERROR;
    }
    return 0;
}

/* ------------------------------------------------------------ requests */

static n1ql_state *state(sofa_query *q)
{
    return q->kind_state;
}

static int build_body(sofa_query *q, char **out)
{
    n1ql_state *st = state(q);
    json_t *body = json_copy(st->common);
    if (!body) {
        return SOFA_E_NO_MEMORY;
    }
    int bad = 0;
    if (st->phase == PH_PREPARE) {
        /* only the plan is wanted: no parameters or consistency */
        json_decref(body);
        body = json_pack("{ss}", "client_context_id", q->context_id);
        json_t *t = json_object_get(st->common, "timeout");
        bad = !body || (t && json_object_set(body, "timeout", t) != 0);
    }
    if (!bad && (st->phase == PH_PREPARE || st->phase == PH_PREPARE_EXECUTE)) {
        size_t n = strlen(st->statement);
        char *text = malloc(n + 9);
        if (text) {
            memcpy(text, "PREPARE ", 8);
            memcpy(text + 8, st->statement, n + 1);
        }
        bad = !text || json_object_set_new(body, "statement", json_string(text)) != 0;
        free(text);
        if (!bad && st->phase == PH_PREPARE_EXECUTE) {
            bad = json_object_set_new(body, "auto_execute", json_true()) != 0;
        }
    } else if (!bad && st->phase == PH_EXECUTE) {
        const sofa__prepared *p = sofa__svc_prepared_get(q->svc, st->statement);
        if (!p) {
            json_decref(body);
            return SOFA_E_INTERNAL;
        }
        bad = json_object_set_new(body, "prepared", json_string(p->name)) != 0 ||
              (p->plan && json_object_set_new(body, "encoded_plan", json_string(p->plan)) != 0);
    } else if (!bad) {
        bad = json_object_set_new(body, "statement", json_string(st->statement)) != 0;
    }
    if (!bad) {
        *out = json_dumps(body, JSON_COMPACT);
        bad = *out == NULL;
    }
    json_decref(body);
    return bad ? SOFA_E_NO_MEMORY : 0;
}

static int n1ql_prepare_request(sofa_query *q, const sofa__endpoint *ep, sofa__http_spec *spec)
{
    n1ql_state *st = state(q);
    free(st->body);
    st->body = NULL;
    int rc = build_body(q, &st->body);
    if (rc != 0) {
        return rc;
    }
    spec->method = "POST";
    spec->path = "/query/service";
    spec->content_type = "application/json";
    spec->body = st->body;
    spec->nbody = strlen(st->body);
    return 0;
}

static int n1ql_on_rows(sofa_query *q, const sofa_row *rows, size_t n)
{
    n1ql_state *st = state(q);
    if (st->phase == PH_PREPARE) { /* internal: keep the plan, deliver nothing */
        if (!st->prep_row && n > 0) {
            json_error_t je;
            st->prep_row = json_loadb(rows[0].json, rows[0].len, 0, &je);
            if (!st->prep_row && json_error_code(&je) == json_error_out_of_memory) {
                return SOFA_E_NO_MEMORY;
            }
        }
        return 0;
    }
    if (!st->cbs.on_rows || n == 0) {
        return 0;
    }
    sofa__q_busy(q);
    q->in_rows_cb = 1;
    st->cbs.on_rows(q->svc->client, rows, n, q->cookie);
    q->in_rows_cb = 0;
    q->busy--; /* the caller (the body handler) checks for an end meanwhile */
    return q->cancel_asked ? SOFA_E_CANCELED : 0;
}

/* Start over with a fresh PREPARE (the cached plan was rejected). */
static void reprepare(sofa_query *q)
{
    n1ql_state *st = state(q);
    SOFA_LOG(q->svc->lg, SOFA_LOG_INFO, "query",
             "prepared statement rejected (%lld), preparing again", (long long)q->error_code);
    sofa__svc_prepared_drop(q->svc, st->statement);
    st->retried = 1;
    st->phase = sofa__svc_enhanced_prepared(q->svc) ? PH_PREPARE_EXECUTE : PH_PREPARE;
    q->attempt = 0;
    q->error_code = 0;
    q->msg[0] = '\0';
    sofa__q_send(q);
}

static void n1ql_on_complete(sofa_query *q)
{
    n1ql_state *st = state(q);
    int status;
    const char *msg = "";
    if (!q->meta) { /* a body that is not JSON */
        if (q->http_status == 200) {
            snprintf(q->msg, sizeof(q->msg), "response is not JSON (Content-Type: %.100s)",
                     q->content_type);
            sofa__q_finish(q, SOFA_E_JSON, q->msg);
            return;
        }
        status = q->http_status == 401 ? SOFA_E_AUTH_FAILED : SOFA_E_HTTP_STATUS;
        snprintf(q->msg, sizeof(q->msg), "HTTP %d: %.200s", q->http_status,
                 q->errbody ? q->errbody : "");
        sofa__q_finish(q, status, q->msg);
        return;
    }
    status = sofa__n1ql_classify(q->http_status, q->meta, &q->error_code, &msg);
    if (status != 0 && msg != q->msg) {
        snprintf(q->msg, sizeof(q->msg), "%s", msg);
    }
    if (st->phase == PH_EXECUTE && status != 0 && sofa__n1ql_prepared_retryable(q->error_code) &&
        !st->retried && q->nrows == 0) {
        reprepare(q);
        return;
    }
    if (status != 0) {
        sofa__q_finish(q, status, q->msg);
        return;
    }
    if (st->phase == PH_PREPARE) {
        const char *name = json_string_value(json_object_get(st->prep_row, "name"));
        const char *plan = json_string_value(json_object_get(st->prep_row, "encoded_plan"));
        if (!name) {
            sofa__q_finish(q, SOFA_E_QUERY_PREPARED, "PREPARE returned no statement name");
            return;
        }
        int rc = sofa__svc_prepared_put(q->svc, st->statement, name, plan);
        if (rc != 0) {
            sofa__q_finish(q, rc, "cannot cache the prepared statement");
            return;
        }
        json_decref(st->prep_row);
        st->prep_row = NULL;
        st->phase = PH_EXECUTE;
        q->attempt = 0;
        q->nrows = 0;
        sofa__q_send(q);
        return;
    }
    if (st->phase == PH_PREPARE_EXECUTE) {
        const char *name = json_string_value(json_object_get(q->meta, "prepared"));
        if (name && sofa__svc_prepared_put(q->svc, st->statement, name, NULL) != 0) {
            SOFA_LOG(q->svc->lg, SOFA_LOG_WARN, "query", "cannot cache prepared statement %s",
                     name);
        }
    }
    sofa__q_finish(q, 0, NULL);
}

static void n1ql_deliver_end(sofa_query *q, int status)
{
    n1ql_state *st = state(q);
    sofa__q_deliver_end(q, status, st->cbs.on_done, st->cbs.on_error);
}

static void n1ql_cleanup(sofa_query *q)
{
    n1ql_state *st = state(q);
    if (!st) {
        return;
    }
    free(st->statement);
    json_decref(st->common);
    free(st->body);
    json_decref(st->prep_row);
    free(st);
    q->kind_state = NULL;
}

static const sofa__qops n1ql_ops = {n1ql_prepare_request, n1ql_on_complete, n1ql_on_rows,
                                    n1ql_deliver_end, n1ql_cleanup};

int sofa__n1ql_start(sofa__svc *svc, const char *statement, const sofa_query_opts *opts,
                     const sofa_query_callbacks *cbs, void *cookie, sofa_query **handle)
{
    int rc = sofa__q_check_start(svc, cbs && cbs->on_done && cbs->on_error, handle);
    if (rc != 0) {
        return rc;
    }
    char err[200] = "";
    rc = sofa__n1ql_check_opts(statement, opts, err, sizeof(err));
    if (rc != 0) {
        SOFA_LOG(svc->lg, SOFA_LOG_WARN, "query", "query refused: %s", err);
        return rc;
    }
    uint64_t timeout = opts && opts->timeout_us ? opts->timeout_us : svc->query_timeout_us;
    sofa_query *q = sofa__q_new(svc, SOFA__Q_N1QL, &n1ql_ops, SOFA__SVC_N1QL, "results", timeout,
                                opts ? opts->max_row : 0, sizeof(n1ql_state), cookie);
    if (!q) {
        return SOFA_E_NO_MEMORY;
    }
    n1ql_state *st = q->kind_state;
    st->cbs = *cbs;
    st->statement = strdup(statement);
    st->common = json_object();
    if (opts && opts->client_context_id) {
        snprintf(q->context_id, sizeof(q->context_id), "%s", opts->client_context_id);
    } else {
        sofa__svc_context_id(svc, q->context_id, sizeof(q->context_id));
    }
    sofa__n1ql_req req = {.mode = SOFA__N1QL_ADHOC,
                          .bucket = svc->bucket[0] ? svc->bucket : NULL,
                          .context_id = q->context_id,
                          .timeout_us = timeout,
                          .opts = opts};
    rc = !st->statement || !st->common ? SOFA_E_NO_MEMORY
                                       : sofa__n1ql_common(st->common, &req, err, sizeof(err));
    if (rc == 0) {
        st->use_prepared = opts && opts->prepared;
        if (!st->use_prepared) {
            st->phase = PH_ADHOC;
        } else if (sofa__svc_prepared_get(svc, statement)) {
            st->phase = PH_EXECUTE;
        } else {
            st->phase = sofa__svc_enhanced_prepared(svc) ? PH_PREPARE_EXECUTE : PH_PREPARE;
        }
        rc = sofa__q_start(q);
    }
    if (rc != 0) {
        if (err[0]) {
            SOFA_LOG(svc->lg, SOFA_LOG_WARN, "query", "query refused: %s", err);
        }
        sofa__q_discard(q);
        return rc;
    }
    if (handle) {
        *handle = q;
    }
    return 0;
}

int sofa_query_cancel(sofa_query *q)
{
    if (!q) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    if (q->finished) {
        return 0;
    }
    if (q->in_rows_cb) {
        q->cancel_asked = 1; /* ends right after on_rows returns */
        return 0;
    }
    sofa__q_finish(q, SOFA_E_CANCELED, "canceled by the application");
    return 0;
}
