/* Allocation-failure sweep of the engine: the scenario (create, connect, upsert, get,
 * multi-get, ping, wait, free) is run with the 1st, 2nd, ... allocation failing in turn.
 * Every run must end (no hang), every accepted operation must be answered exactly once,
 * and no allocation may be left behind (tests/support/failalloc wraps the allocator of the
 * test and of libsofa.a's objects). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kv/kvtest.h"
#include "support/failalloc.h"
#include "support/mockproc.h"

static sofa_test_mock mock;

static void multi_cb(sofa_client *c, sofa_status st, const sofa_multi_item *it, size_t n, void *ck)
{
    (void)c, (void)st, (void)it, (void)n;
    ((kt_res *)ck)->calls++;
}

static void stats_cb(sofa_client *c, sofa_status st, const sofa_stat_entry *e, size_t n, void *ck)
{
    (void)c, (void)st, (void)e, (void)n;
    ((kt_res *)ck)->calls++;
}

static void obs_cb(sofa_client *c, sofa_status st, const sofa_observe_entry *e, size_t n, void *ck)
{
    (void)c, (void)st, (void)e, (void)n;
    ((kt_res *)ck)->calls++;
}

static void reps_cb(sofa_client *c, sofa_status st, const sofa_replica_item *it, size_t n, void *ck)
{
    (void)c, (void)st, (void)it, (void)n;
    ((kt_res *)ck)->calls++;
}

static void ping_cb(sofa_client *c, sofa_status st, const sofa_ping_entry *e, size_t n, void *ck)
{
    (void)c, (void)st, (void)e, (void)n;
    ((kt_res *)ck)->calls++;
}

/* Runs the scenario with allocation @p fail_at failing (-1: none); returns the number of
 * allocations the run attempted. */
static long scenario(const char *cs, long fail_at)
{
    failalloc_start(fail_at);
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = cs;
    o.username = "Administrator";
    o.password = "password";
    sofa_client *c = NULL;
    if (sofa_client_new(&c, &o, NULL, 0) != 0) {
        failalloc_stop();
        assert_null(c);
        assert_int_equal(failalloc_live(), 0);
        return failalloc_calls();
    }
    kt_res conn = {0}, w = {0}, g = {0}, m = {0}, p = {0};
    int rc_conn = sofa_client_connect(c, kt_connect_cb, &conn);
    int rc_w = sofa_kv_upsert(c, "a", 1, "v", 1, NULL, kt_mut_cb, &w);
    int rc_g = sofa_kv_get(c, "a", 1, NULL, kt_get_cb, &g);
    sofa_key keys[3] = {{"a", 1}, {"b", 1}, {"c", 1}};
    int rc_m = sofa_kv_get_multi(c, keys, 3, SOFA_MULTI_QUIET, NULL, multi_cb, &m);
    assert_int_equal(sofa_client_wait(c), 0);
    int rc_p = sofa_kv_ping(c, NULL, ping_cb, &p);
    kt_res st = {0}, ob = {0}, rp = {0}, ex = {0}, ct = {0};
    int rc_st = sofa_kv_stats(c, NULL, NULL, stats_cb, &st);
    int rc_ob = sofa_kv_observe(c, "a", 1, 0, NULL, obs_cb, &ob);
    int rc_rp = sofa_kv_get_all_replicas(c, "a", 1, NULL, reps_cb, &rp);
    int rc_ex = sofa_kv_exists(c, "a", 1, NULL, kt_exists_cb, &ex);
    int rc_ct = sofa_kv_counter(c, "n", 1, 1, 0, 1, NULL, kt_mut_cb, &ct);
    assert_int_equal(sofa_client_wait(c), 0);
    assert_int_equal(st.calls, rc_st == 0 ? 1 : 0);
    assert_int_equal(ob.calls, rc_ob == 0 ? 1 : 0);
    assert_int_equal(rp.calls, rc_rp == 0 ? 1 : 0);
    assert_int_equal(ex.calls, rc_ex == 0 ? 1 : 0);
    assert_int_equal(ct.calls, rc_ct == 0 ? 1 : 0);
    sofa_client_free(c);
    failalloc_stop();
    assert_int_equal(conn.calls, rc_conn == 0 ? 1 : 0);
    assert_int_equal(w.calls, rc_w == 0 ? 1 : 0);
    assert_int_equal(g.calls, rc_g == 0 ? 1 : 0);
    assert_int_equal(m.calls, rc_m == 0 ? 1 : 0);
    assert_int_equal(p.calls, rc_p == 0 ? 1 : 0);
    assert_int_equal(failalloc_live(), 0);
    return failalloc_calls();
}

static void test_every_allocation_fails_in_turn(void **state)
{
    (void)state;
    char cs[1200];
    snprintf(cs, sizeof(cs),
             "%s?operation_timeout=0.3&config_node_timeout=0.2&config_total_timeout=0.4",
             mock.connstr);
    long total = scenario(cs, -1);
    assert_true(total > 10);
    printf("sweeping %ld allocations\n", total);
    for (long i = 0; i < total; i++)
        scenario(cs, i);
}

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_allocation_fails_in_turn),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
