/* Durable writes under faults: server-side durability levels and client-side
 * persist_to/replicate_to (observe polling) and sofa_endure(), 600 of them in flight on a
 * 3-node mock with replication/persistence delays, while a node fails over, connections
 * drop, or a replica node hangs. Every callback exactly once, with a status from the
 * expected set; afterwards durable writes succeed again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "faults/faultkit.h"

enum { NOPS = 600 };

static sofa_test_mock mock;

typedef struct dop {
    int calls;
    int status;
    int kind; /* 0 level, 1 persist/replicate, 2 endure */
} dop;

static dop ops[NOPS];
static int ncompleted, nunexpected;
static const char *fault_path;
static int fault_at;
static int fault_done;

static int expected(int kind, sofa_status st)
{
    if (st == SOFA_OK)
        return 1;
    switch (sofa_status_category(st)) {
    case SOFA_CAT_NETWORK:
        return st != SOFA_E_BOOTSTRAP_FAILED && st != SOFA_E_NO_CONFIG;
    case SOFA_CAT_TIMEOUT:
        return st == SOFA_E_TIMEOUT || st == SOFA_E_TIMEOUT_AMBIGUOUS ||
               st == SOFA_E_DURABILITY_TIMEOUT;
    case SOFA_CAT_DURABILITY:
        /* a level write: impossible (too few copies) or ambiguous; client-side: lost */
        return kind == 0 ? (st == SOFA_E_DURABILITY_IMPOSSIBLE || st == SOFA_E_SYNC_WRITE_AMBIGUOUS)
                         : (st == SOFA_E_MUTATION_LOST || st == SOFA_E_DURABILITY_CAS_MISMATCH);
    default:
        return 0;
    }
}

static void done(dop *d, sofa_status st)
{
    d->calls++;
    d->status = st;
    if (d->calls == 1) {
        ncompleted++;
        if (!expected(d->kind, st)) {
            if (nunexpected < 8)
                fprintf(stderr, "kind %d: unexpected %s\n", d->kind, sofa_status_name(st));
            nunexpected++;
        }
    }
    if (fault_path && !fault_done && ncompleted >= fault_at) {
        fault_done = 1;
        char out[256];
        int hs = sofa_test_mock_ctl(&mock, "POST", fault_path, NULL, out, sizeof(out));
        if (hs != 200)
            fprintf(stderr, "ctl %s: %d %s\n", fault_path, hs, out);
        fk_sleep_ms(5); /* deferred stop/drop */
    }
}

static void on_mut(sofa_client *c, sofa_status st, const sofa_mutation_result *r, void *ck)
{
    (void)c;
    (void)r;
    done(ck, st);
}

static void on_endure(sofa_client *c, sofa_status st, const sofa_endure_item *items, size_t n,
                      void *ck)
{
    (void)c;
    dop *d = ck;
    if (n != 1 || !items)
        nunexpected++;
    else if (items[0].status != st && st == SOFA_OK)
        nunexpected++; /* the overall status is OK only when the item is */
    done(d, st);
}

static int prewrites;

static void on_prewrite(sofa_client *c, sofa_status st, const sofa_mutation_result *r, void *ck)
{
    (void)c;
    (void)r;
    (void)ck;
    prewrites += st == SOFA_OK;
}

/* Schedule the mixed durable writes; returns how many were scheduled. The keys that
 * sofa_endure() watches are written (plainly) first. */
static int schedule_all(sofa_client *c, unsigned seed)
{
    int n = 0;
    prewrites = 0;
    for (int i = 2; i < NOPS; i += 3) {
        char key[32];
        int nk = snprintf(key, sizeof(key), "dur%u-%d", seed, i);
        assert_int_equal(sofa_kv_upsert(c, key, (size_t)nk, "{}", 2, NULL, on_prewrite, NULL), 0);
    }
    assert_int_equal(sofa_client_wait(c), 0);
    for (int i = 0; i < NOPS; i++) {
        char key[32], val[32];
        int nk = snprintf(key, sizeof(key), "dur%u-%d", seed, i);
        int nv = snprintf(val, sizeof(val), "{\"i\":%d}", i);
        dop *d = &ops[i];
        memset(d, 0, sizeof(*d));
        d->kind = i % 3;
        sofa_kv_opts o;
        memset(&o, 0, sizeof(o));
        int rc;
        if (d->kind == 0) {
            o.durability_level = (uint8_t)(1 + i % 3);
            rc = sofa_kv_upsert(c, key, (size_t)nk, val, (size_t)nv, &o, on_mut, d);
        } else if (d->kind == 1) {
            o.persist_to = 1;
            o.replicate_to = 1;
            rc = sofa_kv_upsert(c, key, (size_t)nk, val, (size_t)nv, &o, on_mut, d);
        } else {
            sofa_endure_key k;
            memset(&k, 0, sizeof(k));
            k.key = key;
            k.nkey = (size_t)nk;
            sofa_endure_opts eo;
            memset(&eo, 0, sizeof(eo));
            eo.persist_to = 1;
            eo.replicate_to = 1;
            rc = sofa_endure(c, &k, 1, &eo, on_endure, d);
        }
        if (rc != 0) {
            fprintf(stderr, "submit %d: %s\n", i, sofa_status_name(rc));
            nunexpected++;
            d->calls = 1;
            ncompleted++;
        }
        n++;
    }
    return n;
}

static void run(const char *name, const char *path, int at, const char *heal)
{
    assert_int_equal(sofa_test_mock_ctl(&mock, "POST", "/mock/reset", NULL, NULL, 0), 200);
    assert_int_equal(
        sofa_test_mock_ctl(&mock, "POST", "/mock/delays?persist_ms=20&replicate_ms=10", NULL, NULL, 0),
        200);
    sofa_client *c = fk_client(&mock, "operation_timeout=1s&durability_timeout=1500ms", NULL);
    assert_non_null(c);
    assert_int_equal(fk_connect_wait(c), SOFA_OK);
    ncompleted = nunexpected = 0;
    fault_path = path;
    fault_at = at;
    fault_done = 0;
    int n = schedule_all(c, 1);
    assert_int_equal(sofa_client_wait(c), 0);
    int ok = 0;
    for (int i = 0; i < n; i++) {
        assert_int_equal(ops[i].calls, 1);
        ok += ops[i].status == SOFA_OK;
    }
    fprintf(stderr, "[%s] %d of %d durable operations OK\n", name, ok, n);
    assert_int_equal(nunexpected, 0);
    assert_true(fault_done);
    fault_path = NULL;
    if (heal)
        assert_int_equal(sofa_test_mock_ctl(&mock, "POST", heal, NULL, NULL, 0), 200);
    assert_int_equal(sofa_test_mock_ctl(&mock, "POST", "/mock/reset", NULL, NULL, 0), 200);
    /* recovered: a round where everything succeeds */
    int64_t end = fk_now_ms() + 8000;
    int clean = 0;
    for (unsigned round = 2; !clean && fk_now_ms() < end; round++) {
        ncompleted = nunexpected = 0;
        n = schedule_all(c, round);
        assert_int_equal(sofa_client_wait(c), 0);
        clean = nunexpected == 0;
        for (int i = 0; i < n; i++) {
            assert_int_equal(ops[i].calls, 1);
            if (ops[i].status != SOFA_OK)
                clean = 0;
        }
        if (!clean)
            fk_sleep_ms(100);
    }
    assert_true(clean);
    sofa_client_free(c);
}

static void test_failover(void **state)
{
    (void)state;
    run("failover", "/mock/failover?node=1", 100, "/mock/rebalance?nodes=0,1,2");
}

static void test_drop(void **state)
{
    (void)state;
    run("drop", "/mock/drop", 100, NULL);
}

static void test_replica_node_hangs(void **state)
{
    (void)state;
    run("hang", "/mock/hang?on=1&node=2", 50, NULL);
}

static void test_node_stopped(void **state)
{
    (void)state;
    run("stop", "/mock/stop?node=1&for_ms=500", 100, NULL);
}

static int setup(void **state)
{
    (void)state;
    const char *args[] = {"--nodes", "3", "--replicas", "1", NULL};
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
        cmocka_unit_test(test_failover),
        cmocka_unit_test(test_drop),
        cmocka_unit_test(test_replica_node_hangs),
        cmocka_unit_test(test_node_stopped),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
