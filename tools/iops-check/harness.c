/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* The conformance harness: creates a plugin, drives its loop (owned or external)
 * under a watchdog, and records what every callback saw. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sofa/status.h"

uint64_t harness_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void harness_fail(harness *h, int line, const char *fmt, ...)
{
    if (h->failed) {
        return; /* keep the first failure */
    }
    h->failed = 1;
    if (h->err == NULL || h->errlen == 0) {
        return;
    }
    int n = snprintf(h->err, h->errlen, "line %d: ", line);
    if (n < 0 || (size_t)n >= h->errlen) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->err + n, h->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

static void on_watchdog(sofa_io_timer *t, void *arg)
{
    (void)t;
    harness *h = arg;
    h->timed_out = 1;
    h->io->stop_watching(h->io);
}

int harness_begin(harness *h, const iopscheck_factory *f, char *err, size_t errlen)
{
    memset(h, 0, sizeof(*h));
    h->f = f;
    h->err = err;
    h->errlen = errlen;
    if (err != NULL && errlen > 0) {
        err[0] = '\0';
    }
    int rc = f->create(f->ctx, &h->io);
    if (rc != 0 || h->io == NULL) {
        harness_fail(h, __LINE__, "creating the plugin failed: status %d", rc);
        h->io = NULL;
        return -1;
    }
    if (h->io->struct_size < offsetof(sofa_iops, destroy) + sizeof(h->io->destroy)) {
        harness_fail(h, __LINE__, "struct_size %zu is too small", h->io->struct_size);
        return -1;
    }
    h->watchdog = h->io->timer_new(h->io, on_watchdog, h);
    if (h->watchdog == NULL) {
        harness_fail(h, __LINE__, "timer_new returned NULL");
        return -1;
    }
    return 0;
}

int harness_end(harness *h)
{
    if (h->io != NULL) {
        for (evrec *r = h->evs; r != NULL; r = r->next_open) {
            ev_cleanup(r);
        }
        for (tmrec *r = h->tms; r != NULL; r = r->next_open) {
            tm_cleanup(r);
        }
        if (h->watchdog != NULL) {
            h->io->update_timer(h->io, h->watchdog, SOFA_IO_CLEANUP, 0);
        }
        h->f->destroy(h->f->ctx, h->io);
        h->io = NULL;
    }
    for (int i = 0; i < h->npairs; i++) {
        harness_close_pair(h->pairs[i]);
    }
    h->npairs = 0;
    return h->failed ? -1 : 0;
}

void harness_done(harness *h)
{
    h->done = 1;
    h->io->stop_watching(h->io);
}

/* One pass: the owned loop blocks in start_watching; an external loop is run by us. */
static int drive(harness *h, unsigned ms)
{
    sofa_iops *io = h->io;
    h->timed_out = 0;
    if (io->update_timer(io, h->watchdog, SOFA_IO_WATCH, (uint64_t)ms * 1000) != 0) {
        harness_fail(h, __LINE__, "arming the watchdog timer failed");
        return -1;
    }
    if (h->f->run_once == NULL) {
        io->start_watching(io);
        if (!h->done && !h->timed_out) {
            harness_fail(h, __LINE__, "start_watching returned before stop_watching was called");
            io->update_timer(io, h->watchdog, SOFA_IO_UNWATCH, 0);
            return -1;
        }
    } else {
        io->start_watching(io); /* must return at once */
        while (!h->done && !h->timed_out) {
            h->f->run_once(h->f->ctx, io);
        }
    }
    io->update_timer(io, h->watchdog, SOFA_IO_UNWATCH, 0);
    return 0;
}

int harness_run(harness *h, unsigned ms)
{
    h->done = 0;
    if (drive(h, ms) != 0) {
        return -1;
    }
    if (!h->done) {
        harness_fail(h, __LINE__, "the expected callbacks did not happen within %u ms", ms);
        return -1;
    }
    return 0;
}

int harness_run_for(harness *h, unsigned ms)
{
    h->done = 0;
    if (drive(h, ms) != 0) {
        return -1;
    }
    if (h->done) {
        return 0; /* a scenario may also end early */
    }
    return h->timed_out ? 0 : -1;
}

int harness_pair(int fds[2])
{
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
        return -1;
    }
    for (int i = 0; i < 2; i++) {
        int fl = fcntl(fds[i], F_GETFL);
        if (fl < 0 || fcntl(fds[i], F_SETFL, fl | O_NONBLOCK) != 0) {
            close(fds[0]);
            close(fds[1]);
            return -1;
        }
    }
    return 0;
}

void harness_close_pair(int fds[2])
{
    for (int i = 0; i < 2; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
    }
}

int harness_send_byte(int fd)
{
    char c = 'x';
    return send(fd, &c, 1, 0) == 1 ? 0 : -1;
}

int harness_open_pair(harness *h, int fds[2], int data, evrec *a, evrec *b)
{
    fds[0] = fds[1] = -1;
    if (h->npairs >= HARNESS_MAX_PAIRS) {
        harness_fail(h, __LINE__, "more than %d socket pairs", HARNESS_MAX_PAIRS);
        return -1;
    }
    if (harness_pair(fds) != 0) {
        harness_fail(h, __LINE__, "socketpair failed");
        return -1;
    }
    h->pairs[h->npairs++] = fds;
    if (data && harness_send_byte(fds[1]) != 0) {
        harness_fail(h, __LINE__, "send failed");
        return -1;
    }
    if ((a != NULL && ev_open(h, a, fds[0]) != 0) || (b != NULL && ev_open(h, b, fds[1]) != 0)) {
        harness_fail(h, __LINE__, "event_new returned NULL");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ events */

static void ev_cb(sofa_io_event *ev, int fired, void *arg)
{
    evrec *r = arg;
    if (r->ev != ev || r->watched == 0) {
        r->bad |= 1;
    }
    if (fired == 0 || (fired & ~r->watched) != 0) {
        r->bad |= 2;
    }
    r->watched = 0; /* one-shot */
    r->count++;
    r->last_fired = fired;
    if (r->on_fire != NULL) {
        r->on_fire(r, fired);
    }
}

/* Is @p r on h->evs already (opened again after a CLEANUP)? */
static int ev_listed(const harness *h, const evrec *r)
{
    for (const evrec *x = h->evs; x != NULL; x = x->next_open) {
        if (x == r) {
            return 1;
        }
    }
    return 0;
}

int ev_open(harness *h, evrec *r, int fd)
{
    int listed = ev_listed(h, r);
    evrec *next = r->next_open;
    memset(r, 0, sizeof(*r));
    if (listed) {
        r->next_open = next;
    } else {
        r->next_open = h->evs;
        h->evs = r;
    }
    r->h = h;
    r->fd = fd;
    r->ev = h->io->event_new(h->io, fd, ev_cb, r);
    return r->ev ? 0 : -1;
}

int ev_watch(evrec *r, int flags)
{
    int rc = r->h->io->update_event(r->h->io, r->ev, SOFA_IO_WATCH, flags);
    if (rc == 0) {
        r->watched = flags;
    }
    return rc;
}

int ev_unwatch(evrec *r)
{
    r->watched = 0;
    return r->h->io->update_event(r->h->io, r->ev, SOFA_IO_UNWATCH, 0);
}

int ev_cleanup(evrec *r)
{
    if (r->ev == NULL) {
        return 0;
    }
    int rc = r->h->io->update_event(r->h->io, r->ev, SOFA_IO_CLEANUP, 0);
    r->ev = NULL;
    r->watched = 0;
    return rc;
}

/* ------------------------------------------------------------ timers */

static void tm_cb(sofa_io_timer *t, void *arg)
{
    tmrec *r = arg;
    uint64_t now = harness_now_ns();
    if (r->t != t || !r->armed) {
        r->bad = 1;
    }
    if (now - r->armed_at_ns < r->delay_us * 1000) {
        r->early++;
    }
    r->armed = 0;
    r->count++;
    r->order = r->h->seq++;
    if (r->on_fire != NULL) {
        r->on_fire(r);
    }
}

static int tm_listed(const harness *h, const tmrec *r)
{
    for (const tmrec *x = h->tms; x != NULL; x = x->next_open) {
        if (x == r) {
            return 1;
        }
    }
    return 0;
}

int tm_open(harness *h, tmrec *r)
{
    int listed = tm_listed(h, r);
    tmrec *next = r->next_open;
    memset(r, 0, sizeof(*r));
    if (listed) {
        r->next_open = next;
    } else {
        r->next_open = h->tms;
        h->tms = r;
    }
    r->h = h;
    r->t = h->io->timer_new(h->io, tm_cb, r);
    return r->t ? 0 : -1;
}

int tm_arm(tmrec *r, uint64_t usecs)
{
    r->armed_at_ns = harness_now_ns();
    r->delay_us = usecs;
    int rc = r->h->io->update_timer(r->h->io, r->t, SOFA_IO_WATCH, usecs);
    r->armed = rc == 0;
    return rc;
}

int tm_cancel(tmrec *r)
{
    r->armed = 0;
    return r->h->io->update_timer(r->h->io, r->t, SOFA_IO_UNWATCH, 0);
}

int tm_cleanup(tmrec *r)
{
    if (r->t == NULL) {
        return 0;
    }
    int rc = r->h->io->update_timer(r->h->io, r->t, SOFA_IO_CLEANUP, 0);
    r->t = NULL;
    r->armed = 0;
    return rc;
}

/* ------------------------------------------------------------ the list */

const iopscheck_scenario *iopscheck_scenarios(size_t *count)
{
    static iopscheck_scenario all[64];
    static size_t n;
    if (n == 0) {
        for (size_t i = 0; i < iopscheck_io_count && n < 64; i++) {
            all[n++] = iopscheck_io_scenarios[i];
        }
        for (size_t i = 0; i < iopscheck_timer_count && n < 64; i++) {
            all[n++] = iopscheck_timer_scenarios[i];
        }
    }
    *count = n;
    return all;
}

int iopscheck_raise_nofile(size_t want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return -1;
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
            errno = EMFILE;
            return -1;
        }
        rl.rlim_cur = want;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            return -1;
        }
    }
    return 0;
}
