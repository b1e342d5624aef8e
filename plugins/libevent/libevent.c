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

#include "sofa/iops.h"
#include "sofa/plugins/libevent.h"
#include "sofa/status.h"

typedef struct lev_loop lev_loop;

typedef struct lev_event {
    sofa_io_event pub; /* first member */
    lev_loop *loop;
    struct event *ev;
    int flags; /* watched flags, 0 = not watched */
    struct lev_event *prev, *next;
} lev_event;

typedef struct lev_timer {
    sofa_io_timer pub; /* first member */
    lev_loop *loop;
    struct event *ev;
    uint64_t deadline_ns;
    uint64_t armed_pass; /* lev_loop.pass when it was armed */
    int armed;
    struct lev_timer *prev, *next;
} lev_timer;

struct lev_loop {
    sofa_iops iops;
    struct event_base *base;
    int owns_base;
    lev_event *events;
    lev_timer *timers;
    uint64_t pass;       /* timer dispatch passes so far */
    int depth;           /* timer dispatch passes on the stack */
    int running;
    int stop_requested;  /* stop_watching() while running */
    int destroy_pending;
};

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

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
    lev_event *e = arg;
    int fired = ((what & EV_READ) ? SOFA_IO_READ : 0) | ((what & EV_WRITE) ? SOFA_IO_WRITE : 0);
    fired &= e->flags;
    e->flags = 0; /* libevent already made it non-pending (no EV_PERSIST) */
    if (fired) {
        e->pub.cb(&e->pub, fired, e->pub.arg); /* may free e or the plugin */
    }
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
    e->ev = event_new(p->base, fd, EV_READ, on_event, e);
    if (e->ev == NULL) {
        free(e);
        return NULL;
    }
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

static void event_release(lev_loop *p, lev_event *e)
{
    event_del(e->ev);
    event_free(e->ev);
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

static int lev_update_event(sofa_iops *io, sofa_io_event *pub, sofa_io_action action, int flags)
{
    lev_loop *p = loop_of(io);
    lev_event *e = (lev_event *)pub;
    if (p == NULL || e == NULL || e->loop != p) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    switch (action) {
    case SOFA_IO_WATCH: {
        if (flags == 0 || (flags & ~(SOFA_IO_READ | SOFA_IO_WRITE)) != 0) {
            return SOFA_E_INVALID_ARGUMENT;
        }
        short what = (short)(((flags & SOFA_IO_READ) ? EV_READ : 0) |
                             ((flags & SOFA_IO_WRITE) ? EV_WRITE : 0));
        event_del(e->ev);
        e->flags = 0;
        if (event_assign(e->ev, p->base, e->pub.fd, what, on_event, e) != 0 ||
            event_add(e->ev, NULL) != 0) {
            return SOFA_E_IO;
        }
        e->flags = flags;
        return SOFA_OK;
    }
    case SOFA_IO_UNWATCH:
        event_del(e->ev);
        e->flags = 0;
        return SOFA_OK;
    case SOFA_IO_CLEANUP:
        event_release(p, e);
        return SOFA_OK;
    }
    return SOFA_E_INVALID_ARGUMENT;
}

/* ------------------------------------------------------------------ timers */

static void free_all(lev_loop *p);

/* The due timer with the earliest deadline not armed during this pass. */
static lev_timer *next_due(lev_loop *p, uint64_t now, uint64_t pass)
{
    lev_timer *best = NULL;
    for (lev_timer *t = p->timers; t; t = t->next) {
        if (t->armed && t->armed_pass != pass && t->deadline_ns <= now &&
            (best == NULL || t->deadline_ns < best->deadline_ns)) {
            best = t;
        }
    }
    return best;
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
    lev_loop *p = t->loop;
    uint64_t now = mono_ns();
    if (now < t->deadline_ns) {
        struct timeval tv = tv_of_ns(t->deadline_ns - now);
        if (evtimer_add(t->ev, &tv) == 0) {
            return;
        }
        now = t->deadline_ns; /* cannot wait (libevent out of memory): fire rather than lose it */
    }
    /* Safety net: if the pass below stops before reaching t, t still fires
     * next time (firing or cleaning up t removes this again). */
    struct timeval zero = {0, 0};
    evtimer_add(t->ev, &zero);
    uint64_t pass = ++p->pass;
    p->depth++;
    lev_timer *d;
    while (!p->destroy_pending && !p->stop_requested && (d = next_due(p, now, pass)) != NULL) {
        event_del(d->ev);
        d->armed = 0;
        d->pub.cb(&d->pub, d->pub.arg); /* may free d, re-arm, stop or destroy */
    }
    p->depth--;
    if (p->depth == 0 && p->destroy_pending && !p->running) {
        free_all(p); /* destroy() was called from one of the callbacks above */
    }
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

static void timer_release(lev_loop *p, lev_timer *t)
{
    event_del(t->ev);
    event_free(t->ev);
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

static int lev_update_timer(sofa_iops *io, sofa_io_timer *pub, sofa_io_action action,
                            uint64_t usecs)
{
    lev_loop *p = loop_of(io);
    lev_timer *t = (lev_timer *)pub;
    if (p == NULL || t == NULL || t->loop != p) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    switch (action) {
    case SOFA_IO_WATCH: {
        event_del(t->ev);
        uint64_t now = mono_ns();
        uint64_t delay = usecs > (UINT64_MAX - now) / 1000 ? UINT64_MAX - now : usecs * 1000;
        t->deadline_ns = now + delay;
        t->armed_pass = p->pass;
        struct timeval tv = tv_of_ns(delay);
        t->armed = 0;
        if (evtimer_add(t->ev, &tv) != 0) {
            return SOFA_E_IO;
        }
        t->armed = 1;
        return SOFA_OK;
    }
    case SOFA_IO_UNWATCH:
        event_del(t->ev);
        t->armed = 0;
        return SOFA_OK;
    case SOFA_IO_CLEANUP:
        timer_release(p, t);
        return SOFA_OK;
    }
    return SOFA_E_INVALID_ARGUMENT;
}

/* ------------------------------------------------------------------ the loop */

static void free_all(lev_loop *p)
{
    while (p->events) {
        event_release(p, p->events);
    }
    while (p->timers) {
        timer_release(p, p->timers);
    }
    if (p->owns_base) {
        event_base_free(p->base);
    }
    free(p);
}

static void lev_start_watching(sofa_iops *io)
{
    lev_loop *p = loop_of(io);
    if (p == NULL || !p->owns_base || p->running) {
        return; /* the application runs its base; or a nested call */
    }
    p->running = 1;
    p->stop_requested = 0;
    /* Returns after event_base_loopbreak(), or when nothing is pending. */
    event_base_loop(p->base, 0);
    p->running = 0;
    p->stop_requested = 0;
    if (p->destroy_pending) {
        free_all(p);
    }
}

static void lev_stop_watching(sofa_iops *io)
{
    lev_loop *p = loop_of(io);
    if (p != NULL && p->owns_base && p->running) {
        p->stop_requested = 1;
        event_base_loopbreak(p->base);
    }
}

static void lev_destroy(sofa_iops *io)
{
    lev_loop *p = loop_of(io);
    if (p == NULL) {
        return;
    }
    if (p->running || p->depth > 0) {
        /* From a callback: our loop or on_timer is still on the stack. */
        p->destroy_pending = 1;
        if (p->running) {
            event_base_loopbreak(p->base);
        }
        return;
    }
    free_all(p);
}

static uint64_t lev_now(sofa_iops *io)
{
    (void)io;
    return mono_ns() / 1000;
}

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
    if (base == NULL) {
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
        p->owns_base = 1;
    }
    p->base = base;
    p->iops.struct_size = sizeof(sofa_iops);
    p->iops.name = "libevent";
    p->iops.data = p;
    p->iops.event_new = lev_event_new;
    p->iops.update_event = lev_update_event;
    p->iops.timer_new = lev_timer_new;
    p->iops.update_timer = lev_update_timer;
    p->iops.start_watching = lev_start_watching;
    p->iops.stop_watching = lev_stop_watching;
    p->iops.destroy = lev_destroy;
    p->iops.now = lev_now;
    *out = &p->iops;
    return SOFA_OK;
}

/* The loader's entry point: @p loop is a struct event_base * or NULL. */
SOFA_API int sofa_iops_plugin_create(void *loop, sofa_iops **out);
SOFA_API int sofa_iops_plugin_create(void *loop, sofa_iops **out)
{
    return sofa_iops_libevent_new((struct event_base *)loop, out);
}
