/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* Conformance scenarios for socket events (contract rules 2, 3 and 5). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/select.h>
#include <unistd.h>

#include "harness.h"
#include "sofa/status.h"

enum { R = SOFA_IO_READ, W = SOFA_IO_WRITE };

static void fire_done(evrec *r, int fired)
{
    (void)fired;
    harness_done(r->h);
}

/* Watch @p flags on one end of a pair (with a byte waiting if @p data) and
 * expect exactly one delivery of @p want. */
static int one_delivery(const iopscheck_factory *f, char *err, size_t errlen, int data, int flags,
                        int want)
{
    harness h;
    int fds[2] = {-1, -1};
    evrec a = {0};
    if (harness_begin(&h, f, err, errlen) != 0) {
        goto out;
    }
    CHECK(&h, harness_open_pair(&h, fds, data, &a, NULL) == 0, "setup failed");
    a.on_fire = fire_done;
    CHECK(&h, ev_watch(&a, flags) == 0, "WATCH failed");
    CHECK(&h, harness_run(&h, 2000) == 0, "no delivery");
    CHECK(&h, a.count == 1, "delivered %d times, want 1", a.count);
    CHECK(&h, a.bad == 0, "delivery outside the watched flags (bad=%d)", a.bad);
    CHECK(&h, a.last_fired == want, "fired flags %d, want %d", a.last_fired, want);
out:
    return harness_end(&h);
}

static int read_ready(const iopscheck_factory *f, char *err, size_t errlen)
{
    return one_delivery(f, err, errlen, 1, R, R);
}

static int write_ready(const iopscheck_factory *f, char *err, size_t errlen)
{
    return one_delivery(f, err, errlen, 0, W, W);
}

static int read_write_both(const iopscheck_factory *f, char *err, size_t errlen)
{
    if (one_delivery(f, err, errlen, 1, R | W, R | W) != 0) {
        return -1;
    }
    return one_delivery(f, err, errlen, 0, R | W, W); /* nothing to read: WRITE only */
}

/* WATCH with no flag or an unknown flag is refused with SOFA_E_INVALID_ARGUMENT
 * and changes nothing (rule 8: errors are returned, never fatal). */
static int bad_flags_rejected(const iopscheck_factory *f, char *err, size_t errlen)
{
    harness h;
    int fds[2] = {-1, -1};
    evrec a = {0};
    if (harness_begin(&h, f, err, errlen) != 0) {
        goto out;
    }
    CHECK(&h, harness_open_pair(&h, fds, 0, &a, NULL) == 0, "setup failed");
    CHECK(&h, h.io->update_event(h.io, a.ev, SOFA_IO_WATCH, 0) == SOFA_E_INVALID_ARGUMENT,
          "WATCH with no flags was not refused");
    CHECK(&h, h.io->update_event(h.io, a.ev, SOFA_IO_WATCH, 4 | R) == SOFA_E_INVALID_ARGUMENT,
          "WATCH with an unknown flag was not refused");
    CHECK(&h, harness_run_for(&h, 50) == 0, "loop failed");
    CHECK(&h, a.count == 0, "a refused WATCH was delivered");
    a.on_fire = fire_done;
    CHECK(&h, ev_watch(&a, W) == 0, "WATCH after refused ones failed");
    CHECK(&h, harness_run(&h, 2000) == 0, "no delivery after refused WATCHes");
out:
    return harness_end(&h);
}

/* Readiness stays (the byte is never read), but only one delivery per WATCH. */
static int one_shot(const iopscheck_factory *f, char *err, size_t errlen)
{
    harness h;
    int fds[2] = {-1, -1};
    evrec a = {0}, b = {0};
    if (harness_begin(&h, f, err, errlen) != 0) {
        goto out;
    }
    CHECK(&h, harness_open_pair(&h, fds, 1, &a, &b) == 0, "setup failed");
    CHECK(&h, ev_watch(&a, R) == 0 && ev_watch(&b, W) == 0, "WATCH failed");
    CHECK(&h, harness_run_for(&h, 100) == 0, "loop failed");
    CHECK(&h, a.count == 1 && b.count == 1, "deliveries %d/%d, want 1/1 (not one-shot?)", a.count,
          b.count);
    CHECK(&h, a.bad == 0 && b.bad == 0, "delivery to an unwatched event");
out:
    return harness_end(&h);
}

/* WATCH on a watched event replaces its flags. */
static int watch_replaces_flags(const iopscheck_factory *f, char *err, size_t errlen)
{
    harness h;
    int fds[2] = {-1, -1};
    evrec a = {0};
    if (harness_begin(&h, f, err, errlen) != 0) {
        goto out;
    }
    CHECK(&h, harness_open_pair(&h, fds, 0, &a, NULL) == 0, "setup failed");
    /* writable at once: if WRITE were still watched it would fire */
    CHECK(&h, ev_watch(&a, W) == 0 && ev_watch(&a, R) == 0, "WATCH failed");
    CHECK(&h, harness_run_for(&h, 80) == 0, "loop failed");
    CHECK(&h, a.count == 0, "WRITE delivered after WATCH replaced it with READ");
    a.on_fire = fire_done;
    CHECK(&h, ev_watch(&a, W) == 0, "WATCH failed");
    CHECK(&h, harness_run(&h, 2000) == 0, "no WRITE delivery after WATCH(READ) -> WATCH(WRITE)");
    CHECK(&h, a.count == 1 && a.last_fired == W && a.bad == 0, "fired %d (count %d), want WRITE",
          a.last_fired, a.count);
out:
    return harness_end(&h);
}

static int unwatch_before_ready(const iopscheck_factory *f, char *err, size_t errlen)
{
    harness h;
    int fds[2] = {-1, -1};
    evrec a = {0}, b = {0};
    if (harness_begin(&h, f, err, errlen) != 0) {
        goto out;
    }
    CHECK(&h, harness_open_pair(&h, fds, 0, &a, &b) == 0, "setup failed");
    CHECK(&h, ev_watch(&a, R) == 0 && ev_unwatch(&a) == 0, "WATCH/UNWATCH failed");
    CHECK(&h, harness_send_byte(fds[1]) == 0, "send failed");
    /* b is writable already: UNWATCH must win even over immediate readiness */
    CHECK(&h, ev_watch(&b, W) == 0 && ev_unwatch(&b) == 0, "WATCH/UNWATCH failed");
    CHECK(&h, harness_run_for(&h, 100) == 0, "loop failed");
    CHECK(&h, a.count == 0 && b.count == 0, "delivered after UNWATCH (%d, %d)", a.count, b.count);
out:
    return harness_end(&h);
}

/* Two events ready in the same iteration; the first delivered one UNWATCHes
 * (or CLEANs UP) the other, which must then not be delivered. */
static void fire_unwatch_other(evrec *r, int fired)
{
    (void)fired;
    if (r->other->ev != NULL) {
        if (r->expect) {
            ev_cleanup(r->other);
        } else {
            ev_unwatch(r->other);
        }
    }
}

static int kill_other(const iopscheck_factory *f, char *err, size_t errlen, int cleanup)
{
    harness h;
    int p1[2] = {-1, -1}, p2[2] = {-1, -1};
    evrec a = {0}, b = {0};
    if (harness_begin(&h, f, err, errlen) != 0) {
        goto out;
    }
    CHECK(&h, harness_open_pair(&h, p1, 1, &a, NULL) == 0, "setup failed");
    CHECK(&h, harness_open_pair(&h, p2, 1, &b, NULL) == 0, "setup failed");
    a.other = &b;
    b.other = &a;
    a.expect = b.expect = cleanup;
    a.on_fire = b.on_fire = fire_unwatch_other;
    CHECK(&h, ev_watch(&a, R) == 0 && ev_watch(&b, R) == 0, "WATCH failed");
    CHECK(&h, harness_run_for(&h, 100) == 0, "loop failed");
    CHECK(&h, a.count + b.count == 1, "%d deliveries, want exactly 1", a.count + b.count);
    CHECK(&h, a.bad == 0 && b.bad == 0, "delivery to an unwatched event");
out:
    return harness_end(&h);
}

static int unwatch_other_in_callback(const iopscheck_factory *f, char *err, size_t errlen)
{
    return kill_other(f, err, errlen, 0);
}

static int cleanup_other_in_callback(const iopscheck_factory *f, char *err, size_t errlen)
{
    return kill_other(f, err, errlen, 1);
}

/* CLEANUP inside the event's own callback, then a new event on the same fd
 * created and watched from that same callback. */
static evrec second;
static void fire_cleanup_self(evrec *r, int fired)
{
    (void)fired;
    harness *h = r->h;
    ev_cleanup(r);
    if (ev_open(h, &second, r->fd) != 0 || ev_watch(&second, R) != 0) {
        harness_fail(h, __LINE__, "creating/watching an event inside a callback failed");
        harness_done(h);
        return;
    }
    second.on_fire = fire_done;
}

static int cleanup_in_own_callback(const iopscheck_factory *f, char *err, size_t errlen)
{
    harness h;
    int fds[2] = {-1, -1};
    evrec a = {0};
    second.ev = NULL;
    if (harness_begin(&h, f, err, errlen) != 0) {
        goto out;
    }
    CHECK(&h, harness_open_pair(&h, fds, 1, &a, NULL) == 0, "setup failed");
    a.on_fire = fire_cleanup_self;
    CHECK(&h, ev_watch(&a, R) == 0, "WATCH failed");
    CHECK(&h, harness_run(&h, 2000) == 0, "the new event was not delivered");
    CHECK(&h, a.count == 1 && second.count == 1, "deliveries %d/%d, want 1/1", a.count,
          second.count);
    CHECK(&h, a.bad == 0 && second.bad == 0, "delivery outside the watched flags");
out:
    return harness_end(&h);
}

/* Re-arm inside the own callback with alternating flags; each delivery must
 * carry exactly the flag just asked for. */
static void fire_rearm(evrec *r, int fired)
{
    int want = (r->count % 2) ? R : W; /* count 1 was READ (the first WATCH) */
    if (fired != want) {
        harness_fail(r->h, __LINE__, "delivery %d fired %d, want %d", r->count, fired, want);
        harness_done(r->h);
        return;
    }
    if (r->count == 6) {
        harness_done(r->h);
        return;
    }
    if (ev_watch(r, want == R ? W : R) != 0) {
        harness_fail(r->h, __LINE__, "re-WATCH inside the callback failed");
        harness_done(r->h);
    }
}

static int rearm_in_own_callback(const iopscheck_factory *f, char *err, size_t errlen)
{
    harness h;
    int fds[2] = {-1, -1};
    evrec a = {0};
    if (harness_begin(&h, f, err, errlen) != 0) {
        goto out;
    }
    CHECK(&h, harness_open_pair(&h, fds, 1, &a, NULL) == 0, "setup failed");
    a.on_fire = fire_rearm;
    CHECK(&h, ev_watch(&a, R) == 0, "WATCH failed");
    CHECK(&h, harness_run(&h, 3000) == 0, "re-armed event stopped being delivered");
    CHECK(&h, !h.failed, "see above");
    CHECK(&h, a.count == 6 && a.bad == 0, "%d deliveries (bad=%d), want 6", a.count, a.bad);
out:
    return harness_end(&h);
}

/* 1000 sockets watched at once. A plugin may refuse a descriptor only with
 * SOFA_E_FD_TOO_LARGE and only for fd >= FD_SETSIZE (select). */
#define MANY 1000
static int many_left;
static void fire_many(evrec *r, int fired)
{
    (void)fired;
    if (--many_left == 0) {
        harness_done(r->h);
    }
}

static int many_sockets(const iopscheck_factory *f, char *err, size_t errlen)
{
    harness h;
    int (*pairs)[2] = NULL;
    evrec *recs = NULL;
    int accepted = 0, refused = 0;
    if (harness_begin(&h, f, err, errlen) != 0) {
        goto out;
    }
    CHECK(&h, iopscheck_raise_nofile(2 * MANY + 64) == 0,
          "cannot raise RLIMIT_NOFILE to %d", 2 * MANY + 64);
    pairs = malloc(sizeof(*pairs) * MANY);
    recs = calloc(MANY, sizeof(*recs));
    CHECK(&h, pairs && recs, "out of memory");
    for (int i = 0; i < MANY; i++) {
        pairs[i][0] = pairs[i][1] = -1;
    }
    for (int i = 0; i < MANY; i++) {
        CHECK(&h, harness_pair(pairs[i]) == 0, "socketpair %d failed", i);
        CHECK(&h, harness_send_byte(pairs[i][1]) == 0, "send failed");
        CHECK(&h, ev_open(&h, &recs[i], pairs[i][0]) == 0, "event_new %d failed", i);
        recs[i].on_fire = fire_many;
        int rc = ev_watch(&recs[i], R);
        if (rc == SOFA_E_FD_TOO_LARGE) {
            CHECK(&h, pairs[i][0] >= FD_SETSIZE, "fd %d refused as too large", pairs[i][0]);
            recs[i].expect = 1;
            refused++;
        } else {
            CHECK(&h, rc == 0, "WATCH fd %d failed: %d", pairs[i][0], rc);
            accepted++;
        }
    }
    CHECK(&h, accepted > 0, "every descriptor was refused");
    many_left = accepted;
    CHECK(&h, harness_run(&h, 5000) == 0, "%d of %d sockets not delivered", many_left, accepted);
    for (int i = 0; i < MANY; i++) {
        int want = recs[i].expect ? 0 : 1; /* refused ones: never */
        CHECK(&h, recs[i].count == want && recs[i].bad == 0,
              "socket %d (fd %d) delivered %d times, want %d", i, recs[i].fd, recs[i].count, want);
    }
    CHECK(&h, accepted + refused == MANY, "bookkeeping");
out:;
    int rc = harness_end(&h); /* cleans up the events in recs: free it afterwards */
    if (pairs) {
        for (int i = 0; i < MANY; i++) {
            harness_close_pair(pairs[i]);
        }
    }
    free(pairs);
    free(recs);
    return rc;
}

/* start_watching from inside a callback of the same plugin returns at once. */
static void fire_nested_start(evrec *r, int fired)
{
    (void)fired;
    uint64_t t0 = harness_now_ns();
    r->h->io->start_watching(r->h->io);
    if (harness_now_ns() - t0 > 500000000ULL) {
        harness_fail(r->h, __LINE__, "nested start_watching blocked");
    }
    harness_done(r->h);
}

static int nested_start_returns(const iopscheck_factory *f, char *err, size_t errlen)
{
    harness h;
    int fds[2] = {-1, -1};
    evrec a = {0};
    tmrec keep = {0};
    if (harness_begin(&h, f, err, errlen) != 0) {
        goto out;
    }
    CHECK(&h, harness_open_pair(&h, fds, 0, &a, NULL) == 0, "setup failed");
    CHECK(&h, tm_open(&h, &keep) == 0, "timer_new failed");
    CHECK(&h, tm_arm(&keep, 5000000) == 0, "arming failed"); /* keeps a nested loop busy */
    a.on_fire = fire_nested_start;
    CHECK(&h, ev_watch(&a, W) == 0, "WATCH failed");
    CHECK(&h, harness_run(&h, 3000) == 0, "no delivery");
    CHECK(&h, !h.failed, "see above");
out:
    return harness_end(&h);
}

const iopscheck_scenario iopscheck_io_scenarios[] = {
    {"read_ready", read_ready},
    {"write_ready", write_ready},
    {"read_write_both", read_write_both},
    {"bad_flags_rejected", bad_flags_rejected},
    {"one_shot", one_shot},
    {"watch_replaces_flags", watch_replaces_flags},
    {"unwatch_before_ready", unwatch_before_ready},
    {"unwatch_other_in_callback", unwatch_other_in_callback},
    {"cleanup_other_in_callback", cleanup_other_in_callback},
    {"cleanup_and_new_event_in_own_callback", cleanup_in_own_callback},
    {"rearm_in_own_callback", rearm_in_own_callback},
    {"many_sockets", many_sockets},
    {"nested_start_returns", nested_start_returns},
};
const size_t iopscheck_io_count = sizeof(iopscheck_io_scenarios) / sizeof(iopscheck_io_scenarios[0]);
