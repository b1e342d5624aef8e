/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* The all-at-once and sync forms of N1QL queries, on top of the streaming form. */
#include <stdlib.h>
#include <string.h>

#include "sofa/query.h"
#include "sofa/status.h"

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

static void on_rows(sofa_client *c, const sofa_row *rows, size_t n, void *cookie)
{
    sofa_query_result *r = cookie;
    for (size_t i = 0; i < n && !r->nomem; i++) {
        if (r->n == r->ncap) {
            size_t cap = r->ncap ? r->ncap * 2 : 256;
            size_t *o = realloc(r->offs, cap * sizeof(*o));
            if (o) {
                r->offs = o;
            }
            size_t *l = o ? realloc(r->lens, cap * sizeof(*l)) : NULL;
            if (!l) {
                r->nomem = 1;
                break;
            }
            r->lens = l;
            r->ncap = cap;
        }
        if (rows[i].len > r->cap - r->len) {
            size_t cap = r->cap ? r->cap : 4096;
            while (cap - r->len < rows[i].len) {
                cap *= 2;
            }
            char *d = realloc(r->data, cap);
            if (!d) {
                r->nomem = 1;
                break;
            }
            r->data = d;
            r->cap = cap;
        }
        memcpy(r->data + r->len, rows[i].json, rows[i].len);
        r->offs[r->n] = r->len;
        r->lens[r->n++] = rows[i].len;
        r->len += rows[i].len;
    }
    if (r->nomem) {
        sofa_query_cancel(r->q); /* ends right after this callback */
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

static int start(sofa_client *client, const char *statement, const sofa_query_opts *opts,
                 sofa_query_all_cb cb, void *cookie, sofa_query_result **out)
{
    sofa_query_result *r = calloc(1, sizeof(*r));
    if (!r) {
        return SOFA_E_NO_MEMORY;
    }
    r->cb = cb;
    r->cookie = cookie;
    int rc = sofa_query_start(client, statement, opts, &collect, r, &r->q);
    if (rc != 0) {
        free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int sofa_query_all(sofa_client *client, const char *statement, const sofa_query_opts *opts,
                   sofa_query_all_cb cb, void *cookie)
{
    sofa_query_result *r;
    if (!cb) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    return start(client, statement, opts, cb, cookie, &r);
}

int sofa_query_run(sofa_client *client, const char *statement, const sofa_query_opts *opts,
                   sofa_query_result **out)
{
    if (!out) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    *out = NULL;
    sofa_query_result *r;
    int rc = start(client, statement, opts, NULL, NULL, &r);
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
