/* Allocation-failure sweep of the engine: the scenario (create, connect, upsert, get,
 * multi-get, ping, wait, free) is run with the 1st, 2nd, ... allocation failing in turn.
 * Every run must end (no hang), every accepted operation must be answered exactly once,
 * and no allocation may be left behind. Linked with -Wl,--wrap for the allocator, which
 * replaces those calls in the test and in libsofa.a's objects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kv/kvtest.h"
#include "support/mockproc.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
char *__real_strdup(const char *s);
char *__wrap_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

static long fail_at = -1;
static long calls;
static long live;

static int should_fail(void)
{
    long i = calls++;
    return fail_at >= 0 && i == fail_at;
}

void *__wrap_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    void *p = __real_malloc(n);
    live += p != NULL;
    return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
    if (should_fail())
        return NULL;
    void *p = __real_calloc(n, size);
    live += p != NULL;
    return p;
}

void *__wrap_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    void *q = __real_realloc(p, n);
    if (q && !p)
        live++;
    return q;
}

char *__wrap_strdup(const char *s)
{
    if (should_fail())
        return NULL;
    char *p = __real_strdup(s);
    live += p != NULL;
    return p;
}

void __wrap_free(void *p)
{
    live -= p != NULL;
    __real_free(p);
}

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

/* Returns the number of allocations the run attempted. */
static long scenario(const char *cs)
{
    calls = 0;
    long live0 = live;
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = cs;
    o.username = "Administrator";
    o.password = "password";
    sofa_client *c = NULL;
    if (sofa_client_new(&c, &o, NULL, 0) != 0) {
        assert_null(c);
        assert_int_equal(live, live0);
        return calls;
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
    assert_int_equal(conn.calls, rc_conn == 0 ? 1 : 0);
    assert_int_equal(w.calls, rc_w == 0 ? 1 : 0);
    assert_int_equal(g.calls, rc_g == 0 ? 1 : 0);
    assert_int_equal(m.calls, rc_m == 0 ? 1 : 0);
    assert_int_equal(p.calls, rc_p == 0 ? 1 : 0);
    assert_int_equal(live, live0);
    return calls;
}

static void test_every_allocation_fails_in_turn(void **state)
{
    (void)state;
    char cs[1200];
    snprintf(cs, sizeof(cs),
             "%s?operation_timeout=0.3&config_node_timeout=0.2&config_total_timeout=0.4",
             mock.connstr);
    fail_at = -1;
    long total = scenario(cs);
    assert_true(total > 10);
    printf("sweeping %ld allocations\n", total);
    for (long i = 0; i < total; i++) {
        fail_at = i;
        scenario(cs);
    }
    fail_at = -1;
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
