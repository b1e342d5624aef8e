/* sofa-bench smoke test against the mock cluster (2 nodes): the summary adds up, the
 * populate phase is not counted, bad options and unreachable clusters give their exit
 * codes, and the --pending memory mode answers every operation exactly once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "cli/clirun.h"
#include "support/mockproc.h"

static sofa_test_mock mock;
static clirun_result R;

/* sofa-bench -U <mock> -u Administrator -P password ARGS... (NULL-terminated) */
static int bench(const char *first, ...)
{
    const char *argv[40] = {"sofa-bench",    "-U", mock.connstr, "-u",
                            "Administrator", "-P", "password"};
    size_t n = 7;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a != NULL && n < 39; a = va_arg(ap, const char *)) {
        argv[n++] = a;
    }
    va_end(ap);
    argv[n] = NULL;
    clirun_free(&R);
    return clirun(&R, SOFA_BENCH_PATH, argv, NULL, NULL, 0, 25000);
}

static json_t *out_json(void)
{
    json_error_t e;
    json_t *j = json_loads(R.out, 0, &e);
    if (j == NULL) {
        fail_msg("stdout is not JSON (%s): %s / stderr: %s", e.text, R.out, R.err);
    }
    return j;
}

static json_int_t geti(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    assert_non_null(v);
    return json_integer_value(v);
}

static int setup(void **state)
{
    (void)state;
    const char *args[] = {"--nodes", "2", NULL};
    return sofa_test_mock_start(&mock, args);
}

static int teardown(void **state)
{
    (void)state;
    clirun_free(&R);
    sofa_test_mock_stop(&mock);
    return 0;
}

static void fixed_op_count_summary(void **state)
{
    (void)state;
    assert_int_equal(bench("-n", "2000", "-t", "2", "--json", NULL), 0);
    json_t *j = out_json();
    assert_int_equal(geti(j, "ops"), 2000);
    assert_int_equal(geti(j, "gets") + geti(j, "sets"), 2000);
    assert_true(geti(j, "sets") > 400 && geti(j, "sets") < 900); /* -r 33 by default */
    assert_int_equal(geti(j, "errors"), 0);
    assert_int_equal(json_object_size(json_object_get(j, "errors_by_status")), 0);
    assert_true(json_real_value(json_object_get(j, "ops_per_sec")) > 0);
    json_t *lat = json_object_get(j, "latency_us");
    double p50 = json_real_value(json_object_get(lat, "p50"));
    double p99 = json_real_value(json_object_get(lat, "p99"));
    double p999 = json_real_value(json_object_get(lat, "p99.9"));
    double max = json_real_value(json_object_get(lat, "max"));
    assert_true(p50 > 0 && p50 <= p99 && p99 <= p999 && p999 <= max);
    json_decref(j);

    /* the text summary */
    assert_int_equal(bench("-n", "1000", "-B", "10", "-r", "100", NULL), 0);
    assert_non_null(strstr(R.out, "sofa-bench: 1000 ops in "));
    assert_non_null(strstr(R.out, "0 gets (0 misses), 1000 sets"));
    assert_non_null(strstr(R.out, "p99.9"));
    assert_non_null(strstr(R.out, "errors: 0\n"));
}

static void populate_is_not_counted_and_gets_hit(void **state)
{
    (void)state;
    assert_int_equal(bench("-n", "1500", "-I", "300", "--populate", "-r", "0", "--json", NULL), 0);
    json_t *j = out_json();
    assert_int_equal(geti(j, "ops"), 1500);
    assert_int_equal(geti(j, "gets"), 1500);
    assert_int_equal(geti(j, "misses"), 0);
    json_decref(j);
    /* a fresh key space without populate: every get misses (a miss is not an error) */
    const char *argv[] = {
        "sofa-bench", "-U",     mock.connstr, "-u", "Administrator", "-P", "password", "-n", "500",
        "-I",         "100000", "-r",         "0",  "--seed",        "7",  "--json",   NULL};
    clirun_free(&R);
    assert_int_equal(clirun(&R, SOFA_BENCH_PATH, argv, NULL, NULL, 0, 25000), 0);
    j = out_json();
    assert_true(geti(j, "misses") > 490);
    assert_int_equal(geti(j, "errors"), 0);
    json_decref(j);
}

static void duration_mode(void **state)
{
    (void)state;
    assert_int_equal(bench("-d", "0.5", "-v", "-B", "20", "--json", NULL), 0);
    json_t *j = out_json();
    double secs = json_real_value(json_object_get(j, "seconds"));
    assert_true(secs >= 0.5 && secs < 5.0);
    assert_true(geti(j, "ops") > 0);
    json_decref(j);
}

/* -W: several batches in flight, each replaced from the callback that answers its last
 * operation; the op count still comes out exact (a partial last batch included). */
static void window_mode(void **state)
{
    (void)state;
    assert_int_equal(bench("-n", "2050", "-B", "100", "-W", "3", "-t", "2", "--json", NULL), 0);
    json_t *j = out_json();
    assert_int_equal(geti(j, "ops"), 2050);
    assert_int_equal(geti(j, "gets") + geti(j, "sets"), 2050);
    assert_int_equal(geti(j, "errors"), 0);
    json_decref(j);

    assert_int_equal(bench("-d", "0.5", "-B", "10", "-W", "4", "--json", NULL), 0);
    j = out_json();
    double secs = json_real_value(json_object_get(j, "seconds"));
    assert_true(secs >= 0.5 && secs < 5.0);
    assert_true(geti(j, "ops") > 0);
    assert_int_equal(geti(j, "gets") + geti(j, "sets"), geti(j, "ops"));
    assert_int_equal(geti(j, "errors"), 0);
    json_decref(j);

    assert_int_equal(bench("-W", "0", NULL), 2);
    assert_int_equal(bench("-W", "65", NULL), 2);
}

static void bad_options_and_unreachable(void **state)
{
    (void)state;
    assert_int_equal(bench("-t", "0", NULL), 2);
    assert_int_equal(bench("-r", "101", NULL), 2);
    assert_int_equal(bench("-m", "200", "-M", "100", NULL), 2);
    assert_int_equal(bench("-n", "10", "-d", "1", NULL), 2);
    assert_int_equal(bench("--bogus", NULL), 2);
    const char *argv[] = {"sofa-bench", "-U", "couchbase://127.0.0.1:1/default", "-n", "10", NULL};
    clirun_free(&R);
    assert_int_equal(clirun(&R, SOFA_BENCH_PATH, argv, NULL, NULL, 0, 25000), 3);
    assert_non_null(strstr(R.err, "cannot connect"));
    assert_int_equal(bench("-P", "wrong", NULL), 3); /* last -P wins */
    assert_non_null(strstr(R.err, "E_AUTH_FAILED"));
}

static void pending_mode_answers_everything_once(void **state)
{
    (void)state;
    assert_int_equal(bench("--pending", "20000", "-m", "100", "-M", "100", "--json", NULL), 0);
    json_t *j = out_json();
    assert_int_equal(geti(j, "pending"), 20000);
    assert_int_equal(geti(j, "pending_reported"), 20000);
    assert_int_equal(geti(j, "lost"), 0);
    assert_int_equal(geti(j, "doubled"), 0);
    assert_int_equal(geti(j, "errors"), 0);
    assert_int_equal(json_array_size(json_object_get(j, "rss_kib_per_10000")), 3);
    assert_int_equal(json_array_size(json_object_get(j, "rounds")), 3); /* --rounds default */
    assert_int_equal(geti(j, "ok") + geti(j, "misses"), 3 * 20000);
    assert_true(geti(j, "rss_kib_all_pending") > 0);
    json_decref(j);

    assert_int_equal(bench("--pending", "10000", "--rounds", "2", "-r", "50", NULL), 0);
    assert_non_null(strstr(R.out, "KiB per 10,000 pending operations"));
    assert_non_null(strstr(R.out, "round 2: all pending"));
    assert_null(strstr(R.out, "round 3:"));
    assert_non_null(strstr(R.out, "lost 0, doubled 0"));
    assert_int_equal(bench("--pending", "10", "--rounds", "0", NULL), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixed_op_count_summary),
        cmocka_unit_test(populate_is_not_counted_and_gets_hit),
        cmocka_unit_test(duration_mode),
        cmocka_unit_test(window_mode),
        cmocka_unit_test(bad_options_and_unreachable),
        cmocka_unit_test(pending_mode_answers_everything_once),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
