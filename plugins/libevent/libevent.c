/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * The libevent 2.1 plugin (libsofa_libevent.so). Uses only sofa's public headers.
 *
 * Each sofa event owns one struct event without EV_PERSIST, so libevent itself
 * makes it one-shot; WATCH re-assigns it with the new flags. event_del() also
 * removes an event from libevent's active queue, so an UNWATCH or CLEANUP from
 * any callback means no delivery. The trampolines touch nothing after calling
 * the engine, so the engine may free the event (or the whole plugin, with an
 * application-owned base) from inside its own callback.
 *
 * Timers re-check CLOCK_MONOTONIC when they fire: libevent measures time from a
 * cached, by default coarse, clock and could otherwise fire a little early.
 */
#include <event2/event.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "../common/plugin_core.h"
#include "sofa/iops.h"
#include "sofa/plugins/libevent.h"
#include "sofa/status.h"

typedef struct lev_loop {
    plugin_loop core; /* first member */
    struct event_base *base;
} lev_loop;

typedef struct lev_event {
    plugin_event core; /* first member */
    struct event *ev;
} lev_event;

typedef struct lev_timer {
    plugin_timer core; /* first member */
    struct event *ev;
} lev_timer;

static struct timeval tv_of_ns(uint64_t ns)
{
    uint64_t us = (ns + 999) / 1000;
    struct timeval tv;
    tv.tv_sec = (time_t)(us / 1000000);
    tv.tv_usec = (suseconds_t)(us % 1000000);
    return tv;
}

static lev_loop *loop_of(sofa_iops *io)
{
    return io ? (lev_loop *)io->data : NULL;
}

/* ------------------------------------------------------------------ events */

static void on_event(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    /* libevent already made it non-pending (no EV_PERSIST) */
    plugin_event_deliver(arg, ((what & EV_READ) ? SOFA_IO_READ : 0) |
                                  ((what & EV_WRITE) ? SOFA_IO_WRITE : 0));
}

static sofa_io_event *lev_event_new(sofa_iops *io, int fd, sofa_io_event_cb cb, void *arg)
{
    lev_loop *p = loop_of(io);
    if (p == NULL || cb == NULL || fd < 0) {
        return NULL;
    }
    lev_event *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        return NULL;
    }
    e->ev = event_new(p->base, fd, EV_READ, on_event, &e->core);
    if (e->ev == NULL) {
        free(e);
        return NULL;
    }
    plugin_event_link(&p->core, &e->core, fd, cb, arg);
    return &e->core.pub;
}

static void event_release(plugin_loop *core, plugin_event *pe)
{
    lev_event *e = (lev_event *)pe;
    event_del(e->ev);
    event_free(e->ev);
    plugin_event_unlink(core, pe);
    free(e);
}

static int lev_update_event(sofa_iops *io, sofa_io_event *pub, sofa_io_action action, int flags)
{
    lev_loop *p = loop_of(io);
    lev_event *e = (lev_event *)pub;
    if (p == NULL || e == NULL || e->core.loop != &p->core) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    switch (action) {
    case SOFA_IO_WATCH: {
        if (!plugin_watch_flags_ok(flags)) {
            return SOFA_E_INVALID_ARGUMENT;
        }
        short what = (short)(((flags & SOFA_IO_READ) ? EV_READ : 0) |
                             ((flags & SOFA_IO_WRITE) ? EV_WRITE : 0));
        event_del(e->ev);
        e->core.flags = 0;
        if (event_assign(e->ev, p->base, e->core.pub.fd, what, on_event, &e->core) != 0 ||
            event_add(e->ev, NULL) != 0) {
            return SOFA_E_IO;
        }
        e->core.flags = flags;
        return SOFA_OK;
    }
    case SOFA_IO_UNWATCH:
        event_del(e->ev);
        e->core.flags = 0;
        return SOFA_OK;
    case SOFA_IO_CLEANUP:
        event_release(&p->core, &e->core);
        return SOFA_OK;
    }
    return SOFA_E_INVALID_ARGUMENT;
}

/* ------------------------------------------------------------------ timers */

static void timer_disarm(plugin_timer *core)
{
    event_del(((lev_timer *)core)->ev);
}

/*
 * A libevent timer fired. If it is early by CLOCK_MONOTONIC, wait the rest.
 * Otherwise fire every due timer of this plugin in deadline order: libevent's
 * cached clock can activate a later deadline before an earlier one.
 */
static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    lev_timer *t = arg;
    lev_loop *p = (lev_loop *)t->core.loop;
    uint64_t now = plugin_mono_ns();
    if (now < t->core.deadline_ns) {
        struct timeval tv = tv_of_ns(t->core.deadline_ns - now);
        if (evtimer_add(t->ev, &tv) == 0) {
            return;
        }
        now = t->core.deadline_ns; /* cannot wait (libevent out of memory): fire rather than lose it */
    }
    /* Safety net: if the pass below stops before reaching t, t still fires
     * next time (firing or cleaning up t removes this again). */
    struct timeval zero = {0, 0};
    evtimer_add(t->ev, &zero);
    plugin_fire_due_timers(&p->core, now, timer_disarm); /* may free p */
}

static sofa_io_timer *lev_timer_new(sofa_iops *io, sofa_io_timer_cb cb, void *arg)
{
    lev_loop *p = loop_of(io);
    if (p == NULL || cb == NULL) {
        return NULL;
    }
    lev_timer *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return NULL;
    }
    t->ev = evtimer_new(p->base, on_timer, t);
    if (t->ev == NULL) {
        free(t);
        return NULL;
    }
    plugin_timer_link(&p->core, &t->core, cb, arg);
    return &t->core.pub;
}

static void timer_release(plugin_loop *core, plugin_timer *pt)
{
    lev_timer *t = (lev_timer *)pt;
    event_del(t->ev);
    event_free(t->ev);
    plugin_timer_unlink(core, pt);
    free(t);
}

static int lev_update_timer(sofa_iops *io, sofa_io_timer *pub, sofa_io_action action,
                            uint64_t usecs)
{
    lev_loop *p = loop_of(io);
    lev_timer *t = (lev_timer *)pub;
    if (p == NULL || t == NULL || t->core.loop != &p->core) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    switch (action) {
    case SOFA_IO_WATCH: {
        event_del(t->ev);
        t->core.armed = 0;
        struct timeval tv = tv_of_ns(plugin_timer_schedule(&p->core, &t->core, usecs));
        if (evtimer_add(t->ev, &tv) != 0) {
            return SOFA_E_IO;
        }
        t->core.armed = 1;
        return SOFA_OK;
    }
    case SOFA_IO_UNWATCH:
        event_del(t->ev);
        t->core.armed = 0;
        return SOFA_OK;
    case SOFA_IO_CLEANUP:
        timer_release(&p->core, &t->core);
        return SOFA_OK;
    }
    return SOFA_E_INVALID_ARGUMENT;
}

/* ------------------------------------------------------------------ the loop */

static void run_base(plugin_loop *core)
{
    /* Returns after event_base_loopbreak(), or when nothing is pending. */
    event_base_loop(((lev_loop *)core)->base, 0);
}

static void break_base(plugin_loop *core)
{
    event_base_loopbreak(((lev_loop *)core)->base);
}

static void free_base(plugin_loop *core)
{
    if (core->owns_loop) {
        event_base_free(((lev_loop *)core)->base);
    }
}

static const plugin_backend libevent_backend = {
    .run = run_base,
    .stop = break_base,
    .event_free = event_release,
    .timer_free = timer_release,
    .loop_free = free_base,
};

int sofa_iops_libevent_new(struct event_base *base, sofa_iops **out)
{
    if (out == NULL) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    *out = NULL;
    lev_loop *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return SOFA_E_NO_MEMORY;
    }
    int owns = base == NULL;
    if (owns) {
        struct event_config *cfg = event_config_new();
        if (cfg != NULL) {
            event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
            base = event_base_new_with_config(cfg);
            event_config_free(cfg);
        }
        if (base == NULL) {
            free(p);
            return SOFA_E_PLUGIN_INIT;
        }
    }
    p->base = base;
    plugin_loop_init(&p->core, "libevent", &libevent_backend, owns, lev_event_new,
                     lev_update_event, lev_timer_new, lev_update_timer);
    *out = &p->core.iops;
    return SOFA_OK;
}

/* The loader's entry point: @p loop is a struct event_base * or NULL. */
SOFA_API int sofa_iops_plugin_create(void *loop, sofa_iops **out);
SOFA_API int sofa_iops_plugin_create(void *loop, sofa_iops **out)
{
    return sofa_iops_libevent_new((struct event_base *)loop, out);
}
