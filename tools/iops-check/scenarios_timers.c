/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* Conformance scenarios for timers and the loop's life cycle (rules 4 to 7). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "sofa/status.h"

enum { R = SOFA_IO_READ, W = SOFA_IO_WRITE };

static void tm_done(tmrec *r)
{
    harness_done(r->h);
}

/* Armed out of order; they fire in deadline order and never early. */
static int timers_in_order_never_early(const iopscheck_factory *f, char *err, size_t errlen)
{
    static const uint64_t delays[] = {30000, 10000, 20000, 0, 5000, 1, 10500, 12000, 29000};
    enum { N = sizeof(delays) / sizeof(delays[0]) };
    harness h;
    tmrec t[N] = {{0}};
    if (harness_begin(&h, f, err, errlen) != 0) {
        goto out;
    }
    for (int i = 0; i < N; i++) {
        CHECK(&h, tm_open(&h, &t[i]) == 0, "timer_new failed");
        CHECK(&h, tm_arm(&t[i], delays[i]) == 0, "WATCH failed");
    }
    t[0].on_fire = tm_done; /* the longest */
    CHECK(&h, harness_run(&h, 3000) == 0, "the 30 ms timer did not fire");
    for (int i = 0; i < N; i++) {
        CHECK(&h, t[i].count == 1 && t[i].bad == 0, "timer %d fired %d times", i, t[i].count);
        CHECK(&h, t[i].early == 0, "timer of %llu us fired early", (unsigned long long)delays[i]);
        for (int j = 0; j < N; j++) {
            CHECK(&h, delays[i] >= delays[j] || t[i].order < t[j].order,
                  "timer %llu us fired before timer %llu us", (unsigned long long)delays[j],
                  (unsigned long long)delays[i]);
        }
    }
out:
    return harness_end(&h);
}

/* UNWATCH cancels; WATCH on an armed timer re-arms it from now. */
static int timer_cancel_and_rearm(const iopscheck_factory *f, char *err, size_t errlen)
{
    harness h;
    tmrec a = {0}, b = {0}, c = {0};
    if (harness_begin(&h, f, err, errlen) != 0) {
        goto out;
    }
    CHECK(&h, tm_open(&h, &a) == 0 && tm_open(&h, &b) == 0 && tm_open(&h, &c) == 0,
          "timer_new failed");
    CHECK(&h, tm_arm(&a, 5000) == 0 && tm_cancel(&a) == 0, "WATCH/UNWATCH failed");
    CHECK(&h, tm_arm(&b, 1000) == 0 && tm_arm(&b, 40000) == 0, "re-WATCH failed");
    CHECK(&h, tm_arm(&c, 20000) == 0, "WATCH failed");
    b.on_fire = tm_done;
    CHECK(&h, harness_run(&h, 3000) == 0, "the re-armed timer did not fire");
    CHECK(&h, a.count == 0, "a canceled timer fired");
    CHECK(&h, b.count == 1 && b.early == 0, "re-armed timer fired %d times, early %d", b.count,
          b.early);
    CHECK(&h, c.count == 1 && c.order < b.order, "the 20 ms timer should fire before the re-armed one");
    CHECK(&h, tm_cancel(&a) == 0, "UNWATCH of an idle timer failed");
out:
    return harness_end(&h);
}

/* Two timers due in the same iteration: the first to fire cancels (or cleans
 * up) the other, which then must not fire. */
static void tm_kill_other(tmrec *r)
{
    if (r->other->t == NULL) {
        return;
    }
    if (r->expect) {
        tm_cleanup(r->other);
    } else {
        tm_cancel(r->other);
    }
}

static int timer_kill_other(const iopscheck_factory *f, char *err, size_t errlen, int cleanup)
{
    harness h;
    tmrec a = {0}, b = {0};
    if (harness_begin(&h, f, err, errlen) != 0) {
        goto out;
    }
    CHECK(&h, tm_open(&h, &a) == 0 && tm_open(&h, &b) == 0, "timer_new failed");
    a.other = &b;
    b.other = &a;
    a.expect = b.expect = cleanup;
    a.on_fire = b.on_fire = tm_kill_other;
    CHECK(&h, tm_arm(&a, 2000) == 0 && tm_arm(&b, 2000) == 0, "WATCH failed");
    /* both are due long before anything runs */
    struct timespec ts = {0, 10000000};
    nanosleep(&ts, NULL);
    CHECK(&h, harness_run_for(&h, 80) == 0, "loop failed");
    CHECK(&h, a.count + b.count == 1, "%d firings, want exactly 1", a.count + b.count);
    CHECK(&h, a.bad == 0 && b.bad == 0, "a canceled timer fired");
out:
    return harness_end(&h);
}

static int timer_cancel_other_in_callback(const iopscheck_factory *f, char *err, size_t errlen)
{
    return timer_kill_other(f, err, errlen, 0);
}

static int timer_cleanup_other_in_callback(const iopscheck_factory *f, char *err, size_t errlen)
{
    return timer_kill_other(f, err, errlen, 1);
}

static void tm_rearm_self(tmrec *r)
{
    if (r->count == 5) {
        harness_done(r->h);
    } else if (tm_arm(r, 2000) != 0) {
        harness_fail(r->h, __LINE__, "re-arming inside the callback failed");
        harness_done(r->h);
    }
}

static int timer_rearm_in_callback(const iopscheck_factory *f, char *err, size_t errlen)
{
    harness h;
    tmrec a = {0};
    if (harness_begin(&h, f, err, errlen) != 0) {
        goto out;
    }
    CHECK(&h, tm_open(&h, &a) == 0, "timer_new failed");
    a.on_fire = tm_rearm_self;
    CHECK(&h, tm_arm(&a, 2000) == 0, "WATCH failed");
    CHECK(&h, harness_run(&h, 3000) == 0, "re-armed timer stopped firing");
    CHECK(&h, a.count == 5 && a.early == 0 && a.bad == 0, "count %d early %d", a.count, a.early);
out:
    return harness_end(&h);
}

static void tm_cleanup_self(tmrec *r)
{
    tm_cleanup(r);
}

static int timer_cleanup_in_own_callback(const iopscheck_factory *f, char *err, size_t errlen)
{
    harness h;
    tmrec a = {0}, z = {0};
    if (harness_begin(&h, f, err, errlen) != 0) {
        goto out;
    }
    CHECK(&h, tm_open(&h, &a) == 0 && tm_open(&h, &z) == 0, "timer_new failed");
    a.on_fire = tm_cleanup_self;
    z.on_fire = tm_done;
    CHECK(&h, tm_arm(&a, 1000) == 0 && tm_arm(&z, 20000) == 0, "WATCH failed");
    CHECK(&h, harness_run(&h, 3000) == 0, "the later timer did not fire");
    CHECK(&h, a.count == 1 && a.t == NULL, "self-cleaning timer fired %d times", a.count);
out:
    return harness_end(&h);
}

/* A zero-delay timer fires; one that re-arms itself with 0 forever must not
 * starve I/O (it runs on the next iteration, after pending I/O). */
#define ZERO_CAP 100000
static void tm_zero_again(tmrec *r)
{
    if (r->count >= ZERO_CAP) {
        harness_done(r->h);
    } else {
        tm_arm(r, 0);
    }
}

static void ev_stop_zero(evrec *r, int fired)
{
    (void)fired;
    harness_done(r->h);
}

static int zero_delay_timers(const iopscheck_factory *f, char *err, size_t errlen)
{
    harness h;
    tmrec z = {0};
    evrec e = {0};
    int fds[2] = {-1, -1};
    if (harness_begin(&h, f, err, errlen) != 0) {
        goto out;
    }
    CHECK(&h, tm_open(&h, &z) == 0, "timer_new failed");
    z.on_fire = tm_done;
    CHECK(&h, tm_arm(&z, 0) == 0, "WATCH failed");
    CHECK(&h, harness_run(&h, 2000) == 0, "zero-delay timer did not fire");
    CHECK(&h, z.count == 1, "fired %d times", z.count);

    CHECK(&h, harness_open_pair(&h, fds, 1, &e, NULL) == 0, "setup failed");
    e.on_fire = ev_stop_zero;
    z.on_fire = tm_zero_again;
    z.count = 0;
    CHECK(&h, tm_arm(&z, 0) == 0 && ev_watch(&e, R) == 0, "WATCH failed");
    CHECK(&h, harness_run(&h, 5000) == 0, "neither the socket nor the timer ran");
    CHECK(&h, e.count == 1, "a self-re-arming zero-delay timer starved I/O (%d firings)", z.count);
    CHECK(&h, z.count < ZERO_CAP, "zero-delay timer ran %d times before I/O", z.count);
out:
    return harness_end(&h);
}

/* Rule 4: a zero-delay timer runs on the next iteration, after pending I/O.
 * A socket is already readable when the timer is armed with 0; the timer's
 * callback stops the loop and must find the socket already delivered. */
static void tm_stop_after_io(tmrec *r)
{
    r->h->io->stop_watching(r->h->io);
    harness_done(r->h);
}

static void ev_note(evrec *r, int fired)
{
    (void)fired;
    r->expect = r->h->seq; /* timer firings so far */
}

static int zero_delay_after_pending_io(const iopscheck_factory *f, char *err, size_t errlen)
{
    harness h;
    tmrec z = {0};
    evrec e = {0};
    int fds[2] = {-1, -1};
    if (harness_begin(&h, f, err, errlen) != 0) {
        goto out;
    }
    CHECK(&h, harness_open_pair(&h, fds, 1, &e, NULL) == 0, "setup failed");
    CHECK(&h, tm_open(&h, &z) == 0, "timer_new failed");
    e.on_fire = ev_note;
    e.expect = -1;
    z.on_fire = tm_stop_after_io;
    CHECK(&h, ev_watch(&e, R) == 0 && tm_arm(&z, 0) == 0, "WATCH failed");
    CHECK(&h, harness_run(&h, 2000) == 0, "the zero-delay timer did not fire");
    CHECK(&h, z.count == 1, "zero-delay timer fired %d times", z.count);
    CHECK(&h, e.count == 1 && e.expect == z.order,
          "the zero-delay timer ran before the pending I/O (I/O delivered %d times%s)", e.count,
          e.count == 1 ? ", after the timer" : "");
out:
    return harness_end(&h);
}

/* Owned loop: stop_watching from a callback makes start_watching return even
 * though a long timer is still armed. External loop: start_watching returns at once. */
static void ev_stop(evrec *r, int fired)
{
    (void)fired;
    r->h->io->stop_watching(r->h->io);
}

static int stop_in_callback(const iopscheck_factory *f, char *err, size_t errlen)
{
    harness h;
    tmrec longt = {0};
    evrec e = {0};
    int fds[2] = {-1, -1};
    if (harness_begin(&h, f, err, errlen) != 0) {
        goto out;
    }
    CHECK(&h, tm_open(&h, &longt) == 0 && tm_arm(&longt, 5000000) == 0, "timer failed");
    CHECK(&h, harness_open_pair(&h, fds, 0, &e, NULL) == 0, "setup failed");
    e.on_fire = ev_stop;
    CHECK(&h, ev_watch(&e, W) == 0, "WATCH failed");
    uint64_t t0 = harness_now_ns();
    h.io->start_watching(h.io);
    uint64_t took = harness_now_ns() - t0;
    CHECK(&h, took < 2000000000ULL, "start_watching took %llu ms",
          (unsigned long long)(took / 1000000));
    if (f->run_once == NULL) {
        CHECK(&h, e.count == 1, "start_watching returned without the callback (%d)", e.count);
    } else {
        CHECK(&h, e.count == 0, "external loop: start_watching ran callbacks itself");
        e.on_fire = ev_stop_zero;
        CHECK(&h, harness_run(&h, 2000) == 0, "the application's loop did not deliver");
    }
    CHECK(&h, longt.count == 0, "the 5 s timer fired");
out:
    return harness_end(&h);
}

/* stop_watching from a timer callback while another timer is also due: the
 * loop returns after the current callback, and the other timer is not lost. */
static void tm_stop_loop(tmrec *r)
{
    r->h->io->stop_watching(r->h->io);
    if (r->count + r->other->count == 2) {
        harness_done(r->h);
    }
}

static int stop_keeps_other_due_timers(const iopscheck_factory *f, char *err, size_t errlen)
{
    harness h;
    tmrec a = {0}, b = {0};
    if (harness_begin(&h, f, err, errlen) != 0) {
        goto out;
    }
    CHECK(&h, tm_open(&h, &a) == 0 && tm_open(&h, &b) == 0, "timer_new failed");
    a.other = &b;
    b.other = &a;
    a.on_fire = b.on_fire = tm_stop_loop;
    CHECK(&h, tm_arm(&a, 1000) == 0 && tm_arm(&b, 2000) == 0, "WATCH failed");
    struct timespec ts = {0, 10000000};
    nanosleep(&ts, NULL); /* both due before the loop runs */
    if (f->run_once == NULL) {
        h.io->start_watching(h.io);
        CHECK(&h, a.count == 1 && b.count == 0,
              "stop_watching in a timer callback: fired %d/%d, want 1/0", a.count, b.count);
    }
    CHECK(&h, harness_run(&h, 2000) == 0, "the second due timer was lost after stop_watching");
    CHECK(&h, a.count == 1 && b.count == 1, "fired %d/%d, want 1/1", a.count, b.count);
    CHECK(&h, a.early == 0 && b.early == 0 && a.order < b.order, "order or early firing");
out:
    return harness_end(&h);
}

/* A timer armed for the largest delay neither fires nor breaks the loop, and
 * can be cancelled; a short one armed next to it still fires on time. */
static int huge_delay_timer(const iopscheck_factory *f, char *err, size_t errlen)
{
    harness h;
    tmrec big = {0}, small = {0};
    if (harness_begin(&h, f, err, errlen) != 0) {
        goto out;
    }
    CHECK(&h, tm_open(&h, &big) == 0 && tm_open(&h, &small) == 0, "timer_new failed");
    CHECK(&h, tm_arm(&big, UINT64_MAX) == 0, "WATCH with UINT64_MAX failed");
    small.on_fire = tm_done;
    CHECK(&h, tm_arm(&small, 10000) == 0, "WATCH failed");
    CHECK(&h, harness_run(&h, 2000) == 0, "a 10 ms timer next to a huge one did not fire");
    CHECK(&h, big.count == 0 && small.count == 1 && small.early == 0, "fired %d/%d", big.count,
          small.count);
    CHECK(&h, tm_cancel(&big) == 0, "UNWATCH of the huge timer failed");
out:
    return harness_end(&h);
}

/* stop_watching while not running is a no-op: the next start_watching runs. */
static int stop_when_idle_is_noop(const iopscheck_factory *f, char *err, size_t errlen)
{
    harness h;
    tmrec a = {0};
    if (harness_begin(&h, f, err, errlen) != 0) {
        goto out;
    }
    h.io->stop_watching(h.io);
    h.io->stop_watching(h.io);
    CHECK(&h, tm_open(&h, &a) == 0 && tm_arm(&a, 20000) == 0, "timer failed");
    a.on_fire = tm_done;
    CHECK(&h, harness_run(&h, 2000) == 0, "a stale stop_watching ended the next loop");
    CHECK(&h, a.count == 1 && a.early == 0, "count %d early %d", a.count, a.early);
out:
    return harness_end(&h);
}

/* An owned loop with nothing watched or armed returns (checked in a child
 * process, so a plugin that blocks forever is a failure, not a hang). */
static int idle_loop_returns(const iopscheck_factory *f, char *err, size_t errlen)
{
    harness h;
    if (harness_begin(&h, f, err, errlen) != 0) {
        goto out;
    }
    if (f->run_once != NULL) {
        goto out; /* external loop: covered by stop_in_callback (returns at once) */
    }
    CHECK(&h, h.io->update_timer(h.io, h.watchdog, SOFA_IO_CLEANUP, 0) == 0, "CLEANUP failed");
    h.watchdog = NULL;
    pid_t pid = fork();
    CHECK(&h, pid >= 0, "fork failed");
    if (pid == 0) {
        alarm(3);
        h.io->start_watching(h.io);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(&h, WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "start_watching with nothing watched did not return (killed by signal %d)",
          WIFSIGNALED(status) ? WTERMSIG(status) : 0);
out:
    return harness_end(&h);
}

/* destroy() with events and timers still alive (watched, armed, idle) frees
 * them and removes them from the loop: AddressSanitizer checks the rest (and
 * the factory frees an application loop afterwards, which touches whatever
 * the plugin left registered). */
static int destroy_with_live_objects(const iopscheck_factory *f, char *err, size_t errlen)
{
    harness h;
    int fds[2] = {-1, -1};
    evrec e1 = {0}, e2 = {0}, e3 = {0};
    tmrec t1 = {0}, t2 = {0}, t3 = {0};
    if (harness_begin(&h, f, err, errlen) != 0) {
        goto out;
    }
    CHECK(&h, harness_open_pair(&h, fds, 1, &e1, &e2) == 0, "setup failed");
    CHECK(&h, ev_open(&h, &e3, fds[0]) == 0, "event_new failed");
    CHECK(&h, tm_open(&h, &t1) == 0 && tm_open(&h, &t2) == 0 && tm_open(&h, &t3) == 0,
          "timer_new failed");
    CHECK(&h, ev_watch(&e1, R) == 0 && ev_watch(&e2, W) == 0, "WATCH failed");
    CHECK(&h, tm_arm(&t1, 0) == 0 && tm_arm(&t2, 1000000) == 0, "WATCH failed");
    /* e3 and t3 are never armed; nothing is cleaned up */
    h.io->update_timer(h.io, h.watchdog, SOFA_IO_CLEANUP, 0);
    h.watchdog = NULL;
    f->destroy(f->ctx, h.io);
    h.io = NULL;
    CHECK(&h, e1.count + e2.count + t1.count == 0, "callbacks ran during destroy");
out:
    return harness_end(&h);
}

/* destroy() from inside a socket or a timer callback (rule 7): the release is
 * deferred, nothing else is delivered, and start_watching() (an owned loop) or one
 * pass of the application's loop returns. Checked in a child process, so a hang or
 * a memory error (under a sanitizer) is a failure, not a hung or crashed test run. */
static int destroy_hits;

static void ev_destroy_plugin(sofa_io_event *ev, int fired, void *arg)
{
    (void)ev;
    (void)fired;
    destroy_hits++;
    sofa_iops *io = arg;
    io->destroy(io);
}

static void tm_destroy_plugin(sofa_io_timer *t, void *arg)
{
    (void)t;
    destroy_hits++;
    sofa_iops *io = arg;
    io->destroy(io);
}

/* The child's part: exit status 0 = passed, 2 = setup failed, 3 = wrong deliveries. */
static int destroy_in_callback_child(const iopscheck_factory *f, int from_timer)
{
    sofa_iops *io = NULL;
    int fds[2];
    if (f->create(f->ctx, &io) != 0 || io == NULL || harness_pair(fds) != 0) {
        return 2;
    }
    /* Two of each, both ready/due at once: whichever runs first destroys. */
    sofa_io_event *a = io->event_new(io, fds[0], ev_destroy_plugin, io);
    sofa_io_event *b = io->event_new(io, fds[1], ev_destroy_plugin, io);
    sofa_io_timer *t = io->timer_new(io, tm_destroy_plugin, io);
    sofa_io_timer *u = io->timer_new(io, tm_destroy_plugin, io);
    if (a == NULL || b == NULL || t == NULL || u == NULL) {
        return 2;
    }
    uint64_t delay = from_timer ? 0 : 10000000; /* the socket variant: timers stay armed */
    if ((!from_timer && (io->update_event(io, a, SOFA_IO_WATCH, W) != 0 ||
                         io->update_event(io, b, SOFA_IO_WATCH, W) != 0)) ||
        io->update_timer(io, t, SOFA_IO_WATCH, delay) != 0 ||
        io->update_timer(io, u, SOFA_IO_WATCH, delay) != 0) {
        return 2;
    }
    struct timespec ts = {0, 5000000};
    nanosleep(&ts, NULL); /* both timers due before the loop runs */
    if (f->run_once == NULL) {
        io->start_watching(io); /* frees io on the way out */
    } else {
        f->run_once(f->ctx, io); /* one pass of the application's loop */
    }
    return destroy_hits == 1 ? 0 : 3; /* _exit: the application's loop is not freed */
}

static int destroy_in_callback(const iopscheck_factory *f, char *err, size_t errlen)
{
    harness h;
    if (harness_begin(&h, f, err, errlen) != 0) {
        goto out;
    }
    for (int from_timer = 0; from_timer < 2; from_timer++) {
        const char *what = from_timer ? "a timer" : "a socket";
        fflush(NULL);
        pid_t pid = fork();
        CHECK(&h, pid >= 0, "fork failed");
        if (pid == 0) {
            alarm(3);
            _exit(destroy_in_callback_child(f, from_timer));
        }
        int status = 0;
        waitpid(pid, &status, 0);
        CHECK(&h, !WIFSIGNALED(status), "destroy() from %s callback: killed by signal %d (hung?)",
              what, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        CHECK(&h, WIFEXITED(status) && WEXITSTATUS(status) != 2, "setup failed in the child");
        CHECK(&h, WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "destroy() from %s callback: not exactly one callback, or a memory error (exit %d)",
              what, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
out:
    return harness_end(&h);
}

const iopscheck_scenario iopscheck_timer_scenarios[] = {
    {"timers_in_order_never_early", timers_in_order_never_early},
    {"timer_cancel_and_rearm", timer_cancel_and_rearm},
    {"timer_cancel_other_in_callback", timer_cancel_other_in_callback},
    {"timer_cleanup_other_in_callback", timer_cleanup_other_in_callback},
    {"timer_rearm_in_callback", timer_rearm_in_callback},
    {"timer_cleanup_in_own_callback", timer_cleanup_in_own_callback},
    {"zero_delay_timers", zero_delay_timers},
    {"zero_delay_after_pending_io", zero_delay_after_pending_io},
    {"stop_in_callback", stop_in_callback},
    {"huge_delay_timer", huge_delay_timer},
    {"stop_keeps_other_due_timers", stop_keeps_other_due_timers},
    {"stop_when_idle_is_noop", stop_when_idle_is_noop},
    {"idle_loop_returns", idle_loop_returns},
    {"destroy_with_live_objects", destroy_with_live_objects},
    {"destroy_in_callback", destroy_in_callback},
};
const size_t iopscheck_timer_count =
    sizeof(iopscheck_timer_scenarios) / sizeof(iopscheck_timer_scenarios[0]);
