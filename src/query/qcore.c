/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
#include "query/qcore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sofa/status.h"

static void on_deadline(sofa_io_timer *t, void *arg);
static void on_kick(sofa_io_timer *t, void *arg);

static void release(sofa_query *q)
{
    sofa__svc *s = q->svc;
    if (q->ops && q->ops->cleanup) {
        q->ops->cleanup(q);
    }
    if (q->deadline) {
        s->io->update_timer(s->io, q->deadline, SOFA_IO_CLEANUP, 0);
    }
    if (q->kick) {
        s->io->update_timer(s->io, q->kick, SOFA_IO_CLEANUP, 0);
    }
    sofa__rowsplit_free(&q->rs);
    json_decref(q->meta);
    free(q->meta_json);
    free(q->batch);
    free(q->errbody);
    free(q);
}

static void unlink_query(sofa_query *q)
{
    (void)sofa__dlist_unlink(&q->svc->queries, &q->link);
}

sofa_query *sofa__q_new(sofa__svc *svc, sofa__qkind kind, const sofa__qops *ops,
                        sofa__service service, const char *rows_key, uint64_t timeout_us,
                        size_t max_row, size_t state_size, void *cookie)
{
    sofa_query *q = calloc(1, sizeof(*q));
    if (!q) {
        return NULL;
    }
    q->svc = svc;
    q->kind = kind;
    q->ops = ops;
    q->service = service;
    q->rows_key = rows_key;
    q->timeout_us = timeout_us;
    q->max_row = max_row;
    q->cookie = cookie;
    q->errmax = rows_key ? SOFA__Q_MAX_ERROR_BODY : SOFA_HTTP_MAX_BODY;
    q->deadline = svc->io->timer_new(svc->io, on_deadline, q);
    q->kick = svc->io->timer_new(svc->io, on_kick, q);
    q->kind_state = state_size ? calloc(1, state_size) : NULL;
    if (!q->deadline || !q->kick || (state_size && !q->kind_state)) {
        release(q);
        return NULL;
    }
    sofa__dlist_push(&svc->queries, &q->link);
    return q;
}

int sofa__q_check_start(const sofa__svc *svc, int args_ok, sofa_query **handle)
{
    if (handle) {
        *handle = NULL;
    }
    if (!svc || !args_ok) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    return svc->freeing ? SOFA_E_SHUTDOWN : 0;
}

void sofa__q_discard(sofa_query *q)
{
    unlink_query(q);
    release(q);
}

int sofa__q_start(sofa_query *q)
{
    sofa__svc *s = q->svc;
    if (s->io->update_timer(s->io, q->deadline, SOFA_IO_WATCH, q->timeout_us) != 0 ||
        s->io->update_timer(s->io, q->kick, SOFA_IO_WATCH, 0) != 0) {
        return SOFA_E_IO;
    }
    if (s->hooks.op_begin) {
        s->hooks.op_begin(s->hook_arg);
    }
    return 0;
}

static sofa__io_guard guard_of(const sofa_query *q)
{
    sofa__io_guard g = {q->svc->hooks.enter, q->svc->hooks.leave, q->svc->hook_arg};
    return g;
}

static void on_deadline(sofa_io_timer *t, void *arg)
{
    sofa_query *q = arg;
    sofa__io_guard g = guard_of(q);
    sofa__guard_enter(&g);
    char msg[96];
    snprintf(msg, sizeof(msg), "no complete answer within %llu ms",
             (unsigned long long)(q->timeout_us / 1000));
    sofa__q_finish(q, SOFA_E_QUERY_TIMEOUT, msg);
    sofa__guard_leave(g); /* may free everything */
}

static void on_kick(sofa_io_timer *t, void *arg)
{
    sofa_query *q = arg;
    sofa__io_guard g = guard_of(q);
    sofa__guard_enter(&g);
    if (q->kick_status) {
        sofa__q_finish(q, q->kick_status, q->msg);
    } else {
        sofa__q_send(q);
    }
    sofa__guard_leave(g); /* may free everything */
}

/* ------------------------------------------------------------ rows */

static int on_row(void *arg, const char *row, size_t len)
{
    sofa_query *q = arg;
    if (q->nbatch == q->batch_cap) {
        size_t cap = q->batch_cap ? q->batch_cap * 2 : 64;
        sofa_row *b = realloc(q->batch, cap * sizeof(*b));
        if (!b) {
            return SOFA_E_NO_MEMORY;
        }
        q->batch = b;
        q->batch_cap = cap;
    }
    q->batch[q->nbatch].json = row;
    q->batch[q->nbatch].len = len;
    q->nbatch++;
    return 0;
}

static int on_batch(void *arg)
{
    sofa_query *q = arg;
    size_t n = q->nbatch;
    q->nbatch = 0;
    if (sofa__q_closing(q)) { /* sofa_client_free() was called from a callback */
        return SOFA_E_CANCELED;
    }
    q->nrows += n;
    return q->ops->on_rows ? q->ops->on_rows(q, q->batch, n) : 0;
}

/* ------------------------------------------------------------ HTTP */

static int keep_body(sofa_query *q, const char *data, size_t len)
{
    if (len > q->errmax - q->nerrbody) {
        if (!q->rows_key) {
            return SOFA_E_ROW_TOO_LARGE; /* a raw body beyond SOFA_HTTP_MAX_BODY */
        }
        len = q->errmax - q->nerrbody; /* an error text: the start is enough */
    }
    if (q->nerrbody + len + 1 > q->errcap) {
        size_t cap = q->errcap ? q->errcap : 1024;
        while (cap < q->nerrbody + len + 1) {
            cap *= 2;
        }
        char *p = realloc(q->errbody, cap);
        if (!p) {
            return SOFA_E_NO_MEMORY;
        }
        q->errbody = p;
        q->errcap = cap;
    }
    memcpy(q->errbody + q->nerrbody, data, len);
    q->nerrbody += len;
    q->errbody[q->nerrbody] = '\0';
    return 0;
}

static int http_on_head(void *arg, const sofa__http_head *h)
{
    sofa_query *q = arg;
    q->http_status = h->status;
    snprintf(q->content_type, sizeof(q->content_type), "%s", h->content_type);
    q->body_is_json = q->rows_key && (!h->content_type[0] || strstr(h->content_type, "json"));
    return 0;
}

static int http_on_body(void *arg, const char *data, size_t len)
{
    sofa_query *q = arg;
    if (q->finished) {
        return SOFA_E_CANCELED;
    }
    if (sofa__q_closing(q)) {
        sofa__q_finish(q, SOFA_E_CANCELED, "canceled: the client is being destroyed");
        return SOFA_E_CANCELED;
    }
    q->busy++; /* a row callback may end the query: keep the record until we are out */
    int rc = q->body_is_json ? sofa__rowsplit_feed(&q->rs, data, len) : keep_body(q, data, len);
    q->busy--;
    if (q->cancel_asked && !q->finished) { /* sofa_query_cancel() from on_rows */
        sofa__q_finish(q, SOFA_E_CANCELED, "canceled by the application");
        /* finish canceled the HTTP request (no more callbacks from it) and
         * released the query */
        return SOFA_E_CANCELED;
    }
    if (q->finished) { /* ended from a row callback */
        if (q->busy == 0) {
            release(q);
        }
        return SOFA_E_CANCELED;
    }
    return rc;
}

static const char *status_from_http(int http_status, int *status)
{
    if (http_status == 401) {
        *status = SOFA_E_AUTH_FAILED;
        return "HTTP 401: bad credentials";
    }
    if (http_status == 403) {
        *status = SOFA_E_ACCESS_DENIED;
        return "HTTP 403: no privilege";
    }
    *status = SOFA_E_HTTP_STATUS;
    return "HTTP error status";
}

static void http_on_done(void *arg, int status, int sent, const char *msg)
{
    sofa_query *q = arg;
    q->req = NULL; /* released by the HTTP client after this returns */
    if (q->finished) {
        return;
    }
    if (status != 0) {
        if (q->rs_live && q->rs.failed == status) {
            msg = sofa__rowsplit_error(&q->rs);
        }
        if (!sent && sofa_status_category(status) == SOFA_CAT_NETWORK &&
            q->attempt + 1 < sofa__svc_count(q->svc, q->service)) {
            SOFA_LOG(q->svc->lg, SOFA_LOG_INFO, "query", "%s; trying another node", msg);
            q->attempt++;
            sofa__q_send(q);
            return;
        }
        sofa__q_finish(q, status, msg);
        return;
    }
    if (q->body_is_json) {
        json_t *meta = NULL;
        int rc = sofa__rowsplit_finish(&q->rs, &meta);
        if (rc != 0) {
            if (q->http_status >= 400 && q->nrows == 0) {
                int st;
                const char *m = status_from_http(q->http_status, &st);
                snprintf(q->msg, sizeof(q->msg), "%s (body: %s)", m, sofa__rowsplit_error(&q->rs));
                sofa__q_finish(q, st, q->msg);
            } else {
                sofa__q_finish(q, rc, sofa__rowsplit_error(&q->rs));
            }
            return;
        }
        q->meta = meta;
    }
    q->ops->on_complete(q);
}

static const sofa__http_req_cbs http_cbs = {http_on_head, http_on_body, http_on_done};

void sofa__q_send(sofa_query *q)
{
    sofa__svc *s = q->svc;
    if (q->finished) {
        return;
    }
    /* reset the per-attempt state */
    q->http_status = 0;
    q->body_is_json = 0;
    q->nerrbody = 0;
    q->content_type[0] = '\0';
    json_decref(q->meta);
    q->meta = NULL;
    sofa__rowsplit_free(&q->rs);
    q->rs_live = 0;
    if (q->rows_key) {
        int rc = sofa__rowsplit_init(&q->rs, q->rows_key, q->max_row, on_row, q);
        if (rc != 0) {
            sofa__q_finish(q, rc, "cannot set up the row splitter");
            return;
        }
        sofa__rowsplit_set_batch_cb(&q->rs, on_batch);
        q->rs_live = 1;
    }
    int rc = sofa__svc_pick(s, q->service, q->attempt, &q->base, &q->ep);
    if (rc == SOFA_E_NO_CONFIG) { /* bootstrap still running: look again soon */
        s->io->update_timer(s->io, q->kick, SOFA_IO_WATCH, SOFA__Q_NO_CONFIG_RETRY_US);
        return;
    }
    if (rc != 0) {
        sofa__q_finish(q, rc,
                       rc == SOFA_E_NO_SERVICE ? "no node in the cluster runs this service"
                                               : "cannot choose a node");
        return;
    }
    sofa__http_spec spec;
    memset(&spec, 0, sizeof(spec));
    spec.host = q->ep.host;
    spec.port = q->ep.port;
    rc = q->ops->prepare_request(q, &q->ep, &spec);
    if (rc == 0) {
        rc = sofa__http_start(s->http, &spec, &http_cbs, q, &q->req);
    }
    if (rc != 0) {
        sofa__q_finish(q, rc, "cannot build the HTTP request");
    }
}

/* ------------------------------------------------------------ the end */

static const char *jstr(json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));
    return v ? v : "";
}

void sofa__q_meta(sofa_query *q, sofa_query_meta *m)
{
    memset(m, 0, sizeof(*m));
    if (q->meta && !q->meta_json) {
        q->meta_json = json_dumps(q->meta, JSON_COMPACT);
    }
    m->json = q->meta_json ? q->meta_json : "";
    m->len = strlen(m->json);
    m->status = jstr(q->meta, "status");
    m->request_id = jstr(q->meta, "requestID");
    m->client_context_id = q->context_id;
    m->nrows = q->nrows;
    m->http_status = q->http_status;
    m->error_code = q->error_code;
    m->error_msg = q->msg;
}

void sofa__q_finish(sofa_query *q, int status, const char *msg)
{
    if (q->finished) {
        return;
    }
    sofa__svc *s = q->svc;
    q->finished = 1;
    if (status == 0 && sofa__q_closing(q)) { /* freed from a callback: nothing but CANCELED */
        status = SOFA_E_CANCELED;
        msg = "canceled: the client is being destroyed";
    }
    if (msg && msg != q->msg) {
        snprintf(q->msg, sizeof(q->msg), "%s", msg);
    }
    s->io->update_timer(s->io, q->deadline, SOFA_IO_UNWATCH, 0);
    s->io->update_timer(s->io, q->kick, SOFA_IO_UNWATCH, 0);
    if (q->req) {
        sofa__http_cancel(q->req);
        q->req = NULL;
    }
    if (status != 0) {
        SOFA_LOG(s->lg, SOFA_LOG_DEBUG, "query", "query ends with %s: %s", sofa_status_name(status),
                 q->msg);
    }
    q->busy++;
    q->ops->deliver_end(q, status);
    q->busy--;
    unlink_query(q);
    if (s->hooks.op_end) {
        s->hooks.op_end(s->hook_arg);
    }
    if (q->busy == 0) {
        release(q);
    }
}

void sofa__q_unbusy(sofa_query *q)
{
    if (--q->busy == 0 && q->finished) {
        release(q);
    }
}

void sofa__queries_cancel_all(sofa__svc *s)
{
    while (s->queries.head) {
        sofa__q_finish(SOFA__DLIST_ENTRY(s->queries.head, sofa_query, link), SOFA_E_CANCELED,
                       "canceled: the client is being destroyed");
    }
}

void sofa__q_deliver_end(sofa_query *q, int status, sofa__q_done_fn on_done,
                         sofa__q_error_fn on_error)
{
    sofa_query_meta m;
    sofa__q_meta(q, &m);
    if (status == 0) {
        on_done(q->svc->client, &m, q->cookie);
    } else {
        on_error(q->svc->client, (sofa_status)status, &m, q->cookie);
    }
}
