/* Deadlines, destroy with operations in flight, destroy inside a callback, re-entrancy
 * guards, tick, and 100,000 operations in flight, against a one-node mock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <malloc.h>

#include "kv/engine.h"

#include "kv/kvtest.h"
#include "support/mockproc.h"

static sofa_test_mock mock;

static int setup(void **state)
{
    (void)state;
    const char *args[] = {"--nodes", "1", NULL};
    return sofa_test_mock_start(&mock, args);
}

static int teardown(void **state)
{
    (void)state;
    sofa_test_mock_stop(&mock);
    return 0;
}

static sofa_client *connected(void)
{
    sofa_client *c = kt_client(mock.connstr, "Administrator", "password", NULL);
    assert_non_null(c);
    assert_int_equal(kt_connect(c), SOFA_OK);
    return c;
}

static void ctl(const char *path)
{
    assert_int_equal(sofa_test_mock_ctl(&mock, "POST", path, NULL, NULL, 0), 200);
}

static void test_deadlines_on_a_hung_node(void **state)
{
    (void)state;
    sofa_client *c = connected();
    assert_int_equal(kt_upsert(c, "k", "v"), SOFA_OK);
    ctl("/mock/hang?on=1");
    sofa_kv_opts o = {0};
    o.timeout_us = 200000;
    kt_res g = {0}, u = {0};
    assert_int_equal(sofa_kv_get(c, "k", 1, &o, kt_get_cb, &g), 0);
    assert_int_equal(sofa_kv_upsert(c, "k", 1, "w", 1, &o, kt_mut_cb, &u), 0);
    sofa_client_wait(c);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.status, SOFA_E_TIMEOUT_READ);
    assert_int_equal(u.calls, 1);
    assert_int_equal(u.status, SOFA_E_TIMEOUT_AMBIGUOUS);
    ctl("/mock/hang?on=0");
    /* the node answers again; late answers to the timed-out ops are dropped */
    kt_res r;
    int st = kt_get(c, "k", &r);
    assert_int_equal(st, SOFA_OK);
    assert_int_equal(g.calls, 1);
    assert_int_equal(u.calls, 1);
    sofa_client_free(c);
}

static void test_delay_within_deadline(void **state)
{
    (void)state;
    sofa_client *c = connected();
    ctl("/mock/delay?ms=100");
    kt_res r;
    assert_int_equal(kt_upsert(c, "slow", "v"), SOFA_OK);
    assert_int_equal(kt_get(c, "slow", &r), SOFA_OK);
    ctl("/mock/reset");
    sofa_client_free(c);
}

static int destroyed;
static void on_destroyed(void *ck)
{
    (void)ck;
    destroyed++;
}

static void test_free_with_ops_in_flight(void **state)
{
    (void)state;
    sofa_client *c = connected();
    ctl("/mock/hang?on=1");
    enum { N = 1000 };
    static kt_res g[N];
    memset(g, 0, sizeof(g));
    for (int i = 0; i < N; i++)
        assert_int_equal(sofa_kv_get(c, "k", 1, NULL, kt_get_cb, &g[i]), 0);
    for (int i = 0; i < 5; i++)
        sofa_client_tick(c); /* let them go out */
    destroyed = 0;
    sofa_client_on_destroyed(c, on_destroyed, NULL);
    sofa_client_free(c);
    for (int i = 0; i < N; i++) {
        assert_int_equal(g[i].calls, 1);
        assert_int_equal(g[i].status, SOFA_E_CANCELED);
    }
    assert_int_equal(destroyed, 1);
    ctl("/mock/reset");
}

typedef struct free_in_cb {
    int calls;
    int canceled;
    int ok;
    int wait_rc;
    sofa_client *c;
} free_in_cb;

static void get_then_free(sofa_client *c, sofa_status st, const sofa_get_result *r, void *ck)
{
    free_in_cb *f = ck;
    (void)r;
    f->calls++;
    if (st == SOFA_E_CANCELED) {
        f->canceled++;
        /* API calls during teardown are refused, not crashes */
        assert_int_equal(sofa_kv_get(c, "k", 1, NULL, get_then_free, f), SOFA_E_SHUTDOWN);
        return;
    }
    f->ok++;
    if (f->ok == 1) {
        f->wait_rc = sofa_client_wait(c);
        sofa_client_free(c); /* deferred until this callback returns */
        sofa_client_free(c); /* a second call while deferred is harmless */
        assert_int_equal(sofa_kv_get(c, "k", 1, NULL, get_then_free, f), SOFA_E_SHUTDOWN);
    }
}

static void test_free_inside_callback(void **state)
{
    (void)state;
    sofa_client *c = connected();
    assert_int_equal(kt_upsert(c, "k", "v"), SOFA_OK);
    free_in_cb f = {0};
    enum { N = 200 };
    for (int i = 0; i < N; i++)
        assert_int_equal(sofa_kv_get(c, "k", 1, NULL, get_then_free, &f), 0);
    destroyed = 0;
    sofa_client_on_destroyed(c, on_destroyed, NULL);
    assert_int_equal(sofa_client_wait(c), 0); /* returns once the deferred free is done */
    assert_int_equal(f.wait_rc, SOFA_E_RECURSIVE_CALL);
    assert_int_equal(f.calls, N);
    assert_true(f.ok >= 1);
    assert_int_equal(f.ok + f.canceled, N);
    assert_int_equal(destroyed, 1);
}

static void test_tick_is_non_blocking(void **state)
{
    (void)state;
    sofa_client *c = connected();
    kt_res g = {0};
    assert_int_equal(sofa_kv_get(c, "nothing", 7, NULL, kt_get_cb, &g), 0);
    assert_int_equal(sofa_client_pending(c), 1);
    int loops = 0;
    while (g.calls == 0 && loops < 100000) {
        int rc = sofa_client_tick(c);
        assert_true(rc >= 0);
        loops++;
    }
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.status, SOFA_E_NOT_FOUND);
    assert_int_equal(sofa_client_tick(c), 0); /* nothing pending */
    assert_int_equal(sofa_client_wait(c), 0); /* nothing pending: returns at once */
    sofa_client_free(c);
}

static void multi_done(sofa_client *c, sofa_status st, const sofa_multi_item *it, size_t n,
                       void *ck)
{
    (void)c;
    (void)it;
    (void)n;
    if (st == SOFA_OK)
        (*(int *)ck)++;
}

static int inflight_done, inflight_ok;
static void count_mut(sofa_client *c, sofa_status st, const sofa_mutation_result *r, void *ck)
{
    (void)c;
    (void)r;
    (void)ck;
    inflight_done++;
    inflight_ok += st == SOFA_OK;
}

static void test_100k_in_flight(void **state)
{
    (void)state;
    sofa_client *c = connected();
    enum { N = 100000 };
    inflight_done = inflight_ok = 0;
    char key[32];
    struct mallinfo2 before = mallinfo2();
    for (int i = 0; i < N; i++) {
        int n = snprintf(key, sizeof(key), "if%d", i % 5000);
        assert_int_equal(sofa_kv_upsert(c, key, (size_t)n, "0123456789", 10, NULL, count_mut, NULL), 0);
    }
    struct mallinfo2 after = mallinfo2();
    assert_int_equal(sofa_client_pending(c), N);
    if (after.uordblks > before.uordblks) { /* 0 under ASan, which replaces malloc */
        double per_op = (double)(after.uordblks - before.uordblks) / N;
        printf("client memory per 10,000 pending upserts (10-byte values): %.0f KiB "
               "(%.0f bytes per operation, including its encoded packet)\n",
               per_op * 10000 / 1024, per_op);
        assert_true(per_op < 1024);
    }
    assert_int_equal(sofa_client_wait(c), 0);
    assert_int_equal(inflight_done, N);
    assert_int_equal(inflight_ok, N);
    assert_int_equal(sofa_client_pending(c), 0);
    sofa_client_free(c);
}

static void test_batching_few_writes(void **state)
{
    (void)state;
    sofa_client *c = connected();
    enum { N = 10000 };
    static char names[N][16];
    static sofa_key keys[N];
    for (int i = 0; i < N; i++) {
        keys[i].nkey = (size_t)snprintf(names[i], sizeof(names[i]), "batch%d", i);
        keys[i].key = names[i];
    }
    uint64_t before = 0;
    for (size_t i = 0; i < c->nnodes; i++)
        before += c->nodes[i]->conn ? c->nodes[i]->conn->writes : 0;
    assert_int_equal(sofa_kv_get_multi(c, keys, N, SOFA_MULTI_QUIET, NULL, NULL, NULL),
                     SOFA_E_INVALID_ARGUMENT);
    int done = 0;
    assert_int_equal(sofa_kv_get_multi(c, keys, N, SOFA_MULTI_QUIET, NULL, multi_done, &done), 0);
    assert_int_equal(sofa_client_wait(c), 0);
    assert_int_equal(done, 1);
    uint64_t after = 0;
    for (size_t i = 0; i < c->nnodes; i++)
        after += c->nodes[i]->conn ? c->nodes[i]->conn->writes : 0;
    printf("10,000-key multi-get: %llu send() calls\n", (unsigned long long)(after - before));
    assert_true(after - before >= 1);
    assert_true(after - before <= 64); /* not one per key */
    sofa_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deadlines_on_a_hung_node),
        cmocka_unit_test(test_delay_within_deadline),
        cmocka_unit_test(test_free_with_ops_in_flight),
        cmocka_unit_test(test_free_inside_callback),
        cmocka_unit_test(test_tick_is_non_blocking),
        cmocka_unit_test(test_100k_in_flight),
        cmocka_unit_test(test_batching_few_writes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
