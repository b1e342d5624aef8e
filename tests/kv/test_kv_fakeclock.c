/* Deadlines on a fake event loop with a manual clock: an operation times out exactly at its
 * deadline (not before), many operations share the one armed timer (arming does not grow
 * with the number of operations), and the connect callback never fires inside connect. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kv/kvtest.h"

typedef struct ftimer {
    sofa_io_timer pub;
    uint64_t due;
    int armed;
    struct ftimer *next;
} ftimer;

typedef struct fake {
    sofa_iops io;
    uint64_t now;
    ftimer *timers;
    int arms;
} fake;

static sofa_io_event *f_event_new(sofa_iops *io, int fd, sofa_io_event_cb cb, void *arg)
{
    (void)io;
    sofa_io_event *e = calloc(1, sizeof(*e));
    if (e) {
        e->fd = fd;
        e->cb = cb;
        e->arg = arg;
    }
    return e;
}

static int f_update_event(sofa_iops *io, sofa_io_event *ev, sofa_io_action a, int flags)
{
    (void)io, (void)flags;
    if (a == SOFA_IO_CLEANUP)
        free(ev);
    return 0; /* sockets never become ready on this loop */
}

static sofa_io_timer *f_timer_new(sofa_iops *io, sofa_io_timer_cb cb, void *arg)
{
    fake *f = (fake *)io;
    ftimer *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->pub.cb = cb;
    t->pub.arg = arg;
    t->next = f->timers;
    f->timers = t;
    return &t->pub;
}

static int f_update_timer(sofa_iops *io, sofa_io_timer *pub, sofa_io_action a, uint64_t us)
{
    fake *f = (fake *)io;
    ftimer *t = (ftimer *)pub;
    if (a == SOFA_IO_WATCH) {
        t->armed = 1;
        t->due = f->now + us;
        f->arms++;
    } else if (a == SOFA_IO_UNWATCH) {
        t->armed = 0;
    } else {
        for (ftimer **pp = &f->timers; *pp; pp = &(*pp)->next)
            if (*pp == t) {
                *pp = t->next;
                break;
            }
        free(t);
    }
    return 0;
}

/* An application-run loop: start_watching returns at once; the test fires timers. */
static void f_start(sofa_iops *io)
{
    (void)io;
}
static void f_stop(sofa_iops *io)
{
    (void)io;
}
static void f_destroy(sofa_iops *io)
{
    (void)io;
}
static uint64_t f_now(sofa_iops *io)
{
    return ((fake *)io)->now;
}

static void fake_init(fake *f)
{
    memset(f, 0, sizeof(*f));
    f->io.struct_size = sizeof(sofa_iops);
    f->io.name = "fake";
    f->io.event_new = f_event_new;
    f->io.update_event = f_update_event;
    f->io.timer_new = f_timer_new;
    f->io.update_timer = f_update_timer;
    f->io.start_watching = f_start;
    f->io.stop_watching = f_stop;
    f->io.destroy = f_destroy;
    f->io.now = f_now;
    f->now = 1000000;
}

/* Fire every armed timer that is due, earliest first, until none is. */
static void fake_run(fake *f)
{
    for (;;) {
        ftimer *best = NULL;
        for (ftimer *t = f->timers; t; t = t->next)
            if (t->armed && t->due <= f->now && (!best || t->due < best->due))
                best = t;
        if (!best)
            return;
        best->armed = 0;
        best->pub.cb(&best->pub, best->pub.arg);
    }
}

static void advance(fake *f, uint64_t us)
{
    f->now += us;
    fake_run(f);
}

static void test_deadline_exact_and_one_timer(void **state)
{
    (void)state;
    fake f;
    fake_init(&f);
    /* a seed that never answers: the fake loop never reports the socket ready */
    sofa_client *c = kt_client("memcached://127.0.0.1:9?operation_timeout=1", NULL, NULL, &f.io);
    assert_non_null(c);
    kt_res conn = {0};
    assert_int_equal(sofa_client_connect(c, kt_connect_cb, &conn), 0);
    assert_int_equal(conn.calls, 0); /* never inside connect */
    advance(&f, 0);
    assert_int_equal(conn.calls, 1);
    assert_int_equal(conn.status, SOFA_OK); /* memcached://: the host list is the config */

    enum { N = 1000 };
    static kt_res r[N];
    memset(r, 0, sizeof(r));
    int arms_before = f.arms;
    for (int i = 0; i < N; i++)
        assert_int_equal(sofa_kv_get(c, "k", 1, NULL, kt_get_cb, &r[i]), 0);
    /* one timer for all of them: arming does not grow with the number of operations */
    assert_true(f.arms - arms_before <= 3);
    advance(&f, 999999);
    for (int i = 0; i < N; i++)
        assert_int_equal(r[i].calls, 0);
    advance(&f, 1);
    for (int i = 0; i < N; i++) {
        assert_int_equal(r[i].calls, 1);
        assert_int_equal(r[i].status, SOFA_E_TIMEOUT); /* never sent */
    }
    advance(&f, 10000000);
    for (int i = 0; i < N; i++)
        assert_int_equal(r[i].calls, 1);

    /* a per-operation timeout overrides the client's */
    kt_res one = {0};
    sofa_kv_opts o = {0};
    o.timeout_us = 5000;
    assert_int_equal(sofa_kv_upsert(c, "k", 1, "v", 1, &o, kt_mut_cb, &one), 0);
    advance(&f, 4999);
    assert_int_equal(one.calls, 0);
    advance(&f, 1);
    assert_int_equal(one.calls, 1);
    assert_int_equal(one.status, SOFA_E_TIMEOUT);
    sofa_client_free(c);
    assert_null(f.timers); /* every timer the client made was cleaned up */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deadline_exact_and_one_timer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
