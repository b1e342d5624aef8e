/* Allocation-failure sweep of durability: after connecting, a durable upsert and a
 * three-key endure run with the 1st, 2nd, ... allocation failing in turn. Every run must
 * end, every accepted call must be answered exactly once, and nothing may be left
 * allocated. Linked with -Wl,--wrap for the allocator (like tests/kv/test_kv_alloc.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kv/kvtest.h"
#include "sofa/durability.h"
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

static void endure_cb(sofa_client *c, sofa_status st, const sofa_endure_item *it, size_t n,
                      void *ck)
{
    (void)c, (void)st, (void)it, (void)n;
    ((kt_res *)ck)->calls++;
}

/* Returns the number of allocations attempted after the connect. */
static long scenario(const char *cs)
{
    long live0 = live;
    long saved_fail = fail_at;
    fail_at = -1; /* connect normally */
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = cs;
    o.username = "Administrator";
    o.password = "password";
    sofa_client *c = NULL;
    assert_int_equal(sofa_client_new(&c, &o, NULL, 0), 0);
    kt_res conn = {0}, w = {0}, e = {0}, pre = {0}, pre2 = {0};
    assert_int_equal(sofa_client_connect(c, kt_connect_cb, &conn), 0);
    assert_int_equal(sofa_kv_upsert(c, "b", 1, "v", 1, NULL, kt_mut_cb, &pre), 0);
    assert_int_equal(sofa_kv_upsert(c, "c", 1, "v", 1, NULL, kt_mut_cb, &pre2), 0);
    assert_int_equal(sofa_client_wait(c), 0);
    assert_int_equal(conn.status, SOFA_OK);
    assert_int_equal(pre.status, SOFA_OK);
    calls = 0;
    fail_at = saved_fail;
    sofa_kv_opts dur = {0};
    dur.persist_to = 2;
    dur.replicate_to = 1;
    int rc_w = sofa_kv_upsert(c, "a", 1, "v", 1, &dur, kt_mut_cb, &w);
    sofa_endure_key keys[3] = {{"b", 1, 0, {0, 0, 0}}, {"c", 1, 0, {0, 0, 0}},
                               {"b", 1, 0, pre.token}};
    sofa_endure_opts eo = {0};
    eo.persist_to = 1;
    eo.replicate_to = 1;
    eo.timeout_us = 300000;
    int rc_e = sofa_endure(c, keys, 3, &eo, endure_cb, &e);
    assert_int_equal(sofa_client_wait(c), 0);
    sofa_client_free(c);
    assert_int_equal(w.calls, rc_w == 0 ? 1 : 0);
    assert_int_equal(e.calls, rc_e == 0 ? 1 : 0);
    assert_int_equal(live, live0);
    return calls;
}

static void test_every_allocation_fails_in_turn(void **state)
{
    (void)state;
    char cs[1200];
    snprintf(cs, sizeof(cs),
             "%s?operation_timeout=0.3&durability_timeout=0.3&durability_interval=10ms",
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
