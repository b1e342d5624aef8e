/* `sofa set ... --persist-to/--replicate-to`, `sofa rm ... --persist-to` and
 * `sofa endure KEY...` run as a separate process against the mock (3 nodes, 1 replica,
 * simulated delays): exit codes and output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/clirun.h"
#include "support/mockproc.h"

#define MAX_ARGV 40

enum { OK = 0, FAILURE = 1, USAGE = 2, TIMEOUT = 5 };

static sofa_test_mock mock;
static clirun_result R;
static char connstr[1400];       /* durability_timeout=3s */
static char connstr_short[1400]; /* durability_timeout=400ms */
static const char *use = connstr;

/* sofa -U <use> -u .. -P .. ARGS... (NULL-terminated) */
static int run(const char *first, ...)
{
    const char *argv[MAX_ARGV];
    size_t n = 0;
    argv[n++] = "sofa";
    argv[n++] = "-U";
    argv[n++] = use;
    argv[n++] = "-u";
    argv[n++] = "Administrator";
    argv[n++] = "-P";
    argv[n++] = "password";
    argv[n++] = first;
    va_list ap;
    va_start(ap, first);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && n < MAX_ARGV - 1)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    clirun_free(&R);
    return clirun(&R, SOFA_CLI_PATH, argv, NULL, NULL, 0, 20000);
}

static void delays(int persist_ms, int replicate_ms)
{
    char p[128];
    snprintf(p, sizeof(p), "/mock/delays?persist_ms=%d&replicate_ms=%d", persist_ms, replicate_ms);
    assert_int_equal(sofa_test_mock_ctl(&mock, "POST", p, NULL, NULL, 0), 200);
}

static int setup(void **state)
{
    (void)state;
    const char *args[] = {"--nodes", "3", "--replicas", "1", NULL};
    if (sofa_test_mock_start(&mock, args) != 0)
        return -1;
    snprintf(connstr, sizeof(connstr), "%s?durability_timeout=3s&durability_interval=20ms",
             mock.connstr);
    snprintf(connstr_short, sizeof(connstr_short),
             "%s?durability_timeout=400ms&durability_interval=20ms", mock.connstr);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    clirun_free(&R);
    sofa_test_mock_stop(&mock);
    return 0;
}

static void test_set_and_rm_with_endure(void **state)
{
    (void)state;
    delays(60, 30);
    assert_int_equal(run("set", "c1", "v", "--persist-to", "2", "--replicate-to", "1", "-v", NULL),
                     OK);
    assert_non_null(strstr(R.err, "durability: OK persisted=2 replicated=1"));
    assert_int_equal(run("incr", "c2", "--initial", "3", "--persist-to", "all", NULL), OK);
    assert_string_equal(R.out, "3\n");
    assert_int_equal(run("rm", "c1", "--persist-to", "2", "--replicate-to", "all", NULL), OK);
    assert_int_equal(run("get", "c1", NULL), 3);
    /* too many for 3 nodes / 1 replica */
    assert_int_equal(run("set", "c1", "v", "--replicate-to", "2", NULL), FAILURE);
    assert_non_null(strstr(R.err, "E_DURABILITY_TOO_MANY"));
    assert_int_equal(run("set", "fresh", "v", "--persist-to", "many", NULL), USAGE);
    assert_int_equal(run("get", "fresh", NULL), 3); /* refused before writing */
    /* never on disk within durability_timeout=400ms */
    delays(5000, 0);
    use = connstr_short;
    assert_int_equal(run("set", "c3", "v", "--persist-to", "1", NULL), TIMEOUT);
    use = connstr;
    assert_non_null(strstr(R.err, "E_DURABILITY_TIMEOUT"));
}

static void test_endure_command(void **state)
{
    (void)state;
    delays(40, 20);
    assert_int_equal(run("set", "e1", "v", NULL), OK);
    assert_int_equal(run("set", "e2", "v", NULL), OK);
    assert_int_equal(run("endure", "e1", "e2", "--persist-to", "2", "--replicate-to", "1", NULL),
                     OK);
    assert_non_null(strstr(R.out, "e1 OK persisted=2 replicated=1\n"));
    assert_non_null(strstr(R.out, "e2 OK persisted=2 replicated=1\n"));
    assert_int_equal(run("--json", "endure", "e1", "--persist-to", "all", NULL), OK);
    assert_non_null(strstr(R.out, "\"key\":\"e1\""));
    assert_non_null(strstr(R.out, "\"persisted\":2"));
    /* a key that is not there: the other key still reports OK */
    assert_int_equal(run("endure", "e1", "nope", "--durability-timeout", "0.3", NULL), TIMEOUT);
    assert_non_null(strstr(R.out, "e1 OK"));
    assert_non_null(strstr(R.out, "nope E_DURABILITY_TIMEOUT"));
    /* a CAS that is not the document's */
    assert_int_equal(run("endure", "e1", "--cas", "12345", NULL), FAILURE);
    assert_non_null(strstr(R.out, "E_DURABILITY_CAS_MISMATCH"));
    /* removal */
    assert_int_equal(run("rm", "e2", NULL), OK);
    assert_int_equal(run("endure", "e2", "--check-removed", "--persist-to", "2", NULL), OK);
    assert_int_equal(run("endure", "e1", "--persist-to", "3", NULL), FAILURE);
    assert_non_null(strstr(R.err, "E_DURABILITY_TOO_MANY"));
}

#ifdef SOFA_EXAMPLE_PATH
/* examples/durability.c: its three steps succeed against the mock */
static void test_example(void **state)
{
    (void)state;
    delays(30, 20);
    const char *argv[] = {"durability", connstr, "Administrator", "password", NULL};
    clirun_free(&R);
    int code = clirun(&R, SOFA_EXAMPLE_PATH, argv, NULL, NULL, 0, 20000);
    if (code != 0)
        fprintf(stderr, "%s%s", R.out, R.err);
    assert_int_equal(code, 0);
    assert_non_null(strstr(R.out, "1. upsert persisted to 2 nodes, replicated to 1: OK"));
    assert_non_null(strstr(R.out, "2. endure 3 keys: OK"));
    assert_non_null(strstr(R.out, "endure-2: OK, on disk on 2 node(s), in memory on 1 replica(s)"));
    assert_non_null(strstr(R.out, "3. upsert with durability level majority: OK"));
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_and_rm_with_endure),
        cmocka_unit_test(test_endure_command),
#ifdef SOFA_EXAMPLE_PATH
        cmocka_unit_test(test_example),
#endif
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
