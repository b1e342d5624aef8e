/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* The all-at-once and sync forms of N1QL and view queries, on top of the streaming form. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sofa/query.h"
#include "sofa/status.h"
#include "sofa/view.h"

struct sofa_query_result {
    char *data; /* every row's text, back to back */
    size_t len, cap;
    size_t *offs, *lens;
    size_t n, ncap;
    sofa_row *rows; /* built at the end (data no longer moves) */
    size_t iter;
    sofa_query_meta meta;
    char *strs[5]; /* owned copies behind meta's strings */
    int status;
    int done;
    int nomem;
    int orphan; /* nobody will read it: free when done */
    sofa_query *q;
    sofa_query_all_cb cb; /* NULL: the sync form keeps the result */
    void *cookie;
};

static int append_tail(sofa_query_result *r)
{
    if (r->len == r->cap) {
        char *p = realloc(r->data, r->cap + 64);
        if (!p) {
            return -1;
        }
        r->data = p;
        r->cap += 64;
    }
    r->data[r->len++] = '}';
    r->lens[r->n - 1]++;
    return 0;
}

/* Append one row made of up to three pieces (a view row with its document spliced in). */
static int append_row(sofa_query_result *r, const char *a, size_t na, const char *b, size_t nb,
                      const char *d, size_t nd)
{
    if (r->n == r->ncap) {
        size_t cap = r->ncap ? r->ncap * 2 : 256;
        size_t *o = realloc(r->offs, cap * sizeof(*o));
        if (!o) {
            return -1;
        }
        r->offs = o;
        size_t *l = realloc(r->lens, cap * sizeof(*l));
        if (!l) {
            return -1;
        }
        r->lens = l;
        r->ncap = cap;
    }
    size_t len = na + nb + nd;
    if (len < na || len > r->cap - r->len) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap - r->len < len) {
            if (cap > SIZE_MAX / 2) {
                return -1;
            }
            cap *= 2;
        }
        char *p = realloc(r->data, cap);
        if (!p) {
            return -1;
        }
        r->data = p;
        r->cap = cap;
    }
    memcpy(r->data + r->len, a, na);
    if (nb) {
        memcpy(r->data + r->len + na, b, nb);
    }
    if (nd) {
        memcpy(r->data + r->len + na + nb, d, nd);
    }
    r->offs[r->n] = r->len;
    r->lens[r->n++] = len;
    r->len += len;
    return 0;
}

static void on_rows(sofa_client *c, const sofa_row *rows, size_t n, void *cookie)
{
    sofa_query_result *r = cookie;
    for (size_t i = 0; i < n && !r->nomem; i++) {
        r->nomem = append_row(r, rows[i].json, rows[i].len, NULL, 0, NULL, 0) != 0;
    }
    if (r->nomem) {
        sofa_query_cancel(r->q); /* ends right after this callback */
    }
}

/* View rows: {"id":..,"key":..,"value":..} becomes {...,"doc":DOC} when the
 * document is JSON. */
static void on_view_rows(sofa_client *c, const sofa_view_row *rows, size_t n, void *cookie)
{
    sofa_query_result *r = cookie;
    for (size_t i = 0; i < n && !r->nomem; i++) {
        const sofa_view_row *v = &rows[i];
        int splice = 0;
        if (v->doc && v->len >= 2 && v->json[v->len - 1] == '}') {
            json_t *j = json_loadb(v->doc, v->ndoc, JSON_DECODE_ANY, NULL);
            splice = j != NULL;
            json_decref(j);
        }
        if (splice) {
            static const char mid[] = ",\"doc\":";
            r->nomem = append_row(r, v->json, v->len - 1, mid, sizeof(mid) - 1, v->doc, v->ndoc) ||
                       append_tail(r);
        } else {
            r->nomem = append_row(r, v->json, v->len, NULL, 0, NULL, 0) != 0;
        }
    }
    if (r->nomem) {
        sofa_query_cancel(r->q);
    }
}

static const char *keep(sofa_query_result *r, int i, const char *s)
{
    r->strs[i] = strdup(s ? s : "");
    return r->strs[i] ? r->strs[i] : "";
}

static void finish(sofa_client *c, sofa_query_result *r, int status, const sofa_query_meta *m)
{
    r->status = r->nomem ? SOFA_E_NO_MEMORY : status;
    r->done = 1;
    r->meta = *m;
    r->meta.json = keep(r, 0, m->json);
    r->meta.len = strlen(r->meta.json);
    r->meta.status = keep(r, 1, m->status);
    r->meta.request_id = keep(r, 2, m->request_id);
    r->meta.client_context_id = keep(r, 3, m->client_context_id);
    r->meta.error_msg = keep(r, 4, r->nomem ? "out of memory keeping the rows" : m->error_msg);
    r->meta.nrows = r->n;
    r->rows = r->n ? malloc(r->n * sizeof(*r->rows)) : NULL;
    if (r->n && !r->rows) {
        r->n = 0; /* nothing to iterate rather than a crash */
        r->status = SOFA_E_NO_MEMORY;
    }
    for (size_t i = 0; i < r->n; i++) {
        r->rows[i].json = r->data + r->offs[i];
        r->rows[i].len = r->lens[i];
    }
    r->q = NULL;
    if (r->cb) {
        r->cb(c, (sofa_status)r->status, r, r->cookie);
        sofa_query_result_free(r);
    } else if (r->orphan) {
        sofa_query_result_free(r);
    }
}

static void on_done(sofa_client *c, const sofa_query_meta *m, void *cookie)
{
    finish(c, cookie, 0, m);
}

static void on_error(sofa_client *c, sofa_status st, const sofa_query_meta *m, void *cookie)
{
    finish(c, cookie, st, m);
}

static const sofa_query_callbacks collect = {on_rows, on_done, on_error};
static const sofa_view_callbacks collect_view = {on_view_rows, on_done, on_error};

/* What to run: a statement, or a view. */
typedef struct what {
    const char *statement;
    const sofa_query_opts *qopts;
    const char *ddoc, *view;
    const sofa_view_opts *vopts;
} what;

static int start(sofa_client *client, const what *w, sofa_query_all_cb cb, void *cookie,
                 sofa_query_result **out)
{
    sofa_query_result *r = calloc(1, sizeof(*r));
    if (!r) {
        return SOFA_E_NO_MEMORY;
    }
    r->cb = cb;
    r->cookie = cookie;
    int rc = w->statement
                 ? sofa_query_start(client, w->statement, w->qopts, &collect, r, &r->q)
                 : sofa_view_start(client, w->ddoc, w->view, w->vopts, &collect_view, r, &r->q);
    if (rc != 0) {
        free(r);
        return rc;
    }
    *out = r;
    return 0;
}

static int run_sync(sofa_client *client, const what *w, sofa_query_result **out)
{
    if (!out) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    *out = NULL;
    sofa_query_result *r;
    int rc = start(client, w, NULL, NULL, &r);
    if (rc != 0) {
        return rc;
    }
    rc = sofa_client_wait(client);
    if (rc != 0 && !r->done) {
        /* wait refused (e.g. called from a callback): the query still runs and
         * owns r; it cannot be handed out half-done */
        r->orphan = 1;
        return rc;
    }
    *out = r;
    return r->done ? r->status : SOFA_E_INTERNAL;
}

int sofa_query_all(sofa_client *client, const char *statement, const sofa_query_opts *opts,
                   sofa_query_all_cb cb, void *cookie)
{
    sofa_query_result *r;
    if (!cb || !statement) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    what w = {statement, opts, NULL, NULL, NULL};
    return start(client, &w, cb, cookie, &r);
}

int sofa_view_all(sofa_client *client, const char *ddoc, const char *view,
                  const sofa_view_opts *opts, sofa_query_all_cb cb, void *cookie)
{
    sofa_query_result *r;
    if (!cb) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    what w = {NULL, NULL, ddoc, view, opts};
    return start(client, &w, cb, cookie, &r);
}

int sofa_view_run(sofa_client *client, const char *ddoc, const char *view,
                  const sofa_view_opts *opts, sofa_query_result **out)
{
    what w = {NULL, NULL, ddoc, view, opts};
    return run_sync(client, &w, out);
}

int sofa_query_run(sofa_client *client, const char *statement, const sofa_query_opts *opts,
                   sofa_query_result **out)
{
    if (!statement) {
        if (out) {
            *out = NULL;
        }
        return SOFA_E_INVALID_ARGUMENT;
    }
    what w = {statement, opts, NULL, NULL, NULL};
    return run_sync(client, &w, out);
}

size_t sofa_query_result_count(const sofa_query_result *r)
{
    return r ? r->n : 0;
}

sofa_row sofa_query_result_row(const sofa_query_result *r, size_t i)
{
    sofa_row none = {NULL, 0};
    return r && r->rows && i < r->n ? r->rows[i] : none;
}

int sofa_query_result_next(sofa_query_result *r, sofa_row *row)
{
    if (!r || !row || !r->rows || r->iter >= r->n) {
        return 0;
    }
    *row = r->rows[r->iter++];
    return 1;
}

const sofa_query_meta *sofa_query_result_meta(const sofa_query_result *r)
{
    return r ? &r->meta : NULL;
}

void sofa_query_result_free(sofa_query_result *r)
{
    if (!r) {
        return;
    }
    for (size_t i = 0; i < 5; i++) {
        free(r->strs[i]);
    }
    free(r->data);
    free(r->offs);
    free(r->lens);
    free(r->rows);
    free(r);
}
