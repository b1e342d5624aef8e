

/* Steady mixed load (get/upsert/remove/counter/multi-get, 2000 in flight, 5000 in all)
 * against a 3-node mock while it fails over, rebalances, stops and restarts a node, drops
 * connections, hangs a node, delays one past the operation timeout, answers with
 * TMPFAIL/BUSY/NOT_MY_VBUCKET (no config body), and sends truncated and garbage packets.
 * Every operation's callback fires exactly once with a status from the expected set, and
 * once the cluster is healthy again new operations all succeed.
 *
 * The client is also freed from inside a callback in the middle of some of these faults:
 * every other operation then gets SOFA_E_CANCELED once, on_destroyed fires once, nothing
 * after it.
 *
 * Built three times: sync (sofa_client_wait; the plugin comes from SOFA_IOPS, so ctest runs
 * it on select, libevent and libev) and on an application-run libevent / libev loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#if defined(FK_APP_LIBEV)
#include <ev.h>
#include "sofa/plugins/libev.h"
#elif defined(FK_APP_LIBEVENT)
#include <event2/event.h>
#include "sofa/plugins/libevent.h"
#endif

#include "faults/faultkit.h"

enum { BUDGET = 5000, INFLIGHT = 2000, WATCHDOG_S = 25 };

static sofa_test_mock mock;
static sofa_iops *io;
static int watchdog_fired;

#if defined(FK_APP_LIBEV)
static struct ev_loop *loop;
static void loop_done(fk_load *l)
{
    (void)l;
    ev_break(loop, EVBREAK_ALL);
}
static void watchdog_cb(struct ev_loop *lp, ev_timer *w, int revents)
{
    (void)w;
    (void)revents;
    watchdog_fired = 1;
    ev_break(lp, EVBREAK_ALL);
}
static void run_load(fk_load *l)
{
    l->on_done = loop_done;
    fk_load_start(l);
    if (l->done)
        return;
    ev_timer w;
    ev_timer_init(&w, watchdog_cb, WATCHDOG_S, 0.);
    ev_timer_start(loop, &w);
    ev_run(loop, 0);
    ev_timer_stop(loop, &w);
}
#elif defined(FK_APP_LIBEVENT)
static struct event_base *base;
static void loop_done(fk_load *l)
{
    (void)l;
    event_base_loopbreak(base);
}
static void watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    watchdog_fired = 1;
    event_base_loopbreak(base);
}
static void run_load(fk_load *l)
{
    l->on_done = loop_done;
    fk_load_start(l);
    if (l->done)
        return;
    struct event *w = evtimer_new(base, watchdog_cb, NULL);
    struct timeval tv = {WATCHDOG_S, 0};
    evtimer_add(w, &tv);
    event_base_dispatch(base);
    event_free(w);
}
#else
static void run_load(fk_load *l)
{
    fk_load_start(l);
    sofa_client_wait(l->c);
}
#endif

static void ctl(const char *path)
{
    char out[512];
    int st = sofa_test_mock_ctl(&mock, "POST", path, NULL, out, sizeof(out));
    if (st != 200)
        fprintf(stderr, "ctl %s: %d %s\n", path, st, out);
    assert_int_equal(st, 200);
}

static int setup(void **state)
{
    (void)state;
    const char *args[] = {"--nodes", "3", "--replicas", "1", NULL};
    if (sofa_test_mock_start(&mock, args) != 0)
        return -1;
#if defined(FK_APP_LIBEV)
    loop = ev_loop_new(EVFLAG_AUTO);
    if (!loop || sofa_iops_libev_new(loop, &io) != 0)
        return -1;
#elif defined(FK_APP_LIBEVENT)
    base = event_base_new();
    if (!base || sofa_iops_libevent_new(base, &io) != 0)
        return -1;
#endif
    return 0;
}

static int teardown(void **state)
{
    (void)state;
#if defined(FK_APP_LIBEV)
    sofa_iops_free(io);
    ev_loop_destroy(loop);
#elif defined(FK_APP_LIBEVENT)
    sofa_iops_free(io);
    event_base_free(base);
#endif
    sofa_test_mock_stop(&mock);
    return 0;
}

typedef struct scenario {
    const char *name;
    struct {
        int at;
        const char *path;
    } faults[FK_MAX_FAULTS];
    const char *heal[4]; /* control calls that make the cluster healthy again */
    int must_fail;       /* 1: the faults must make at least one operation fail */
    int free_at;         /* free the client from a callback after this many completions */
} scenario;

/* Connect, run the load with the scenario's faults, heal, check recovery, free. With
 * free_at, the client is freed from inside a callback in the middle of the faults instead,
 * and recovery is checked with a new client. */
static void run_scenario(const scenario *sc)
{
    ctl("/mock/reset");
    sofa_client *c = fk_client(&mock, "", io);
    assert_non_null(c);
#if defined(FK_APP_LIBEV) || defined(FK_APP_LIBEVENT)
    /* the application's loop: bootstrap runs inside it along with the first operations */
    assert_int_equal(sofa_client_connect(c, NULL, NULL), 0);
#else
    assert_int_equal(fk_connect_wait(c), SOFA_OK);
#endif
    fk_load l;
    assert_int_equal(fk_load_init(&l, c, &mock, BUDGET, INFLIGHT, 0x5eed0000u ^ (unsigned)strlen(sc->name)), 0);
    for (int i = 0; i < FK_MAX_FAULTS && sc->faults[i].path; i++)
        fk_load_add_fault(&l, sc->faults[i].at, sc->faults[i].path);
    l.free_at = sc->free_at;
    watchdog_fired = 0;
    run_load(&l);
    fk_load_report(&l, sc->name);
    assert_false(watchdog_fired);
    assert_int_equal(l.fired_once_more, 0);
    assert_int_equal(l.unexpected, 0);
    assert_int_equal(l.submit_errors, 0);
    assert_int_equal(l.late, 0);
    if (sc->free_at) {
        assert_int_equal(l.destroyed, 1);
        assert_int_equal(l.not_canceled, 0);
        assert_int_equal(l.completed, l.scheduled);
        assert_true(l.scheduled > sc->free_at);
    } else {
        assert_int_equal(l.completed, BUDGET);
    }
    for (int i = 0; i < l.scheduled; i++)
        assert_int_equal(l.slots[i].calls, 1);
    assert_true(fk_load_clean(&l));
    if (sc->must_fail)
        assert_true(l.failed > 0);

    for (int i = 0; i < 4 && sc->heal[i]; i++)
        ctl(sc->heal[i]);
    if (sc->free_at) {
        fk_load_free(&l);
        c = fk_client(&mock, "", io);
        assert_non_null(c);
#if defined(FK_APP_LIBEV) || defined(FK_APP_LIBEVENT)
        assert_int_equal(sofa_client_connect(c, NULL, NULL), 0);
#else
        assert_int_equal(fk_connect_wait(c), SOFA_OK);
#endif
        assert_true(fk_recover(c, run_load, 400, 8000));
        sofa_client_free(c);
        return;
    }
    assert_int_equal(sofa_client_pending(c), 0);
    assert_true(fk_recover(c, run_load, 400, 8000));

    /* nothing fires during or after free: no operation is pending */
    l.freed = 1;
    sofa_client_free(c);
    assert_int_equal(l.late, 0);
    fk_load_free(&l);
}

static void test_failover(void **state)
{
    (void)state;
    static const scenario sc = {
        "failover", {{800, "/mock/failover?node=1"}}, {"/mock/rebalance?nodes=0,1,2"}, 0, 0};
    run_scenario(&sc);
}

static void test_rebalance_twice(void **state)
{
    (void)state;
    static const scenario sc = {
        "rebalance", {{600, "/mock/rebalance"}, {2500, "/mock/rebalance?nodes=0,2"}},
        {"/mock/rebalance?nodes=0,1,2"}, 0, 0};
    run_scenario(&sc);
}

static void test_stop_and_start(void **state)
{
    (void)state;
    static const scenario sc = {
        "stop-start", {{600, "/mock/stop?node=2"}, {2500, "/mock/start?node=2"}}, {NULL}, 0, 0};
    run_scenario(&sc);
}

static void test_stop_quick_start(void **state)
{
    (void)state;
    /* back after 10 completions: operations in reconnect backoff find it again */
    static const scenario sc = {
        "stop-quick-start", {{600, "/mock/stop?node=2"}, {610, "/mock/start?node=2"}}, {NULL}, 0, 0};
    run_scenario(&sc);
}

static void test_stop_past_timeout(void **state)
{
    (void)state;
    /* node 2 stays down for the rest of the run: its operations fail (refused, timeouts) */
    static const scenario sc = {
        "stop-long", {{600, "/mock/stop?node=2"}}, {"/mock/start?node=2"}, 1, 0};
    run_scenario(&sc);
}

static void test_stop_for_ms(void **state)
{
    (void)state;
    static const scenario sc = {"stop-for-ms", {{600, "/mock/stop?node=0&for_ms=300"}}, {NULL}, 0, 0};
    run_scenario(&sc);
}

static void test_drop_all(void **state)
{
    (void)state;
    static const scenario sc = {
        "drop", {{600, "/mock/drop"}, {1800, "/mock/drop?node=1"}, {3000, "/mock/drop"}}, {NULL}, 1, 0};
    run_scenario(&sc);
}

static void test_hang(void **state)
{
    (void)state;
    static const scenario sc = {
        "hang", {{600, "/mock/hang?on=1&node=1"}, {2600, "/mock/hang?on=0&node=1"}}, {NULL}, 1, 0};
    run_scenario(&sc);
}

static void test_delay_past_timeout(void **state)
{
    (void)state;
    /* responses come after their operations timed out: late answers must be ignored */
    static const scenario sc = {
        "delay", {{600, "/mock/delay?ms=800&node=0"}, {2600, "/mock/delay?ms=0&node=0"}},
        {NULL}, 1, 0};
    run_scenario(&sc);
}

static void test_tmpfail_busy_nmvb(void **state)
{
    (void)state;
    static const scenario sc = {"tmpfail-busy-nmvb",
                                {{300, "/mock/fail?status=0x86&opcode=any&count=300"},
                                 {1500, "/mock/fail?status=0x85&opcode=any&count=300"},
                                 {2700, "/mock/fail?status=0x07&opcode=any&count=300"}},
                                {NULL},
                                0, 0};
    run_scenario(&sc);
}

static void test_truncated_and_garbage(void **state)
{
    (void)state;
    static const scenario sc = {"corrupt",
                                {{500, "/mock/corrupt?mode=truncate&opcode=any&count=1&node=0"},
                                 {1500, "/mock/corrupt?mode=garbage&opcode=any&count=1&node=1"},
                                 {2500, "/mock/corrupt?mode=garbage&opcode=any&count=2"}},
                                {NULL},
                                1, 0};
    run_scenario(&sc);
}

static void test_free_during_hang(void **state)
{
    (void)state;
    /* operations wait on a hung node when a callback frees the client */
    static const scenario sc = {"free-hang", {{600, "/mock/hang?on=1&node=1"}},
                                {"/mock/hang?on=0&node=1"}, 0, 1200};
    run_scenario(&sc);
}

static void test_free_during_failover(void **state)
{
    (void)state;
    static const scenario sc = {"free-failover", {{600, "/mock/failover?node=2"}},
                                {"/mock/rebalance?nodes=0,1,2"}, 0, 700};
    run_scenario(&sc);
}

static void test_free_during_drop(void **state)
{
    (void)state;
    static const scenario sc = {"free-drop", {{600, "/mock/drop"}}, {NULL}, 0, 620};
    run_scenario(&sc);
}

static void test_free_during_backoff(void **state)
{
    (void)state;
    /* operations sit in TMPFAIL retry backoff */
    static const scenario sc = {"free-backoff",
                                {{300, "/mock/fail?status=0x86&opcode=any&count=100000"}},
                                {"/mock/reset"}, 0, 900};
    run_scenario(&sc);
}

/* argv[1]: an optional cmocka test filter. */
int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failover),
        cmocka_unit_test(test_rebalance_twice),
        cmocka_unit_test(test_stop_and_start),
        cmocka_unit_test(test_stop_quick_start),
        cmocka_unit_test(test_stop_past_timeout),
        cmocka_unit_test(test_stop_for_ms),
        cmocka_unit_test(test_drop_all),
        cmocka_unit_test(test_hang),
        cmocka_unit_test(test_delay_past_timeout),
        cmocka_unit_test(test_tmpfail_busy_nmvb),
        cmocka_unit_test(test_truncated_and_garbage),
        cmocka_unit_test(test_free_during_hang),
        cmocka_unit_test(test_free_during_failover),
        cmocka_unit_test(test_free_during_drop),
        cmocka_unit_test(test_free_during_backoff),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
