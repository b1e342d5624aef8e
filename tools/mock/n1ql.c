/* The mock's query service: request handling, prepared statements and the streamed
 * response (see n1ql.h). */
#include "n1ql.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "n1ql_exec.h"
#include "n1ql_parse.h"
#include "n1ql_prepared.h"
#include "n1ql_request.h"
#include "query_util.h"

struct mock_n1ql {
    n1ql_prepared_set *prepared;
    unsigned long long requests;
};

mock_n1ql *mock_n1ql_new(void)
{
    mock_n1ql *q = calloc(1, sizeof(*q));
    if (q != NULL && (q->prepared = n1ql_prepared_new(MOCK_N1QL_MAX_PREPARED)) == NULL) {
        free(q);
        q = NULL;
    }
    return q;
}

void mock_n1ql_free(mock_n1ql *q)
{
    if (q != NULL) {
        n1ql_prepared_free(q->prepared);
        free(q);
    }
}

/* Everything one response needs; owned by the producer. */
typedef struct qstream {
    unsigned long long start_ns;
    char request_id[40];
    json_t *client_context_id;
    char *prepared_name;  /* echoed as "prepared" (auto_execute) */
    int metrics;
    json_t *signature;
    n1ql_arena *arena;    /* owns the statement tree */
    n1ql_stmt *stmt;
    n1ql_exec *exec;      /* streamed rows, or: */
    json_t *fixed_rows;   /* rows known up front (PREPARE) */
    size_t fixed_next;
    n1ql_err exec_err;    /* an error during execution */
    n1ql_err pre_err;     /* an error before execution (no results) */
    int phase;            /* 0 header, 1 rows, 2 trailer, 3 done */
    size_t count, size;
} qstream;

static void qstream_free(void *ctx)
{
    qstream *s = ctx;
    if (s == NULL) {
        return;
    }
    json_decref(s->client_context_id);
    free(s->prepared_name);
    json_decref(s->signature);
    json_decref(s->fixed_rows);
    n1ql_exec_free(s->exec);
    n1ql_stmt_release(s->stmt);
    n1ql_arena_free(s->arena);
    free(s);
}

static void format_duration(char *buf, size_t n, unsigned long long ns)
{
    if (ns < 1000) {
        snprintf(buf, n, "%lluns", ns);
    } else if (ns < 1000000) {
        snprintf(buf, n, "%.3f\xc2\xb5s", (double)ns / 1e3);
    } else if (ns < 1000000000ull) {
        snprintf(buf, n, "%.4fms", (double)ns / 1e6);
    } else {
        snprintf(buf, n, "%.4fs", (double)ns / 1e9);
    }
}

static int write_header(qstream *s, mock_strbuf *out)
{
    int rc = mock_q_append_str(out, "{\"requestID\":\"");
    rc |= mock_q_append_str(out, s->request_id);
    rc |= mock_q_append_str(out, "\"");
    if (s->client_context_id != NULL) {
        rc |= mock_q_append_str(out, ",\"clientContextID\":");
        rc |= mock_q_append_json(out, s->client_context_id);
    }
    if (s->pre_err.code != 0) {
        return rc;
    }
    if (s->prepared_name != NULL) {
        json_t *n = json_string(s->prepared_name);
        rc |= n == NULL;
        rc |= mock_q_append_str(out, ",\"prepared\":");
        rc |= mock_q_append_json(out, n);
        json_decref(n);
    }
    if (s->signature != NULL) {
        rc |= mock_q_append_str(out, ",\"signature\":");
        rc |= mock_q_append_json(out, s->signature);
    }
    rc |= mock_q_append_str(out, ",\"results\":[");
    return rc;
}

static int write_trailer(qstream *s, mock_strbuf *out)
{
    const n1ql_err *e = s->pre_err.code != 0 ? &s->pre_err : &s->exec_err;
    int rc = 0;
    if (s->pre_err.code == 0) {
        rc |= mock_q_append_str(out, "]");
    }
    if (e->code != 0) {
        json_t *errs = json_pack("[{s:i, s:s}]", "code", e->code, "msg", e->msg);
        rc |= errs == NULL;
        rc |= mock_q_append_str(out, ",\"errors\":");
        rc |= mock_q_append_json(out, errs);
        json_decref(errs);
    }
    const char *status = e->code == 0 ? "success" : e->code == 1080 ? "timeout" : s->pre_err.code ? "fatal" : "errors";
    rc |= mock_q_append_str(out, ",\"status\":\"");
    rc |= mock_q_append_str(out, status);
    rc |= mock_q_append_str(out, "\"");
    if (s->metrics) {
        char el[64], ex[64], tail[160];
        unsigned long long d = mock_q_now_ns() - s->start_ns;
        format_duration(el, sizeof(el), d);
        format_duration(ex, sizeof(ex), d > 1000 ? d - 1000 : d);
        snprintf(tail, sizeof(tail), ",\"resultCount\":%zu,\"resultSize\":%zu%s}", s->count, s->size,
                 e->code != 0 ? ",\"errorCount\":1" : "");
        rc |= mock_q_append_str(out, ",\"metrics\":{\"elapsedTime\":\"");
        rc |= mock_q_append_str(out, el);
        rc |= mock_q_append_str(out, "\",\"executionTime\":\"");
        rc |= mock_q_append_str(out, ex);
        rc |= mock_q_append_str(out, "\"");
        rc |= mock_q_append_str(out, tail);
    }
    rc |= mock_q_append_str(out, "}\n");
    return rc;
}

static int rows_step(qstream *s, mock_strbuf *out, size_t max)
{
    if (s->exec != NULL) {
        int rc = n1ql_exec_next(s->exec, out, max, &s->exec_err);
        s->count = n1ql_exec_result_count(s->exec);
        s->size = n1ql_exec_result_size(s->exec);
        return rc == 1 ? 1 : 0; /* errors end the results and show in the trailer */
    }
    size_t start = out->len;
    while (s->fixed_rows != NULL && s->fixed_next < json_array_size(s->fixed_rows) && out->len - start < max) {
        size_t before = out->len;
        if ((s->fixed_next > 0 && mock_q_append_str(out, ",") != 0) ||
            mock_q_append_json(out, json_array_get(s->fixed_rows, s->fixed_next)) != 0) {
            return -1;
        }
        s->size += out->len - before - (s->fixed_next > 0);
        s->count++;
        s->fixed_next++;
    }
    return s->fixed_rows != NULL && s->fixed_next < json_array_size(s->fixed_rows) ? 1 : 0;
}

static int qstream_produce(void *ctx, mock_strbuf *out, size_t max)
{
    qstream *s = ctx;
    if (max == 0) {
        max = 1;
    }
    if (s->phase == 0) {
        if (write_header(s, out) != 0) {
            return -1;
        }
        s->phase = s->pre_err.code != 0 ? 2 : 1;
        return 1; /* the header goes out before any row is computed */
    }
    if (s->phase == 1) {
        int rc = rows_step(s, out, max);
        if (rc < 0) {
            return -1;
        }
        if (rc == 1) {
            return 1;
        }
        s->phase = 2;
    }
    if (s->phase == 2) {
        if (write_trailer(s, out) != 0) {
            return -1;
        }
        s->phase = 3;
    }
    return 0;
}

static int http_status_of(int code)
{
    switch (code) {
    case 4040:
    case 4050:
    case 4070: return 404;
    case 12003: return 424;
    case 5000: return 500;
    default: return 400;
    }
}

static void set_err(n1ql_err *e, int code, const char *msg, const char *arg)
{
    e->code = code;
    snprintf(e->msg, sizeof(e->msg), msg, arg);
}

static const n1ql_prepared *resolve_prepared(mock_n1ql *q, const n1ql_request *r, n1ql_err *err)
{
    const char *name = json_string_value(r->prepared);
    if (name == NULL || name[0] == '\0') {
        set_err(err, 4050, "Unrecognizable prepared statement - the prepared value must be a non-empty name%s", "");
        return NULL;
    }
    const n1ql_prepared *p = n1ql_prepared_find(q->prepared, name);
    if (r->encoded_plan != NULL) {
        char *pn = NULL, *pt = NULL;
        int rc = n1ql_plan_decode(r->encoded_plan, &pn, &pt);
        if (rc != 0) {
            set_err(err, rc == -2 ? 5000 : 4070,
                    rc == -2 ? "out of memory%s" : "Unable to decode prepared statement plan for %s", name);
            return NULL;
        }
        if (strcmp(pn, name) != 0) {
            set_err(err, 4070, "Encoded plan parameter does not match prepared statement %s", name);
        } else if (p == NULL || strcmp(p->text, pt) != 0) {
            p = n1ql_prepared_add(q->prepared, name, pt, strlen(pt)); /* re-created from the plan */
            if (p == NULL) {
                set_err(err, 5000, "out of memory%s", "");
            }
        }
        free(pn);
        free(pt);
        return err->code != 0 ? NULL : p;
    }
    if (p == NULL) {
        set_err(err, 4040, "No such prepared statement: %s", name);
    }
    return p;
}

static int parse_text(qstream *s, const char *text, size_t ntext)
{
    char msg[sizeof(s->pre_err.msg)];
    n1ql_stmt_release(s->stmt);
    s->stmt = NULL;
    int rc = n1ql_parse(s->arena, text, ntext, &s->stmt, msg, sizeof(msg));
    if (rc != 0) {
        set_err(&s->pre_err, rc == -2 ? 5000 : 3000, "%s", rc == -2 ? "out of memory" : msg);
        return -1;
    }
    return 0;
}

static void start_select(qstream *s, mock_cluster *c, const n1ql_request *r)
{
    const n1ql_select *sel = s->stmt->select;
    if ((s->signature = n1ql_signature(sel)) == NULL) {
        set_err(&s->pre_err, 5000, "out of memory%s", "");
        return;
    }
    unsigned long long deadline = r->timeout_ns != 0 ? s->start_ns + r->timeout_ns : 0;
    s->exec = n1ql_exec_new(sel, c, r->args, r->named, deadline, &s->pre_err);
    if (s->exec == NULL && s->pre_err.code == 0) {
        set_err(&s->pre_err, 5000, "out of memory%s", "");
    }
}

static void prepare_result(qstream *s, const n1ql_prepared *p, const char *stmt_text)
{
    json_t *sig = n1ql_signature(s->stmt->select);
    s->signature = json_pack("{s:s, s:s, s:s, s:s, s:s}", "encoded_plan", "json", "name", "json", "operator",
                             "json", "signature", "json", "text", "json");
    s->fixed_rows = sig == NULL ? NULL
                                : json_pack("[{s:s, s:s, s:{s:s}, s:o, s:s}]", "encoded_plan", p->plan, "name",
                                            p->name, "operator", "#operator", "Sequence", "signature", sig, "text",
                                            stmt_text);
    if (s->fixed_rows == NULL || s->signature == NULL) {
        set_err(&s->pre_err, 5000, "out of memory%s", "");
    }
}

static void run(mock_n1ql *q, mock_cluster *c, qstream *s, const n1ql_request *r)
{
    const char *text = r->statement;
    if (r->prepared != NULL) {
        const n1ql_prepared *p = resolve_prepared(q, r, &s->pre_err);
        if (p == NULL) {
            return;
        }
        text = p->text;
    }
    if ((s->arena = n1ql_arena_new()) == NULL) {
        set_err(&s->pre_err, 5000, "out of memory%s", "");
        return;
    }
    if (parse_text(s, text, strlen(text)) != 0) {
        return;
    }
    if (s->stmt->kind == STMT_EXECUTE) {
        const n1ql_prepared *p = n1ql_prepared_find(q->prepared, s->stmt->name);
        if (p == NULL) {
            set_err(&s->pre_err, 4040, "No such prepared statement: %s", s->stmt->name);
            return;
        }
        if (parse_text(s, p->text, strlen(p->text)) != 0) {
            return;
        }
    }
    if (s->stmt->kind == STMT_PREPARE) {
        const n1ql_stmt *st = s->stmt;
        const n1ql_prepared *p = st->name == NULL ? n1ql_prepared_find_text(q->prepared, st->body, st->nbody) : NULL;
        if (p == NULL) {
            p = n1ql_prepared_add(q->prepared, st->name, st->body, st->nbody);
        }
        if (p == NULL) {
            set_err(&s->pre_err, 5000, "out of memory%s", "");
            return;
        }
        if (!r->auto_execute) {
            prepare_result(s, p, text);
            return;
        }
        if ((s->prepared_name = strdup(p->name)) == NULL) {
            set_err(&s->pre_err, 5000, "out of memory%s", "");
            return;
        }
    }
    start_select(s, c, r);
}

int mock_n1ql_handle(mock_n1ql *q, mock_cluster *c, const char *method, const char *path, const char *body,
                     size_t nbody, int *http_status, mock_http_producer *out)
{
    if (strcmp(path, "/query/service") != 0 && strcmp(path, "/query") != 0) {
        return MOCK_N1QL_NOT_MINE;
    }
    qstream *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return MOCK_N1QL_NOMEM;
    }
    s->start_ns = mock_q_now_ns();
    s->metrics = 1;
    unsigned long long id = ++q->requests, h = (s->start_ns ^ (id * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
    snprintf(s->request_id, sizeof(s->request_id), "%08llx-%04llx-4%03llx-a%03llx-%012llx", h >> 32,
             (h >> 16) & 0xffff, h & 0xfff, (h >> 20) & 0xfff, id & 0xffffffffffffull);
    int status = 200;
    if (strcmp(method, "POST") != 0) {
        set_err(&s->pre_err, 1000, "sofa-mock accepts queries only as POST %s with a JSON body", path);
        status = 405;
    } else {
        n1ql_request r;
        if (n1ql_request_parse(&r, body != NULL ? body : "", body != NULL ? nbody : 0, &s->pre_err) == 0) {
            s->metrics = r.metrics;
            s->client_context_id = json_incref((json_t *)r.client_context_id);
            run(q, c, s, &r);
        } else {
            s->client_context_id = json_incref((json_t *)r.client_context_id);
        }
        n1ql_request_clear(&r);
        if (s->pre_err.code != 0) {
            status = http_status_of(s->pre_err.code);
        }
    }
    *http_status = status;
    out->produce = qstream_produce;
    out->free = qstream_free;
    out->ctx = s;
    return MOCK_N1QL_HANDLED;
}
