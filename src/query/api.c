/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* The public query, view and raw HTTP functions: they find (or create) the
 * client's services context and hand over. The context lives on the client as
 * an extension and is torn down first in sofa_client_free(). */
#include <stdlib.h>
#include <string.h>

#include "kv/engine.h"
#include "query/n1ql.h"
#include "query/view.h"
#include "sofa/kv.h"
#include "sofa/query.h"
#include "sofa/status.h"
#include "sofa/view.h"

typedef struct svc_ext {
    sofa__client_ext ext;
    sofa__svc *svc;
} svc_ext;

static const sofa__config *hook_config(void *arg)
{
    return ((sofa_client *)arg)->config;
}

static void hook_begin(void *arg)
{
    sofa__client_pending_add(arg);
}

static void hook_end(void *arg)
{
    sofa__client_op_done(arg);
}

static void hook_enter(void *arg)
{
    sofa__client_enter(arg);
}

static void hook_leave(void *arg)
{
    sofa__client_leave(arg);
}

static int hook_closing(void *arg)
{
    sofa_client *c = arg;
    return c->free_asked || c->destroying;
}

typedef struct doc_fetch {
    sofa__svc_doc_cb cb;
    void *cookie;
} doc_fetch;

static void on_get(sofa_client *c, sofa_status status, const sofa_get_result *r, void *cookie)
{
    doc_fetch *f = cookie;
    sofa__svc_doc_cb cb = f->cb;
    void *arg = f->cookie;
    free(f);
    cb(arg, status, status == 0 ? r->value : NULL, status == 0 ? r->nvalue : 0,
       status == 0 ? r->cas : 0);
}

static int hook_get_doc(void *arg, const char *key, size_t nkey, sofa__svc_doc_cb cb, void *cookie)
{
    doc_fetch *f = malloc(sizeof(*f));
    if (!f) {
        return SOFA_E_NO_MEMORY;
    }
    f->cb = cb;
    f->cookie = cookie;
    int rc = sofa_kv_get(arg, key, nkey, NULL, on_get, f);
    if (rc != 0) {
        free(f);
    }
    return rc;
}

static const sofa__svc_hooks hooks = {hook_config, hook_begin, hook_end,    hook_get_doc,
                                      hook_enter,  hook_leave, hook_closing};

static void on_teardown(sofa_client *c, void *arg)
{
    svc_ext *e = arg;
    sofa__svc_free(e->svc);
    free(e);
}

/* The client's services, created on first use. */
static int client_svc(sofa_client *c, int have_cb, sofa__svc **out)
{
    if (!have_cb) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    int rc = sofa__check_submit(c, c);
    if (rc != 0) {
        return rc;
    }
    if (c->memcached) {
        return SOFA_E_NOT_SUPPORTED; /* no query service with memcached:// */
    }
    for (sofa__client_ext *e = c->exts; e; e = e->next) {
        if (e->on_teardown == on_teardown) {
            *out = ((svc_ext *)e->arg)->svc;
            return 0;
        }
    }
    svc_ext *e = calloc(1, sizeof(*e));
    if (!e) {
        return SOFA_E_NO_MEMORY;
    }
    rc = sofa__svc_new(c, c->io, &c->logger, c->username, c->password, c->bucket, &hooks, c,
                       &e->svc);
    if (rc != 0) {
        free(e);
        return rc;
    }
    if (c->cs.query_timeout_us) {
        e->svc->query_timeout_us = c->cs.query_timeout_us;
    }
    /* couchbases://: the services' TLS ports, over TLS (never plain text) */
    e->svc->tls = c->tls != NULL;
    sofa__http_set_tls(e->svc->http, c->tls);
    /* connect + TLS handshake bounded like the KV connections' */
    sofa__http_set_connect_timeout(e->svc->http, c->cs.config_node_timeout_us);
    if (c->cs.view_timeout_us) {
        e->svc->view_timeout_us = c->cs.view_timeout_us;
    }
    e->ext.on_teardown = on_teardown;
    e->ext.arg = e;
    sofa__client_add_ext(c, &e->ext);
    *out = e->svc;
    return 0;
}

int sofa_query_start(sofa_client *client, const char *statement, const sofa_query_opts *opts,
                     const sofa_query_callbacks *cbs, void *cookie, sofa_query **handle)
{
    sofa__svc *svc;
    if (handle) {
        *handle = NULL;
    }
    if (!cbs) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    int rc = client_svc(client, cbs->on_done != NULL, &svc);
    return rc != 0 ? rc : sofa__n1ql_start(svc, statement, opts, cbs, cookie, handle);
}

int sofa_view_start(sofa_client *client, const char *ddoc, const char *view,
                    const sofa_view_opts *opts, const sofa_view_callbacks *cbs, void *cookie,
                    sofa_query **handle)
{
    sofa__svc *svc;
    if (handle) {
        *handle = NULL;
    }
    if (!cbs) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    int rc = client_svc(client, cbs->on_done != NULL, &svc);
    return rc != 0 ? rc : sofa__view_start(svc, ddoc, view, opts, cbs, cookie, handle);
}

int sofa_http_request_start(sofa_client *client, const sofa_http_request *req, sofa_http_cb cb,
                            void *cookie)
{
    sofa__svc *svc;
    int rc = client_svc(client, cb != NULL, &svc);
    return rc != 0 ? rc : sofa__raw_start(svc, req, cb, cookie);
}
