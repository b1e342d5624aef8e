/* Every KV operation against the mock cluster (3 nodes, 1 replica), sync (wait). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "kv/kvtest.h"
#include "support/mockproc.h"

static sofa_test_mock mock;
static sofa_client *cli;

static int setup(void **state)
{
    (void)state;
    const char *args[] = {"--nodes", "3", "--replicas", "1", NULL};
    if (sofa_test_mock_start(&mock, args) != 0)
        return -1;
    cli = kt_client(mock.connstr, "Administrator", "password", NULL);
    if (!cli || kt_connect(cli) != SOFA_OK)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sofa_client_free(cli);
    sofa_test_mock_stop(&mock);
    return 0;
}

static void test_upsert_get_and_token(void **state)
{
    (void)state;
    kt_res w = {0};
    sofa_kv_opts o = {0};
    o.flags = 42;
    o.datatype = SOFA_DATATYPE_JSON;
    assert_int_equal(sofa_kv_upsert(cli, "doc", 3, "{\"a\":1}", 7, &o, kt_mut_cb, &w), 0);
    assert_int_equal(sofa_client_wait(cli), 0);
    assert_int_equal(w.calls, 1);
    assert_int_equal(w.status, SOFA_OK);
    assert_true(w.cas != 0);
    assert_true(w.token.vbuuid != 0 || w.token.seqno != 0);
    kt_res r;
    assert_int_equal(kt_get(cli, "doc", &r), SOFA_OK);
    assert_string_equal(r.value, "{\"a\":1}");
    assert_int_equal(r.flags, 42);
    assert_int_equal(r.cas, w.cas);
    assert_int_equal(kt_get(cli, "no-such-doc", &r), SOFA_E_NOT_FOUND);
}

static void test_store_modes_and_cas(void **state)
{
    (void)state;
    kt_res a = {0}, b = {0}, c = {0}, d = {0}, e = {0};
    sofa_kv_store(cli, SOFA_STORE_INSERT, "m1", 2, "x", 1, NULL, kt_mut_cb, &a);
    sofa_client_wait(cli);
    assert_int_equal(a.status, SOFA_OK);
    sofa_kv_store(cli, SOFA_STORE_INSERT, "m1", 2, "y", 1, NULL, kt_mut_cb, &b);
    sofa_kv_store(cli, SOFA_STORE_REPLACE, "m-missing", 9, "y", 1, NULL, kt_mut_cb, &c);
    sofa_kv_store(cli, SOFA_STORE_APPEND, "m1", 2, "]", 1, NULL, kt_mut_cb, &d);
    sofa_kv_store(cli, SOFA_STORE_PREPEND, "m1", 2, "[", 1, NULL, kt_mut_cb, &e);
    sofa_client_wait(cli);
    assert_int_equal(b.status, SOFA_E_EXISTS);
    assert_int_equal(c.status, SOFA_E_NOT_FOUND);
    assert_int_equal(d.status, SOFA_OK);
    assert_int_equal(e.status, SOFA_OK);
    kt_res r;
    assert_int_equal(kt_get(cli, "m1", &r), SOFA_OK);
    assert_string_equal(r.value, "[x]");
    sofa_kv_opts o = {0};
    o.cas = r.cas ^ 0x5555;
    kt_res f = {0};
    sofa_kv_store(cli, SOFA_STORE_REPLACE, "m1", 2, "z", 1, &o, kt_mut_cb, &f);
    sofa_client_wait(cli);
    assert_int_equal(f.status, SOFA_E_CAS_MISMATCH);
    o.cas = r.cas;
    memset(&f, 0, sizeof(f));
    sofa_kv_remove(cli, "m1", 2, &o, kt_mut_cb, &f);
    sofa_client_wait(cli);
    assert_int_equal(f.status, SOFA_OK);
    assert_int_equal(kt_get(cli, "m1", &r), SOFA_E_NOT_FOUND);
}

static void test_counter_touch_gat_exists(void **state)
{
    (void)state;
    kt_res w = {0};
    sofa_kv_counter(cli, "c1", 2, 10, 7, 1, NULL, kt_mut_cb, &w);
    sofa_client_wait(cli);
    assert_int_equal(w.status, SOFA_OK);
    assert_int_equal(w.counter, 7);
    memset(&w, 0, sizeof(w));
    sofa_kv_counter(cli, "c1", 2, 10, 7, 1, NULL, kt_mut_cb, &w);
    sofa_client_wait(cli);
    assert_int_equal(w.counter, 17);
    memset(&w, 0, sizeof(w));
    sofa_kv_counter(cli, "c1", 2, -20, 0, 1, NULL, kt_mut_cb, &w);
    sofa_client_wait(cli);
    assert_int_equal(w.counter, 0);
    memset(&w, 0, sizeof(w));
    sofa_kv_counter(cli, "c-missing", 9, 1, 0, 0, NULL, kt_mut_cb, &w);
    sofa_client_wait(cli);
    assert_int_equal(w.status, SOFA_E_NOT_FOUND);

    assert_int_equal(kt_upsert(cli, "t1", "v"), SOFA_OK);
    memset(&w, 0, sizeof(w));
    sofa_kv_touch(cli, "t1", 2, 10, NULL, kt_mut_cb, &w);
    sofa_client_wait(cli);
    assert_int_equal(w.status, SOFA_OK);
    kt_res r = {0};
    sofa_kv_get_and_touch(cli, "t1", 2, 10, NULL, kt_get_cb, &r);
    sofa_client_wait(cli);
    assert_int_equal(r.status, SOFA_OK);
    assert_string_equal(r.value, "v");
    /* the mock's clock moves 11 s: the document expires */
    assert_int_equal(sofa_test_mock_ctl(&mock, "POST", "/mock/clock?advance=11", NULL, NULL, 0), 200);
    assert_int_equal(kt_get(cli, "t1", &r), SOFA_E_NOT_FOUND);

    kt_res e = {0};
    sofa_kv_exists(cli, "c1", 2, NULL, kt_exists_cb, &e);
    sofa_client_wait(cli);
    assert_int_equal(e.status, SOFA_OK);
    assert_int_equal(e.exists, 1);
    memset(&e, 0, sizeof(e));
    sofa_kv_exists(cli, "t1", 2, NULL, kt_exists_cb, &e);
    sofa_client_wait(cli);
    assert_int_equal(e.status, SOFA_OK);
    assert_int_equal(e.exists, 0);
}

static void test_lock_unlock(void **state)
{
    (void)state;
    assert_int_equal(kt_upsert(cli, "lk", "v"), SOFA_OK);
    kt_res r = {0};
    sofa_kv_get_and_lock(cli, "lk", 2, 10, NULL, kt_get_cb, &r);
    sofa_client_wait(cli);
    assert_int_equal(r.status, SOFA_OK);
    uint64_t lock_cas = r.cas;
    kt_res r2 = {0};
    sofa_kv_get_and_lock(cli, "lk", 2, 10, NULL, kt_get_cb, &r2);
    sofa_client_wait(cli);
    assert_int_equal(r2.status, SOFA_E_LOCKED);
    kt_res u = {0};
    sofa_kv_unlock(cli, "lk", 2, lock_cas + 1, NULL, kt_mut_cb, &u);
    sofa_client_wait(cli);
    assert_true(u.status == SOFA_E_LOCKED || u.status == SOFA_E_CAS_MISMATCH);
    memset(&u, 0, sizeof(u));
    sofa_kv_unlock(cli, "lk", 2, lock_cas, NULL, kt_mut_cb, &u);
    sofa_client_wait(cli);
    assert_int_equal(u.status, SOFA_OK);
    memset(&u, 0, sizeof(u));
    sofa_kv_unlock(cli, "lk", 2, lock_cas, NULL, kt_mut_cb, &u);
    sofa_client_wait(cli);
    assert_int_equal(u.status, SOFA_E_NOT_LOCKED);
    assert_int_equal(kt_upsert(cli, "lk", "w"), SOFA_OK);
}

static void replicas_cb(sofa_client *c, sofa_status st, const sofa_replica_item *items, size_t n,
                        void *ck)
{
    kt_res *k = ck;
    (void)c;
    k->calls++;
    k->status = st;
    k->nitems = n;
    for (size_t i = 0; i < n; i++) {
        if (items[i].status == SOFA_OK && items[i].result.nvalue < 100) {
            memcpy(k->value, items[i].result.value, items[i].result.nvalue);
            k->value[items[i].result.nvalue] = '\0';
        }
        if (i > 0 && items[i].status == SOFA_OK && !items[i].result.is_replica)
            k->status = -12345;
    }
}

static void test_replicas(void **state)
{
    (void)state;
    assert_int_equal(kt_upsert(cli, "rep", "copy"), SOFA_OK);
    kt_res r = {0};
    /* the mock replicates at once by default */
    sofa_kv_get_replica(cli, "rep", 3, SOFA_REPLICA_INDEX, 1, NULL, kt_get_cb, &r);
    sofa_client_wait(cli);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, SOFA_OK);
    assert_string_equal(r.value, "copy");
    assert_int_equal(r.is_replica, 1);
    memset(&r, 0, sizeof(r));
    sofa_kv_get_replica(cli, "rep", 3, SOFA_REPLICA_ANY, 0, NULL, kt_get_cb, &r);
    sofa_client_wait(cli);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, SOFA_OK);
    memset(&r, 0, sizeof(r));
    sofa_kv_get_replica(cli, "rep", 3, SOFA_REPLICA_INDEX, 2, NULL, kt_get_cb, &r);
    sofa_client_wait(cli);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, SOFA_E_NO_NODE); /* only one replica configured */
    kt_res all = {0};
    sofa_kv_get_all_replicas(cli, "rep", 3, NULL, replicas_cb, &all);
    sofa_client_wait(cli);
    assert_int_equal(all.calls, 1);
    assert_int_equal(all.status, SOFA_OK);
    assert_int_equal(all.nitems, 2);
    assert_string_equal(all.value, "copy");
}

static void observe_cb(sofa_client *c, sofa_status st, const sofa_observe_entry *e, size_t n,
                       void *ck)
{
    kt_res *k = ck;
    (void)c;
    k->calls++;
    k->status = st;
    k->nitems = n;
    k->exists = n ? e[0].state : -1;
    k->cas = n ? e[0].cas : 0;
    k->flags = n > 1 ? (uint32_t)e[1].is_master : 99;
}

static void oseq_cb(sofa_client *c, sofa_status st, const sofa_observe_seqno_result *r, void *ck)
{
    kt_res *k = ck;
    (void)c;
    k->calls++;
    k->status = st;
    k->counter = r->current_seqno;
    k->cas = r->vbuuid;
}

static void test_observe(void **state)
{
    (void)state;
    kt_res w = {0};
    sofa_kv_upsert(cli, "obs", 3, "v", 1, NULL, kt_mut_cb, &w);
    sofa_client_wait(cli);
    assert_int_equal(w.status, SOFA_OK);
    kt_res o = {0};
    sofa_kv_observe(cli, "obs", 3, 0, NULL, observe_cb, &o);
    sofa_client_wait(cli);
    assert_int_equal(o.calls, 1);
    assert_int_equal(o.status, SOFA_OK);
    assert_int_equal(o.nitems, 2);
    assert_int_equal(o.cas, w.cas);
    assert_int_equal(o.flags, 0); /* entry 1 is a replica */
    kt_res s = {0};
    sofa_kv_observe_seqno(cli, w.token.vbid, w.token.vbuuid, 0, NULL, oseq_cb, &s);
    sofa_client_wait(cli);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.status, SOFA_OK);
    assert_true(s.counter >= w.token.seqno);
    assert_int_equal(s.cas, w.token.vbuuid);
}

static void ping_cb(sofa_client *c, sofa_status st, const sofa_ping_entry *e, size_t n, void *ck)
{
    kt_res *k = ck;
    (void)c;
    (void)e;
    k->calls++;
    k->status = st;
    k->nitems = n;
}

static void stats_cb(sofa_client *c, sofa_status st, const sofa_stat_entry *e, size_t n, void *ck)
{
    kt_res *k = ck;
    (void)c;
    k->calls++;
    k->status = st;
    k->nitems = n;
    k->exists = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(e[i].key, "pid") == 0 || strcmp(e[i].key, "curr_items") == 0)
            k->exists = 1;
}

static void test_ping_stats(void **state)
{
    (void)state;
    kt_res p = {0};
    assert_int_equal(sofa_kv_ping(cli, NULL, ping_cb, &p), 0);
    sofa_client_wait(cli);
    assert_int_equal(p.calls, 1);
    assert_int_equal(p.status, SOFA_OK);
    assert_int_equal(p.nitems, 3);
    kt_res s = {0};
    assert_int_equal(sofa_kv_stats(cli, NULL, NULL, stats_cb, &s), 0);
    sofa_client_wait(cli);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.status, SOFA_OK);
    assert_true(s.nitems >= 3);
}

static void multi_cb(sofa_client *c, sofa_status st, const sofa_multi_item *it, size_t n,
                     void *ck)
{
    kt_res *k = ck;
    (void)c;
    k->calls++;
    k->status = st;
    k->nitems = n;
    k->exists = 0;
    for (size_t i = 0; i < n; i++) {
        char want[32];
        snprintf(want, sizeof(want), "mk%zu", i);
        if (it[i].status == SOFA_OK && it[i].result.nvalue == strlen(want) &&
            memcmp(it[i].result.value, want, it[i].result.nvalue) == 0 &&
            it[i].result.nkey == strlen(want))
            k->exists++;
    }
}

static void test_get_multi(void **state)
{
    (void)state;
    enum { N = 1000 };
    static char names[N][16];
    static sofa_key keys[N + 1];
    kt_res w[N];
    memset(w, 0, sizeof(w));
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof(names[i]), "mk%d", i);
        keys[i].key = names[i];
        keys[i].nkey = strlen(names[i]);
        sofa_kv_upsert(cli, names[i], keys[i].nkey, names[i], keys[i].nkey, NULL, kt_mut_cb, &w[i]);
    }
    sofa_client_wait(cli);
    for (int i = 0; i < N; i++)
        assert_int_equal(w[i].calls, 1);
    kt_res m = {0};
    assert_int_equal(sofa_kv_get_multi(cli, keys, N, 0, NULL, multi_cb, &m), 0);
    sofa_client_wait(cli);
    assert_int_equal(m.calls, 1);
    assert_int_equal(m.status, SOFA_OK);
    assert_int_equal(m.exists, N);
    keys[N].key = "mk-missing";
    keys[N].nkey = 10;
    memset(&m, 0, sizeof(m));
    sofa_kv_get_multi(cli, keys, N + 1, 0, NULL, multi_cb, &m);
    sofa_client_wait(cli);
    assert_int_equal(m.status, SOFA_E_NOT_FOUND);
    memset(&m, 0, sizeof(m));
    sofa_kv_get_multi(cli, keys, N + 1, SOFA_MULTI_QUIET, NULL, multi_cb, &m);
    sofa_client_wait(cli);
    assert_int_equal(m.status, SOFA_OK);
    assert_int_equal(m.exists, N);
    memset(&m, 0, sizeof(m));
    assert_int_equal(sofa_kv_get_multi(cli, keys, 0, 0, NULL, multi_cb, &m), 0);
    sofa_client_wait(cli);
    assert_int_equal(m.calls, 1);
    assert_int_equal(m.nitems, 0);
    sofa_key bad = {"", 0};
    assert_int_equal(sofa_kv_get_multi(cli, &bad, 1, 0, NULL, multi_cb, &m), SOFA_E_EMPTY_KEY);
}

static void test_durability_level(void **state)
{
    (void)state;
    sofa_kv_opts o = {0};
    o.durability_level = SOFA_DURABILITY_MAJORITY;
    kt_res w = {0};
    assert_int_equal(sofa_kv_upsert(cli, "dur", 3, "v", 1, &o, kt_mut_cb, &w), 0);
    sofa_client_wait(cli);
    assert_int_equal(w.calls, 1);
    assert_int_equal(w.status, SOFA_OK);
    assert_true(w.token.seqno > 0);
    o.durability_level = SOFA_DURABILITY_PERSIST_TO_MAJORITY;
    memset(&w, 0, sizeof(w));
    assert_int_equal(sofa_kv_remove(cli, "dur", 3, &o, kt_mut_cb, &w), 0);
    sofa_client_wait(cli);
    assert_int_equal(w.status, SOFA_OK);
}

static int big_ok;
static void big_get_cb(sofa_client *c, sofa_status st, const sofa_get_result *r, void *ck)
{
    const char *want = ck;
    (void)c;
    big_ok = st == SOFA_OK && r->nvalue == 5u * 1024 * 1024 && memcmp(r->value, want, r->nvalue) == 0;
}

/* A 5 MiB value goes out and comes back over many partial reads and writes. */
static void test_large_value(void **state)
{
    (void)state;
    size_t n = 5u * 1024 * 1024;
    char *v = malloc(n);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = (char)('a' + i % 23);
    kt_res w = {0};
    assert_int_equal(sofa_kv_upsert(cli, "big", 3, v, n, NULL, kt_mut_cb, &w), 0);
    sofa_client_wait(cli);
    assert_int_equal(w.status, SOFA_OK);
    big_ok = 0;
    assert_int_equal(sofa_kv_get(cli, "big", 3, NULL, big_get_cb, v), 0);
    sofa_client_wait(cli);
    assert_int_equal(big_ok, 1);
    free(v);
}

static void test_bad_input(void **state)
{
    (void)state;
    kt_res r = {0};
    char big[300];
    memset(big, 'k', sizeof(big));
    assert_int_equal(sofa_kv_get(cli, "", 0, NULL, kt_get_cb, &r), SOFA_E_EMPTY_KEY);
    assert_int_equal(sofa_kv_get(cli, big, 251, NULL, kt_get_cb, &r), SOFA_E_KEY_TOO_LONG);
    assert_int_equal(sofa_kv_get(cli, NULL, 3, NULL, kt_get_cb, &r), SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(sofa_kv_get(cli, "k", 1, NULL, NULL, &r), SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(sofa_kv_get(NULL, "k", 1, NULL, kt_get_cb, &r), SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(sofa_kv_store(cli, (sofa_store_op)9, "k", 1, "v", 1, NULL, kt_mut_cb, &r),
                     SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(sofa_kv_upsert(cli, "k", 1, NULL, 5, NULL, kt_mut_cb, &r),
                     SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(sofa_kv_upsert(cli, "k", 1, big, (size_t)SOFA_KV_MAX_VALUE + 1, NULL,
                                    kt_mut_cb, &r),
                     SOFA_E_VALUE_TOO_LARGE);
    sofa_kv_opts o = {0};
    o.durability_level = 9;
    assert_int_equal(sofa_kv_upsert(cli, "k", 1, "v", 1, &o, kt_mut_cb, &r), SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(sofa_kv_unlock(cli, "k", 1, 0, NULL, kt_mut_cb, &r), SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(sofa_kv_get_replica(cli, "k", 1, SOFA_REPLICA_INDEX, 0, NULL, kt_get_cb, &r),
                     SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(r.calls, 0);
    assert_int_equal(sofa_client_wait(cli), 0);
    assert_int_equal(r.calls, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upsert_get_and_token),
        cmocka_unit_test(test_store_modes_and_cas),
        cmocka_unit_test(test_counter_touch_gat_exists),
        cmocka_unit_test(test_lock_unlock),
        cmocka_unit_test(test_replicas),
        cmocka_unit_test(test_observe),
        cmocka_unit_test(test_ping_stats),
        cmocka_unit_test(test_get_multi),
        cmocka_unit_test(test_durability_level),
        cmocka_unit_test(test_large_value),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
