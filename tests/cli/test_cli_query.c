/* `sofa query` and `sofa view` (tools/cli/cmd_query.c) against the mock cluster with the
 * beers sample: rows one per line then the metadata, parameters, view options, and the
 * exit codes of a syntax error, a missing keyspace and a missing view. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "cli/clirun.h"
#include "support/mockproc.h"

#define MAX_ARGV 40

static sofa_test_mock mock;
static clirun_result R;

static int sofa(const char *first, ...)
{
    const char *argv[MAX_ARGV] = {"sofa",          "-U", mock.connstr, "-u",
                                  "Administrator", "-P", "password"};
    size_t n = 7;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a != NULL && n < MAX_ARGV - 1; a = va_arg(ap, const char *)) {
        argv[n++] = a;
    }
    va_end(ap);
    argv[n] = NULL;
    clirun_free(&R);
    return clirun(&R, SOFA_CLI_PATH, argv, NULL, NULL, 0, 20000);
}

#define END (const char *)NULL

/* The n-th line of stdout (0-based) parsed as JSON, or NULL. */
static json_t *line_json(size_t n)
{
    const char *p = R.out;
    for (size_t i = 0; i < n && p != NULL; i++) {
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    if (p == NULL || *p == '\0') {
        return NULL;
    }
    return json_loadb(p, strcspn(p, "\n"), 0, NULL);
}

static size_t count_lines(void)
{
    size_t n = 0;
    for (const char *p = R.out; *p; p++) {
        n += *p == '\n';
    }
    return n;
}

static int setup(void **state)
{
    (void)state;
    const char *args[] = {"--nodes", "2", "--sample", "beers", NULL};
    return sofa_test_mock_start(&mock, args);
}

static int teardown(void **state)
{
    (void)state;
    clirun_free(&R);
    sofa_test_mock_stop(&mock);
    return 0;
}

static void query_rows_then_metadata(void **state)
{
    (void)state;
    assert_int_equal(
        sofa("query", "SELECT name FROM `default` WHERE type = \"brewery\" LIMIT 3", END), 0);
    assert_int_equal(count_lines(), 4);
    for (size_t i = 0; i < 3; i++) {
        json_t *row = line_json(i);
        assert_non_null(row);
        assert_true(json_is_string(json_object_get(row, "name")));
        json_decref(row);
    }
    json_t *meta = line_json(3);
    assert_non_null(meta);
    assert_string_equal(json_string_value(json_object_get(meta, "status")), "success");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(meta, "metrics"), "resultCount")), 3);
    json_decref(meta);

    assert_int_equal(
        sofa("query", "SELECT $1 AS v, $x AS w", "--param", "5", "--named", "x=\"a\"", END), 0);
    json_t *row = line_json(0);
    assert_non_null(row);
    assert_int_equal(json_integer_value(json_object_get(row, "v")), 5);
    assert_string_equal(json_string_value(json_object_get(row, "w")), "a");
    json_decref(row);
}

static void query_failures(void **state)
{
    (void)state;
    assert_int_equal(sofa("query", "SELEKT 1", END), 1);
    assert_non_null(strstr(R.err, "E_QUERY_SYNTAX"));
    assert_int_equal(sofa("query", "SELECT * FROM `nosuchbucket`", END), 3);
    assert_non_null(strstr(R.err, "E_QUERY_KEYSPACE_NOT_FOUND"));
    assert_int_equal(sofa("query", "SELECT 1", "--param", "{not json", END), 2);
    assert_int_equal(sofa("query", END), 2); /* the statement is required */
}

static void views(void **state)
{
    (void)state;
    assert_int_equal(sofa("view", "beers", "by_name", "--opt", "limit=2", END), 0);
    assert_int_equal(count_lines(), 3);
    json_t *row = line_json(0);
    assert_non_null(row);
    assert_true(json_is_string(json_object_get(row, "id")));
    assert_true(json_is_string(json_object_get(row, "key")));
    json_decref(row);
    assert_int_equal(sofa("view", "beers", "count_by_type", "--opt", "group=true", END), 0);
    assert_non_null(strstr(R.out, "{\"key\":\"beer\",\"value\":"));
    assert_non_null(strstr(R.out, "{\"key\":\"brewery\",\"value\":"));
    assert_int_equal(sofa("view", "beers", "nosuch", END), 3);
    assert_non_null(strstr(R.err, "E_VIEW_NOT_FOUND"));
    assert_int_equal(sofa("view", "beers", "by_name", "--opt", "limit", END), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(query_rows_then_metadata),
        cmocka_unit_test(query_failures),
        cmocka_unit_test(views),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
