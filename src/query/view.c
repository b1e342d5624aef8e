/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* View queries: the request, rows with optional documents (include_docs with
 * bounded concurrency, delivered in order), error classification. */
#include "query/view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/view_req.h"
#include "sofa/status.h"

typedef struct view_state view_state;

/* One row waiting for its document (include_docs). */
typedef struct doc_item {
    struct doc_item *next;
    view_state *owner; /* NULL once the query ended: the item frees itself on completion */
    char *row;
    size_t len;
    char *id;
    int fetching;
    int done;
    int status;
    char *doc;
    size_t ndoc;
    uint64_t cas;
} doc_item;

struct view_state {
    sofa_query *q;
    sofa_view_callbacks cbs;
    char *suffix; /* "/_design/d/_view/v?..." */
    char *body;   /* keys POST body or NULL */
    size_t nbody;
    char *path; /* prefix + suffix for the current attempt */
    int include_docs;
    unsigned concurrency;
    doc_item *head, *tail; /* rows in order */
    size_t queued, fetching;
    int http_done; /* the response is complete: finish once the queue drains */
    int paused;
    sofa_view_row *out; /* delivery buffer */
    size_t out_cap;
};

/* ------------------------------------------------------------ classification */

int sofa__view_classify(int http_status, json_t *meta, const char **msg)
{
    const char *err = json_string_value(json_object_get(meta, "error"));
    const char *reason = json_string_value(json_object_get(meta, "reason"));
    *msg = reason ? reason : err ? err : "";
    if (http_status == 200 && !err) {
        return 0;
    }
    if (http_status == 404 || (err && strcmp(err, "not_found") == 0)) {
        return SOFA_E_VIEW_NOT_FOUND;
    }
    if (http_status == 401) {
        return SOFA_E_AUTH_FAILED;
    }
    if (http_status == 403) {
        return SOFA_E_ACCESS_DENIED;
    }
    if (!**msg) {
        *msg = "view query failed";
    }
    return SOFA_E_VIEW_ERROR;
}

/* ------------------------------------------------------------ delivery */

static view_state *vstate(sofa_query *q)
{
    return q->kind_state;
}

static int deliver(sofa_query *q, const sofa_view_row *rows, size_t n)
{
    view_state *vs = vstate(q);
    if (!vs->cbs.on_rows || n == 0) {
        return 0;
    }
    sofa__q_busy(q);
    q->in_rows_cb = 1;
    vs->cbs.on_rows(q->svc->client, rows, n, q->cookie);
    q->in_rows_cb = 0;
    q->busy--;
    return q->cancel_asked ? SOFA_E_CANCELED : 0;
}

static int grow_out(view_state *vs, size_t n)
{
    if (n <= vs->out_cap) {
        return 0;
    }
    size_t cap = vs->out_cap ? vs->out_cap : 64;
    while (cap < n) {
        cap *= 2;
    }
    sofa_view_row *p = realloc(vs->out, cap * sizeof(*p));
    if (!p) {
        return SOFA_E_NO_MEMORY;
    }
    vs->out = p;
    vs->out_cap = cap;
    return 0;
}

static void item_free(doc_item *it)
{
    free(it->row);
    free(it->id);
    free(it->doc);
    free(it);
}

static void pump(view_state *vs);

/* Hand over the finished rows at the head of the queue; finish when drained. */
static void flush_ready(view_state *vs)
{
    sofa_query *q = vs->q;
    size_t n = 0;
    for (doc_item *it = vs->head; it && it->done; it = it->next) {
        n++;
    }
    if (n > 0) {
        if (grow_out(vs, n) != 0) {
            sofa__q_finish(q, SOFA_E_NO_MEMORY, "out of memory delivering rows");
            return;
        }
        doc_item *it = vs->head;
        for (size_t i = 0; i < n; i++, it = it->next) {
            sofa_view_row *r = &vs->out[i];
            r->json = it->row;
            r->len = it->len;
            r->id = it->id;
            r->doc = it->status == 0 ? it->doc : NULL;
            r->ndoc = it->status == 0 ? it->ndoc : 0;
            r->doc_status = (sofa_status)it->status;
            r->cas = it->cas;
        }
        q->nrows += n;
        sofa__q_busy(q);
        int rc = deliver(q, vs->out, n);
        for (size_t i = 0; i < n; i++) {
            doc_item *done = vs->head;
            vs->head = done->next;
            item_free(done);
            vs->queued--;
        }
        if (!vs->head) {
            vs->tail = NULL;
        }
        if (rc != 0 && !q->finished) {
            sofa__q_finish(q, rc, "canceled by the application");
        } else if (!q->finished && !vs->head && vs->http_done) {
            sofa__q_finish(q, 0, NULL);
        }
        sofa__q_unbusy(q); /* may release q */
        return;
    }
    if (!vs->head && vs->http_done) {
        sofa__q_finish(q, 0, NULL);
    }
}

static void on_doc(void *cookie, int status, const void *value, size_t nvalue, uint64_t cas)
{
    doc_item *it = cookie;
    view_state *vs = it->owner;
    if (!vs) { /* the query ended meanwhile */
        item_free(it);
        return;
    }
    it->fetching = 0;
    it->done = 1;
    it->status = status;
    it->cas = cas;
    if (status == 0 && nvalue > 0) {
        it->doc = malloc(nvalue);
        if (it->doc) {
            memcpy(it->doc, value, nvalue);
            it->ndoc = nvalue;
        } else {
            it->status = SOFA_E_NO_MEMORY;
        }
    }
    vs->fetching--;
    sofa_query *q = vs->q;
    sofa__q_busy(q);
    flush_ready(vs);
    if (!q->finished) {
        pump(vs);
    }
    sofa__q_unbusy(q);
}

/* Start fetches up to the concurrency limit; resume reading when the queue is short. */
static void pump(view_state *vs)
{
    sofa__svc *s = vs->q->svc;
    for (doc_item *it = vs->head; it && vs->fetching < vs->concurrency; it = it->next) {
        if (it->done || it->fetching) {
            continue;
        }
        int rc = s->hooks.get_doc
                     ? s->hooks.get_doc(s->hook_arg, it->id, strlen(it->id), on_doc, it)
                     : SOFA_E_NOT_SUPPORTED;
        if (rc == 0) {
            it->fetching = 1;
            vs->fetching++;
        } else {
            it->done = 1;
            it->status = rc;
        }
    }
    int want_pause = vs->queued > 4u * vs->concurrency;
    if (want_pause != vs->paused && vs->q->req) {
        vs->paused = want_pause;
        sofa__http_pause(vs->q->req, want_pause);
    }
}

static int queue_row(view_state *vs, const sofa_row *row)
{
    doc_item *it = calloc(1, sizeof(*it));
    if (!it || !(it->row = malloc(row->len + 1))) {
        free(it);
        return SOFA_E_NO_MEMORY;
    }
    memcpy(it->row, row->json, row->len);
    it->row[row->len] = '\0';
    it->len = row->len;
    it->owner = vs;
    json_error_t je;
    json_t *j = json_loadb(row->json, row->len, 0, &je);
    if (!j && json_error_code(&je) == json_error_out_of_memory) {
        item_free(it);
        return SOFA_E_NO_MEMORY;
    }
    const char *id = json_string_value(json_object_get(j, "id"));
    if (id) {
        it->id = strdup(id);
        if (!it->id) {
            json_decref(j);
            item_free(it);
            return SOFA_E_NO_MEMORY;
        }
    } else { /* a reduce row: no document to fetch */
        it->done = 1;
        it->status = SOFA_E_NOT_FOUND;
    }
    json_decref(j);
    if (vs->tail) {
        vs->tail->next = it;
    } else {
        vs->head = it;
    }
    vs->tail = it;
    vs->queued++;
    return 0;
}

static int view_on_rows(sofa_query *q, const sofa_row *rows, size_t n)
{
    view_state *vs = vstate(q);
    if (!vs->include_docs) {
        int rc = grow_out(vs, n);
        if (rc != 0) {
            return rc;
        }
        for (size_t i = 0; i < n; i++) {
            memset(&vs->out[i], 0, sizeof(vs->out[i]));
            vs->out[i].json = rows[i].json;
            vs->out[i].len = rows[i].len;
        }
        return deliver(q, vs->out, n);
    }
    q->nrows -= n; /* counted when delivered with their documents */
    for (size_t i = 0; i < n; i++) {
        int rc = queue_row(vs, &rows[i]);
        if (rc != 0) {
            return rc;
        }
    }
    pump(vs);
    flush_ready(vs);
    return q->cancel_asked ? SOFA_E_CANCELED : 0;
}

/* ------------------------------------------------------------ requests */

static int view_prepare_request(sofa_query *q, const sofa__endpoint *ep, sofa__http_spec *spec)
{
    view_state *vs = vstate(q);
    size_t pl = strlen(ep->prefix), sl = strlen(vs->suffix);
    free(vs->path);
    vs->path = malloc(pl + sl + 1);
    if (!vs->path) {
        return SOFA_E_NO_MEMORY;
    }
    memcpy(vs->path, ep->prefix, pl);
    memcpy(vs->path + pl, vs->suffix, sl + 1);
    spec->method = vs->body ? "POST" : "GET";
    spec->path = vs->path;
    spec->content_type = vs->body ? "application/json" : NULL;
    spec->body = vs->body;
    spec->nbody = vs->nbody;
    return 0;
}

static void view_on_complete(sofa_query *q)
{
    view_state *vs = vstate(q);
    if (!q->meta) {
        int st = q->http_status == 401   ? SOFA_E_AUTH_FAILED
                 : q->http_status == 404 ? SOFA_E_VIEW_NOT_FOUND
                 : q->http_status == 200 ? SOFA_E_JSON
                                         : SOFA_E_VIEW_ERROR;
        snprintf(q->msg, sizeof(q->msg), "HTTP %d, body is not JSON: %.200s", q->http_status,
                 q->errbody ? q->errbody : "");
        sofa__q_finish(q, st, q->msg);
        return;
    }
    const char *msg;
    int status = sofa__view_classify(q->http_status, q->meta, &msg);
    if (status != 0) {
        const char *err = json_string_value(json_object_get(q->meta, "error"));
        snprintf(q->msg, sizeof(q->msg), "%s%s%s", err ? err : "", err ? ": " : "", msg);
        sofa__q_finish(q, status, q->msg);
        return;
    }
    vs->http_done = 1;
    if (!vs->include_docs || !vs->head) {
        sofa__q_finish(q, 0, NULL);
    }
    /* else: finishes when the last document arrived (flush_ready) */
}

static void view_deliver_end(sofa_query *q, int status)
{
    view_state *vs = vstate(q);
    sofa__q_deliver_end(q, status, vs->cbs.on_done, vs->cbs.on_error);
}

static void view_cleanup(sofa_query *q)
{
    view_state *vs = vstate(q);
    if (!vs) {
        return;
    }
    while (vs->head) {
        doc_item *it = vs->head;
        vs->head = it->next;
        if (it->fetching) {
            it->owner = NULL; /* freed by its callback */
            it->next = NULL;
        } else {
            item_free(it);
        }
    }
    free(vs->suffix);
    free(vs->body);
    free(vs->path);
    free(vs->out);
    free(vs);
    q->kind_state = NULL;
}

static const sofa__qops view_ops = {view_prepare_request, view_on_complete, view_on_rows,
                                    view_deliver_end, view_cleanup};

int sofa__view_start(sofa__svc *svc, const char *ddoc, const char *view, const sofa_view_opts *opts,
                     const sofa_view_callbacks *cbs, void *cookie, sofa_query **handle)
{
    int rc = sofa__q_check_start(svc, cbs && cbs->on_done && cbs->on_error, handle);
    if (rc != 0) {
        return rc;
    }
    char err[200] = "";
    sofa__view_req req;
    rc = sofa__view_req_build("", ddoc, view, opts, &req, err, sizeof(err));
    if (rc != 0) {
        SOFA_LOG(svc->lg, SOFA_LOG_WARN, "view", "view query refused: %s", err);
        return rc;
    }
    if (opts && opts->max_row > SOFA__ROWSPLIT_MAX_ROW_LIMIT) {
        sofa__view_req_free(&req);
        return SOFA_E_INVALID_ARGUMENT;
    }
    uint64_t timeout = opts && opts->timeout_us ? opts->timeout_us : svc->view_timeout_us;
    sofa_query *q = sofa__q_new(svc, SOFA__Q_VIEW, &view_ops, SOFA__SVC_CAPI, "rows", timeout,
                                opts ? opts->max_row : 0, sizeof(view_state), cookie);
    if (!q) {
        sofa__view_req_free(&req);
        return SOFA_E_NO_MEMORY;
    }
    view_state *vs = q->kind_state;
    vs->q = q;
    vs->cbs = *cbs;
    vs->suffix = req.path;
    vs->body = req.body;
    vs->nbody = req.nbody;
    vs->include_docs = opts && opts->include_docs;
    vs->concurrency = opts && opts->docs_concurrency ? opts->docs_concurrency
                                                     : SOFA__VIEW_DEFAULT_DOCS_CONCURRENCY;
    rc = sofa__q_start(q);
    if (rc != 0) {
        sofa__q_discard(q);
        return rc;
    }
    if (handle) {
        *handle = q;
    }
    return 0;
}
