/* The `sofa` command-line tool against the mock cluster (2 nodes, 1 replica): output and
 * exit code of every command, including not found, conflicts, auth failure, bad
 * connection strings, unreachable clusters, timeouts and bad command lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/clirun.h"
#include "support/mockproc.h"

#define MAX_ARGV 40

static sofa_test_mock mock;
static clirun_result R;

/* exit codes (docs/cli.md) */
enum {
    OK = 0,
    FAILURE = 1,
    USAGE = 2,
    NOT_FOUND = 3,
    AUTH = 4,
    TIMEOUT = 5,
    NETWORK = 6,
    CONFLICT = 7
};

static int vrun(const void *in, size_t nin, const char *const *env, int connect, va_list ap)
{
    const char *argv[MAX_ARGV];
    size_t n = 0;
    argv[n++] = "sofa";
    if (connect) {
        argv[n++] = "-U";
        argv[n++] = mock.connstr;
        argv[n++] = "-u";
        argv[n++] = "Administrator";
        argv[n++] = "-P";
        argv[n++] = "password";
    }
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && n < MAX_ARGV - 1) {
        argv[n++] = a;
    }
    argv[n] = NULL;
    clirun_free(&R);
    return clirun(&R, SOFA_CLI_PATH, argv, env, in, nin, 20000);
}

/* sofa -U <mock> -u Administrator -P password ARGS... */
static int kv(const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    const char *argv[MAX_ARGV];
    size_t n = 0;
    argv[n++] = first;
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && n < MAX_ARGV - 1) {
        argv[n++] = a;
    }
    va_end(ap);
    argv[n] = NULL;
    const char *full[MAX_ARGV + 8];
    size_t m = 0;
    full[m++] = "sofa";
    full[m++] = "-U";
    full[m++] = mock.connstr;
    full[m++] = "-u";
    full[m++] = "Administrator";
    full[m++] = "-P";
    full[m++] = "password";
    for (size_t i = 0; i < n; i++) {
        full[m++] = argv[i];
    }
    full[m] = NULL;
    clirun_free(&R);
    return clirun(&R, SOFA_CLI_PATH, full, NULL, NULL, 0, 20000);
}

/* The same with stdin data and/or environment, and without the connection options
 * unless connect != 0. */
static int run_with(const void *in, size_t nin, const char *const *env, int connect, ...)
{
    va_list ap;
    va_start(ap, connect);
    int rc = vrun(in, nin, env, connect, ap);
    va_end(ap);
    return rc;
}

#define NOARGS (const char *)NULL

static json_t *out_json(void)
{
    json_error_t e;
    json_t *j = json_loads(R.out, 0, &e);
    if (j == NULL) {
        fail_msg("stdout is not JSON (%s): %s", e.text, R.out);
    }
    return j;
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
    clirun_free(&R);
    sofa_test_mock_stop(&mock);
    return 0;
}

static void help_and_bad_command_lines(void **state)
{
    (void)state;
    assert_int_equal(run_with(NULL, 0, NULL, 0, "--help", NOARGS), OK);
    assert_non_null(strstr(R.out, "exit codes:"));
    assert_non_null(strstr(R.out, "unlock KEY CAS"));
    assert_non_null(strstr(R.out, "--durability"));
    assert_int_equal(run_with(NULL, 0, NULL, 0, "help", "incr", NOARGS), OK);
    assert_non_null(strstr(R.out, "--initial"));
    assert_null(strstr(R.out, "--flags"));
    assert_int_equal(run_with(NULL, 0, NULL, 0, "set", "--help", NOARGS), OK);
    assert_non_null(strstr(R.out, "--expiry"));

    assert_int_equal(run_with(NULL, 0, NULL, 0, "version", NOARGS), OK);
    assert_non_null(strstr(R.out, "(libsofa "));
    assert_int_equal(run_with(NULL, 0, NULL, 0, "--json", "version", NOARGS), OK);
    json_t *v = out_json();
    assert_string_equal(json_string_value(json_object_get(v, "status")), "OK");
    assert_non_null(json_string_value(json_object_get(v, "library")));
    json_decref(v);

    assert_int_equal(run_with(NULL, 0, NULL, 0, NOARGS), USAGE);
    assert_non_null(strstr(R.err, "no command"));
    assert_int_equal(run_with(NULL, 0, NULL, 0, "frobnicate", NOARGS), USAGE);
    assert_non_null(strstr(R.err, "unknown command 'frobnicate'"));
    assert_int_equal(kv("get", "--flags", "3", "k", NOARGS), USAGE); /* not a get option */
    assert_non_null(strstr(R.err, "unknown option --flags for command get"));
    assert_int_equal(kv("get", NOARGS), USAGE);
    assert_non_null(strstr(R.err, "wrong number of arguments"));
    assert_int_equal(kv("set", "k", "v", "extra", NOARGS), USAGE);
    assert_int_equal(kv("set", "k", "v", "--expiry", "soon", NOARGS), USAGE);
    assert_non_null(strstr(R.err, "invalid value 'soon' for --expiry"));
    assert_int_equal(kv("set", "k", "v", "--flags", "4294967296", NOARGS), USAGE);
    assert_int_equal(kv("set", "k", "v", "--cas", NOARGS), USAGE);
    assert_non_null(strstr(R.err, "needs a value"));
    assert_int_equal(kv("set", "k", "v", "--durability", "eventually", NOARGS), USAGE);
    assert_int_equal(kv("touch", "k", "-1", NOARGS), USAGE);
    assert_int_equal(kv("unlock", "k", "0xZZ", NOARGS), USAGE);
    assert_int_equal(kv("-T", "0", "get", "k", NOARGS), USAGE);
    /* the engine's input checks come back as usage errors with the status name */
    char longkey[300];
    memset(longkey, 'k', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    assert_int_equal(kv("get", longkey, NOARGS), USAGE);
    assert_non_null(strstr(R.err, "E_KEY_TOO_LONG"));
}

static void set_and_get_raw_and_json(void **state)
{
    (void)state;
    assert_int_equal(kv("set", "greeting", "hello world", NOARGS), OK);
    assert_int_equal(R.nout, 0);
    assert_int_equal(kv("get", "greeting", NOARGS), OK);
    assert_int_equal(R.nout, 11);
    assert_memory_equal(R.out, "hello world", 11);

    /* binary value from stdin, with a NUL and invalid UTF-8, kept byte for byte */
    static const unsigned char bin[] = {0x00, 0xff, 'a', 0xc3, 0x28, '\n', 0x00};
    assert_int_equal(
        run_with(bin, sizeof(bin), NULL, 1, "set", "bin", "-", "--flags", "0x10", NOARGS),
        USAGE); /* flags are decimal only */
    assert_int_equal(run_with(bin, sizeof(bin), NULL, 1, "set", "bin", "-", "--flags", "16",
                              "--expiry", "1000", NOARGS),
                     OK);
    assert_int_equal(kv("get", "bin", NOARGS), OK);
    assert_int_equal(R.nout, sizeof(bin));
    assert_memory_equal(R.out, bin, sizeof(bin));
    assert_int_equal(kv("--json", "get", "bin", NOARGS), OK);
    json_t *j = out_json();
    assert_string_equal(json_string_value(json_object_get(j, "status")), "OK");
    assert_string_equal(json_string_value(json_object_get(j, "key")), "bin");
    assert_int_equal(json_integer_value(json_object_get(j, "flags")), 16);
    assert_string_equal(json_string_value(json_object_get(j, "value_base64")), "AP9hwygKAA==");
    assert_null(json_object_get(j, "value"));
    assert_true(strtoull(json_string_value(json_object_get(j, "cas")), NULL, 10) > 0);
    json_decref(j);

    /* --json-doc sets the JSON datatype; --json may come after the command */
    assert_int_equal(kv("set", "doc", "{\"a\":1}", "--json-doc", "--json", NOARGS), OK);
    j = out_json();
    assert_string_equal(json_string_value(json_object_get(j, "status")), "OK");
    assert_non_null(json_object_get(j, "cas"));
    json_decref(j);
    assert_int_equal(kv("get", "doc", "--json", NOARGS), OK);
    j = out_json();
    assert_string_equal(json_string_value(json_object_get(j, "value")), "{\"a\":1}");
    assert_int_equal(json_integer_value(json_object_get(j, "datatype")) & 1, 1);
    json_decref(j);

    /* -v prints the CAS and flags on stderr, the value stays alone on stdout */
    assert_int_equal(kv("-v", "get", "greeting", NOARGS), OK);
    assert_string_equal(R.out, "hello world");
    assert_non_null(strstr(R.err, "CAS="));

    /* a value that looks like an option, after -- ; and a negative-looking value */
    assert_int_equal(kv("set", "--", "dash", "--not-an-option", NOARGS), OK);
    assert_int_equal(kv("get", "dash", NOARGS), OK);
    assert_string_equal(R.out, "--not-an-option");
    assert_int_equal(kv("set", "neg", "-5", NOARGS), OK);
    assert_int_equal(kv("get", "neg", NOARGS), OK);
    assert_string_equal(R.out, "-5");
}

static void not_found_everywhere(void **state)
{
    (void)state;
    assert_int_equal(kv("get", "nothing-here", NOARGS), NOT_FOUND);
    assert_int_equal(R.nout, 0);
    assert_non_null(strstr(R.err, "sofa: get nothing-here: E_NOT_FOUND: document not found"));
    assert_int_equal(kv("--json", "get", "nothing-here", NOARGS), NOT_FOUND);
    json_t *j = out_json();
    assert_string_equal(json_string_value(json_object_get(j, "status")), "E_NOT_FOUND");
    json_decref(j);
    assert_int_equal(kv("rm", "nothing-here", NOARGS), NOT_FOUND);
    assert_int_equal(kv("replace", "nothing-here", "v", NOARGS), NOT_FOUND);
    assert_int_equal(kv("append", "nothing-here", "v", NOARGS), NOT_FOUND);
    assert_int_equal(kv("prepend", "nothing-here", "v", NOARGS), NOT_FOUND);
    assert_int_equal(kv("touch", "nothing-here", "10", NOARGS), NOT_FOUND);
    assert_int_equal(kv("incr", "nothing-here", NOARGS), NOT_FOUND);
    assert_int_equal(kv("lock", "nothing-here", "5", NOARGS), NOT_FOUND);
    assert_int_equal(kv("exists", "nothing-here", NOARGS), NOT_FOUND);
    assert_string_equal(R.out, "false\n");
}

static void store_modes_and_cas(void **state)
{
    (void)state;
    assert_int_equal(kv("add", "m", "mid", NOARGS), OK);
    assert_int_equal(kv("add", "m", "again", NOARGS), CONFLICT);
    assert_non_null(strstr(R.err, "E_EXISTS"));
    assert_int_equal(kv("append", "m", "]", NOARGS), OK);
    assert_int_equal(kv("prepend", "m", "[", NOARGS), OK);
    assert_int_equal(kv("get", "m", NOARGS), OK);
    assert_string_equal(R.out, "[mid]");
    assert_int_equal(kv("replace", "m", "new", NOARGS), OK);
    assert_int_equal(kv("--json", "get", "m", NOARGS), OK);
    json_t *j = out_json();
    char cas[32];
    snprintf(cas, sizeof(cas), "%s", json_string_value(json_object_get(j, "cas")));
    json_decref(j);
    char wrong[32];
    snprintf(wrong, sizeof(wrong), "%llu", strtoull(cas, NULL, 10) + 1);
    assert_int_equal(kv("set", "m", "x", "--cas", wrong, NOARGS), CONFLICT);
    assert_non_null(strstr(R.err, "E_CAS_MISMATCH"));
    assert_int_equal(kv("rm", "m", "--cas", wrong, NOARGS), CONFLICT);
    /* the same CAS in hex */
    char hex[32];
    snprintf(hex, sizeof(hex), "0x%llx", strtoull(cas, NULL, 10));
    assert_int_equal(kv("replace", "m", "cas-ok", "-c", hex, NOARGS), OK);
    assert_int_equal(kv("get", "m", NOARGS), OK);
    assert_string_equal(R.out, "cas-ok");
    assert_int_equal(kv("rm", "m", NOARGS), OK);
    assert_int_equal(kv("get", "m", NOARGS), NOT_FOUND);

    /* server-side durability (2 nodes, 1 replica: majority is reachable) */
    assert_int_equal(kv("set", "durable", "d", "--durability", "majority", NOARGS), OK);
    assert_int_equal(
        kv("incr", "durable-ctr", "--initial", "4", "--durability", "persist_to_majority", NOARGS),
        OK);
    assert_string_equal(R.out, "4\n");
    assert_int_equal(kv("rm", "durable", "--durability", "majority_and_persist_to_active", NOARGS),
                     OK);
    assert_int_equal(kv("get", "durable", NOARGS), NOT_FOUND);
}

static void counters(void **state)
{
    (void)state;
    assert_int_equal(kv("incr", "ctr", "--initial", "5", NOARGS), OK);
    assert_string_equal(R.out, "5\n");
    assert_int_equal(kv("incr", "ctr", "--delta", "10", NOARGS), OK);
    assert_string_equal(R.out, "15\n");
    assert_int_equal(kv("decr", "ctr", NOARGS), OK);
    assert_string_equal(R.out, "14\n");
    assert_int_equal(kv("decr", "ctr", "-d", "100", NOARGS), OK);
    assert_string_equal(R.out, "0\n");
    assert_int_equal(kv("--json", "incr", "ctr", "--delta", "3", NOARGS), OK);
    json_t *j = out_json();
    assert_string_equal(json_string_value(json_object_get(j, "value")), "3");
    json_decref(j);
    assert_int_equal(kv("get", "ctr", NOARGS), OK);
    assert_string_equal(R.out, "3");
    assert_int_equal(kv("incr", "ctr", "--delta", "9223372036854775808", NOARGS), USAGE);
    assert_int_equal(kv("set", "text", "abc", NOARGS), OK);
    assert_int_equal(kv("incr", "text", NOARGS), FAILURE);
    assert_non_null(strstr(R.err, "E_DELTA_BADVAL"));
}

static void expiry_and_touch(void **state)
{
    (void)state;
    assert_int_equal(kv("set", "short", "v", "--expiry", "5", NOARGS), OK);
    assert_int_equal(kv("set", "touched", "v", NOARGS), OK);
    assert_int_equal(kv("touch", "touched", "20", NOARGS), OK);
    assert_int_equal(kv("incr", "ctr-exp", "--initial", "1", "-e", "5", NOARGS), OK);
    assert_int_equal(sofa_test_mock_ctl(&mock, "POST", "/mock/clock?advance=10", NULL, NULL, 0),
                     200);
    assert_int_equal(kv("get", "short", NOARGS), NOT_FOUND);
    assert_int_equal(kv("get", "ctr-exp", NOARGS), NOT_FOUND);
    assert_int_equal(kv("get", "touched", NOARGS), OK);
    assert_int_equal(sofa_test_mock_ctl(&mock, "POST", "/mock/clock?advance=15", NULL, NULL, 0),
                     200);
    assert_int_equal(kv("get", "touched", NOARGS), NOT_FOUND);
}

static void lock_unlock_exists(void **state)
{
    (void)state;
    assert_int_equal(kv("set", "lk", "locked value", NOARGS), OK);
    assert_int_equal(kv("lock", "lk", "10", NOARGS), OK);
    char cas[32];
    snprintf(cas, sizeof(cas), "%s", R.out);
    cas[strcspn(cas, "\n")] = '\0';
    assert_true(strtoull(cas, NULL, 10) > 0);
    assert_int_equal(kv("lock", "lk", "10", NOARGS), CONFLICT); /* already locked */
    assert_non_null(strstr(R.err, "E_LOCKED"));
    assert_int_equal(kv("unlock", "lk", "12345", NOARGS), CONFLICT); /* wrong CAS */
    assert_int_equal(kv("--json", "unlock", "lk", cas, NOARGS), OK);
    json_t *j = out_json();
    assert_string_equal(json_string_value(json_object_get(j, "status")), "OK");
    json_decref(j);
    assert_int_equal(kv("unlock", "lk", cas, NOARGS), CONFLICT); /* not locked any more */
    assert_non_null(strstr(R.err, "E_NOT_LOCKED"));
    assert_int_equal(kv("--json", "lock", "lk", "5", NOARGS), OK);
    j = out_json();
    assert_string_equal(json_string_value(json_object_get(j, "value")), "locked value");
    json_decref(j);

    assert_int_equal(kv("exists", "lk", NOARGS), OK);
    assert_string_equal(R.out, "true\n");
    assert_int_equal(kv("--json", "exists", "lk", NOARGS), OK);
    j = out_json();
    assert_true(json_is_true(json_object_get(j, "exists")));
    json_decref(j);
    assert_int_equal(kv("--json", "exists", "no-such", NOARGS), NOT_FOUND);
    j = out_json();
    assert_true(json_is_false(json_object_get(j, "exists")));
    assert_string_equal(json_string_value(json_object_get(j, "status")), "OK");
    json_decref(j);
}

static int count_lines_with(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++) {
        n++;
    }
    return n;
}

static void stats_and_ping(void **state)
{
    (void)state;
    assert_int_equal(kv("ping", NOARGS), OK);
    assert_int_equal(count_lines_with(R.out, "\tOK\t"), mock.nnodes);
    assert_int_equal(kv("--json", "ping", NOARGS), OK);
    json_t *j = out_json();
    assert_int_equal(json_array_size(json_object_get(j, "nodes")), (size_t)mock.nnodes);
    json_decref(j);
    assert_int_equal(kv("stats", NOARGS), OK);
    assert_int_equal(count_lines_with(R.out, "\tpid\t"), mock.nnodes);
    assert_int_equal(kv("--json", "stats", NOARGS), OK);
    j = out_json();
    assert_int_equal(json_object_size(json_object_get(j, "stats")), (size_t)mock.nnodes);
    json_decref(j);
}

static void connection_failures(void **state)
{
    (void)state;
    /* wrong password */
    assert_int_equal(run_with(NULL, 0, NULL, 0, "-U", mock.connstr, "-u", "Administrator", "-P",
                              "wrong", "get", "k", NOARGS),
                     AUTH);
    assert_non_null(strstr(R.err, "E_AUTH_FAILED"));
    /* no such bucket */
    char nobucket[1100];
    snprintf(nobucket, sizeof(nobucket), "%.*s/nosuchbucket",
             (int)(strrchr(mock.connstr, '/') - mock.connstr), mock.connstr);
    assert_int_equal(run_with(NULL, 0, NULL, 0, "-U", nobucket, "-u", "Administrator", "-P",
                              "password", "--json", "get", "k", NOARGS),
                     AUTH);
    json_t *j = out_json();
    assert_string_equal(json_string_value(json_object_get(j, "status")), "E_BUCKET_NOT_FOUND");
    json_decref(j);
    /* bad connection strings */
    assert_int_equal(run_with(NULL, 0, NULL, 0, "-U", "bogus://host", "get", "k", NOARGS), USAGE);
    assert_non_null(strstr(R.err, "E_CONNSTR_SCHEME"));
    assert_int_equal(run_with(NULL, 0, NULL, 0, "-U", "couchbase://h:99999/b", "get", "k", NOARGS),
                     USAGE);
    assert_non_null(strstr(R.err, "E_CONNSTR_PORT"));
    /* nothing listens: the per-seed report is printed */
    assert_int_equal(run_with(NULL, 0, NULL, 0, "-U",
                              "couchbase://127.0.0.1:1/default?config_total_timeout=2", "ping",
                              NOARGS),
                     NETWORK);
    assert_non_null(strstr(R.err, "127.0.0.1:1"));
    /* settings from the environment */
    char env_connstr[1100];
    snprintf(env_connstr, sizeof(env_connstr), "SOFA_CONNSTR=%s", mock.connstr);
    const char *env[] = {env_connstr, "SOFA_USERNAME=Administrator", "SOFA_PASSWORD=password",
                         NULL};
    assert_int_equal(run_with(NULL, 0, env, 0, "set", "envkey", "from-env", NOARGS), OK);
    assert_int_equal(run_with(NULL, 0, env, 0, "get", "envkey", NOARGS), OK);
    assert_string_equal(R.out, "from-env");
    const char *badenv[] = {env_connstr, "SOFA_USERNAME=Administrator", "SOFA_PASSWORD=nope", NULL};
    assert_int_equal(run_with(NULL, 0, badenv, 0, "get", "envkey", NOARGS), AUTH);
}

static void timeouts(void **state)
{
    (void)state;
    assert_int_equal(kv("set", "slow", "v", NOARGS), OK);
    assert_int_equal(sofa_test_mock_ctl(&mock, "POST", "/mock/hang?on=1", NULL, NULL, 0), 200);
    char cs[1200];
    snprintf(cs, sizeof(cs), "%s?config_total_timeout=1&config_node_timeout=0.5", mock.connstr);
    int rc = run_with(NULL, 0, NULL, 0, "-U", cs, "-u", "Administrator", "-P", "password", "-T",
                      "0.3", "get", "slow", NOARGS);
    assert_int_equal(sofa_test_mock_ctl(&mock, "POST", "/mock/reset", NULL, NULL, 0), 200);
    assert_int_equal(rc, TIMEOUT);
    assert_non_null(strstr(R.err, "E_"));
    assert_non_null(strstr(R.err, "TIMEOUT"));
    assert_int_equal(kv("get", "slow", NOARGS), OK);
    /* every answer 300 ms late: bootstrap completes, the get's own -T deadline passes. The
     * handshake takes five round trips (1.5 s): config deadlines far above that, not the
     * 2 s default a loaded machine could miss */
    assert_int_equal(sofa_test_mock_ctl(&mock, "POST", "/mock/delay?ms=300", NULL, NULL, 0), 200);
    snprintf(cs, sizeof(cs), "%s?config_total_timeout=20&config_node_timeout=15", mock.connstr);
    rc = run_with(NULL, 0, NULL, 0, "-U", cs, "-u", "Administrator", "-P", "password", "-T", "0.1",
                  "get", "slow", NOARGS);
    assert_int_equal(sofa_test_mock_ctl(&mock, "POST", "/mock/reset", NULL, NULL, 0), 200);
    assert_int_equal(rc, TIMEOUT);
    if (strstr(R.err, "sofa: get slow: E_TIMEOUT") == NULL) {
        fail_msg("stderr: %s", R.err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(help_and_bad_command_lines),
        cmocka_unit_test(set_and_get_raw_and_json),
        cmocka_unit_test(not_found_everywhere),
        cmocka_unit_test(store_modes_and_cas),
        cmocka_unit_test(counters),
        cmocka_unit_test(expiry_and_touch),
        cmocka_unit_test(lock_unlock_exists),
        cmocka_unit_test(stats_and_ping),
        cmocka_unit_test(connection_failures),
        cmocka_unit_test(timeouts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
