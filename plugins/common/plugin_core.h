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
 *  - destroy() from inside a callback is deferred (plugin_defer_destroy) until
 *    the outermost dispatch on the stack unwinds; that frame frees everything.
 */
#ifndef SOFA_PLUGINS_COMMON_PLUGIN_CORE_H
#define SOFA_PLUGINS_COMMON_PLUGIN_CORE_H

#include <stdint.h>
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

struct plugin_loop {
    sofa_iops iops; /* first member; iops.data points back at the plugin's loop */
    plugin_event *events;
    plugin_timer *timers;
    uint64_t pass;   /* timer dispatch passes so far */
    int depth;       /* timer dispatch passes on the stack */
    int running;     /* inside start_watching() */
    int stopping;    /* stop_watching() called: deliver nothing until the loop returns */
    int destroy_pending;
};

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

/*
 * Fires every timer due at @p now in deadline order, calling @p disarm (which
 * stops the timer's own watcher) before each callback. Stops early once
 * stop_watching() or destroy() was called. Returns 1 when destroy() was called
 * from a callback and no dispatch is left on the stack: the caller must then free
 * the plugin (and touch nothing of it afterwards).
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
    return p->depth == 0 && p->destroy_pending && !p->running;
}

/* destroy(): returns 1 when it must wait because a dispatch is on the stack
 * (start_watching() or a timer pass); the outermost one frees the plugin. */
static inline int plugin_defer_destroy(plugin_loop *p)
{
    if (p->running || p->depth > 0) {
        p->destroy_pending = 1;
        return 1;
    }
    return 0;
}

/* start_watching() on a loop the plugin owns: runs @p run (the foreign loop)
 * unless already running. Returns 1 when destroy() was called meanwhile: the
 * caller must then free the plugin. */
static inline int plugin_run(plugin_loop *p, void (*run)(plugin_loop *))
{
    if (p->running) {
        return 0; /* nested call from a callback */
    }
    p->running = 1;
    p->stopping = 0;
    run(p);
    p->running = 0;
    p->stopping = 0;
    return p->destroy_pending;
}

#endif /* SOFA_PLUGINS_COMMON_PLUGIN_CORE_H */
