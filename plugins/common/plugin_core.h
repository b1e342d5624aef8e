/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * Plugin-local code shared by the bundled IOPS plugins (header only, so every
 * plugin library keeps its own copy and still depends on nothing but the public
 * headers). Not installed, not part of the API.
 *
 * Part 1 (every plugin): the monotonic clock, deadline arithmetic, flag checks.
 *
 * Part 2 (plugins that give each sofa event and timer one watcher of a foreign
 * loop: libevent, libev): the bookkeeping around those watchers.
 *  - plugin_loop heads the plugin's loop struct, plugin_event / plugin_timer head
 *    its event and timer structs (each the first member, so the sofa_io_event /
 *    sofa_io_timer the engine sees converts back with a cast).
 *  - Timers fire through plugin_fire_due_timers(): the foreign loop measures time
 *    from a cached clock and may activate a later deadline first, so when any
 *    watcher fires, every due timer of the plugin fires in deadline order. A timer
 *    re-armed from a callback waits for the next pass (armed_pass).
 *  - start_watching / stop_watching / destroy / now are the same for each such
 *    plugin (plugin_loop_init fills them in); the plugin supplies the few
 *    loop-specific steps in a plugin_backend. destroy() from inside a callback is
 *    deferred until the outermost dispatch on the stack unwinds, which then frees
 *    everything.
 */
#ifndef SOFA_PLUGINS_COMMON_PLUGIN_CORE_H
#define SOFA_PLUGINS_COMMON_PLUGIN_CORE_H

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "sofa/iops.h"

/* ------------------------------------------------------------------ part 1 */

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t plugin_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* @p usecs in nanoseconds, clamped so that @p now_ns + the result cannot wrap. */
static inline uint64_t plugin_delay_ns(uint64_t now_ns, uint64_t usecs)
{
    return usecs > (UINT64_MAX - now_ns) / 1000 ? UINT64_MAX - now_ns : usecs * 1000;
}

/* Flags a WATCH may ask for: at least one of SOFA_IO_READ / SOFA_IO_WRITE, nothing else. */
static inline int plugin_watch_flags_ok(int flags)
{
    return flags != 0 && (flags & ~(SOFA_IO_READ | SOFA_IO_WRITE)) == 0;
}

/* ------------------------------------------------------------------ part 2 */

typedef struct plugin_loop plugin_loop;

typedef struct plugin_event {
    sofa_io_event pub; /* first member */
    plugin_loop *loop;
    int flags; /* watched flags, 0 = not watched */
    struct plugin_event *prev, *next;
} plugin_event;

typedef struct plugin_timer {
    sofa_io_timer pub; /* first member */
    plugin_loop *loop;
    uint64_t deadline_ns;
    uint64_t armed_pass; /* plugin_loop.pass when it was armed */
    int armed;
    struct plugin_timer *prev, *next;
} plugin_timer;

/* What differs between the foreign loops. */
typedef struct plugin_backend {
    /* Run the owned loop until stop() or until nothing is active. */
    void (*run)(plugin_loop *p);
    /* Make run() return after the current callback. */
    void (*stop)(plugin_loop *p);
    /* Stop the watcher of @p e / @p t, unlink it and free it (CLEANUP). */
    void (*event_free)(plugin_loop *p, plugin_event *e);
    void (*timer_free)(plugin_loop *p, plugin_timer *t);
    /* Release the foreign loop if the plugin owns it (not the plugin_loop itself). */
    void (*loop_free)(plugin_loop *p);
} plugin_backend;

struct plugin_loop {
    sofa_iops iops; /* first member; iops.data points at this struct */
    const plugin_backend *be;
    int owns_loop;  /* the plugin created the foreign loop: start_watching() runs it */
    plugin_event *events;
    plugin_timer *timers;
    uint64_t pass;  /* timer dispatch passes so far */
    int depth;      /* timer dispatch passes on the stack */
    int running;    /* inside start_watching() */
    int stopping;   /* stop_watching() called: deliver nothing until the loop returns */
    int destroy_pending;
};

static inline plugin_loop *plugin_loop_of(sofa_iops *io)
{
    return io ? (plugin_loop *)io->data : NULL;
}

/* Fills the public part of @p e and puts it on @p p's list. */
static inline void plugin_event_link(plugin_loop *p, plugin_event *e, int fd, sofa_io_event_cb cb,
                                     void *arg)
{
    e->pub.fd = fd;
    e->pub.cb = cb;
    e->pub.arg = arg;
    e->loop = p;
    e->prev = NULL;
    e->next = p->events;
    if (p->events) {
        p->events->prev = e;
    }
    p->events = e;
}

static inline void plugin_event_unlink(plugin_loop *p, plugin_event *e)
{
    if (e->prev) {
        e->prev->next = e->next;
    } else {
        p->events = e->next;
    }
    if (e->next) {
        e->next->prev = e->prev;
    }
    e->prev = e->next = NULL;
}

/* A one-shot watcher of @p e reported @p ready (SOFA_IO_* flags): deliver what
 * was asked for. Touches nothing after the callback, which may free anything. */
static inline void plugin_event_deliver(plugin_event *e, int ready)
{
    int fired = ready & e->flags;
    e->flags = 0;
    if (fired) {
        e->pub.cb(&e->pub, fired, e->pub.arg);
    }
}

static inline void plugin_timer_link(plugin_loop *p, plugin_timer *t, sofa_io_timer_cb cb, void *arg)
{
    t->pub.cb = cb;
    t->pub.arg = arg;
    t->loop = p;
    t->prev = NULL;
    t->next = p->timers;
    if (p->timers) {
        p->timers->prev = t;
    }
    p->timers = t;
}

static inline void plugin_timer_unlink(plugin_loop *p, plugin_timer *t)
{
    if (t->prev) {
        t->prev->next = t->next;
    } else {
        p->timers = t->next;
    }
    if (t->next) {
        t->next->prev = t->prev;
    }
    t->prev = t->next = NULL;
}

/* WATCH @p t for @p usecs from now: sets its deadline and pass (not `armed`:
 * the caller sets that once its own watcher is armed). Returns the delay in ns. */
static inline uint64_t plugin_timer_schedule(plugin_loop *p, plugin_timer *t, uint64_t usecs)
{
    uint64_t now = plugin_mono_ns();
    uint64_t delay = plugin_delay_ns(now, usecs);
    t->deadline_ns = now + delay;
    t->armed_pass = p->pass;
    return delay;
}

/* The due timer with the earliest deadline not armed during pass @p pass. */
static inline plugin_timer *plugin_next_due(plugin_loop *p, uint64_t now, uint64_t pass)
{
    plugin_timer *best = NULL;
    for (plugin_timer *t = p->timers; t; t = t->next) {
        if (t->armed && t->armed_pass != pass && t->deadline_ns <= now &&
            (best == NULL || t->deadline_ns < best->deadline_ns)) {
            best = t;
        }
    }
    return best;
}

/* Frees every event and timer left, the owned foreign loop and the plugin. */
static inline void plugin_free_all(plugin_loop *p)
{
    while (p->events) {
        p->be->event_free(p, p->events);
    }
    while (p->timers) {
        p->be->timer_free(p, p->timers);
    }
    p->be->loop_free(p);
    free(p);
}

/*
 * Fires every timer due at @p now in deadline order, calling @p disarm (which
 * stops the timer's own watcher) before each callback. Stops early once
 * stop_watching() or destroy() was called. When destroy() was called from a
 * callback and no dispatch is left on the stack, frees the plugin and returns 1:
 * the caller must then touch nothing of it.
 */
static inline int plugin_fire_due_timers(plugin_loop *p, uint64_t now,
                                         void (*disarm)(plugin_timer *))
{
    uint64_t pass = ++p->pass;
    p->depth++;
    plugin_timer *d;
    while (!p->destroy_pending && !p->stopping && (d = plugin_next_due(p, now, pass)) != NULL) {
        disarm(d);
        d->armed = 0;
        d->pub.cb(&d->pub, d->pub.arg); /* may free d, re-arm, stop or destroy */
    }
    p->depth--;
    if (p->depth == 0 && p->destroy_pending && !p->running) {
        plugin_free_all(p);
        return 1;
    }
    return 0;
}

/* ---- the loop-level members of sofa_iops, the same for every such plugin */

static inline void plugin_start_watching(sofa_iops *io)
{
    plugin_loop *p = plugin_loop_of(io);
    if (p == NULL || !p->owns_loop || p->running) {
        return; /* the application runs its loop; or a nested call */
    }
    p->running = 1;
    p->stopping = 0;
    p->be->run(p);
    p->running = 0;
    p->stopping = 0;
    if (p->destroy_pending) {
        plugin_free_all(p);
    }
}

static inline void plugin_stop_watching(sofa_iops *io)
{
    plugin_loop *p = plugin_loop_of(io);
    if (p != NULL && p->owns_loop && p->running) {
        p->stopping = 1;
        p->be->stop(p);
    }
}

static inline void plugin_destroy(sofa_iops *io)
{
    plugin_loop *p = plugin_loop_of(io);
    if (p == NULL) {
        return;
    }
    if (p->running || p->depth > 0) {
        /* From a callback: the loop or a timer pass is still on the stack and
         * frees the plugin when it unwinds. */
        p->destroy_pending = 1;
        if (p->running) {
            p->stopping = 1;
            p->be->stop(p);
        }
        return;
    }
    plugin_free_all(p);
}

static inline uint64_t plugin_now(sofa_iops *io)
{
    (void)io;
    return plugin_mono_ns() / 1000;
}

/* Fills @p p's table; @p p must be zeroed, @p name of static storage. */
static inline void plugin_loop_init(plugin_loop *p, const char *name, const plugin_backend *be,
                                    int owns_loop,
                                    sofa_io_event *(*event_new)(sofa_iops *, int, sofa_io_event_cb,
                                                                void *),
                                    int (*update_event)(sofa_iops *, sofa_io_event *,
                                                        sofa_io_action, int),
                                    sofa_io_timer *(*timer_new)(sofa_iops *, sofa_io_timer_cb,
                                                                void *),
                                    int (*update_timer)(sofa_iops *, sofa_io_timer *,
                                                        sofa_io_action, uint64_t))
{
    p->be = be;
    p->owns_loop = owns_loop;
    p->iops.struct_size = sizeof(sofa_iops);
    p->iops.name = name;
    p->iops.data = p;
    p->iops.event_new = event_new;
    p->iops.update_event = update_event;
    p->iops.timer_new = timer_new;
    p->iops.update_timer = update_timer;
    p->iops.start_watching = plugin_start_watching;
    p->iops.stop_watching = plugin_stop_watching;
    p->iops.destroy = plugin_destroy;
    p->iops.now = plugin_now;
}

#endif /* SOFA_PLUGINS_COMMON_PLUGIN_CORE_H */
