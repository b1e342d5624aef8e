/* Allocation-failure sweep of durability: connect, a durable upsert and a three-key
 * endure run with the 1st, 2nd, ... allocation failing in turn (tests/support/failalloc).
 * Every run must end, every accepted call must be answered exactly once, and nothing may
 * be left allocated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kv/kvtest.h"
#include "sofa/durability.h"
#include "support/failalloc.h"
#include "support/mockproc.h"

static sofa_test_mock mock;

static void endure_cb(sofa_client *c, sofa_status st, const sofa_endure_item *it, size_t n,
                      void *ck)
{
    (void)c, (void)st, (void)it, (void)n;
    ((kt_res *)ck)->calls++;
}

/* One run with allocation @p fail_at failing (-1: none); returns the allocations made. */
static long scenario(const char *cs, long fail_at)
{
    failalloc_start(fail_at);
    sofa_client *c = kt_client(cs, "Administrator", "password", NULL);
    if (!c) {
        assert_int_equal(failalloc_live(), 0);
        failalloc_stop();
        return failalloc_calls();
    }
    kt_res conn = {0}, w = {0}, e = {0}, pre = {0}, pre2 = {0};
    int rc_conn = sofa_client_connect(c, kt_connect_cb, &conn);
    int rc_b = sofa_kv_upsert(c, "b", 1, "v", 1, NULL, kt_mut_cb, &pre);
    int rc_c = sofa_kv_upsert(c, "c", 1, "v", 1, NULL, kt_mut_cb, &pre2);
    assert_int_equal(sofa_client_wait(c), 0);
    sofa_kv_opts dur = {0};
    dur.persist_to = 2;
    dur.replicate_to = 1;
    int rc_w = sofa_kv_upsert(c, "a", 1, "v", 1, &dur, kt_mut_cb, &w);
    sofa_endure_key keys[3] = {
        {"b", 1, 0, {0, 0, 0}}, {"c", 1, 0, {0, 0, 0}}, {"b", 1, 0, pre.token}};
    sofa_endure_opts eo = {0};
    eo.persist_to = 1;
    eo.replicate_to = 1;
    eo.timeout_us = 300000;
    int rc_e = sofa_endure(c, keys, 3, &eo, endure_cb, &e);
    assert_int_equal(sofa_client_wait(c), 0);
    sofa_client_free(c);
    assert_int_equal(conn.calls, rc_conn == 0 ? 1 : 0);
    assert_int_equal(pre.calls, rc_b == 0 ? 1 : 0);
    assert_int_equal(pre2.calls, rc_c == 0 ? 1 : 0);
    assert_int_equal(w.calls, rc_w == 0 ? 1 : 0);
    assert_int_equal(e.calls, rc_e == 0 ? 1 : 0);
    if (fail_at < 0) { /* the reference run: everything succeeds */
        assert_int_equal(conn.status, SOFA_OK);
        assert_int_equal(w.status, SOFA_OK);
        assert_int_equal(e.status, SOFA_OK);
    }
    assert_int_equal(failalloc_live(), 0);
    failalloc_stop();
    return failalloc_calls();
}

static void test_every_allocation_fails_in_turn(void **state)
{
    (void)state;
    char cs[1200];
    snprintf(cs, sizeof(cs),
             "%s?operation_timeout=0.3&durability_timeout=0.3&durability_interval=10ms",
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
        cmocka_unit_test(test_every_allocation_fails_in_turn),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
