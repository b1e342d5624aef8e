/* The `sofa` command-line tool and sofa-bench in memcached:// mode against Debian's
 * memcached (binary protocol, SASL): KV commands, stats/ping, the commands memcached
 * cannot do (exit 2, E_NOT_SUPPORTED), and SASL failures (exit 4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/clirun.h"
#include "support/memcachedproc.h"

#define MAX_ARGV 40

static sofa_test_memcached mc;
static clirun_result R;

/* Run PATH with the connection options for the SASL memcached, then ARGS (NULL-ended). */
static int run(const char *path, const char *user, const char *pass, ...)
{
    const char *argv[MAX_ARGV];
    size_t n = 0;
    argv[n++] = path;
    argv[n++] = "-U";
    argv[n++] = mc.connstr;
    if (user != NULL) {
        argv[n++] = "-u";
        argv[n++] = user;
        argv[n++] = "-P";
        argv[n++] = pass;
    }
    va_list ap;
    va_start(ap, pass);
    for (const char *a = va_arg(ap, const char *); a != NULL && n < MAX_ARGV - 1;
         a = va_arg(ap, const char *)) {
        argv[n++] = a;
    }
    va_end(ap);
    argv[n] = NULL;
    clirun_free(&R);
    return clirun(&R, path, argv, NULL, NULL, 0, 20000);
}

#define SOFA(...) run(SOFA_CLI_PATH, "alice", "s3cret", __VA_ARGS__, (const char *)NULL)

static int setup(void **state)
{
    (void)state;
    return sofa_test_memcached_start(&mc, 1, "alice", "s3cret");
}

static int teardown(void **state)
{
    (void)state;
    clirun_free(&R);
    sofa_test_memcached_stop(&mc);
    return 0;
}

static void kv_commands(void **state)
{
    (void)state;
    assert_int_equal(SOFA("set", "k", "v1", "--flags", "7"), 0);
    assert_int_equal(SOFA("--json", "get", "k"), 0);
    json_t *j = json_loads(R.out, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "value")), "v1");
    assert_int_equal(json_integer_value(json_object_get(j, "flags")), 7);
    json_decref(j);
    assert_int_equal(SOFA("add", "k", "x"), 7);
    assert_int_equal(SOFA("append", "--", "k", "-end"), 0);
    assert_int_equal(SOFA("prepend", "k", "start-"), 0);
    assert_int_equal(SOFA("get", "k"), 0);
    assert_string_equal(R.out, "start-v1-end");
    assert_int_equal(SOFA("replace", "missing", "x"), 3);
    assert_int_equal(SOFA("incr", "n", "--initial", "10"), 0);
    assert_string_equal(R.out, "10\n");
    assert_int_equal(SOFA("decr", "n", "--delta", "3"), 0);
    assert_string_equal(R.out, "7\n");
    assert_int_equal(SOFA("touch", "k", "100"), 0);
    if (SOFA("exists", "k") != 0) {
        fail_msg("exists: %s", R.err);
    }
    assert_string_equal(R.out, "true\n");
    assert_int_equal(SOFA("rm", "k"), 0);
    assert_int_equal(SOFA("get", "k"), 3);
    assert_non_null(strstr(R.err, "E_NOT_FOUND"));
    assert_int_equal(SOFA("exists", "k"), 3);
}

static void cluster_commands_and_unsupported(void **state)
{
    (void)state;
    assert_int_equal(SOFA("ping"), 0);
    assert_non_null(strstr(R.out, "\tOK\t"));
    assert_int_equal(SOFA("stats"), 0);
    assert_non_null(strstr(R.out, "\tpid\t"));
    assert_non_null(strstr(R.out, "\tcurr_connections\t"));
    /* locking is a Couchbase feature */
    assert_int_equal(SOFA("lock", "k", "5"), 2);
    assert_non_null(strstr(R.err, "E_NOT_SUPPORTED"));
    assert_int_equal(SOFA("unlock", "k", "1"), 2);
}

static void sasl_failures(void **state)
{
    (void)state;
    assert_int_equal(run(SOFA_CLI_PATH, "alice", "wrong", "get", "k", (const char *)NULL), 4);
    assert_non_null(strstr(R.err, "E_AUTH"));
    assert_int_equal(run(SOFA_CLI_PATH, "mallory", "s3cret", "get", "k", (const char *)NULL), 4);
}

static void bench_against_memcached(void **state)
{
    (void)state;
    assert_int_equal(run(SOFA_BENCH_PATH, "alice", "s3cret", "-n", "3000", "-r", "10", "-m", "100",
                         "-M", "100", "--populate", "--json", (const char *)NULL),
                     0);
    json_t *j = json_loads(R.out, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "ops")), 3000);
    assert_int_equal(json_integer_value(json_object_get(j, "errors")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "misses")), 0);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kv_commands),
        cmocka_unit_test(cluster_commands_and_unsupported),
        cmocka_unit_test(sasl_failures),
        cmocka_unit_test(bench_against_memcached),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
