/* sofa_client_free() at odd points: right after connect, at every early point of the
 * bootstrap (seeded), with 10,000 operations in flight, with operations waiting in retry
 * backoff or on a hung node, and from inside a KV / multi-get / connect / N1QL on_rows /
 * view on_rows / endure callback. Every operation's callback fires exactly once (result or
 * SOFA_E_CANCELED), the destroyed callback fires once and last, nothing fires after it,
 * and submits from a callback after free are refused with SOFA_E_SHUTDOWN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "faults/faultkit.h"

enum { MAX_OPS = 10000 };

static sofa_test_mock mock;

typedef struct tracker {
    sofa_client *c;
    unsigned char calls[MAX_OPS];
    int nops;
    int completed;
    int ok, item, canceled, other;
    int destroyed;      /* on_destroyed count */
    int after_destroy;  /* callbacks after on_destroyed */
    int free_at;        /* free from inside the callback completing this many ops (0: never) */
    int freed;
    int shutdown_refused;  /* submits after free that returned SOFA_E_SHUTDOWN */
    int late_submit_fired; /* their callbacks (must stay 0) */
    int connect_calls, connect_status;
    int free_in_connect;
} tracker;

static tracker T;

static void on_destroyed(void *ck)
{
    tracker *t = ck;
    t->destroyed++;
}

static void late_cb(sofa_client *c, sofa_status st, const sofa_get_result *r, void *ck)
{
    (void)c;
    (void)st;
    (void)r;
    ((tracker *)ck)->late_submit_fired++;
}

static void free_now(tracker *t)
{
    t->freed = 1;
    sofa_client_free(t->c);
    /* the client is being freed (deferred until this callback returns): new work is refused */
    int rc = sofa_kv_get(t->c, "after", 5, NULL, late_cb, t);
    if (rc == SOFA_E_SHUTDOWN)
        t->shutdown_refused++;
    else
        fprintf(stderr, "submit after free returned %s\n", sofa_status_name(rc));
}

static void done_one(tracker *t, intptr_t idx, sofa_status st, int in_loop)
{
    if (t->destroyed)
        t->after_destroy++;
    if (idx >= 0 && idx < MAX_OPS)
        t->calls[idx]++;
    t->completed++;
    if (st == SOFA_OK)
        t->ok++;
    else if (st == SOFA_E_NOT_FOUND)
        t->item++;
    else if (st == SOFA_E_CANCELED)
        t->canceled++;
    else {
        if (t->other < 5)
            fprintf(stderr, "op %ld: %s\n", (long)idx, sofa_status_name(st));
        t->other++;
    }
    if (in_loop && t->free_at && !t->freed && t->completed == t->free_at)
        free_now(t);
}

/* cookies are op indexes; the tracker is global */
static void op_get(sofa_client *c, sofa_status st, const sofa_get_result *r, void *ck)
{
    (void)c;
    (void)r;
    done_one(&T, (intptr_t)ck, st, 1);
}

static void op_mut(sofa_client *c, sofa_status st, const sofa_mutation_result *r, void *ck)
{
    (void)c;
    (void)r;
    done_one(&T, (intptr_t)ck, st, 1);
}

static void op_multi(sofa_client *c, sofa_status st, const sofa_multi_item *items, size_t n,
                     void *ck)
{
    (void)c;
    if (n != 3 || !items)
        T.other++;
    done_one(&T, (intptr_t)ck, st == SOFA_E_NOT_FOUND ? SOFA_OK : st, 1);
}

static void on_connect(sofa_client *c, sofa_status st, void *ck)
{
    tracker *t = ck;
    (void)c;
    if (t->destroyed)
        t->after_destroy++;
    t->connect_calls++;
    t->connect_status = st;
    if (t->free_in_connect && !t->freed)
        free_now(t);
}

static sofa_client *new_client(const char *extra)
{
    memset(&T, 0, sizeof(T));
    T.c = fk_client(&mock, extra, NULL);
    assert_non_null(T.c);
    sofa_client_on_destroyed(T.c, on_destroyed, &T);
    return T.c;
}

/* Schedule @n mixed operations (get, upsert, counter, multi-get of 3 keys). */
static void schedule(int n, unsigned seed)
{
    for (int i = 0; i < n; i++) {
        char key[32];
        int nk = snprintf(key, sizeof(key), "dk%u", (seed + (unsigned)i * 7u) % 700u);
        intptr_t idx = T.nops++;
        int rc;
        switch ((seed + (unsigned)i) % 4u) {
        case 0:
            rc = sofa_kv_get(T.c, key, (size_t)nk, NULL, op_get, (void *)idx);
            break;
        case 1:
            rc = sofa_kv_upsert(T.c, key, (size_t)nk, "{\"d\":1}", 7, NULL, op_mut, (void *)idx);
            break;
        case 2:
            rc = sofa_kv_counter(T.c, "dcounter", 8, 1, 0, 1, NULL, op_mut, (void *)idx);
            break;
        default: {
            sofa_key ks[3] = {{key, (size_t)nk}, {"dk1", 3}, {"dk2", 3}};
            rc = sofa_kv_get_multi(T.c, ks, 3, 0, NULL, op_multi, (void *)idx);
            break;
        }
        }
        assert_int_equal(rc, 0);
    }
}

/* After the client is gone: every operation exactly once, destroyed once, nothing late. */
static void check_all(int allow_other)
{
    assert_int_equal(T.destroyed, 1);
    assert_int_equal(T.after_destroy, 0);
    assert_int_equal(T.late_submit_fired, 0);
    assert_int_equal(T.completed, T.nops);
    for (int i = 0; i < T.nops; i++)
        assert_int_equal(T.calls[i], 1);
    if (!allow_other)
        assert_int_equal(T.other, 0);
}

static void test_free_right_after_connect(void **state)
{
    (void)state;
    sofa_client *c = new_client("");
    assert_int_equal(sofa_client_connect(c, on_connect, &T), 0);
    schedule(100, 1);
    sofa_client_free(c);
    assert_int_equal(T.connect_calls, 1);
    assert_int_equal(T.connect_status, SOFA_E_CANCELED);
    assert_int_equal(T.canceled, 100);
    check_all(0);
}

/* Free after 0..11 loop turns (with and without letting the network progress between
 * them): bootstrap is somewhere between the TCP connect and the first config. */
static void test_free_mid_bootstrap_seeded(void **state)
{
    (void)state;
    int connected = 0, canceled = 0;
    for (unsigned seed = 1; seed <= 36; seed++) {
        sofa_client *c = new_client("");
        assert_int_equal(sofa_client_connect(c, on_connect, &T), 0);
        schedule(40, seed);
        int turns = (int)(seed % 12u);
        for (int i = 0; i < turns; i++) {
            if (seed % 3u == 0)
                fk_sleep_ms(1);
            sofa_client_tick(c);
        }
        sofa_client_free(c);
        if (T.connect_calls != 1 || T.after_destroy)
            fprintf(stderr, "seed %u: connect fired %d times\n", seed, T.connect_calls);
        assert_int_equal(T.connect_calls, 1);
        assert_true(T.connect_status == SOFA_OK || T.connect_status == SOFA_E_CANCELED);
        connected += T.connect_status == SOFA_OK;
        canceled += T.connect_status == SOFA_E_CANCELED;
        check_all(0);
    }
    fprintf(stderr, "mid-bootstrap frees: %d after connect, %d during\n", connected, canceled);
    assert_true(canceled > 0);
}

/* A node that accepts and never answers: free during its handshake. */
static void test_free_during_hung_handshake(void **state)
{
    (void)state;
    assert_int_equal(sofa_test_mock_ctl(&mock, "POST", "/mock/hang?on=1&node=0", NULL, NULL, 0),
                     200);
    /* the handshake deadline stays out of the way however slowly the 20 turns run (else
     * the next seed could connect before the free) */
    sofa_client *c = new_client("config_node_timeout=30s&config_total_timeout=60s");
    assert_int_equal(sofa_client_connect(c, on_connect, &T), 0);
    schedule(50, 3);
    for (int i = 0; i < 20; i++) {
        fk_sleep_ms(2);
        sofa_client_tick(c);
    }
    assert_int_equal(T.connect_calls, 0);
    sofa_client_free(c);
    assert_int_equal(sofa_test_mock_ctl(&mock, "POST", "/mock/reset", NULL, NULL, 0), 200);
    assert_int_equal(T.connect_calls, 1);
    assert_int_equal(T.connect_status, SOFA_E_CANCELED);
    assert_int_equal(T.canceled, 50);
    check_all(0);
}

static void test_free_with_10k_in_flight(void **state)
{
    (void)state;
    for (int turns = 0; turns < 4; turns++) {
        sofa_client *c = new_client("");
        assert_int_equal(fk_connect_wait(c), SOFA_OK);
        schedule(MAX_OPS, (unsigned)turns);
        for (int i = 0; i < turns; i++) {
            fk_sleep_ms(1);
            sofa_client_tick(c);
        }
        sofa_client_free(c);
        assert_true(T.canceled > 0);
        check_all(0);
    }
}

/* Operations waiting in retry backoff (TMPFAIL) and on a hung node when the client goes. */
static void test_free_with_ops_in_backoff_and_hung(void **state)
{
    (void)state;
    sofa_client *c = new_client("operation_timeout=5s");
    assert_int_equal(fk_connect_wait(c), SOFA_OK);
    assert_int_equal(
        sofa_test_mock_ctl(&mock, "POST", "/mock/fail?status=0x86&opcode=any&count=100000&node=1",
                           NULL, NULL, 0),
        200);
    assert_int_equal(sofa_test_mock_ctl(&mock, "POST", "/mock/hang?on=1&node=2", NULL, NULL, 0),
                     200);
    schedule(3000, 9);
    /* at least 30 turns, and until node 0 answered something (a loaded machine can take
     * longer than 30 short turns); well before the operations' 5 s deadline */
    int64_t end = fk_now_ms() + 3000;
    for (int i = 0; i < 30 || (T.ok == 0 && fk_now_ms() < end); i++) {
        fk_sleep_ms(3);
        sofa_client_tick(c);
    }
    sofa_client_free(c);
    assert_int_equal(sofa_test_mock_ctl(&mock, "POST", "/mock/reset", NULL, NULL, 0), 200);
    assert_true(T.canceled > 0);
    assert_true(T.ok > 0); /* node 0 answered */
    check_all(0);
}

static void test_free_inside_kv_callback(void **state)
{
    (void)state;
    unsigned at[] = {1, 17, 600, 4999, 9999};
    for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
        sofa_client *c = new_client("");
        assert_int_equal(fk_connect_wait(c), SOFA_OK);
        T.free_at = (int)at[k];
        schedule(MAX_OPS, (unsigned)k);
        assert_int_equal(sofa_client_wait(c), 0); /* returns once the client is gone */
        assert_int_equal(T.freed, 1);
        assert_int_equal(T.shutdown_refused, 1);
        check_all(0);
        assert_true(T.ok + T.item >= T.free_at);
    }
}

static void test_free_inside_connect_callback(void **state)
{
    (void)state;
    sofa_client *c = new_client("");
    T.free_in_connect = 1;
    assert_int_equal(sofa_client_connect(c, on_connect, &T), 0);
    schedule(500, 5); /* waiting for the bootstrap */
    assert_int_equal(sofa_client_wait(c), 0);
    assert_int_equal(T.connect_calls, 1);
    assert_int_equal(T.connect_status, SOFA_OK);
    assert_int_equal(T.shutdown_refused, 1);
    assert_int_equal(T.canceled, 500);
    check_all(0);
}

/* ---------------------------------------------------------------- queries */
typedef struct qtrack {
    int rows_calls, rows_after_free, ends, end_status, after_destroy;
    int free_in_rows;
} qtrack;

static void q_rows(sofa_client *c, const sofa_row *rows, size_t n, void *ck)
{
    qtrack *q = ck;
    (void)c;
    (void)rows;
    (void)n;
    if (T.destroyed)
        q->after_destroy++;
    if (T.freed)
        q->rows_after_free++;
    q->rows_calls++;
    if (q->free_in_rows && !T.freed)
        free_now(&T);
}

static void q_done(sofa_client *c, const sofa_query_meta *m, void *ck)
{
    qtrack *q = ck;
    (void)c;
    (void)m;
    if (T.destroyed)
        q->after_destroy++;
    q->ends++;
    q->end_status = SOFA_OK;
}

static void q_error(sofa_client *c, sofa_status st, const sofa_query_meta *m, void *ck)
{
    qtrack *q = ck;
    (void)c;
    (void)m;
    if (T.destroyed)
        q->after_destroy++;
    q->ends++;
    q->end_status = st;
}

static void v_rows(sofa_client *c, const sofa_view_row *rows, size_t n, void *ck)
{
    (void)rows;
    q_rows(c, NULL, n, ck);
}

static void test_free_inside_query_rows(void **state)
{
    (void)state;
    for (int variant = 0; variant < 2; variant++) {
        /* the mock serves queries and KV on one thread: a generous KV deadline */
        sofa_client *c = new_client("operation_timeout=10s");
        assert_int_equal(fk_connect_wait(c), SOFA_OK);
        qtrack q[3];
        memset(q, 0, sizeof(q));
        q[0].free_in_rows = 1;
        static const sofa_query_callbacks qc = {q_rows, q_done, q_error};
        static const sofa_view_callbacks vc = {v_rows, q_done, q_error};
        if (variant == 0) {
            assert_int_equal(sofa_query_start(c, "SELECT RAW n FROM default WHERE type = 'row'",
                                              NULL, &qc, &q[0], NULL), 0);
            assert_int_equal(sofa_view_start(c, "rows", "by_n", NULL, &vc, &q[1], NULL), 0);
        } else {
            sofa_view_opts vo = SOFA_VIEW_OPTS_INIT;
            vo.reduce = SOFA_FALSE;
            assert_int_equal(sofa_view_start(c, "rows", "by_n", &vo, &vc, &q[0], NULL), 0);
            assert_int_equal(sofa_query_start(c, "SELECT * FROM default", NULL, &qc, &q[1], NULL),
                             0);
        }
        assert_int_equal(sofa_query_start(c, "SELECT RAW n FROM default", NULL, &qc, &q[2], NULL),
                         0);
        schedule(2000, 11);
        assert_int_equal(sofa_client_wait(c), 0);
        assert_int_equal(T.freed, 1);
        assert_int_equal(T.shutdown_refused, 1);
        for (int i = 0; i < 3; i++) {
            assert_int_equal(q[i].ends, 1);
            assert_int_equal(q[i].after_destroy, 0);
            assert_int_equal(q[i].rows_after_free, 0);
        }
        assert_int_equal(q[0].end_status, SOFA_E_CANCELED);
        check_all(0);
    }
}

/* ----------------------------------------------------------------- endure */
typedef struct etrack {
    int calls, status, after_destroy, free_in_cb, items_bad;
} etrack;

static void e_cb(sofa_client *c, sofa_status st, const sofa_endure_item *items, size_t n,
                 void *ck)
{
    etrack *e = ck;
    (void)c;
    if (T.destroyed)
        e->after_destroy++;
    e->calls++;
    e->status = st;
    if (n != 2 || !items)
        e->items_bad++;
    if (e->free_in_cb && !T.freed)
        free_now(&T);
}

static void test_free_inside_endure_callback(void **state)
{
    (void)state;
    sofa_client *c = new_client("");
    assert_int_equal(fk_connect_wait(c), SOFA_OK);
    assert_int_equal(sofa_test_mock_ctl(&mock, "POST", "/mock/delays?persist_ms=50&replicate_ms=20",
                                        NULL, NULL, 0),
                     200);
    for (int i = 0; i < 20; i++) {
        char key[16];
        int nk = snprintf(key, sizeof(key), "ek%d", i);
        intptr_t idx = T.nops++;
        assert_int_equal(sofa_kv_upsert(c, key, (size_t)nk, "1", 1, NULL, op_mut, (void *)idx), 0);
    }
    assert_int_equal(sofa_client_wait(c), 0);
    assert_int_equal(T.ok, 20);
    etrack e[10];
    memset(e, 0, sizeof(e));
    sofa_endure_opts eo = {0};
    eo.persist_to = 1;
    for (int i = 0; i < 10; i++) {
        char k1[16], k2[16];
        snprintf(k1, sizeof(k1), "ek%d", 2 * i);
        snprintf(k2, sizeof(k2), "ek%d", 2 * i + 1);
        sofa_endure_key ks[2];
        memset(ks, 0, sizeof(ks));
        ks[0].key = k1;
        ks[0].nkey = strlen(k1);
        ks[1].key = k2;
        ks[1].nkey = strlen(k2);
        /* the first endure waits for one replica too, so it ends later than the others */
        sofa_endure_opts o = eo;
        if (i == 0)
            o.replicate_to = 1;
        e[i].free_in_cb = i == 1;
        assert_int_equal(sofa_endure(c, ks, 2, &o, e_cb, &e[i]), 0);
    }
    schedule(1000, 21);
    assert_int_equal(sofa_client_wait(c), 0);
    assert_int_equal(sofa_test_mock_ctl(&mock, "POST", "/mock/reset", NULL, NULL, 0), 200);
    assert_int_equal(T.freed, 1);
    int canceled = 0;
    for (int i = 0; i < 10; i++) {
        assert_int_equal(e[i].calls, 1);
        assert_int_equal(e[i].after_destroy, 0);
        assert_int_equal(e[i].items_bad, 0);
        canceled += e[i].status == SOFA_E_CANCELED;
    }
    fprintf(stderr, "endures canceled by the free: %d of 10\n", canceled);
    check_all(0);
}

static int setup(void **state)
{
    (void)state;
    const char *args[] = {"--nodes", "3", "--replicas", "1", "--sample", "rows:20000", NULL};
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
        cmocka_unit_test(test_free_right_after_connect),
        cmocka_unit_test(test_free_mid_bootstrap_seeded),
        cmocka_unit_test(test_free_during_hung_handshake),
        cmocka_unit_test(test_free_with_10k_in_flight),
        cmocka_unit_test(test_free_with_ops_in_backoff_and_hung),
        cmocka_unit_test(test_free_inside_kv_callback),
        cmocka_unit_test(test_free_inside_connect_callback),
        cmocka_unit_test(test_free_inside_query_rows),
        cmocka_unit_test(test_free_inside_endure_callback),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
