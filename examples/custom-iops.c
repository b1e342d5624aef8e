/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * custom-iops.c: a complete, minimal sofa IOPS plugin on poll(2), written in the
 * application itself. It is the template for a language binding that brings its
 * own loop: replace poll() with the binding's loop (asyncio's add_reader /
 * add_writer / call_later, say) and keep the rest. docs/iops.md walks through it.
 *
 * The plugin part (everything above main) is also compiled into sofa's test
 * suite with -DCUSTOM_IOPS_NO_MAIN and must pass the same conformance scenarios
 * as sofa's own plugins; run it against yours with sofa-iops-check.
 *
 * Build: cc custom-iops.c $(pkg-config --cflags --libs sofa)
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sofa/sofa.h>

/* The one public function of this plugin. */
int custom_iops_new(sofa_iops **out);

/*
 * Objects. sofa's sofa_io_event / sofa_io_timer are the first member, so the
 * plugin can cast back. `dead` implements deferred free: an object cleaned up
 * while the loop is dispatching stays in memory (but inert) until the dispatch
 * pass is over, so the loop never reads freed memory.
 */
typedef struct poll_event {
    sofa_io_event pub;
    struct poll_event *next;
    int flags;         /* watched SOFA_IO_* flags; 0 = not watched */
    unsigned seq;      /* bumped by every WATCH/UNWATCH: stale readiness is dropped */
    int dead;
} poll_event;

typedef struct poll_timer {
    sofa_io_timer pub;
    struct poll_timer *next;
    int armed;
    uint64_t deadline_ns; /* CLOCK_MONOTONIC */
    uint64_t armed_iter;  /* loop iteration in which it was (re-)armed */
    int dead;
} poll_timer;

typedef struct poll_loop {
    sofa_iops iops;
    poll_event *events;
    poll_timer *timers;
    struct pollfd *fds; /* scratch arrays for one poll() call */
    poll_event **fd_ev;
    unsigned *fd_seq;
    size_t cap;
    uint64_t iter;
    int running, stop, dispatching, destroy_pending;
} poll_loop;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sweep(poll_loop *p);

/* ---- events ---------------------------------------------------------- */

static sofa_io_event *p_event_new(sofa_iops *io, int fd, sofa_io_event_cb cb, void *arg)
{
    poll_loop *p = io->data;
    poll_event *e = calloc(1, sizeof(*e));
    if (e == NULL || fd < 0 || cb == NULL) {
        free(e);
        return NULL;
    }
    e->pub.fd = fd;
    e->pub.cb = cb;
    e->pub.arg = arg;
    e->next = p->events;
    p->events = e;
    return &e->pub;
}

static int p_update_event(sofa_iops *io, sofa_io_event *pub, sofa_io_action action, int flags)
{
    poll_loop *p = io->data;
    poll_event *e = (poll_event *)pub;
    if (e == NULL || e->dead) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    switch (action) {
    case SOFA_IO_WATCH:
        if (flags == 0 || (flags & ~(SOFA_IO_READ | SOFA_IO_WRITE))) {
            return SOFA_E_INVALID_ARGUMENT;
        }
        e->flags = flags;
        e->seq++;
        return 0;
    case SOFA_IO_UNWATCH:
        e->flags = 0;
        e->seq++;
        return 0;
    case SOFA_IO_CLEANUP:
        e->flags = 0;
        e->dead = 1; /* freed by sweep(): now, or after the dispatch pass */
        if (!p->dispatching) {
            sweep(p);
        }
        return 0;
    }
    return SOFA_E_INVALID_ARGUMENT;
}

/* ---- timers ---------------------------------------------------------- */

static sofa_io_timer *p_timer_new(sofa_iops *io, sofa_io_timer_cb cb, void *arg)
{
    poll_loop *p = io->data;
    poll_timer *t = calloc(1, sizeof(*t));
    if (t == NULL || cb == NULL) {
        free(t);
        return NULL;
    }
    t->pub.cb = cb;
    t->pub.arg = arg;
    t->next = p->timers;
    p->timers = t;
    return &t->pub;
}

static int p_update_timer(sofa_iops *io, sofa_io_timer *pub, sofa_io_action action,
                          uint64_t usecs)
{
    poll_loop *p = io->data;
    poll_timer *t = (poll_timer *)pub;
    if (t == NULL || t->dead) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    switch (action) {
    case SOFA_IO_WATCH: {
        uint64_t now = now_ns();
        uint64_t max_us = (UINT64_MAX - now) / 1000;
        t->deadline_ns = now + (usecs > max_us ? max_us : usecs) * 1000;
        t->armed_iter = p->iter;
        t->armed = 1;
        return 0;
    }
    case SOFA_IO_UNWATCH:
        t->armed = 0;
        return 0;
    case SOFA_IO_CLEANUP:
        t->armed = 0;
        t->dead = 1;
        if (!p->dispatching) {
            sweep(p);
        }
        return 0;
    }
    return SOFA_E_INVALID_ARGUMENT;
}

/* ---- the loop -------------------------------------------------------- */

/* Free what was cleaned up; only ever called outside a dispatch pass. */
static void sweep(poll_loop *p)
{
    for (poll_event **pp = &p->events; *pp;) {
        poll_event *e = *pp;
        if (e->dead) {
            *pp = e->next;
            free(e);
        } else {
            pp = &e->next;
        }
    }
    for (poll_timer **pp = &p->timers; *pp;) {
        poll_timer *t = *pp;
        if (t->dead) {
            *pp = t->next;
            free(t);
        } else {
            pp = &t->next;
        }
    }
}

/* The earliest armed timer, or NULL. With @p due_before_iter, only timers
 * already due and armed before this iteration (a zero-delay timer re-armed by
 * a callback runs on the next iteration, after I/O). */
static poll_timer *earliest(poll_loop *p, int only_due, uint64_t now)
{
    poll_timer *best = NULL;
    for (poll_timer *t = p->timers; t; t = t->next) {
        if (!t->armed || t->dead) {
            continue;
        }
        if (only_due && (t->deadline_ns > now || t->armed_iter >= p->iter)) {
            continue;
        }
        if (best == NULL || t->deadline_ns < best->deadline_ns) {
            best = t;
        }
    }
    return best;
}

static int grow(poll_loop *p, size_t n)
{
    if (n <= p->cap) {
        return 0;
    }
    if (n > SIZE_MAX / 2 / sizeof(struct pollfd)) {
        return -1; /* the sizes below would overflow */
    }
    size_t cap = p->cap ? p->cap * 2 : 64;
    while (cap < n) {
        cap *= 2;
    }
    struct pollfd *fds = realloc(p->fds, cap * sizeof(*fds));
    if (fds != NULL) {
        p->fds = fds;
    }
    poll_event **evs = realloc(p->fd_ev, cap * sizeof(*evs));
    if (evs != NULL) {
        p->fd_ev = evs;
    }
    unsigned *seqs = realloc(p->fd_seq, cap * sizeof(*seqs));
    if (seqs != NULL) {
        p->fd_seq = seqs;
    }
    if (fds == NULL || evs == NULL || seqs == NULL) {
        return -1;
    }
    p->cap = cap;
    return 0;
}

/* One iteration: poll, deliver I/O, fire due timers. -1 on a fatal error. */
static int run_once(poll_loop *p)
{
    size_t n = 0;
    for (poll_event *e = p->events; e; e = e->next) {
        n += e->flags != 0;
    }
    if (grow(p, n) != 0) {
        return -1;
    }
    n = 0;
    for (poll_event *e = p->events; e; e = e->next) {
        if (e->flags) {
            p->fds[n].fd = e->pub.fd;
            p->fds[n].events = (short)(((e->flags & SOFA_IO_READ) ? POLLIN : 0) |
                                       ((e->flags & SOFA_IO_WRITE) ? POLLOUT : 0));
            p->fds[n].revents = 0;
            p->fd_ev[n] = e;
            p->fd_seq[n] = e->seq;
            n++;
        }
    }
    int timeout = -1;
    poll_timer *next = earliest(p, 0, 0);
    if (next != NULL) {
        uint64_t now = now_ns();
        uint64_t wait = next->deadline_ns > now ? next->deadline_ns - now : 0;
        uint64_t ms = (wait + 999999) / 1000000; /* round up: never early */
        timeout = ms > 60000 ? 60000 : (int)ms;
    }
    p->iter++;
    int rc = poll(p->fds, (nfds_t)n, timeout);
    if (rc < 0 && errno != EINTR) {
        return -1;
    }
    p->dispatching = 1;
    for (size_t i = 0; rc > 0 && i < n && !p->stop; i++) {
        poll_event *e = p->fd_ev[i];
        short re = p->fds[i].revents;
        if (re == 0 || e->dead || e->flags == 0 || e->seq != p->fd_seq[i]) {
            continue; /* not ready, or unwatched/changed/cleaned up by a callback */
        }
        /* Errors and hang-ups are reported as the watched flags: the engine's
         * own recv()/send() then sees what happened. */
        int bad = (re & (POLLERR | POLLHUP | POLLNVAL)) ? e->flags : 0;
        int fired = (((re & POLLIN) ? SOFA_IO_READ : 0) | ((re & POLLOUT) ? SOFA_IO_WRITE : 0) |
                     bad) & e->flags;
        e->flags = 0; /* one-shot */
        e->seq++;
        if (fired) {
            e->pub.cb(&e->pub, fired, e->pub.arg);
        }
    }
    uint64_t now = now_ns();
    poll_timer *t;
    while (!p->stop && (t = earliest(p, 1, now)) != NULL) {
        t->armed = 0;
        t->pub.cb(&t->pub, t->pub.arg);
    }
    p->dispatching = 0;
    sweep(p);
    return 0;
}

static int anything_pending(poll_loop *p)
{
    for (poll_event *e = p->events; e; e = e->next) {
        if (e->flags && !e->dead) {
            return 1;
        }
    }
    return earliest(p, 0, 0) != NULL;
}

static void p_free(poll_loop *p)
{
    for (poll_event *e = p->events; e; e = e->next) {
        e->dead = 1;
    }
    for (poll_timer *t = p->timers; t; t = t->next) {
        t->dead = 1;
    }
    sweep(p);
    free(p->fds);
    free(p->fd_ev);
    free(p->fd_seq);
    free(p);
}

static void p_start_watching(sofa_iops *io)
{
    poll_loop *p = io->data;
    if (p->running) {
        return; /* called from one of our callbacks */
    }
    p->running = 1;
    p->stop = 0;
    while (!p->stop && anything_pending(p)) {
        if (run_once(p) != 0) {
            break;
        }
    }
    p->running = 0;
    p->stop = 0;
    if (p->destroy_pending) {
        p_free(p);
    }
}

static void p_stop_watching(sofa_iops *io)
{
    poll_loop *p = io->data;
    if (p->running) {
        p->stop = 1;
    }
}

static void p_destroy(sofa_iops *io)
{
    poll_loop *p = io->data;
    if (p->running) {
        p->destroy_pending = 1; /* we are inside start_watching: free on the way out */
        p->stop = 1;
        return;
    }
    p_free(p);
}

int custom_iops_new(sofa_iops **out)
{
    poll_loop *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return SOFA_E_NO_MEMORY;
    }
    p->iops.struct_size = sizeof(sofa_iops); /* the ABI guard: always this */
    p->iops.name = "custom-poll";
    p->iops.data = p;
    p->iops.event_new = p_event_new;
    p->iops.update_event = p_update_event;
    p->iops.timer_new = p_timer_new;
    p->iops.update_timer = p_update_timer;
    p->iops.start_watching = p_start_watching;
    p->iops.stop_watching = p_stop_watching;
    p->iops.destroy = p_destroy;
    p->iops.now = NULL; /* optional */
    *out = &p->iops;
    return 0;
}

#ifndef CUSTOM_IOPS_NO_MAIN
/* ---- a tiny demonstration: echo one message through a socketpair --------- */
#include <sys/socket.h>
#include <unistd.h>

struct demo {
    sofa_iops *io;
    sofa_io_timer *timer;
    char got[32];
};

static void on_readable(sofa_io_event *ev, int fired, void *arg)
{
    struct demo *d = arg;
    ssize_t n = recv(ev->fd, d->got, sizeof(d->got) - 1, 0);
    d->got[n > 0 ? n : 0] = '\0';
    printf("read %zd bytes (flags %d): %s\n", n, fired, d->got);
    d->io->update_timer(d->io, d->timer, SOFA_IO_WATCH, 10000); /* stop in 10 ms */
}

static void on_timer(sofa_io_timer *t, void *arg)
{
    (void)t;
    struct demo *d = arg;
    printf("timer fired; stopping the loop\n");
    d->io->stop_watching(d->io);
}

int main(void)
{
    struct demo d = {0};
    int sv[2];
    if (custom_iops_new(&d.io) != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        fprintf(stderr, "setup failed\n");
        return 1;
    }
    sofa_io_event *ev = d.io->event_new(d.io, sv[0], on_readable, &d);
    d.timer = d.io->timer_new(d.io, on_timer, &d);
    if (ev == NULL || d.timer == NULL ||
        d.io->update_event(d.io, ev, SOFA_IO_WATCH, SOFA_IO_READ) != 0) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    if (send(sv[1], "hello, sofa", 11, 0) != 11) {
        return 1;
    }
    d.io->start_watching(d.io); /* returns when on_timer calls stop_watching */
    d.io->update_event(d.io, ev, SOFA_IO_CLEANUP, 0);
    d.io->update_timer(d.io, d.timer, SOFA_IO_CLEANUP, 0);
    d.io->destroy(d.io);
    close(sv[0]);
    close(sv[1]);
    int ok = strcmp(d.got, "hello, sofa") == 0;
    printf("%s: plugin \"custom-poll\" %s\n", ok ? "ok" : "FAILED", ok ? "works" : "broken");
    return ok ? 0 : 1;
}
#endif
