/* The same KV workload on every plugin, sync (sofa_client_wait) and async (the
 * application runs libevent's or libev's loop itself; no wait call): bootstrap, 1000
 * upserts and 1000 gets, every callback exactly once, then destroy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

/* Built twice (one plugin per process): libev exports libevent-compatible names
 * (event_del, ...) that would capture libevent's own calls in a process with both. */
#ifdef KV_TEST_LIBEV
#include <ev.h>
#include "sofa/plugins/libev.h"
#else
#include <event2/event.h>
#include "sofa/plugins/libevent.h"
#endif

#include "kv/kvtest.h"
#include "support/mockproc.h"

enum { N = 1000 };

static sofa_test_mock mock;

typedef struct run {
    sofa_client *c;
    int connected;
    int sets, gets, ok;
    int phase_done;
#ifdef KV_TEST_LIBEV
    struct ev_loop *loop;
#else
    struct event_base *base;
#endif
} run;

static void done(run *r)
{
    r->phase_done = 1;
#ifdef KV_TEST_LIBEV
    if (r->loop)
        ev_break(r->loop, EVBREAK_ALL);
#else
    if (r->base)
        event_base_loopbreak(r->base);
#endif
}

static void on_get(sofa_client *c, sofa_status st, const sofa_get_result *g, void *ck)
{
    run *r = ck;
    (void)c;
    r->gets++;
    if (st == SOFA_OK && g->nvalue == 5 && memcmp(g->value, "value", 5) == 0)
        r->ok++;
    if (r->gets == N)
        done(r);
}

static void schedule_gets(run *r)
{
    char key[32];
    for (int i = 0; i < N; i++) {
        int n = snprintf(key, sizeof(key), "pk%d", i);
        assert_int_equal(sofa_kv_get(r->c, key, (size_t)n, NULL, on_get, r), 0);
    }
}

static void on_set(sofa_client *c, sofa_status st, const sofa_mutation_result *m, void *ck)
{
    run *r = ck;
    (void)c;
    (void)m;
    r->sets++;
    r->ok += st == SOFA_OK;
    if (r->sets == N)
        schedule_gets(r); /* chained from inside a callback */
}

static void on_connect(sofa_client *c, sofa_status st, void *ck)
{
    run *r = ck;
    (void)c;
    r->connected = st == SOFA_OK ? 1 : -1;
    if (st != SOFA_OK)
        done(r);
}

static void start(run *r)
{
    assert_int_equal(sofa_client_connect(r->c, on_connect, r), 0);
    char key[32];
    for (int i = 0; i < N; i++) { /* scheduled before bootstrap completes */
        int n = snprintf(key, sizeof(key), "pk%d", i);
        assert_int_equal(sofa_kv_upsert(r->c, key, (size_t)n, "value", 5, NULL, on_set, r), 0);
    }
}

static void check(run *r)
{
    assert_int_equal(r->connected, 1);
    assert_int_equal(r->sets, N);
    assert_int_equal(r->gets, N);
    assert_int_equal(r->ok, 2 * N);
    assert_int_equal(sofa_client_pending(r->c), 0);
}

static void sync_run(sofa_iops *io, const char *connstr)
{
    run r;
    memset(&r, 0, sizeof(r));
    r.c = kt_client(connstr ? connstr : mock.connstr, "Administrator", "password", io);
    assert_non_null(r.c);
    start(&r);
    assert_int_equal(sofa_client_wait(r.c), 0);
    check(&r);
    sofa_client_free(r.c);
}

static void test_select_sync(void **state)
{
    (void)state;
    sync_run(NULL, NULL);
}

#ifndef KV_TEST_LIBEV
static void test_libevent_own_loop_sync(void **state)
{
    (void)state;
    sofa_iops *io = NULL;
    assert_int_equal(sofa_iops_libevent_new(NULL, &io), 0);
    sync_run(io, NULL);
    sofa_iops_free(io);
}

#else
static void test_libev_own_loop_sync(void **state)
{
    (void)state;
    sofa_iops *io = NULL;
    assert_int_equal(sofa_iops_libev_new(NULL, &io), 0);
    sync_run(io, NULL);
    sofa_iops_free(io);
}

#endif

static void test_loaded_by_connstr_option(void **state)
{
    (void)state;
    char cs[1200];
#ifdef KV_TEST_LIBEV
    snprintf(cs, sizeof(cs), "%s?iops=libev", mock.connstr);
#else
    snprintf(cs, sizeof(cs), "%s?iops=libevent", mock.connstr);
#endif
    sync_run(NULL, cs);
}

#ifndef KV_TEST_LIBEV
static void test_libevent_application_loop(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    assert_non_null(base);
    sofa_iops *io = NULL;
    assert_int_equal(sofa_iops_libevent_new(base, &io), 0);
    run r;
    memset(&r, 0, sizeof(r));
    r.base = base;
    r.c = kt_client(mock.connstr, "Administrator", "password", io);
    assert_non_null(r.c);
    start(&r);
    assert_int_equal(sofa_client_wait(r.c), 0); /* returns at once: the application owns the loop */
    assert_int_equal(r.sets, 0);
    event_base_dispatch(base);
    check(&r);
    sofa_client_free(r.c);
    sofa_iops_free(io);
    event_base_free(base);
}

#else
static void test_libev_application_loop(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    assert_non_null(loop);
    sofa_iops *io = NULL;
    assert_int_equal(sofa_iops_libev_new(loop, &io), 0);
    run r;
    memset(&r, 0, sizeof(r));
    r.loop = loop;
    r.c = kt_client(mock.connstr, "Administrator", "password", io);
    assert_non_null(r.c);
    start(&r);
    ev_run(loop, 0);
    check(&r);
    /* destroy with operations in flight from the application's loop */
    kt_res g = {0};
    assert_int_equal(sofa_kv_get(r.c, "pk1", 3, NULL, kt_get_cb, &g), 0);
    sofa_client_free(r.c);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.status, SOFA_E_CANCELED);
    sofa_iops_free(io);
    ev_loop_destroy(loop);
}
#endif

/* sofa_client_free() from inside a callback under the application's loop: deferred until the
 * callback returns; the other operations get E_CANCELED once; the loop goes on. */
typedef struct afree {
    int calls, canceled, destroyed;
    run *r;
} afree;

static void afree_get(sofa_client *c, sofa_status st, const sofa_get_result *g, void *ck)
{
    afree *a = ck;
    (void)g;
    a->calls++;
    if (st == SOFA_E_CANCELED) {
        a->canceled++;
        return;
    }
    if (a->calls == 1) {
        sofa_client_free(c);
        done(a->r);
    }
}

static void afree_destroyed(void *ck)
{
    ((afree *)ck)->destroyed++;
}

static void test_free_inside_callback_application_loop(void **state)
{
    (void)state;
    run r;
    memset(&r, 0, sizeof(r));
    sofa_iops *io = NULL;
#ifdef KV_TEST_LIBEV
    r.loop = ev_loop_new(EVFLAG_AUTO);
    assert_int_equal(sofa_iops_libev_new(r.loop, &io), 0);
#else
    r.base = event_base_new();
    assert_int_equal(sofa_iops_libevent_new(r.base, &io), 0);
#endif
    r.c = kt_client(mock.connstr, "Administrator", "password", io);
    assert_non_null(r.c);
    assert_int_equal(sofa_client_connect(r.c, NULL, NULL), 0);
    afree a = {0};
    a.r = &r;
    sofa_client_on_destroyed(r.c, afree_destroyed, &a);
    for (int i = 0; i < 100; i++)
        assert_int_equal(sofa_kv_get(r.c, "pk1", 3, NULL, afree_get, &a), 0);
#ifdef KV_TEST_LIBEV
    ev_run(r.loop, 0);
#else
    event_base_dispatch(r.base);
#endif
    assert_int_equal(a.calls, 100);
    assert_int_equal(a.destroyed, 1);
    assert_true(a.canceled >= 1);
    sofa_iops_free(io);
#ifdef KV_TEST_LIBEV
    ev_loop_destroy(r.loop);
#else
    event_base_free(r.base);
#endif
}

static int setup(void **state)
{
    (void)state;
    const char *args[] = {"--nodes", "2", "--replicas", "1", NULL};
    return sofa_test_mock_start(&mock, args);
}

static int teardown(void **state)
{
    (void)state;
    sofa_test_mock_stop(&mock);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_select_sync),
#ifdef KV_TEST_LIBEV
        cmocka_unit_test(test_libev_own_loop_sync),
        cmocka_unit_test(test_libev_application_loop),
#else
        cmocka_unit_test(test_libevent_own_loop_sync),
        cmocka_unit_test(test_libevent_application_loop),
#endif
        cmocka_unit_test(test_loaded_by_connstr_option),
        cmocka_unit_test(test_free_inside_callback_application_loop),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
