/* sofa_endure() against the mock with simulated replication and persistence delays:
 * success (token and CAS), "all", too many, timeout, CAS mismatch, check_removed, a node
 * down, failovers during an endure (mutation lost / survived), multi-key batching (the
 * mock counts OBSERVE requests per node), destroy while enduring. Every callback is
 * counted: exactly once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "durability/durtest.h"

typedef dt_fx fx;

static int setup_3n2r(void **state)
{
    const char *args[] = {"--nodes", "3", "--replicas", "2", NULL};
    return dt_fx_setup(state, args, "durability_timeout=1s");
}

static int setup_3n1r(void **state)
{
    const char *args[] = {"--nodes", "3", "--replicas", "1", NULL};
    return dt_fx_setup(state, args, "durability_timeout=1s");
}

#define teardown dt_fx_teardown

static void delays(fx *f, int persist_ms, int replicate_ms)
{
    assert_int_equal(dt_delays(&f->mock, persist_ms, replicate_ms), 200);
}

static sofa_endure_opts eopts(int persist_to, int replicate_to, unsigned timeout_ms)
{
    sofa_endure_opts o;
    memset(&o, 0, sizeof(o));
    o.persist_to = persist_to;
    o.replicate_to = replicate_to;
    o.timeout_us = (uint64_t)timeout_ms * 1000u;
    return o;
}

/* The mock's map before any rebalance: copy k of vBucket v is on node (v + k) mod n. */
static int copy_node(const fx *f, uint16_t vb, int k)
{
    return (vb + k) % f->nodes;
}

/* ------------------------------------------------------------ success */

static void test_success_token_and_cas(void **state)
{
    fx *f = *state;
    delays(f, 60, 40);
    kt_res w;
    dt_endure d;
    uint64_t t0 = dt_now_us();
    assert_int_equal(dt_upsert(f->c, "ok-token", "v", NULL, &w), SOFA_OK);
    assert_int_not_equal(w.token.vbuuid, 0);
    sofa_endure_opts o = eopts(3, 2, 3000);
    assert_int_equal(dt_endure1(f->c, "ok-token", w.cas, &w.token, &o, &d), SOFA_OK);
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.nitems, 1);
    assert_int_equal(d.items[0].status, SOFA_OK);
    assert_int_equal(d.items[0].npersisted, 3);
    assert_int_equal(d.items[0].nreplicated, 2);
    assert_int_equal(d.items[0].persisted_master, 1);
    /* replicas persist at write + replicate + persist delay */
    assert_true(d.done_us - t0 >= 95000u);

    /* without a token: OBSERVE with the CAS */
    t0 = dt_now_us();
    assert_int_equal(dt_upsert(f->c, "ok-cas", "v", NULL, &w), SOFA_OK);
    assert_int_equal(dt_endure1(f->c, "ok-cas", w.cas, NULL, &o, &d), SOFA_OK);
    assert_int_equal(d.items[0].npersisted, 3);
    assert_int_equal(d.items[0].nreplicated, 2);
    assert_true(d.items[0].cas == w.cas);
    assert_true(d.done_us - t0 >= 95000u);

    /* CAS 0: any version, the replicas must hold the master's */
    assert_int_equal(dt_endure1(f->c, "ok-cas", 0, NULL, &o, &d), SOFA_OK);
    assert_int_equal(d.items[0].nreplicated, 2);
    assert_true(d.items[0].cas == w.cas);

    /* negative = as many as the cluster can give (3 copies here) */
    assert_int_equal(dt_upsert(f->c, "ok-all", "v", NULL, &w), SOFA_OK);
    o = eopts(SOFA_DURABILITY_ALL, SOFA_DURABILITY_ALL, 3000);
    assert_int_equal(dt_endure1(f->c, "ok-all", 0, &w.token, &o, &d), SOFA_OK);
    assert_int_equal(d.items[0].npersisted, 3);
    assert_int_equal(d.items[0].nreplicated, 2);
}

static void test_too_many_is_immediate(void **state)
{
    fx *f = *state;
    kt_res w;
    dt_endure d;
    assert_int_equal(dt_upsert(f->c, "many", "v", NULL, &w), SOFA_OK);
    sofa_endure_opts o = eopts(4, 0, 1000);
    assert_int_equal(dt_endure1(f->c, "many", w.cas, NULL, &o, &d), SOFA_E_DURABILITY_TOO_MANY);
    o = eopts(0, 3, 1000);
    assert_int_equal(dt_endure1(f->c, "many", w.cas, NULL, &o, &d), SOFA_E_DURABILITY_TOO_MANY);
    sofa_client_tick(f->c);
    assert_int_equal(d.calls, 0);
    /* bad input */
    assert_int_equal(sofa_endure(f->c, NULL, 1, NULL, dt_endure_cb, &d), SOFA_E_INVALID_ARGUMENT);
    sofa_endure_key k = {"", 0, 0, {0, 0, 0}};
    assert_int_equal(sofa_endure(f->c, &k, 1, NULL, dt_endure_cb, &d), SOFA_E_EMPTY_KEY);
    assert_int_equal(sofa_endure(f->c, &k, 1, NULL, NULL, &d), SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(sofa_endure(f->c, &k, SOFA_ENDURE_MAX_KEYS + 1, NULL, dt_endure_cb, &d),
                     SOFA_E_INVALID_ARGUMENT);
    /* no configuration yet; memcached:// has no replicas to observe */
    sofa_endure_key one = {"many", 4, 0, {0, 0, 0}};
    sofa_client *fresh = kt_client(f->mock.connstr, "Administrator", "password", NULL);
    assert_non_null(fresh);
    assert_int_equal(sofa_endure(fresh, &one, 1, NULL, dt_endure_cb, &d), SOFA_E_NOT_CONNECTED);
    sofa_client_free(fresh);
    sofa_client *mc = kt_client("memcached://127.0.0.1:1", NULL, NULL, NULL);
    assert_non_null(mc);
    assert_int_equal(sofa_endure(mc, &one, 1, NULL, dt_endure_cb, &d), SOFA_E_NOT_SUPPORTED);
    sofa_kv_opts dur;
    memset(&dur, 0, sizeof(dur));
    dur.persist_to = 1;
    assert_int_equal(sofa_kv_upsert(mc, "k", 1, "v", 1, &dur, kt_mut_cb, &w), SOFA_E_NOT_SUPPORTED);
    sofa_client_free(mc);
    assert_int_equal(d.calls, 0);
    /* zero keys: one callback, no items */
    memset(&d, 0, sizeof(d));
    assert_int_equal(sofa_endure(f->c, NULL, 0, NULL, dt_endure_cb, &d), 0);
    assert_int_equal(d.calls, 0); /* never inside the submit */
    sofa_client_wait(f->c);
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.status, SOFA_OK);
    assert_int_equal(d.nitems, 0);
}

/* ------------------------------------------------------------ failures */

static void test_timeout(void **state)
{
    fx *f = *state;
    delays(f, 5000, 0);
    kt_res w;
    dt_endure d;
    assert_int_equal(dt_upsert(f->c, "slow", "v", NULL, &w), SOFA_OK);
    sofa_endure_opts o = eopts(1, 1, 300);
    uint64_t t0 = dt_now_us();
    assert_int_equal(dt_endure1(f->c, "slow", w.cas, &w.token, &o, &d), SOFA_E_DURABILITY_TIMEOUT);
    uint64_t took = d.done_us - t0;
    /* at the 300 ms deadline; the upper bound only has to stay below the 5 s persist delay
     * (a loaded machine may be late by a second or more) */
    assert_true(took >= 290000u && took < 4500000u);
    assert_int_equal(d.items[0].status, SOFA_E_DURABILITY_TIMEOUT);
    assert_int_equal(d.items[0].npersisted, 0);
    assert_int_equal(d.items[0].nreplicated, 2); /* replicated at once, never persisted */
    assert_int_equal(sofa_status_category(d.status), SOFA_CAT_TIMEOUT);
    /* the client's durability_timeout (1 s here) when the options give none */
    o = eopts(1, 0, 0);
    t0 = dt_now_us();
    assert_int_equal(dt_endure1(f->c, "slow", w.cas, NULL, &o, &d), SOFA_E_DURABILITY_TIMEOUT);
    assert_true(d.done_us - t0 >= 990000u);
}

static void test_cas_mismatch(void **state)
{
    fx *f = *state;
    delays(f, 2000, 0);
    kt_res w1, w2;
    dt_endure d;
    assert_int_equal(dt_upsert(f->c, "changed", "v1", NULL, &w1), SOFA_OK);
    assert_int_equal(dt_upsert(f->c, "changed", "v2", NULL, &w2), SOFA_OK);
    assert_true(w1.cas != w2.cas);
    sofa_endure_opts o = eopts(1, 0, 3000);
    uint64_t t0 = dt_now_us();
    assert_int_equal(dt_endure1(f->c, "changed", w1.cas, NULL, &o, &d),
                     SOFA_E_DURABILITY_CAS_MISMATCH);
    assert_true(d.done_us - t0 < 1000000u); /* reported at once, not at the timeout */
    assert_true(d.items[0].cas == w2.cas);
    /* the current CAS is fine */
    assert_int_equal(dt_endure1(f->c, "changed", w2.cas, NULL, &o, &d), SOFA_OK);
}

static void test_check_removed(void **state)
{
    fx *f = *state;
    delays(f, 50, 30);
    kt_res w, rm;
    dt_endure d;
    assert_int_equal(dt_upsert(f->c, "gone", "v", NULL, &w), SOFA_OK);
    memset(&rm, 0, sizeof(rm));
    assert_int_equal(sofa_kv_remove(f->c, "gone", 4, NULL, kt_mut_cb, &rm), 0);
    sofa_client_wait(f->c);
    assert_int_equal(rm.status, SOFA_OK);
    sofa_endure_opts o = eopts(3, 2, 3000);
    o.check_removed = 1;
    /* OBSERVE states (no token) */
    assert_int_equal(dt_endure1(f->c, "gone", 0, NULL, &o, &d), SOFA_OK);
    assert_int_equal(d.items[0].npersisted, 3);
    /* OBSERVE_SEQNO against the remove's token */
    assert_int_equal(dt_endure1(f->c, "gone", 0, &rm.token, &o, &d), SOFA_OK);
    /* a key that is still there never counts as removed */
    assert_int_equal(dt_upsert(f->c, "here", "v", NULL, &w), SOFA_OK);
    o = eopts(1, 0, 300);
    o.check_removed = 1;
    assert_int_equal(dt_endure1(f->c, "here", 0, NULL, &o, &d), SOFA_E_DURABILITY_TIMEOUT);
}

static void test_node_down(void **state)
{
    fx *f = *state;
    delays(f, 30, 20);
    kt_res w;
    dt_endure d;
    assert_int_equal(dt_upsert(f->c, "down", "v", NULL, &w), SOFA_OK);
    char p[64];
    snprintf(p, sizeof(p), "/mock/stop?node=%d", copy_node(f, w.token.vbid, 2));
    assert_int_equal(dt_ctl(&f->mock, p), 200);
    /* master + replica 1 are enough */
    sofa_endure_opts o = eopts(2, 1, 3000);
    assert_int_equal(dt_endure1(f->c, "down", w.cas, &w.token, &o, &d), SOFA_OK);
    o = eopts(1, 1, 3000);
    assert_int_equal(dt_endure1(f->c, "down", w.cas, NULL, &o, &d), SOFA_OK);
    /* both replicas cannot be reached */
    o = eopts(0, 2, 400);
    assert_int_equal(dt_endure1(f->c, "down", w.cas, &w.token, &o, &d), SOFA_E_DURABILITY_TIMEOUT);
    assert_int_equal(d.items[0].nreplicated, 1);
    o = eopts(3, 0, 400);
    assert_int_equal(dt_endure1(f->c, "down", w.cas, NULL, &o, &d), SOFA_E_DURABILITY_TIMEOUT);
    assert_int_equal(d.items[0].npersisted, 2);
}

/* Run the loop for about @p ms (the endure polls meanwhile). */
static void spin(sofa_client *c, unsigned ms)
{
    uint64_t end = dt_now_us() + (uint64_t)ms * 1000u;
    while (dt_now_us() < end) {
        sofa_client_tick(c);
        dt_sleep_ms(10);
    }
}

static void test_failover_loses_mutation(void **state)
{
    fx *f = *state;
    delays(f, 0, 5000); /* never replicated before the failover */
    kt_res w;
    dt_endure d;
    memset(&d, 0, sizeof(d));
    assert_int_equal(dt_upsert(f->c, "lost", "v", NULL, &w), SOFA_OK);
    sofa_endure_key k = {"lost", 4, w.cas, w.token};
    sofa_endure_opts o = eopts(1, 1, 4000);
    assert_int_equal(sofa_endure(f->c, &k, 1, &o, dt_endure_cb, &d), 0);
    spin(f->c, 150);
    assert_int_equal(d.calls, 0);
    char p[64];
    snprintf(p, sizeof(p), "/mock/failover?node=%d", copy_node(f, w.token.vbid, 0));
    uint64_t t0 = dt_now_us();
    assert_int_equal(dt_ctl(&f->mock, p), 200);
    sofa_client_wait(f->c);
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.status, SOFA_E_MUTATION_LOST);
    assert_int_equal(d.items[0].status, SOFA_E_MUTATION_LOST);
    assert_true(d.done_us - t0 < 2000000u); /* well before the 4 s timeout */
    assert_true(sofa_status_flags(SOFA_E_MUTATION_LOST) & SOFA_F_AMBIGUOUS);
}

static void test_failover_mutation_survives(void **state)
{
    fx *f = *state;
    delays(f, 800, 0); /* replicated at once, on disk after 0.8 s */
    kt_res w;
    dt_endure d;
    memset(&d, 0, sizeof(d));
    uint64_t t0 = dt_now_us();
    assert_int_equal(dt_upsert(f->c, "kept", "v", NULL, &w), SOFA_OK);
    sofa_endure_key k = {"kept", 4, w.cas, w.token};
    sofa_endure_opts o = eopts(1, 0, 4000);
    assert_int_equal(sofa_endure(f->c, &k, 1, &o, dt_endure_cb, &d), 0);
    spin(f->c, 100);
    char p[64];
    snprintf(p, sizeof(p), "/mock/failover?node=%d", copy_node(f, w.token.vbid, 0));
    assert_int_equal(dt_ctl(&f->mock, p), 200);
    sofa_client_wait(f->c);
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.status, SOFA_OK); /* the promoted replica had it and persisted it */
    assert_true(d.done_us - t0 >= 750000u);
}

/* vBuckets move while enduring (NOT_MY_VBUCKET to the old owners, then the new map). */
static void test_rebalance_during_endure(void **state)
{
    fx *f = *state;
    delays(f, 600, 100);
    kt_res w[2];
    dt_endure d;
    memset(&d, 0, sizeof(d));
    assert_int_equal(dt_upsert(f->c, "moved-t", "v", NULL, &w[0]), SOFA_OK);
    assert_int_equal(dt_upsert(f->c, "moved-c", "v", NULL, &w[1]), SOFA_OK);
    sofa_endure_key k[2] = {{"moved-t", 7, w[0].cas, w[0].token},
                            {"moved-c", 7, w[1].cas, {0, 0, 0}}};
    sofa_endure_opts o = eopts(2, 1, 5000);
    assert_int_equal(sofa_endure(f->c, k, 2, &o, dt_endure_cb, &d), 0);
    spin(f->c, 100);
    assert_int_equal(dt_ctl(&f->mock, "/mock/rebalance"), 200);
    sofa_client_wait(f->c);
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.status, SOFA_OK);
    assert_int_equal(d.items[0].status, SOFA_OK);
    assert_int_equal(d.items[1].status, SOFA_OK);
}

/* A node holding a needed copy restarts while enduring: the check resumes after it. */
static void test_node_restart_during_endure(void **state)
{
    fx *f = *state;
    delays(f, 50, 20);
    kt_res w;
    dt_endure d;
    memset(&d, 0, sizeof(d));
    assert_int_equal(dt_upsert(f->c, "restart", "v", NULL, &w), SOFA_OK);
    char p[80];
    snprintf(p, sizeof(p), "/mock/stop?node=%d&for_ms=400", copy_node(f, w.token.vbid, 1));
    assert_int_equal(dt_ctl(&f->mock, p), 200);
    sofa_endure_key k = {"restart", 7, w.cas, w.token};
    sofa_endure_opts o = eopts(2, 1, 5000);
    uint64_t t0 = dt_now_us();
    assert_int_equal(sofa_endure(f->c, &k, 1, &o, dt_endure_cb, &d), 0);
    sofa_client_wait(f->c);
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.status, SOFA_OK);
    assert_true(d.done_us - t0 >= 300000u); /* only once the replica was back */
}

static void test_destroy_cancels(void **state)
{
    fx *f = *state;
    delays(f, 5000, 5000);
    kt_res w;
    dt_endure d;
    memset(&d, 0, sizeof(d));
    assert_int_equal(dt_upsert(f->c, "cancel", "v", NULL, &w), SOFA_OK);
    sofa_endure_key k = {"cancel", 6, w.cas, w.token};
    sofa_endure_opts o = eopts(2, 1, 4000);
    assert_int_equal(sofa_endure(f->c, &k, 1, &o, dt_endure_cb, &d), 0);
    spin(f->c, 60);
    assert_int_equal(d.calls, 0);
    sofa_client_free(f->c);
    f->c = NULL;
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.status, SOFA_E_CANCELED);
    assert_int_equal(d.items[0].status, SOFA_E_CANCELED);
}

/* ------------------------------------------------------------ batching */

enum { NMULTI = 200 };

static void sum_counts(fx *f, int seqno, long long *per_node)
{
    long long v[SOFA_TEST_MOCK_MAX_NODES];
    int n = dt_observe_counts(&f->mock, seqno, v, SOFA_TEST_MOCK_MAX_NODES);
    assert_int_equal(n, f->nodes);
    for (int i = 0; i < n; i++)
        per_node[i] = v[i];
}

static void multi(fx *f, int use_tokens, int *nrounds_bound, long long *delta, int *ndistinct_vb)
{
    static sofa_endure_key keys[NMULTI];
    static char names[NMULTI][16];
    static dt_endure d;
    static kt_res w[NMULTI];
    uint8_t seen[1024] = {0};
    *ndistinct_vb = 0;
    for (int i = 0; i < NMULTI; i++) {
        snprintf(names[i], sizeof(names[i]), "mk%c%d", use_tokens ? 't' : 'c', i);
        assert_int_equal(dt_upsert(f->c, names[i], "v", NULL, &w[i]), SOFA_OK);
        keys[i].key = names[i];
        keys[i].nkey = strlen(names[i]);
        keys[i].cas = w[i].cas;
        memset(&keys[i].token, 0, sizeof(keys[i].token));
        if (use_tokens)
            keys[i].token = w[i].token;
        if (!seen[w[i].token.vbid % 1024]) {
            seen[w[i].token.vbid % 1024] = 1;
            (*ndistinct_vb)++;
        }
    }
    long long before[SOFA_TEST_MOCK_MAX_NODES], after[SOFA_TEST_MOCK_MAX_NODES];
    sum_counts(f, use_tokens, before);
    memset(&d, 0, sizeof(d));
    sofa_endure_opts o = eopts(2, 1, 3000);
    o.interval_us = 20000;
    uint64_t t0 = dt_now_us();
    assert_int_equal(sofa_endure(f->c, keys, NMULTI, &o, dt_endure_cb, &d), 0);
    sofa_client_wait(f->c);
    uint64_t took = dt_now_us() - t0;
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.status, SOFA_OK);
    assert_int_equal(d.nitems, NMULTI);
    for (int i = 0; i < NMULTI; i++) {
        assert_int_equal(d.items[i].status, SOFA_OK);
        assert_true(d.items[i].npersisted >= 2);
    }
    sum_counts(f, use_tokens, after);
    for (int i = 0; i < f->nodes; i++)
        delta[i] = after[i] - before[i];
    *nrounds_bound = (int)(took / 20000u) + 2;
}

static void test_multi_key_one_observe_per_node(void **state)
{
    fx *f = *state;
    delays(f, 0, 0);
    long long delta[SOFA_TEST_MOCK_MAX_NODES];
    int rounds, nvb;
    /* everything is there at once: one round, exactly one OBSERVE per node for 200 keys */
    multi(f, 0, &rounds, delta, &nvb);
    for (int i = 0; i < f->nodes; i++)
        assert_int_equal(delta[i], 1);
    /* with delays: several rounds, still at most one OBSERVE per node per round */
    delays(f, 300, 100);
    multi(f, 0, &rounds, delta, &nvb);
    long long total = 0;
    for (int i = 0; i < f->nodes; i++) {
        assert_true(delta[i] >= 2);      /* it did poll more than once... */
        assert_true(delta[i] <= rounds); /* ...but never more than once per round */
        total += delta[i];
    }
    assert_true(total < NMULTI);
}

static void test_multi_key_seqno_per_vbucket(void **state)
{
    fx *f = *state;
    delays(f, 0, 0);
    long long delta[SOFA_TEST_MOCK_MAX_NODES];
    int rounds, nvb;
    multi(f, 1, &rounds, delta, &nvb);
    /* one round: one OBSERVE_SEQNO per vBucket and copy (2 copies), not per key */
    long long total = 0;
    for (int i = 0; i < f->nodes; i++)
        total += delta[i];
    assert_int_equal(total, 2 * nvb);
    assert_true(nvb < NMULTI);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_success_token_and_cas, setup_3n2r, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_is_immediate, setup_3n2r, teardown),
        cmocka_unit_test_setup_teardown(test_timeout, setup_3n2r, teardown),
        cmocka_unit_test_setup_teardown(test_cas_mismatch, setup_3n2r, teardown),
        cmocka_unit_test_setup_teardown(test_check_removed, setup_3n2r, teardown),
        cmocka_unit_test_setup_teardown(test_node_down, setup_3n2r, teardown),
        cmocka_unit_test_setup_teardown(test_failover_loses_mutation, setup_3n1r, teardown),
        cmocka_unit_test_setup_teardown(test_failover_mutation_survives, setup_3n1r, teardown),
        cmocka_unit_test_setup_teardown(test_rebalance_during_endure, setup_3n1r, teardown),
        cmocka_unit_test_setup_teardown(test_node_restart_during_endure, setup_3n1r, teardown),
        cmocka_unit_test_setup_teardown(test_destroy_cancels, setup_3n2r, teardown),
        cmocka_unit_test_setup_teardown(test_multi_key_one_observe_per_node, setup_3n1r, teardown),
        cmocka_unit_test_setup_teardown(test_multi_key_seqno_per_vbucket, setup_3n1r, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
