/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * The libev 4 plugin (libsofa_libev.so). Uses only sofa's public headers.
 *
 * Each sofa event embeds an ev_io that the trampoline stops before calling the
 * engine (one-shot); ev_io_stop() also clears a pending delivery, so UNWATCH or
 * CLEANUP from any callback means no delivery. Trampolines touch nothing after
 * calling the engine, so the engine may free anything from inside a callback.
 *
 * libev runs every pending callback of an iteration before ev_break() takes
 * effect; to honour "start_watching returns after the current callback", a
 * trampoline that runs after stop_watching() delivers nothing and leaves its
 * watcher armed (the readiness is level-triggered, a due timer is re-armed with
 * no delay), so the delivery happens on the next start_watching().
 *
 * Timers have the lowest priority, so that a timer due in the same iteration as
 * some I/O (a zero-delay one in particular) runs after that I/O (rule 4).
 *
 * Timers re-check CLOCK_MONOTONIC when they fire, because libev measures from
 * its cached loop time and could otherwise fire a little early.
 */
#include <ev.h>
#include <stdint.h>
#include <stdlib.h>

#include "../common/plugin_core.h"
#include "sofa/iops.h"
#include "sofa/plugins/libev.h"
#include "sofa/status.h"

typedef struct lv_loop {
    plugin_loop core; /* first member */
    struct ev_loop *ev;
} lv_loop;

typedef struct lv_event {
    plugin_event core; /* first member */
    ev_io w;
} lv_event;

typedef struct lv_timer {
    plugin_timer core; /* first member */
    ev_timer w;
} lv_timer;

static lv_loop *loop_of(sofa_iops *io)
{
    return io ? (lv_loop *)io->data : NULL;
}

/* ------------------------------------------------------------------ events */

static void on_io(struct ev_loop *l, ev_io *w, int revents)
{
    lv_event *e = w->data;
    if (e->core.loop->stopping) {
        return; /* stays armed: delivered on the next start_watching() */
    }
    ev_io_stop(l, w); /* one-shot */
    plugin_event_deliver(&e->core, ((revents & EV_READ) ? SOFA_IO_READ : 0) |
                                       ((revents & EV_WRITE) ? SOFA_IO_WRITE : 0));
}

static sofa_io_event *lv_event_new(sofa_iops *io, int fd, sofa_io_event_cb cb, void *arg)
{
    lv_loop *p = loop_of(io);
    if (p == NULL || cb == NULL || fd < 0) {
        return NULL;
    }
    lv_event *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        return NULL;
    }
    ev_io_init(&e->w, on_io, fd, EV_READ);
    e->w.data = e;
    plugin_event_link(&p->core, &e->core, fd, cb, arg);
    return &e->core.pub;
}

static void event_release(plugin_loop *core, plugin_event *pe)
{
    lv_event *e = (lv_event *)pe;
    ev_io_stop(((lv_loop *)core)->ev, &e->w);
    plugin_event_unlink(core, pe);
    free(e);
}

static int lv_update_event(sofa_iops *io, sofa_io_event *pub, sofa_io_action action, int flags)
{
    lv_loop *p = loop_of(io);
    lv_event *e = (lv_event *)pub;
    if (p == NULL || e == NULL || e->core.loop != &p->core) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    switch (action) {
    case SOFA_IO_WATCH: {
        if (!plugin_watch_flags_ok(flags)) {
            return SOFA_E_INVALID_ARGUMENT;
        }
        int what = ((flags & SOFA_IO_READ) ? EV_READ : 0) | ((flags & SOFA_IO_WRITE) ? EV_WRITE : 0);
        ev_io_stop(p->ev, &e->w);
        ev_io_set(&e->w, e->core.pub.fd, what);
        ev_io_start(p->ev, &e->w);
        e->core.flags = flags;
        return SOFA_OK;
    }
    case SOFA_IO_UNWATCH:
        ev_io_stop(p->ev, &e->w);
        e->core.flags = 0;
        return SOFA_OK;
    case SOFA_IO_CLEANUP:
        event_release(&p->core, &e->core);
        return SOFA_OK;
    }
    return SOFA_E_INVALID_ARGUMENT;
}

/* ------------------------------------------------------------------ timers */

static void timer_start_ns(lv_loop *p, lv_timer *t, uint64_t delay_ns)
{
    /* +1 us: libev compares doubles; rounding must not make it fire early. */
    ev_timer_set(&t->w, (double)(delay_ns + 1000) / 1e9, 0.);
    ev_timer_start(p->ev, &t->w);
}

static void timer_disarm(plugin_timer *core)
{
    lv_timer *t = (lv_timer *)core;
    ev_timer_stop(((lv_loop *)core->loop)->ev, &t->w);
}

/* A libev timer fired: wait the rest if early by CLOCK_MONOTONIC, else fire
 * every due timer of this plugin in deadline order (libev's cached loop time
 * can activate a later deadline first). */
static void on_timer(struct ev_loop *l, ev_timer *w, int revents)
{
    (void)l;
    (void)revents;
    lv_timer *t = w->data;
    lv_loop *p = (lv_loop *)t->core.loop;
    uint64_t now = plugin_mono_ns();
    if (p->core.stopping) {
        timer_start_ns(p, t, 0); /* still due: fires on the next start_watching() */
        return;
    }
    if (now < t->core.deadline_ns) {
        timer_start_ns(p, t, t->core.deadline_ns - now); /* early: wait the rest */
        return;
    }
    /* Safety net: if the pass below stops before reaching t, t still fires
     * next time (firing or cleaning up t stops this again). */
    timer_start_ns(p, t, 0);
    plugin_fire_due_timers(&p->core, now, timer_disarm); /* may free p */
}

static sofa_io_timer *lv_timer_new(sofa_iops *io, sofa_io_timer_cb cb, void *arg)
{
    lv_loop *p = loop_of(io);
    if (p == NULL || cb == NULL) {
        return NULL;
    }
    lv_timer *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return NULL;
    }
    ev_timer_init(&t->w, on_timer, 0., 0.);
    /* libev queues due timers after the I/O of the same iteration and invokes
     * the queue last-in first-out within a priority: without this a zero-delay
     * timer would run before that I/O (rule 4 wants it after). */
    ev_set_priority(&t->w, EV_MINPRI);
    t->w.data = t;
    plugin_timer_link(&p->core, &t->core, cb, arg);
    return &t->core.pub;
}

static void timer_release(plugin_loop *core, plugin_timer *pt)
{
    lv_timer *t = (lv_timer *)pt;
    ev_timer_stop(((lv_loop *)core)->ev, &t->w);
    plugin_timer_unlink(core, pt);
    free(t);
}

static int lv_update_timer(sofa_iops *io, sofa_io_timer *pub, sofa_io_action action,
                           uint64_t usecs)
{
    lv_loop *p = loop_of(io);
    lv_timer *t = (lv_timer *)pub;
    if (p == NULL || t == NULL || t->core.loop != &p->core) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    switch (action) {
    case SOFA_IO_WATCH:
        ev_timer_stop(p->ev, &t->w);
        timer_start_ns(p, t, plugin_timer_schedule(&p->core, &t->core, usecs));
        t->core.armed = 1;
        return SOFA_OK;
    case SOFA_IO_UNWATCH:
        ev_timer_stop(p->ev, &t->w);
        t->core.armed = 0;
        return SOFA_OK;
    case SOFA_IO_CLEANUP:
        timer_release(&p->core, &t->core);
        return SOFA_OK;
    }
    return SOFA_E_INVALID_ARGUMENT;
}

/* ------------------------------------------------------------------ the loop */

static void run_loop(plugin_loop *core)
{
    /* Returns after ev_break(), or when no watcher is active. */
    ev_run(((lv_loop *)core)->ev, 0);
}

static void break_loop(plugin_loop *core)
{
    ev_break(((lv_loop *)core)->ev, EVBREAK_ONE);
}

static void free_loop(plugin_loop *core)
{
    if (core->owns_loop) {
        ev_loop_destroy(((lv_loop *)core)->ev);
    }
}

static const plugin_backend libev_backend = {
    .run = run_loop,
    .stop = break_loop,
    .event_free = event_release,
    .timer_free = timer_release,
    .loop_free = free_loop,
};

int sofa_iops_libev_new(struct ev_loop *loop, sofa_iops **out)
{
    if (out == NULL) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    *out = NULL;
    lv_loop *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return SOFA_E_NO_MEMORY;
    }
    int owns = loop == NULL;
    if (owns) {
        loop = ev_loop_new(EVFLAG_AUTO);
        if (loop == NULL) {
            free(p);
            return SOFA_E_PLUGIN_INIT;
        }
    }
    p->ev = loop;
    plugin_loop_init(&p->core, "libev", &libev_backend, owns, lv_event_new, lv_update_event,
                     lv_timer_new, lv_update_timer);
    *out = &p->core.iops;
    return SOFA_OK;
}

/* The loader's entry point: @p loop is a struct ev_loop * or NULL. */
SOFA_API int sofa_iops_plugin_create(void *loop, sofa_iops **out);
SOFA_API int sofa_iops_plugin_create(void *loop, sofa_iops **out)
{
    return sofa_iops_libev_new((struct ev_loop *)loop, out);
}
