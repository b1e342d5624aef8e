/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* The public client: create, connect, wait/tick, destroy (deferred inside callbacks). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/loader.h"
#include "io/tls.h"
#include "kv/engine.h"
#include "sofa/client.h"
#include "sofa/status.h"

#define DEFAULT_CONNSTR "couchbase://localhost/default"

static void seterr(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (!errbuf || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

static char *dupstr(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static void destroy_now(sofa_client *c);

void sofa__client_enter(sofa_client *c)
{
    c->depth++;
}

void sofa__client_leave(sofa_client *c)
{
    if (--c->depth > 0 || !c->free_asked || c->destroying)
        return;
    if (c->waiting_loop) { /* sofa_client_wait/tick is on the stack: it destroys */
        c->stop_called = 1;
        c->io->stop_watching(c->io);
        return;
    }
    destroy_now(c);
}

void sofa__client_op_done(sofa_client *c)
{
    if (c->npending)
        c->npending--;
    if (c->npending == 0 && c->boot_state != SOFA__BOOT_RUNNING && c->waiting_loop) {
        c->stop_called = 1;
        c->io->stop_watching(c->io);
    }
}

void sofa__client_pending_add(sofa_client *c)
{
    c->npending++;
}

void sofa__client_add_ext(sofa_client *c, sofa__client_ext *ext)
{
    ext->next = c->exts;
    c->exts = ext;
}

static void on_timer(sofa_io_timer *t, void *arg)
{
    sofa_client *c = arg;
    (void)t;
    sofa__client_enter(c);
    sofa__timerq_run(&c->tq, sofa__now(c->io), &c->free_asked);
    if (!c->free_asked)
        sofa__timerq_arm(&c->tq);
    sofa__client_leave(c);
}

/* tick: the zero-delay timer fires after the I/O already pending (iops rule 4): stop. */
static void on_tick_timer(sofa_io_timer *t, void *arg)
{
    sofa_client *c = arg;
    (void)t;
    c->stop_called = 1;
    c->io->stop_watching(c->io);
}

int sofa_client_new(sofa_client **out, const sofa_client_options *opts, char *errbuf,
                    size_t errlen)
{
    static const sofa_client_options defaults = SOFA_CLIENT_OPTIONS_INIT;
    if (!out) {
        seterr(errbuf, errlen, "out is NULL");
        return SOFA_E_INVALID_ARGUMENT;
    }
    *out = NULL;
    sofa_client_options o = defaults;
    if (opts) {
        if (opts->struct_size < offsetof(sofa_client_options, log_level) + sizeof(int) ||
            opts->struct_size > sizeof(o)) {
            seterr(errbuf, errlen, "options.struct_size %zu is not a known size",
                   opts->struct_size);
            return SOFA_E_INVALID_ARGUMENT;
        }
        memcpy(&o, opts, opts->struct_size);
    }
    sofa_client *c = calloc(1, sizeof(*c));
    if (!c) {
        seterr(errbuf, errlen, "out of memory");
        return SOFA_E_NO_MEMORY;
    }
    sofa__tentry_init(&c->boot_timer, NULL, c);
    sofa__tentry_init(&c->poll_timer, NULL, c);
    sofa__tentry_init(&c->hb_timer, NULL, c);
    const char *cstr = o.connstr && *o.connstr ? o.connstr : DEFAULT_CONNSTR;
    int rc = sofa__connstr_parse(cstr, &c->cs, errbuf, errlen);
    if (rc != 0) {
        free(c);
        return rc;
    }
    int level = o.log_level;
    if (level < 0 && c->cs.log_level_given)
        level = c->cs.log_level;
    sofa__logger_init(&c->logger, o.logger, o.logger_arg, level);
    if (c->cs.tls) {
        sofa__tls_opts to = {c->cs.certpath, c->cs.tls_no_verify};
        char why[256] = "";
        rc = sofa__tls_ctx_new(&c->tls, &to, why, sizeof(why));
        if (rc != 0) {
            seterr(errbuf, errlen, "%s", why[0] ? why : "cannot create the TLS context");
            sofa__connstr_free(&c->cs);
            free(c);
            return rc;
        }
        if (c->cs.tls_no_verify)
            SOFA_LOG(&c->logger, SOFA_LOG_WARN, "client",
                     "ssl=no_verify: server certificates are NOT verified (unsafe)");
    }
    c->memcached = c->cs.scheme == SOFA__SCHEME_MEMCACHED;
    sofa__boot_init_ports(c);
    const char *user = o.username ? o.username : c->cs.username;
    const char *pass = o.password ? o.password : c->cs.password;
    rc = 0;
    if (user && *user) {
        c->username = dupstr(user);
        c->password = dupstr(pass ? pass : "");
        if (!c->username || !c->password)
            rc = SOFA_E_NO_MEMORY;
    }
    if (rc == 0 && !c->memcached && c->cs.bucket) {
        c->bucket = dupstr(c->cs.bucket);
        if (!c->bucket)
            rc = SOFA_E_NO_MEMORY;
    }
    if (rc != 0) {
        seterr(errbuf, errlen, "out of memory");
        sofa_client_free(c);
        return rc;
    }
    c->io = o.iops;
    rc = sofa__iops_choose(c->cs.iops, &c->io, &c->io_owned, errbuf, errlen);
    if (rc != 0) {
        c->io = NULL;
        sofa_client_free(c);
        return rc;
    }
    SOFA_LOG(&c->logger, SOFA_LOG_DEBUG, "client", "event loop plugin: %s",
             c->io->name ? c->io->name : "?");
    sofa__timerq_init(&c->tq, c->io);
    c->timer = c->io->timer_new(c->io, on_timer, c);
    c->tick_timer = c->io->timer_new(c->io, on_tick_timer, c);
    if (!c->timer || !c->tick_timer) {
        seterr(errbuf, errlen, "out of memory (timers)");
        sofa_client_free(c);
        return SOFA_E_NO_MEMORY;
    }
    c->tq.timer = c->timer;
    c->op_timeout_us = c->cs.operation_timeout_us ? c->cs.operation_timeout_us : 2500000u;
    if (c->cs.config_node_timeout_us == 0)
        c->cs.config_node_timeout_us = 2000000u;
    if (c->cs.config_total_timeout_us == 0)
        c->cs.config_total_timeout_us = 5000000u;
    *out = c;
    return 0;
}

int sofa_client_connect(sofa_client *c, sofa_connect_cb cb, void *cookie)
{
    if (!c)
        return SOFA_E_INVALID_ARGUMENT;
    if (c->destroying || c->free_asked)
        return SOFA_E_SHUTDOWN;
    if (c->boot_state == SOFA__BOOT_RUNNING || c->boot_state == SOFA__BOOT_DONE)
        return SOFA_E_BAD_STATE; /* after a failed bootstrap, connect may be called again */
    c->connect_cb = cb;
    c->connect_cookie = cookie;
    c->npending++; /* the bootstrap itself */
    int rc = sofa__boot_start(c);
    if (rc != 0) {
        c->npending--;
        c->connect_cb = NULL;
        return rc;
    }
    return 0;
}

/* Returns 0, or 1 when the client was destroyed (a deferred free), or a negative status. */
static int run_loop(sofa_client *c, int once)
{
    if (!c)
        return SOFA_E_INVALID_ARGUMENT;
    if (c->depth > 0 || c->waiting_loop)
        return SOFA_E_RECURSIVE_CALL;
    if (c->destroying)
        return SOFA_E_SHUTDOWN;
    /* Everything scheduled since the last turn leaves now, in one send() per node, rather
     * than after one more trip through the loop for write readiness. */
    sofa__client_enter(c);
    for (size_t i = 0; i < c->nnodes && !c->free_asked; i++)
        if (c->nodes[i] && c->nodes[i]->state == SOFA__NODE_READY)
            sofa__conn_flush(c->nodes[i]->conn);
    c->depth--;
    if (c->free_asked) { /* a callback (of an op failed by the flush) freed the client */
        destroy_now(c);
        return 1;
    }
    if (once) {
        if (c->io->update_timer(c->io, c->tick_timer, SOFA_IO_WATCH, 0) != 0)
            return SOFA_E_IO;
    }
    while (once || c->npending > 0 || c->boot_state == SOFA__BOOT_RUNNING) {
        c->waiting_loop = 1;
        c->stop_called = 0;
        c->io->start_watching(c->io);
        c->waiting_loop = 0;
        if (c->free_asked) {
            destroy_now(c);
            return 1;
        }
        if (!c->stop_called || once)
            break; /* an application-run loop: start_watching returned at once */
    }
    if (once)
        c->io->update_timer(c->io, c->tick_timer, SOFA_IO_UNWATCH, 0);
    return 0;
}

int sofa_client_wait(sofa_client *c)
{
    int rc = run_loop(c, 0);
    return rc > 0 ? 0 : rc;
}

int sofa_client_tick(sofa_client *c)
{
    int rc = run_loop(c, 1);
    if (rc != 0)
        return rc > 0 ? 0 : rc; /* after a deferred destroy nothing is pending */
    return c->npending > (size_t)INT32_MAX ? INT32_MAX : (int)c->npending;
}

int sofa_client_is_connected(const sofa_client *c)
{
    return c && c->boot_state == SOFA__BOOT_DONE && c->config != NULL;
}

size_t sofa_client_pending(const sofa_client *c)
{
    return c ? c->npending : 0;
}

const char *sofa_client_bootstrap_report(const sofa_client *c)
{
    return c ? c->report : "";
}

void sofa_client_on_destroyed(sofa_client *c, void (*cb)(void *cookie), void *cookie)
{
    if (!c)
        return;
    c->destroyed_cb = cb;
    c->destroyed_cookie = cookie;
}

sofa_iops *sofa_client_iops(sofa_client *c)
{
    return c ? c->io : NULL;
}

const char *sofa_client_bucket(const sofa_client *c)
{
    return c && c->bucket ? c->bucket : "";
}

uint64_t sofa_client_operation_timeout(const sofa_client *c)
{
    return c ? c->op_timeout_us : 0;
}

void sofa_client_free(sofa_client *c)
{
    if (!c || c->destroying)
        return;
    if (c->depth > 0 || c->waiting_loop) {
        c->free_asked = 1; /* finished when the outermost callback returns */
        return;
    }
    destroy_now(c);
}

static void destroy_now(sofa_client *c)
{
    c->destroying = 1;
    c->depth++;
    if (c->boot_state == SOFA__BOOT_RUNNING) {
        c->boot_state = SOFA__BOOT_FAILED;
        c->boot_status = SOFA_E_CANCELED;
        sofa_connect_cb cb = c->connect_cb;
        c->connect_cb = NULL;
        if (cb)
            cb(c, SOFA_E_CANCELED, c->connect_cookie);
    }
    while (c->exts) {
        sofa__client_ext *e = c->exts;
        c->exts = e->next;
        e->on_teardown(c, e->arg);
    }
    if (c->io) {
        sofa__httpboot_free(c);
        sofa__op_cancel_all(c);
    }
    for (size_t i = 0; i < c->nnodes; i++)
        if (c->nodes[i])
            sofa__node_free(c->nodes[i]);
    free(c->nodes);
    c->nodes = NULL;
    c->nnodes = 0;
    while (c->draining)
        sofa__node_free(c->draining);
    if (c->boot_node)
        sofa__node_free(c->boot_node);
    /* anything left (zombies of freed nodes) */
    while (c->live.head)
        sofa__op_free(SOFA__DLIST_ENTRY(c->live.head, sofa__op, live));
    sofa__op_pool_free(c);
    if (c->io) {
        sofa__timerq_remove(&c->tq, &c->boot_timer);
        sofa__timerq_remove(&c->tq, &c->poll_timer);
        if (c->timer)
            c->io->update_timer(c->io, c->timer, SOFA_IO_CLEANUP, 0);
        if (c->tick_timer)
            c->io->update_timer(c->io, c->tick_timer, SOFA_IO_CLEANUP, 0);
        sofa__timerq_free(&c->tq);
        if (c->io_owned)
            sofa_iops_free(c->io);
    }
    sofa__config_unref(c->config);
    sofa__errmap_free(c->errmap);
    sofa__connstr_free(&c->cs);
    sofa__tls_ctx_free(c->tls);
    c->tls = NULL;
    if (c->password)
        memset(c->password, 0, strlen(c->password));
    free(c->password);
    free(c->username);
    free(c->bucket);
    void (*dcb)(void *) = c->destroyed_cb;
    void *dcookie = c->destroyed_cookie;
    free(c);
    if (dcb)
        dcb(dcookie);
}
