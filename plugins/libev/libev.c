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
 * Timers re-check CLOCK_MONOTONIC when they fire, because libev measures from
 * its cached loop time and could otherwise fire a little early.
 */
#include <ev.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "sofa/iops.h"
#include "sofa/plugins/libev.h"
#include "sofa/status.h"

typedef struct lv_loop lv_loop;

typedef struct lv_event {
    sofa_io_event pub; /* first member */
    lv_loop *loop;
    ev_io w;
    int flags; /* watched flags, 0 = not watched */
    struct lv_event *prev, *next;
} lv_event;

typedef struct lv_timer {
    sofa_io_timer pub; /* first member */
    lv_loop *loop;
    ev_timer w;
    uint64_t deadline_ns;
    uint64_t armed_pass; /* lv_loop.pass when it was armed */
    int armed;
    struct lv_timer *prev, *next;
} lv_timer;

struct lv_loop {
    sofa_iops iops;
    struct ev_loop *ev;
    int owns_loop;
    lv_event *events;
    lv_timer *timers;
    uint64_t pass; /* timer dispatch passes so far */
    int depth;     /* timer dispatch passes on the stack */
    int running;
    int stopping; /* stop_watching() called: deliver nothing until the loop returns */
    int destroy_pending;
};

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static lv_loop *loop_of(sofa_iops *io)
{
    return io ? (lv_loop *)io->data : NULL;
}

/* ------------------------------------------------------------------ events */

static void on_io(struct ev_loop *l, ev_io *w, int revents)
{
    lv_event *e = w->data;
    if (e->loop->stopping) {
        return; /* stays armed: delivered on the next start_watching() */
    }
    ev_io_stop(l, w); /* one-shot */
    int fired = ((revents & EV_READ) ? SOFA_IO_READ : 0) | ((revents & EV_WRITE) ? SOFA_IO_WRITE : 0);
    fired &= e->flags;
    e->flags = 0;
    if (fired) {
        e->pub.cb(&e->pub, fired, e->pub.arg); /* may free e or the plugin */
    }
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
    e->pub.fd = fd;
    e->pub.cb = cb;
    e->pub.arg = arg;
    e->loop = p;
    e->next = p->events;
    if (p->events) {
        p->events->prev = e;
    }
    p->events = e;
    return &e->pub;
}

static void event_release(lv_loop *p, lv_event *e)
{
    ev_io_stop(p->ev, &e->w);
    if (e->prev) {
        e->prev->next = e->next;
    } else {
        p->events = e->next;
    }
    if (e->next) {
        e->next->prev = e->prev;
    }
    free(e);
}

static int lv_update_event(sofa_iops *io, sofa_io_event *pub, sofa_io_action action, int flags)
{
    lv_loop *p = loop_of(io);
    lv_event *e = (lv_event *)pub;
    if (p == NULL || e == NULL || e->loop != p) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    switch (action) {
    case SOFA_IO_WATCH: {
        if (flags == 0 || (flags & ~(SOFA_IO_READ | SOFA_IO_WRITE)) != 0) {
            return SOFA_E_INVALID_ARGUMENT;
        }
        int what = ((flags & SOFA_IO_READ) ? EV_READ : 0) | ((flags & SOFA_IO_WRITE) ? EV_WRITE : 0);
        ev_io_stop(p->ev, &e->w);
        ev_io_set(&e->w, e->pub.fd, what);
        ev_io_start(p->ev, &e->w);
        e->flags = flags;
        return SOFA_OK;
    }
    case SOFA_IO_UNWATCH:
        ev_io_stop(p->ev, &e->w);
        e->flags = 0;
        return SOFA_OK;
    case SOFA_IO_CLEANUP:
        event_release(p, e);
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

static void free_all(lv_loop *p);

/* The due timer with the earliest deadline not armed during this pass. */
static lv_timer *next_due(lv_loop *p, uint64_t now, uint64_t pass)
{
    lv_timer *best = NULL;
    for (lv_timer *t = p->timers; t; t = t->next) {
        if (t->armed && t->armed_pass != pass && t->deadline_ns <= now &&
            (best == NULL || t->deadline_ns < best->deadline_ns)) {
            best = t;
        }
    }
    return best;
}

/* A libev timer fired: wait the rest if early by CLOCK_MONOTONIC, else fire
 * every due timer of this plugin in deadline order (libev's cached loop time
 * can activate a later deadline first). */
static void on_timer(struct ev_loop *l, ev_timer *w, int revents)
{
    (void)revents;
    lv_timer *t = w->data;
    lv_loop *p = t->loop;
    uint64_t now = mono_ns();
    if (p->stopping) {
        timer_start_ns(p, t, 0); /* still due: fires on the next start_watching() */
        return;
    }
    if (now < t->deadline_ns) {
        timer_start_ns(p, t, t->deadline_ns - now); /* early: wait the rest */
        return;
    }
    /* Safety net: if the pass below stops before reaching t, t still fires
     * next time (firing or cleaning up t stops this again). */
    timer_start_ns(p, t, 0);
    uint64_t pass = ++p->pass;
    p->depth++;
    lv_timer *d;
    while (!p->destroy_pending && !p->stopping && (d = next_due(p, now, pass)) != NULL) {
        ev_timer_stop(l, &d->w);
        d->armed = 0;
        d->pub.cb(&d->pub, d->pub.arg); /* may free d, re-arm, stop or destroy */
    }
    p->depth--;
    if (p->depth == 0 && p->destroy_pending && !p->running) {
        free_all(p); /* destroy() was called from one of the callbacks above */
    }
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
    t->w.data = t;
    t->pub.cb = cb;
    t->pub.arg = arg;
    t->loop = p;
    t->next = p->timers;
    if (p->timers) {
        p->timers->prev = t;
    }
    p->timers = t;
    return &t->pub;
}

static void timer_release(lv_loop *p, lv_timer *t)
{
    ev_timer_stop(p->ev, &t->w);
    if (t->prev) {
        t->prev->next = t->next;
    } else {
        p->timers = t->next;
    }
    if (t->next) {
        t->next->prev = t->prev;
    }
    free(t);
}

static int lv_update_timer(sofa_iops *io, sofa_io_timer *pub, sofa_io_action action,
                           uint64_t usecs)
{
    lv_loop *p = loop_of(io);
    lv_timer *t = (lv_timer *)pub;
    if (p == NULL || t == NULL || t->loop != p) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    switch (action) {
    case SOFA_IO_WATCH: {
        ev_timer_stop(p->ev, &t->w);
        uint64_t now = mono_ns();
        uint64_t delay = usecs > (UINT64_MAX - now) / 1000 ? UINT64_MAX - now : usecs * 1000;
        t->deadline_ns = now + delay;
        t->armed_pass = p->pass;
        t->armed = 1;
        timer_start_ns(p, t, delay);
        return SOFA_OK;
    }
    case SOFA_IO_UNWATCH:
        ev_timer_stop(p->ev, &t->w);
        t->armed = 0;
        return SOFA_OK;
    case SOFA_IO_CLEANUP:
        timer_release(p, t);
        return SOFA_OK;
    }
    return SOFA_E_INVALID_ARGUMENT;
}

/* ------------------------------------------------------------------ the loop */

static void free_all(lv_loop *p)
{
    while (p->events) {
        event_release(p, p->events);
    }
    while (p->timers) {
        timer_release(p, p->timers);
    }
    if (p->owns_loop) {
        ev_loop_destroy(p->ev);
    }
    free(p);
}

static void lv_start_watching(sofa_iops *io)
{
    lv_loop *p = loop_of(io);
    if (p == NULL || !p->owns_loop || p->running) {
        return; /* the application runs its loop; or a nested call */
    }
    p->running = 1;
    p->stopping = 0;
    /* Returns after ev_break(), or when no watcher is active. */
    ev_run(p->ev, 0);
    p->running = 0;
    p->stopping = 0;
    if (p->destroy_pending) {
        free_all(p);
    }
}

static void lv_stop_watching(sofa_iops *io)
{
    lv_loop *p = loop_of(io);
    if (p != NULL && p->owns_loop && p->running) {
        p->stopping = 1;
        ev_break(p->ev, EVBREAK_ONE);
    }
}

static void lv_destroy(sofa_iops *io)
{
    lv_loop *p = loop_of(io);
    if (p == NULL) {
        return;
    }
    if (p->running || p->depth > 0) {
        /* From a callback: ev_run or on_timer is still on the stack. */
        p->destroy_pending = 1;
        if (p->running) {
            p->stopping = 1;
            ev_break(p->ev, EVBREAK_ONE);
        }
        return;
    }
    free_all(p);
}

static uint64_t lv_now(sofa_iops *io)
{
    (void)io;
    return mono_ns() / 1000;
}

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
    if (loop == NULL) {
        loop = ev_loop_new(EVFLAG_AUTO);
        if (loop == NULL) {
            free(p);
            return SOFA_E_PLUGIN_INIT;
        }
        p->owns_loop = 1;
    }
    p->ev = loop;
    p->iops.struct_size = sizeof(sofa_iops);
    p->iops.name = "libev";
    p->iops.data = p;
    p->iops.event_new = lv_event_new;
    p->iops.update_event = lv_update_event;
    p->iops.timer_new = lv_timer_new;
    p->iops.update_timer = lv_update_timer;
    p->iops.start_watching = lv_start_watching;
    p->iops.stop_watching = lv_stop_watching;
    p->iops.destroy = lv_destroy;
    p->iops.now = lv_now;
    *out = &p->iops;
    return SOFA_OK;
}

/* The loader's entry point: @p loop is a struct ev_loop * or NULL. */
SOFA_API int sofa_iops_plugin_create(void *loop, sofa_iops **out);
SOFA_API int sofa_iops_plugin_create(void *loop, sofa_iops **out)
{
    return sofa_iops_libev_new((struct ev_loop *)loop, out);
}
