/* A N1QL query and a view query, each streaming 100,000 rows (N1QL about 10 MB), while their
 * nodes stop or drop their connections mid-stream, with a KV storm (3000 operations, 1000
 * in flight) on the same client. Each query ends exactly once (on_done with every row, or
 * on_error with a status from the expected set and fewer rows), no row arrives after its
 * end, every KV callback fires once, and afterwards queries and KV work again. Queries sent
 * to hung nodes end at their deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "faults/faultkit.h"

enum { NROWS = 100000, NQ = 2, RECOVER_ROWS = 500 };

static sofa_test_mock mock;

typedef struct qrun {
    int is_view;
    uint64_t rows;
    int rows_calls;
    int ends;
    int status;
    int rows_after_end;
    const char *fault[3]; /* control calls made at the first rows */
    int fault_done;
    uint64_t rows_at_fault;
} qrun;

static void fault_now(qrun *q)
{
    if (q->fault_done)
        return;
    q->fault_done = 1;
    q->rows_at_fault = q->rows;
    for (int i = 0; i < 3 && q->fault[i]; i++) {
        char out[256];
        int st = sofa_test_mock_ctl(&mock, "POST", q->fault[i], NULL, out, sizeof(out));
        if (st != 200)
            fprintf(stderr, "ctl %s: %d %s\n", q->fault[i], st, out);
    }
}

static void on_rows(sofa_client *c, const sofa_row *rows, size_t n, void *ck)
{
    qrun *q = ck;
    (void)c;
    (void)rows;
    if (q->ends)
        q->rows_after_end++;
    q->rows += n;
    q->rows_calls++;
    if (q->fault[0])
        fault_now(q);
}

static void on_vrows(sofa_client *c, const sofa_view_row *rows, size_t n, void *ck)
{
    (void)rows;
    on_rows(c, NULL, n, ck);
}

static void on_done(sofa_client *c, const sofa_query_meta *m, void *ck)
{
    qrun *q = ck;
    (void)c;
    (void)m;
    q->ends++;
    q->status = SOFA_OK;
}

static void on_error(sofa_client *c, sofa_status st, const sofa_query_meta *m, void *ck)
{
    qrun *q = ck;
    (void)c;
    q->ends++;
    q->status = st;
    fprintf(stderr, "%s ended with %s after %llu rows: %s\n", q->is_view ? "view" : "query",
            sofa_status_name(st), (unsigned long long)q->rows, m ? m->error_msg : "");
}

static int query_status_expected(int st)
{
    if (st == SOFA_OK)
        return 1;
    switch (sofa_status_category(st)) {
    case SOFA_CAT_NETWORK:
        return st != SOFA_E_BOOTSTRAP_FAILED;
    case SOFA_CAT_TIMEOUT:
        return st == SOFA_E_QUERY_TIMEOUT || st == SOFA_E_TIMEOUT;
    case SOFA_CAT_QUERY:
        return st == SOFA_E_HTTP || st == SOFA_E_NO_SERVICE;
    default:
        return 0;
    }
}

static const sofa_query_callbacks qcb = {on_rows, on_done, on_error};
static const sofa_view_callbacks vcb = {on_vrows, on_done, on_error};

static void start_queries(sofa_client *c, qrun *q)
{
    for (int i = 0; i < NQ; i++) {
        if (q[i].is_view) {
            sofa_view_opts vo = SOFA_VIEW_OPTS_INIT;
            vo.reduce = SOFA_FALSE;
            assert_int_equal(sofa_view_start(c, "rows", "by_n", &vo, &vcb, &q[i], NULL), 0);
        } else {
            assert_int_equal(sofa_query_start(c, "SELECT * FROM default WHERE type = 'row'", NULL,
                                              &qcb, &q[i], NULL),
                             0);
        }
    }
}

/* Queries (a N1QL LIMIT query and a view with a limit) and KV work again once the
 * cluster is healthy. */
static void check_recovered(sofa_client *c)
{
    int64_t end = fk_now_ms() + 8000;
    int ok = 0;
    while (!ok && fk_now_ms() < end) {
        qrun q[2];
        memset(q, 0, sizeof(q));
        q[1].is_view = 1;
        /* generous deadlines: the mock builds a view's index (100,000 documents through
         * its JavaScript engine) on the first request that reaches it */
        sofa_query_opts qo = SOFA_QUERY_OPTS_INIT;
        qo.timeout_us = 20000000;
        assert_int_equal(sofa_query_start(c,
                                          "SELECT RAW n FROM default WHERE type = 'row' LIMIT 500",
                                          &qo, &qcb, &q[0], NULL),
                         0);
        sofa_view_opts vo = SOFA_VIEW_OPTS_INIT;
        vo.reduce = SOFA_FALSE;
        vo.limit = RECOVER_ROWS;
        vo.timeout_us = 20000000;
        assert_int_equal(sofa_view_start(c, "rows", "by_n", &vo, &vcb, &q[1], NULL), 0);
        assert_int_equal(sofa_client_wait(c), 0);
        ok = 1;
        for (int i = 0; i < 2; i++) {
            assert_int_equal(q[i].ends, 1);
            if (q[i].status != SOFA_OK || q[i].rows != RECOVER_ROWS)
                ok = 0;
        }
        if (!ok)
            fk_sleep_ms(100);
    }
    assert_true(ok);
}

static void run_sync(fk_load *l)
{
    fk_load_start(l);
    sofa_client_wait(l->c);
}

/* Run the queries and the KV storm with faults @f0..@f2 made at the first rows (or, with
 * @pre, before the queries start); check the invariants; heal; check recovery. Returns how
 * many queries failed (a fault made at the first rows can miss: up to about 10 MB can be
 * on the way in socket buffers already). */
static int run_case(const char *name, const char *pre, const char *f0, const char *f1,
                    const char *f2, const char *opts)
{
    assert_int_equal(sofa_test_mock_ctl(&mock, "POST", "/mock/reset", NULL, NULL, 0), 200);
    sofa_client *c = fk_client(&mock, opts, NULL);
    assert_non_null(c);
    assert_int_equal(fk_connect_wait(c), SOFA_OK);
    if (pre)
        assert_int_equal(sofa_test_mock_ctl(&mock, "POST", pre, NULL, NULL, 0), 200);
    qrun q[NQ];
    memset(q, 0, sizeof(q));
    q[1].is_view = 1;
    q[0].fault[0] = f0;
    q[0].fault[1] = f1;
    q[0].fault[2] = f2;
    fk_load l;
    assert_int_equal(fk_load_init(&l, c, &mock, 3000, 1000, 31337u), 0);
    start_queries(c, q);
    fk_load_start(&l);
    assert_int_equal(sofa_client_wait(c), 0);
    fk_load_report(&l, name);
    int failed = 0;
    for (int i = 0; i < NQ; i++) {
        fprintf(stderr, "[%s] %s %d: %s, %llu rows in %d calls (fault after %llu rows)\n", name,
                q[i].is_view ? "view" : "query", i, sofa_status_name(q[i].status),
                (unsigned long long)q[i].rows, q[i].rows_calls,
                (unsigned long long)q[i].rows_at_fault);
        assert_int_equal(q[i].ends, 1);
        assert_int_equal(q[i].rows_after_end, 0);
        assert_true(query_status_expected(q[i].status));
        if (q[i].status == SOFA_OK)
            assert_int_equal(q[i].rows, NROWS);
        else
            failed++;
    }
    if (f0)
        assert_true(q[0].fault_done);
    assert_true(fk_load_clean(&l));
    fk_load_free(&l);
    assert_int_equal(sofa_test_mock_ctl(&mock, "POST", "/mock/reset", NULL, NULL, 0), 200);
    check_recovered(c);
    assert_true(fk_recover(c, run_sync, 300, 8000));
    sofa_client_free(c);
    return failed;
}

/* Cut streams: retried a few times until a fault lands mid-stream. Whether one does is
 * up to timing (a whole response can already sit in the socket buffers when the node
 * stops), so this checks the invariants of every attempt; the cut itself is pinned by
 * node_killed_mid_stream in tests/query/test_query_mock.c (a 30 MB stream). */
static void cut_case(const char *name, const char *f0, const char *f1, const char *f2)
{
    int failed = 0;
    for (int attempt = 0; attempt < 5 && failed == 0; attempt++)
        failed = run_case(name, NULL, f0, f1, f2, "");
    if (failed == 0)
        fprintf(stderr, "[%s] no attempt was cut mid-stream; invariants held in all 5\n", name);
}

static void test_nodes_stopped_mid_stream(void **state)
{
    (void)state;
    cut_case("stop", "/mock/stop?node=0&for_ms=400", "/mock/stop?node=1&for_ms=400",
             "/mock/stop?node=2&for_ms=400");
}

static void test_one_node_stopped_mid_stream(void **state)
{
    (void)state;
    (void)run_case("stop-one", NULL, "/mock/stop?node=1&for_ms=300", NULL, NULL, "");
}

/* Not required to cut a stream: the N1QL stream was seen to survive /mock/drop (while
 * the view stream is cut) -- see the faults report; the invariants are checked anyway. */
static void test_connections_dropped_mid_stream(void **state)
{
    (void)state;
    (void)run_case("drop", NULL, "/mock/drop", NULL, NULL, "");
}

/* Queries sent to hung services end at their deadline, without rows. */
static void test_queries_on_hung_nodes(void **state)
{
    (void)state;
    int failed = run_case("hang", "/mock/hang?on=1", NULL, NULL, NULL,
                          "query_timeout=800ms&view_timeout=800ms");
    assert_int_equal(failed, NQ);
}

static int setup(void **state)
{
    (void)state;
    const char *args[] = {"--nodes", "3", "--replicas", "1", "--sample", "rows:100000", NULL};
    return sofa_test_mock_start(&mock, args);
}

static int teardown(void **state)
{
    (void)state;
    sofa_test_mock_stop(&mock);
    return 0;
}

/* argv[1]: run only the tests matching this cmocka filter (ctest runs one case each). */
int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nodes_stopped_mid_stream),
        cmocka_unit_test(test_one_node_stopped_mid_stream),
        cmocka_unit_test(test_connections_dropped_mid_stream),
        cmocka_unit_test(test_queries_on_hung_nodes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
