/* Writes with durability against the mock: client-side (persist_to / replicate_to in
 * sofa_kv_opts: one operation, one callback after the write and its check) and
 * server-side levels (flexible-framing durability frame) with their errors:
 * impossible, ambiguous, sync write in progress (retried), invalid level. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "durability/durtest.h"

typedef dt_fx fx;

static int start(void **state, const char *nodes, const char *replicas)
{
    const char *args[] = {"--nodes", nodes, "--replicas", replicas, NULL};
    return dt_fx_setup(state, args, "durability_timeout=1500ms");
}

static int setup_3n2r(void **state)
{
    return start(state, "3", "2");
}

static int setup_1n1r(void **state)
{
    return start(state, "1", "1"); /* the replica has no node: majority (2) is impossible */
}

static int setup_1n0r(void **state)
{
    return start(state, "1", "0");
}

static int setup_no_sync(void **state)
{
    const char *args[] = {"--nodes", "2", "--replicas", "1", "--sync-replication", "0", NULL};
    return dt_fx_setup(state, args, NULL);
}

#define teardown dt_fx_teardown

static void delays(fx *f, int persist_ms, int replicate_ms)
{
    assert_int_equal(dt_delays(&f->mock, persist_ms, replicate_ms), 200);
}

static sofa_kv_opts dopts(int persist_to, int replicate_to)
{
    sofa_kv_opts o;
    memset(&o, 0, sizeof(o));
    o.persist_to = persist_to;
    o.replicate_to = replicate_to;
    return o;
}

/* ------------------------------------------------------------ client-side */

static void test_store_remove_counter_with_endure(void **state)
{
    fx *f = *state;
    delays(f, 80, 40);
    kt_res r;
    sofa_kv_opts o = dopts(3, 2);
    uint64_t t0 = dt_now_us();
    assert_int_equal(dt_upsert(f->c, "dw", "v", &o, &r), SOFA_OK);
    assert_int_equal(r.calls, 1);
    assert_true(r.cas != 0);
    assert_true(r.token.vbuuid != 0);
    assert_true(dt_now_us() - t0 >= 115000u); /* waited for the replicas' disks */

    /* every other store mode goes the same way */
    memset(&r, 0, sizeof(r));
    o = dopts(1, 1);
    assert_int_equal(sofa_kv_store(f->c, SOFA_STORE_APPEND, "dw", 2, "+", 1, &o, kt_mut_cb, &r), 0);
    sofa_client_wait(f->c);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, SOFA_OK);

    memset(&r, 0, sizeof(r));
    o = dopts(SOFA_DURABILITY_ALL, SOFA_DURABILITY_ALL);
    assert_int_equal(sofa_kv_counter(f->c, "dwc", 3, 5, 10, 1, &o, kt_mut_cb, &r), 0);
    sofa_client_wait(f->c);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, SOFA_OK);
    assert_int_equal(r.counter, 10);

    memset(&r, 0, sizeof(r));
    o = dopts(2, 1);
    t0 = dt_now_us();
    assert_int_equal(sofa_kv_remove(f->c, "dw", 2, &o, kt_mut_cb, &r), 0);
    sofa_client_wait(f->c);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, SOFA_OK);
    assert_true(dt_now_us() - t0 >= 75000u); /* the removal reached a disk */
    kt_res g;
    assert_int_equal(kt_get(f->c, "dw", &g), SOFA_E_NOT_FOUND);
}

static void test_durable_write_errors(void **state)
{
    fx *f = *state;
    kt_res r;
    memset(&r, 0, sizeof(r));
    sofa_kv_opts o = dopts(4, 0);
    assert_int_equal(sofa_kv_upsert(f->c, "k", 1, "v", 1, &o, kt_mut_cb, &r),
                     SOFA_E_DURABILITY_TOO_MANY);
    o = dopts(1, 0);
    o.durability_level = SOFA_DURABILITY_MAJORITY; /* both kinds at once */
    assert_int_equal(sofa_kv_upsert(f->c, "k", 1, "v", 1, &o, kt_mut_cb, &r),
                     SOFA_E_INVALID_ARGUMENT);
    o = dopts(1, 0);
    assert_int_equal(sofa_kv_upsert(f->c, "", 0, "v", 1, &o, kt_mut_cb, &r), SOFA_E_EMPTY_KEY);
    assert_int_equal(sofa_kv_remove(f->c, "k", 1, &o, NULL, &r), SOFA_E_INVALID_ARGUMENT);
    sofa_client_tick(f->c);
    assert_int_equal(r.calls, 0);

    /* the write fails: its own status, no durability wait */
    o = dopts(1, 1);
    assert_int_equal(
        sofa_kv_store(f->c, SOFA_STORE_REPLACE, "missing", 7, "v", 1, &o, kt_mut_cb, &r), 0);
    sofa_client_wait(f->c);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, SOFA_E_NOT_FOUND);

    /* the write succeeds, the check times out (durability_timeout=1500ms) */
    delays(f, 5000, 0);
    memset(&r, 0, sizeof(r));
    uint64_t t0 = dt_now_us();
    assert_int_equal(sofa_kv_upsert(f->c, "late", 4, "v", 1, &o, kt_mut_cb, &r), 0);
    sofa_client_wait(f->c);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, SOFA_E_DURABILITY_TIMEOUT);
    assert_true(r.cas != 0); /* the write happened */
    uint64_t took = dt_now_us() - t0;
    assert_true(took >= 1490000u && took < 6000000u);
}

/* Scheduled before the bootstrap finished: "too many" can only be judged after the write. */
static void test_durable_write_before_bootstrap(void **state)
{
    fx *f = *state;
    delays(f, 20, 10);
    char cs[1400];
    snprintf(cs, sizeof(cs), "%s?durability_interval=20ms", f->mock.connstr);
    sofa_client *c = kt_client(cs, "Administrator", "password", NULL);
    assert_non_null(c);
    kt_res conn = {0}, ok = {0}, many = {0};
    assert_int_equal(sofa_client_connect(c, kt_connect_cb, &conn), 0);
    sofa_kv_opts o = dopts(2, 1);
    assert_int_equal(sofa_kv_upsert(c, "early", 5, "v", 1, &o, kt_mut_cb, &ok), 0);
    o = dopts(4, 0);
    assert_int_equal(sofa_kv_upsert(c, "early2", 6, "v", 1, &o, kt_mut_cb, &many), 0);
    assert_int_equal(sofa_client_wait(c), 0);
    assert_int_equal(conn.status, SOFA_OK);
    assert_int_equal(ok.calls, 1);
    assert_int_equal(ok.status, SOFA_OK);
    assert_int_equal(many.calls, 1);
    assert_int_equal(many.status, SOFA_E_DURABILITY_TOO_MANY);
    assert_true(many.cas != 0); /* the write itself happened */
    sofa_client_free(c);
}

static void test_destroy_during_durable_write(void **state)
{
    fx *f = *state;
    delays(f, 5000, 5000);
    kt_res r;
    memset(&r, 0, sizeof(r));
    sofa_kv_opts o = dopts(2, 2);
    assert_int_equal(sofa_kv_upsert(f->c, "bye", 3, "v", 1, &o, kt_mut_cb, &r), 0);
    for (int i = 0; i < 10; i++) {
        sofa_client_tick(f->c);
        dt_sleep_ms(5);
    }
    sofa_client_free(f->c);
    f->c = NULL;
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, SOFA_E_CANCELED);
}

/* ------------------------------------------------------------ server-side levels */

static int level_write(fx *f, const char *key, uint8_t level, uint64_t timeout_us, kt_res *r)
{
    sofa_kv_opts o;
    memset(&o, 0, sizeof(o));
    o.durability_level = level;
    o.timeout_us = timeout_us;
    return dt_upsert(f->c, key, "v", &o, r);
}

static void test_levels_wait_for_the_server(void **state)
{
    fx *f = *state;
    delays(f, 150, 100);
    kt_res r;
    uint64_t t0 = dt_now_us();
    assert_int_equal(level_write(f, "l1", SOFA_DURABILITY_MAJORITY, 0, &r), SOFA_OK);
    uint64_t t1 = dt_now_us();
    assert_true(t1 - t0 >= 95000u); /* replicate delay */
    assert_int_equal(level_write(f, "l2", SOFA_DURABILITY_MAJORITY_AND_PERSIST_TO_ACTIVE, 0, &r),
                     SOFA_OK);
    uint64_t t2 = dt_now_us();
    assert_true(t2 - t1 >= 145000u); /* max(replicate, persist) */
    assert_int_equal(level_write(f, "l3", SOFA_DURABILITY_PERSIST_TO_MAJORITY, 0, &r), SOFA_OK);
    assert_true(dt_now_us() - t2 >= 245000u); /* replicate + persist */
    assert_true(r.cas != 0);
    /* bad level: refused at submit */
    sofa_kv_opts o;
    memset(&o, 0, sizeof(o));
    o.durability_level = 4;
    assert_int_equal(sofa_kv_upsert(f->c, "l4", 2, "v", 1, &o, kt_mut_cb, &r),
                     SOFA_E_INVALID_ARGUMENT);
}

static void test_level_ambiguous(void **state)
{
    fx *f = *state;
    delays(f, 0, 5000);
    kt_res r;
    /* the server gives up at 90% of our 2 s deadline (the margin keeps a loaded machine
     * from turning it into our own E_TIMEOUT_AMBIGUOUS): ambiguous, flagged so */
    uint64_t t0 = dt_now_us();
    assert_int_equal(level_write(f, "amb", SOFA_DURABILITY_MAJORITY, 2000000, &r),
                     SOFA_E_SYNC_WRITE_AMBIGUOUS);
    assert_true(dt_now_us() - t0 >= 1750000u);
    assert_true(sofa_status_flags(SOFA_E_SYNC_WRITE_AMBIGUOUS) & SOFA_F_AMBIGUOUS);
    assert_int_equal(sofa_status_category(SOFA_E_SYNC_WRITE_AMBIGUOUS), SOFA_CAT_DURABILITY);
    assert_false(sofa_status_flags(SOFA_E_DURABILITY_IMPOSSIBLE) & SOFA_F_AMBIGUOUS);
    /* the write stays applied (that is what ambiguous means) */
    kt_res g;
    assert_int_equal(kt_get(f->c, "amb", &g), SOFA_OK);
}

static void test_level_sync_write_in_progress_is_retried(void **state)
{
    fx *f = *state;
    delays(f, 0, 200);
    kt_res a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    sofa_kv_opts o;
    memset(&o, 0, sizeof(o));
    o.durability_level = SOFA_DURABILITY_MAJORITY;
    o.timeout_us = 2000000;
    uint64_t t0 = dt_now_us();
    assert_int_equal(sofa_kv_upsert(f->c, "sw", 2, "a", 1, &o, kt_mut_cb, &a), 0);
    assert_int_equal(sofa_kv_upsert(f->c, "sw", 2, "b", 1, &o, kt_mut_cb, &b), 0);
    sofa_client_wait(f->c);
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 1);
    assert_int_equal(a.status, SOFA_OK);
    assert_int_equal(b.status, SOFA_OK);      /* 0xa2 retried until the first one committed */
    assert_true(dt_now_us() - t0 >= 390000u); /* two sync writes, one after the other */
    kt_res g;
    assert_int_equal(kt_get(f->c, "sw", &g), SOFA_OK);
    assert_string_equal(g.value, "b");
}

static void test_level_impossible(void **state)
{
    fx *f = *state;
    kt_res r;
    assert_int_equal(level_write(f, "imp", SOFA_DURABILITY_MAJORITY, 0, &r),
                     SOFA_E_DURABILITY_IMPOSSIBLE);
    assert_int_equal(level_write(f, "imp", SOFA_DURABILITY_PERSIST_TO_MAJORITY, 0, &r),
                     SOFA_E_DURABILITY_IMPOSSIBLE);
    /* not written */
    kt_res g;
    assert_int_equal(kt_get(f->c, "imp", &g), SOFA_E_NOT_FOUND);
    /* client-side: a replica the cluster cannot place is "too many" */
    sofa_kv_opts o = dopts(0, 1);
    assert_int_equal(sofa_kv_upsert(f->c, "imp", 3, "v", 1, &o, kt_mut_cb, &r),
                     SOFA_E_DURABILITY_TOO_MANY);
}

static void test_level_zero_replicas(void **state)
{
    fx *f = *state;
    delays(f, 100, 0);
    kt_res r;
    /* one copy: a majority of one is the active node itself */
    assert_int_equal(level_write(f, "z", SOFA_DURABILITY_MAJORITY, 0, &r), SOFA_OK);
    uint64_t t0 = dt_now_us();
    assert_int_equal(level_write(f, "z", SOFA_DURABILITY_PERSIST_TO_MAJORITY, 0, &r), SOFA_OK);
    assert_true(dt_now_us() - t0 >= 95000u);
    /* client-side with no replicas: persist_to 1 works, replicate_to 1 is too many */
    sofa_kv_opts o = dopts(SOFA_DURABILITY_ALL, SOFA_DURABILITY_ALL);
    assert_int_equal(dt_upsert(f->c, "z", "v", &o, &r), SOFA_OK);
    o = dopts(0, 1);
    assert_int_equal(dt_upsert(f->c, "z", "v", &o, &r), SOFA_E_DURABILITY_TOO_MANY);
}

/* A server that did not acknowledge SyncReplication: refused before sending (the
 * server would not understand the frame); client-side durability still works. */
static void test_level_without_sync_replication(void **state)
{
    fx *f = *state;
    kt_res r;
    assert_int_equal(level_write(f, "ns", SOFA_DURABILITY_MAJORITY, 0, &r),
                     SOFA_E_DURABILITY_IMPOSSIBLE);
    kt_res g;
    assert_int_equal(kt_get(f->c, "ns", &g), SOFA_E_NOT_FOUND); /* never sent */
    sofa_kv_opts o = dopts(2, 1);
    assert_int_equal(dt_upsert(f->c, "ns", "v", &o, &r), SOFA_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_remove_counter_with_endure, setup_3n2r,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_durable_write_errors, setup_3n2r, teardown),
        cmocka_unit_test_setup_teardown(test_durable_write_before_bootstrap, setup_3n2r, teardown),
        cmocka_unit_test_setup_teardown(test_destroy_during_durable_write, setup_3n2r, teardown),
        cmocka_unit_test_setup_teardown(test_levels_wait_for_the_server, setup_3n2r, teardown),
        cmocka_unit_test_setup_teardown(test_level_ambiguous, setup_3n2r, teardown),
        cmocka_unit_test_setup_teardown(test_level_sync_write_in_progress_is_retried, setup_3n2r,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_level_impossible, setup_1n1r, teardown),
        cmocka_unit_test_setup_teardown(test_level_zero_replicas, setup_1n0r, teardown),
        cmocka_unit_test_setup_teardown(test_level_without_sync_replication, setup_no_sync,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
