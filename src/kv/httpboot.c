/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * HTTP bootstrap: stream the bucket's terse config from the cluster manager
 * (GET /pools/default/bs/BUCKET, chunked, configs separated by "\n\n\n\n") and offer
 * every config to the config manager. The stream stays open after bootstrap and keeps
 * delivering topology changes.
 *
 * Nothing here calls user code: outcomes are handed to the client's deadline queue
 * (hb_timer / boot_timer), so no user callback ever runs inside an HTTP callback and the
 * HTTP pool is never freed from inside its own callbacks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv/engine.h"
#include "sofa/status.h"

static void schedule_failure(sofa_client *c, int status, const char *why)
{
    if (c->hfail)
        return;
    c->hfail = status;
    snprintf(c->hwhy, sizeof(c->hwhy), "%s", why);
    (void)sofa__timerq_add(&c->tq, &c->hb_timer, sofa__now(c->io));
}

static int hb_on_head(void *arg, const sofa__http_head *head)
{
    sofa_client *c = arg;
    if (head->status == 200)
        return 0;
    char why[96];
    snprintf(why, sizeof(why), "HTTP config stream answered %d", head->status);
    int st = head->status == 401 || head->status == 403 ? SOFA_E_AUTH_FAILED
             : head->status == 404                     ? SOFA_E_BUCKET_NOT_FOUND
                                                       : SOFA_E_HTTP_STATUS;
    schedule_failure(c, st, why);
    return st;
}

static int hb_on_config(void *arg, const uint8_t *json, size_t len)
{
    sofa_client *c = arg;
    int rc = sofa__config_offer(c, json, len, c->hhost);
    if (rc >= 0 && c->config && c->boot_state == SOFA__BOOT_RUNNING)
        (void)sofa__timerq_add(&c->tq, &c->boot_timer, sofa__now(c->io));
    return 0; /* a bad config is logged and skipped; the next one may be fine */
}

static int hb_on_body(void *arg, const char *data, size_t len)
{
    sofa_client *c = arg;
    int rc = sofa__cfgstream_feed(&c->hstream, data, len, hb_on_config, c);
    if (rc != 0)
        schedule_failure(c, rc, rc == SOFA_E_NO_MEMORY ? "config stream: out of memory"
                                                       : "config stream: a config over the size limit");
    return rc;
}

static void hb_on_done(void *arg, int status, int sent, const char *msg)
{
    sofa_client *c = arg;
    (void)sent;
    c->hreq = NULL;
    if (c->boot_state != SOFA__BOOT_RUNNING || c->config)
        return; /* the stream ended after bootstrap: polling over KV goes on */
    char why[160];
    snprintf(why, sizeof(why), "HTTP config stream: %s", msg && *msg ? msg : "ended");
    schedule_failure(c, status ? status : SOFA_E_CONNECTION_CLOSED, why);
}

static const sofa__http_req_cbs hb_cbs = {hb_on_head, hb_on_body, hb_on_done};

static void on_hb_timer(sofa__tentry *e, void *arg)
{
    sofa_client *c = arg;
    (void)e;
    if (c->boot_state != SOFA__BOOT_RUNNING || c->config)
        return;
    if (c->hreq) {
        sofa__http_cancel(c->hreq);
        c->hreq = NULL;
    }
    char name[SOFA__NODE_NAME_MAX];
    snprintf(name, sizeof(name), "%s:%u (http)", c->hhost, (unsigned)c->hport);
    if (c->hfail) {
        sofa__boot_seed_failed(c, name, c->hfail, c->hwhy);
    } else {
        char why[96];
        snprintf(why, sizeof(why), "HTTP config stream: no configuration within %llu ms",
                 (unsigned long long)(c->cs.config_node_timeout_us / 1000));
        sofa__boot_seed_failed(c, name, SOFA_E_TIMEOUT, why);
    }
    c->hfail = 0;
    sofa__cfgstream_reset(&c->hstream);
    sofa__boot_next_seed(c);
}

/* The HTTP pool's dispatch runs between the client's enter/leave, so that a free asked
 * from anything it reaches is deferred until the dispatch has returned. */
static void hb_enter(void *arg)
{
    sofa__client_enter(arg);
}

static void hb_leave(void *arg)
{
    sofa__client_leave(arg);
}

int sofa__httpboot_start(sofa_client *c, const char *host, uint16_t port)
{
    if (!c->bucket)
        return SOFA_E_NOT_SUPPORTED;
    if (!c->http) {
        c->http = sofa__http_new(c->io, &c->logger, c->username, c->password);
        if (!c->http)
            return SOFA_E_NO_MEMORY;
        sofa__http_set_guard(c->http, hb_enter, hb_leave, c);
        sofa__http_set_tls(c->http, c->tls);
        sofa__http_set_connect_timeout(c->http, c->cs.config_node_timeout_us);
        sofa__tentry_init(&c->hb_timer, on_hb_timer, c);
    }
    snprintf(c->hhost, sizeof(c->hhost), "%s", host);
    c->hport = port;
    c->hfail = 0;
    char path[64 + 3 * SOFA__CONNSTR_MAX_BUCKET];
    size_t n = (size_t)snprintf(path, sizeof(path), "/pools/default/bs/");
    for (const char *b = c->bucket; *b && n + 4 < sizeof(path); b++) {
        unsigned char ch = (unsigned char)*b;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.')
            path[n++] = (char)ch;
        else
            n += (size_t)snprintf(path + n, sizeof(path) - n, "%%%02X", ch);
    }
    path[n] = '\0';
    sofa__http_spec spec;
    memset(&spec, 0, sizeof(spec));
    spec.method = "GET";
    spec.host = host;
    spec.port = port;
    spec.path = path;
    spec.timeout_us = 0; /* a stream: bounded by hb_timer until the first config */
    int rc = sofa__http_start(c->http, &spec, &hb_cbs, c, &c->hreq);
    if (rc != 0)
        return rc;
    return sofa__timerq_add(&c->tq, &c->hb_timer,
                            sofa__now(c->io) + c->cs.config_node_timeout_us);
}

void sofa__httpboot_free(sofa_client *c)
{
    if (c->hreq) {
        sofa__http_cancel(c->hreq);
        c->hreq = NULL;
    }
    sofa__timerq_remove(&c->tq, &c->hb_timer);
    sofa__http_free(c->http);
    c->http = NULL;
    sofa__cfgstream_free(&c->hstream);
}
