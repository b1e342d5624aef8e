/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * The select(2) plugin: a blocking loop that owns itself. Compiled into libsofa
 * as the default plugin (sofa_iops_select_new) and, with SOFA_SELECT_STANDALONE,
 * into libsofa_select.so exporting sofa_iops_plugin_create. Uses only the public
 * headers, like every plugin.
 *
 * Dispatch safety: one loop iteration first moves every ready event onto a
 * "ready" list and every due timer onto a "due" list, then pops one entry at a
 * time and calls it. The dispatcher keeps no pointer to an event or timer across
 * a callback, and UNWATCH/CLEANUP/re-WATCH remove the object from those lists,
 * so a callback may unwatch, re-arm or free any object (its own included) and
 * nothing is ever delivered to an object that was unwatched or freed. Destroying
 * the plugin from inside a callback is deferred until start_watching() unwinds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#include "../common/plugin_core.h"
#include "sofa/iops.h"
#include "sofa/status.h"

/* A single select() never sleeps longer than this; the loop re-checks timers. */
#define SELECT_MAX_SLEEP_NS (3600ULL * 1000000000ULL)

typedef struct sel_loop sel_loop;

typedef struct sel_event {
    sofa_io_event pub; /* first member: the engine sees only this */
    sel_loop *loop;
    struct sel_event *prev, *next;           /* every event of the plugin */
    struct sel_event *ready_prev, *ready_next; /* the ready list of this iteration */
    int flags;                               /* watched flags, 0 = not watched */
    int ready;                               /* readiness seen by select() */
    int in_ready;
} sel_event;

enum { TIMER_IDLE, TIMER_ARMED, TIMER_DUE };

typedef struct sel_timer {
    sofa_io_timer pub; /* first member */
    sel_loop *loop;
    struct sel_timer *all_prev, *all_next; /* every timer of the plugin */
    struct sel_timer *prev, *next;         /* the armed list (sorted) or the due list */
    uint64_t deadline_ns;
    int state;
} sel_timer;

typedef struct timer_list {
    sel_timer *head, *tail;
} timer_list;

struct sel_loop {
    sofa_iops iops;
    sel_event *events;
    size_t nwatched;
    sel_timer *timers;
    timer_list armed; /* sorted by deadline, ties in arming order */
    timer_list due;   /* due in the current iteration, in firing order */
    sel_event *ready_head, *ready_tail;
    int running;
    int stop;
    int destroy_pending;
};

static sel_loop *loop_of(sofa_iops *io)
{
    return io ? (sel_loop *)io->data : NULL;
}

/* ------------------------------------------------------------------ events */

static void ready_remove(sel_loop *p, sel_event *ev)
{
    if (!ev->in_ready) {
        return;
    }
    if (ev->ready_prev) {
        ev->ready_prev->ready_next = ev->ready_next;
    } else {
        p->ready_head = ev->ready_next;
    }
    if (ev->ready_next) {
        ev->ready_next->ready_prev = ev->ready_prev;
    } else {
        p->ready_tail = ev->ready_prev;
    }
    ev->ready_prev = ev->ready_next = NULL;
    ev->in_ready = 0;
    ev->ready = 0;
}

static void ready_append(sel_loop *p, sel_event *ev, int ready)
{
    ev->ready = ready;
    ev->in_ready = 1;
    ev->ready_next = NULL;
    ev->ready_prev = p->ready_tail;
    if (p->ready_tail) {
        p->ready_tail->ready_next = ev;
    } else {
        p->ready_head = ev;
    }
    p->ready_tail = ev;
}

static void event_unwatch(sel_loop *p, sel_event *ev)
{
    ready_remove(p, ev);
    if (ev->flags) {
        ev->flags = 0;
        p->nwatched--;
    }
}

static sofa_io_event *sel_event_new(sofa_iops *io, int fd, sofa_io_event_cb cb, void *arg)
{
    sel_loop *p = loop_of(io);
    if (p == NULL || cb == NULL || fd < 0) {
        return NULL;
    }
    sel_event *ev = calloc(1, sizeof(*ev));
    if (ev == NULL) {
        return NULL;
    }
    ev->pub.fd = fd;
    ev->pub.cb = cb;
    ev->pub.arg = arg;
    ev->loop = p;
    ev->next = p->events;
    if (p->events) {
        p->events->prev = ev;
    }
    p->events = ev;
    return &ev->pub;
}

static void event_free(sel_loop *p, sel_event *ev)
{
    event_unwatch(p, ev);
    if (ev->prev) {
        ev->prev->next = ev->next;
    } else {
        p->events = ev->next;
    }
    if (ev->next) {
        ev->next->prev = ev->prev;
    }
    free(ev);
}

static int sel_update_event(sofa_iops *io, sofa_io_event *pub, sofa_io_action action, int flags)
{
    sel_loop *p = loop_of(io);
    sel_event *ev = (sel_event *)pub;
    if (p == NULL || ev == NULL || ev->loop != p) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    switch (action) {
    case SOFA_IO_WATCH:
        if (!plugin_watch_flags_ok(flags)) {
            return SOFA_E_INVALID_ARGUMENT;
        }
        if (ev->pub.fd >= FD_SETSIZE) {
            return SOFA_E_FD_TOO_LARGE; /* FD_SET would write past the fd_set */
        }
        /* New flags: readiness seen for the old ones is not delivered. */
        ready_remove(p, ev);
        if (ev->flags == 0) {
            p->nwatched++;
        }
        ev->flags = flags;
        return SOFA_OK;
    case SOFA_IO_UNWATCH:
        event_unwatch(p, ev);
        return SOFA_OK;
    case SOFA_IO_CLEANUP:
        event_free(p, ev);
        return SOFA_OK;
    }
    return SOFA_E_INVALID_ARGUMENT;
}

/* ------------------------------------------------------------------ timers */

static void list_remove(timer_list *l, sel_timer *t)
{
    if (t->prev) {
        t->prev->next = t->next;
    } else {
        l->head = t->next;
    }
    if (t->next) {
        t->next->prev = t->prev;
    } else {
        l->tail = t->prev;
    }
    t->prev = t->next = NULL;
}

static void list_append(timer_list *l, sel_timer *t)
{
    t->next = NULL;
    t->prev = l->tail;
    if (l->tail) {
        l->tail->next = t;
    } else {
        l->head = t;
    }
    l->tail = t;
}

/* Insert after every timer with a deadline <= t's (FIFO among equal deadlines). */
static void armed_insert(timer_list *l, sel_timer *t)
{
    sel_timer *after = l->tail;
    while (after && after->deadline_ns > t->deadline_ns) {
        after = after->prev;
    }
    t->prev = after;
    t->next = after ? after->next : l->head;
    if (t->next) {
        t->next->prev = t;
    } else {
        l->tail = t;
    }
    if (after) {
        after->next = t;
    } else {
        l->head = t;
    }
}

static void timer_disarm(sel_loop *p, sel_timer *t)
{
    if (t->state == TIMER_ARMED) {
        list_remove(&p->armed, t);
    } else if (t->state == TIMER_DUE) {
        list_remove(&p->due, t);
    }
    t->state = TIMER_IDLE;
}

static sofa_io_timer *sel_timer_new(sofa_iops *io, sofa_io_timer_cb cb, void *arg)
{
    sel_loop *p = loop_of(io);
    if (p == NULL || cb == NULL) {
        return NULL;
    }
    sel_timer *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return NULL;
    }
    t->pub.cb = cb;
    t->pub.arg = arg;
    t->loop = p;
    t->state = TIMER_IDLE;
    t->all_next = p->timers;
    if (p->timers) {
        p->timers->all_prev = t;
    }
    p->timers = t;
    return &t->pub;
}

static void timer_free(sel_loop *p, sel_timer *t)
{
    timer_disarm(p, t);
    if (t->all_prev) {
        t->all_prev->all_next = t->all_next;
    } else {
        p->timers = t->all_next;
    }
    if (t->all_next) {
        t->all_next->all_prev = t->all_prev;
    }
    free(t);
}

static int sel_update_timer(sofa_iops *io, sofa_io_timer *pub, sofa_io_action action,
                            uint64_t usecs)
{
    sel_loop *p = loop_of(io);
    sel_timer *t = (sel_timer *)pub;
    if (p == NULL || t == NULL || t->loop != p) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    switch (action) {
    case SOFA_IO_WATCH: {
        timer_disarm(p, t);
        uint64_t now = plugin_mono_ns();
        t->deadline_ns = now + plugin_delay_ns(now, usecs);
        t->state = TIMER_ARMED;
        armed_insert(&p->armed, t);
        return SOFA_OK;
    }
    case SOFA_IO_UNWATCH:
        timer_disarm(p, t);
        return SOFA_OK;
    case SOFA_IO_CLEANUP:
        timer_free(p, t);
        return SOFA_OK;
    }
    return SOFA_E_INVALID_ARGUMENT;
}

/* ------------------------------------------------------------------ the loop */

/* select() said EBADF: an fd was closed while watched. Report those events as
 * ready so the engine's own recv/send sees the error instead of a busy loop. */
static void collect_bad_fds(sel_loop *p)
{
    for (sel_event *ev = p->events; ev; ev = ev->next) {
        if (ev->flags && fcntl(ev->pub.fd, F_GETFD) == -1 && errno == EBADF) {
            ready_append(p, ev, ev->flags);
        }
    }
}

static int wait_for_io(sel_loop *p)
{
    fd_set rd, wr;
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    int maxfd = -1;
    for (sel_event *ev = p->events; ev; ev = ev->next) {
        if (ev->flags == 0) {
            continue;
        }
        if (ev->flags & SOFA_IO_READ) {
            FD_SET(ev->pub.fd, &rd);
        }
        if (ev->flags & SOFA_IO_WRITE) {
            FD_SET(ev->pub.fd, &wr);
        }
        if (ev->pub.fd > maxfd) {
            maxfd = ev->pub.fd;
        }
    }
    struct timeval tv, *tvp = NULL;
    if (p->armed.head) {
        uint64_t now = plugin_mono_ns();
        uint64_t wait = p->armed.head->deadline_ns > now ? p->armed.head->deadline_ns - now : 0;
        if (wait > SELECT_MAX_SLEEP_NS) {
            wait = SELECT_MAX_SLEEP_NS;
        }
        uint64_t us = (wait + 999) / 1000; /* round up: waking early only costs a loop */
        tv.tv_sec = (time_t)(us / 1000000);
        tv.tv_usec = (suseconds_t)(us % 1000000);
        tvp = &tv;
    }
    int n = select(maxfd + 1, &rd, &wr, NULL, tvp);
    if (n < 0) {
        if (errno == EINTR) {
            return 0;
        }
        if (errno == EBADF) {
            collect_bad_fds(p);
            return 0;
        }
        return -1;
    }
    for (sel_event *ev = p->events; ev && n > 0; ev = ev->next) {
        if (ev->flags == 0) {
            continue;
        }
        int r = 0;
        if ((ev->flags & SOFA_IO_READ) && FD_ISSET(ev->pub.fd, &rd)) {
            r |= SOFA_IO_READ;
        }
        if ((ev->flags & SOFA_IO_WRITE) && FD_ISSET(ev->pub.fd, &wr)) {
            r |= SOFA_IO_WRITE;
        }
        if (r) {
            ready_append(p, ev, r);
        }
    }
    return 0;
}

static void collect_due_timers(sel_loop *p)
{
    uint64_t now = plugin_mono_ns();
    while (p->armed.head && p->armed.head->deadline_ns <= now) {
        sel_timer *t = p->armed.head;
        list_remove(&p->armed, t);
        t->state = TIMER_DUE;
        list_append(&p->due, t);
    }
}

static void dispatch(sel_loop *p)
{
    /* I/O first, then timers: a zero-delay timer runs after pending I/O. */
    while (!p->stop && p->ready_head) {
        sel_event *ev = p->ready_head;
        int fired = ev->ready & ev->flags;
        ready_remove(p, ev);
        event_unwatch(p, ev); /* one-shot */
        if (fired) {
            ev->pub.cb(&ev->pub, fired, ev->pub.arg);
        }
    }
    while (!p->stop && p->due.head) {
        sel_timer *t = p->due.head;
        list_remove(&p->due, t);
        t->state = TIMER_IDLE;
        t->pub.cb(&t->pub, t->pub.arg);
    }
    /* Stopped early: undelivered events stay watched, due timers stay armed
     * (still due, so they fire first thing next time). */
    while (p->ready_head) {
        ready_remove(p, p->ready_head);
    }
    while (p->due.head) {
        sel_timer *t = p->due.head;
        list_remove(&p->due, t);
        t->state = TIMER_ARMED;
        armed_insert(&p->armed, t);
    }
}

static void free_all(sel_loop *p)
{
    while (p->events) {
        event_free(p, p->events);
    }
    while (p->timers) {
        timer_free(p, p->timers);
    }
    free(p);
}

static void sel_start_watching(sofa_iops *io)
{
    sel_loop *p = loop_of(io);
    if (p == NULL || p->running) {
        return; /* nested start_watching from a callback: nothing to do */
    }
    p->running = 1;
    p->stop = 0;
    /* Nothing watched and nothing armed: no callback could ever stop us. */
    while (!p->stop && (p->nwatched > 0 || p->armed.head != NULL)) {
        if (wait_for_io(p) != 0) {
            break; /* select() failed in a way retrying cannot fix */
        }
        collect_due_timers(p);
        dispatch(p);
    }
    p->running = 0;
    p->stop = 0;
    if (p->destroy_pending) {
        free_all(p);
    }
}

static void sel_stop_watching(sofa_iops *io)
{
    sel_loop *p = loop_of(io);
    if (p != NULL && p->running) {
        p->stop = 1;
    }
}

static void sel_destroy(sofa_iops *io)
{
    sel_loop *p = loop_of(io);
    if (p == NULL) {
        return;
    }
    if (p->running) {
        /* Called from a callback: free once start_watching() unwinds. */
        p->destroy_pending = 1;
        p->stop = 1;
        return;
    }
    free_all(p);
}

static uint64_t sel_now(sofa_iops *io)
{
    (void)io;
    return plugin_mono_ns() / 1000;
}

static int select_new(sofa_iops **out)
{
    if (out == NULL) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    *out = NULL;
    sel_loop *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return SOFA_E_NO_MEMORY;
    }
    p->iops.struct_size = sizeof(sofa_iops);
    p->iops.name = "select";
    p->iops.data = p;
    p->iops.event_new = sel_event_new;
    p->iops.update_event = sel_update_event;
    p->iops.timer_new = sel_timer_new;
    p->iops.update_timer = sel_update_timer;
    p->iops.start_watching = sel_start_watching;
    p->iops.stop_watching = sel_stop_watching;
    p->iops.destroy = sel_destroy;
    p->iops.now = sel_now;
    *out = &p->iops;
    return SOFA_OK;
}

#ifdef SOFA_SELECT_STANDALONE
/* libsofa_select.so: the loader's entry point. select always owns its loop. */
SOFA_API int sofa_iops_plugin_create(void *loop, sofa_iops **out);
SOFA_API int sofa_iops_plugin_create(void *loop, sofa_iops **out)
{
    if (loop != NULL) {
        if (out != NULL) {
            *out = NULL;
        }
        return SOFA_E_INVALID_ARGUMENT; /* there is no application select loop to wrap */
    }
    return select_new(out);
}
#else
int sofa_iops_select_new(sofa_iops **out)
{
    return select_new(out);
}
#endif
