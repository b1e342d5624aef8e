/* The query service end to end through mock_n1ql_handle, over a fake store:
 * result shapes, every clause of the subset, parameters, prepared statements,
 * error codes and HTTP statuses, timeouts and progressive streaming. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "fake_store.h"
#include "n1ql.h"

typedef struct fixture {
    mock_cluster *c;
    mock_n1ql *q;
} fixture;

static int setup(void **state)
{
    static const char *const names[] = {"b", "big", "beer-sample", NULL};
    fixture *f = calloc(1, sizeof(*f));
    f->c = fake_cluster_new(names);
    f->q = mock_n1ql_new();
    assert_non_null(f->q);
    fake_put(f->c, "b", "u3", "{\"type\":\"user\",\"name\":\"carol\",\"age\":41,\"tags\":[\"x\"]}");
    fake_put(f->c, "b", "u1", "{\"type\":\"user\",\"name\":\"alice\",\"age\":30,\"addr\":{\"city\":\"Oslo\"}}");
    fake_put(f->c, "b", "u2", "{\"type\":\"user\",\"name\":\"bob\",\"age\":25,\"email\":null}");
    fake_put(f->c, "b", "a1", "{\"type\":\"admin\",\"name\":\"dave\",\"age\":50}");
    fake_put(f->c, "b", "bin", "\x01not json");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    mock_n1ql_free(f->q);
    fake_cluster_free(f->c);
    free(f);
    return 0;
}

static json_t *post(fixture *f, const char *body, int *status)
{
    mock_http_producer p = {0};
    assert_int_equal(mock_n1ql_handle(f->q, f->c, "POST", "/query/service", body, strlen(body), status, &p),
                     MOCK_N1QL_HANDLED);
    char *text = fake_drain(&p, 100, NULL);
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (j == NULL) {
        fail_msg("bad JSON response %s: %s", text, je.text);
    }
    free(text);
    return j;
}

/* Run a statement expecting success; returns the results array as compact text. */
static char *results_of(fixture *f, const char *body)
{
    int status = 0;
    json_t *j = post(f, body, &status);
    if (status != 200 || strcmp(json_string_value(json_object_get(j, "status")), "success") != 0) {
        char *t = json_dumps(j, JSON_COMPACT);
        fail_msg("query %s failed: %d %s", body, status, t);
    }
    json_t *m = json_object_get(j, "metrics");
    assert_int_equal(json_integer_value(json_object_get(m, "resultCount")),
                     json_array_size(json_object_get(j, "results")));
    assert_non_null(json_string_value(json_object_get(m, "elapsedTime")));
    assert_non_null(json_string_value(json_object_get(j, "requestID")));
    char *r = json_dumps(json_object_get(j, "results"), JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(j);
    return r;
}

static void expect_results(fixture *f, const char *body, const char *expect)
{
    char *r = results_of(f, body);
    if (strcmp(r, expect) != 0) {
        fail_msg("%s\n  got:  %s\n  want: %s", body, r, expect);
    }
    free(r);
}

static void expect_error(fixture *f, const char *body, int http, int code)
{
    int status = 0;
    json_t *j = post(f, body, &status);
    json_t *e = json_array_get(json_object_get(j, "errors"), 0);
    if (status != http || json_integer_value(json_object_get(e, "code")) != code) {
        char *t = json_dumps(j, JSON_COMPACT);
        fail_msg("%s: want %d/%d, got %d %s", body, http, code, status, t);
    }
    assert_non_null(json_string_value(json_object_get(e, "msg")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "metrics"), "errorCount")), 1);
    json_decref(j);
}

static void test_select_shapes(void **state)
{
    fixture *f = *state;
    expect_results(f, "{\"statement\":\"SELECT name FROM b\"}",
                   "[{\"name\":\"dave\"},{\"name\":\"alice\"},{\"name\":\"bob\"},{\"name\":\"carol\"}]");
    expect_results(f, "{\"statement\":\"SELECT * FROM b USE KEYS 'u2'\"}",
                   "[{\"b\":{\"type\":\"user\",\"name\":\"bob\",\"age\":25,\"email\":null}}]");
    expect_results(f, "{\"statement\":\"SELECT x.* FROM b AS x USE KEYS ['u2']\"}",
                   "[{\"type\":\"user\",\"name\":\"bob\",\"age\":25,\"email\":null}]");
    expect_results(f, "{\"statement\":\"SELECT RAW META().id FROM b\"}", "[\"a1\",\"u1\",\"u2\",\"u3\"]");
    expect_results(f, "{\"statement\":\"SELECT META(b).id, b.addr.city AS city FROM b USE KEYS ['u1','nope','u3']\"}",
                   "[{\"id\":\"u1\",\"city\":\"Oslo\"},{\"id\":\"u3\"}]");
    expect_results(f, "{\"statement\":\"SELECT 1+1 AS two, 'a' || 'b' AS ab, 7/2 AS d, [1,{'k':2}] AS l\"}",
                   "[{\"two\":2,\"ab\":\"ab\",\"d\":3.5,\"l\":[1,{\"k\":2}]}]");
    expect_results(f, "{\"statement\":\"SELECT RAW tags[0] FROM b\"}", "[\"x\"]");
}

static void test_where_order_limit(void **state)
{
    fixture *f = *state;
    expect_results(f, "{\"statement\":\"SELECT RAW name FROM b WHERE age > 26 AND type = 'user' ORDER BY age DESC\"}",
                   "[\"carol\",\"alice\"]");
    expect_results(f, "{\"statement\":\"SELECT RAW name FROM b WHERE NOT (age >= 30) OR name == 'dave' ORDER BY name\"}",
                   "[\"bob\",\"dave\"]");
    expect_results(f, "{\"statement\":\"SELECT RAW META().id FROM b WHERE email IS NULL\"}", "[\"u2\"]");
    expect_results(f, "{\"statement\":\"SELECT RAW META().id FROM b WHERE email IS MISSING ORDER BY META().id DESC\"}",
                   "[\"u3\",\"u1\",\"a1\"]");
    expect_results(f, "{\"statement\":\"SELECT RAW META().id FROM b WHERE email IS NOT MISSING\"}", "[\"u2\"]");
    expect_results(f, "{\"statement\":\"SELECT RAW name FROM b WHERE name LIKE '%o%' AND age BETWEEN 20 AND 45 "
                      "AND type IN ['user','x'] ORDER BY name\"}",
                   "[\"bob\",\"carol\"]");
    expect_results(f, "{\"statement\":\"SELECT name n FROM b ORDER BY n LIMIT 2 OFFSET 1\"}",
                   "[{\"n\":\"bob\"},{\"n\":\"carol\"}]");
    expect_results(f, "{\"statement\":\"SELECT RAW name FROM b OFFSET 3\"}", "[\"carol\"]");
    expect_results(f, "{\"statement\":\"SELECT RAW name FROM b LIMIT 0\"}", "[]");
    expect_results(f, "{\"statement\":\"SELECT RAW age FROM b WHERE age != 30 ORDER BY type, age DESC\"}",
                   "[50,41,25]");
}

static void test_aggregates(void **state)
{
    fixture *f = *state;
    expect_results(f, "{\"statement\":\"SELECT COUNT(*) FROM b\"}", "[{\"$1\":4}]");
    expect_results(f, "{\"statement\":\"SELECT COUNT(*) AS n, SUM(age) s, MIN(name) mn, MAX(age) mx, AVG(age) a, "
                      "COUNT(email) ce FROM b WHERE type = 'user'\"}",
                   "[{\"n\":3,\"s\":96,\"mn\":\"alice\",\"mx\":41,\"a\":32,\"ce\":0}]");
    expect_results(f, "{\"statement\":\"SELECT RAW COUNT(*) FROM b WHERE age > 100\"}", "[0]");
    expect_error(f, "{\"statement\":\"SELECT name, COUNT(*) FROM b\"}", 200, 4210);
}

static void test_expression_semantics(void **state)
{
    fixture *f = *state;
    expect_results(f, "{\"statement\":\"SELECT RAW [NULL AND FALSE, NULL OR TRUE, MISSING IS MISSING, NULL IS NULL, "
                      "1 < 'a', LENGTH('h\u00e9llo'), UPPER('abc'), TYPE(MISSING), ROUND(2.5), ABS(-3), TOSTRING(12), "
                      "5 % 3, -(2), 'ab' LIKE 'a_', 'abc' LIKE '%c', [1,2] = [1,2], NULL = 1, MISSING = 1, "
                      "NOT NULL, 2 IN [1,2], 3 NOT BETWEEN 1 AND 2, {'a':MISSING,'b':1}, 9223372036854775807 + 1 > 0]\"}",
                   "[[false,true,true,true,true,5,\"ABC\",\"missing\",3,3,\"12\",2,-2,true,true,true,null,null,"
                   "null,true,true,{\"b\":1},true]]");
    expect_results(f, "{\"statement\":\"SELECT RAW (MISSING = 1)\"}", "[]");
    expect_results(f, "{\"statement\":\"SELECT RAW 1/0\"}", "[null]");
    /* WHERE keeps only TRUE: NULL and MISSING comparisons drop the row */
    expect_results(f, "{\"statement\":\"SELECT RAW META().id FROM b WHERE email = NULL OR nosuch = 1\"}", "[]");
    expect_results(f, "{\"statement\":\"SELECT RAW META().id FROM b WHERE NOT (email IS VALUED) ORDER BY META().id\"}",
                   "[\"a1\",\"u1\",\"u2\",\"u3\"]");
}

static void test_parameters(void **state)
{
    fixture *f = *state;
    expect_results(f, "{\"statement\":\"SELECT RAW name FROM b WHERE age > $1 AND type = $2 ORDER BY name\","
                      "\"args\":[26,\"user\"]}",
                   "[\"alice\",\"carol\"]");
    expect_results(f, "{\"statement\":\"SELECT RAW name FROM b WHERE age = $age\",\"$age\":50}", "[\"dave\"]");
    expect_results(f, "{\"statement\":\"SELECT RAW name FROM b USE KEYS $keys ORDER BY name LIMIT $n\","
                      "\"$keys\":[\"u1\",\"u3\"],\"$n\":1}",
                   "[\"alice\"]");
    expect_results(f, "{\"statement\":\"SELECT RAW name FROM b WHERE age < ? ORDER BY name\",\"args\":[30]}",
                   "[\"bob\"]");
    expect_error(f, "{\"statement\":\"SELECT RAW name FROM b WHERE age = $1\"}", 200, 5010);
    expect_error(f, "{\"statement\":\"SELECT 1 LIMIT $x\",\"$x\":\"ten\"}", 400, 5030);
}

static void test_response_fields(void **state)
{
    fixture *f = *state;
    int status = 0;
    json_t *j = post(f, "{\"statement\":\"SELECT name AS n, COUNT(*) c FROM b\",\"client_context_id\":\"ctx-1\","
                        "\"scan_consistency\":\"request_plus\",\"readonly\":true,\"pretty\":false,\"timeout\":\"75s\"}",
                     &status);
    assert_string_equal(json_string_value(json_object_get(j, "clientContextID")), "ctx-1");
    json_t *sig = json_object_get(j, "signature");
    assert_string_equal(json_string_value(json_object_get(sig, "n")), "json");
    assert_string_equal(json_string_value(json_object_get(sig, "c")), "number");
    json_decref(j);
    j = post(f, "{\"statement\":\"SELECT RAW 1\",\"metrics\":false}", &status);
    assert_null(json_object_get(j, "metrics"));
    assert_int_equal(json_integer_value(json_array_get(json_object_get(j, "results"), 0)), 1);
    json_decref(j);
}

static void test_request_errors(void **state)
{
    fixture *f = *state;
    expect_error(f, "{\"statement\":\"SELECT 1\",\"bogus\":1}", 400, 1065);
    expect_error(f, "{\"args\":[1]}", 400, 1050);
    expect_error(f, "not json", 400, 1000);
    expect_error(f, "{\"statement\":5}", 400, 1060);
    expect_error(f, "{\"statement\":\"SELECT 1\",\"timeout\":\"soon\"}", 400, 1060);
    expect_error(f, "{\"statement\":\"SELECT 1\",\"scan_consistency\":\"eventually\"}", 400, 1060);
    expect_error(f, "{\"statement\":\"SELEC 1\"}", 400, 3000);
    expect_error(f, "{\"statement\":\"SELECT * FROM nope\"}", 424, 12003);
    expect_error(f, "{\"statement\":\"SELECT * FROM b.s.c\"}", 424, 12003);
    int status = 0;
    mock_http_producer p = {0};
    assert_int_equal(mock_n1ql_handle(f->q, f->c, "GET", "/query/service", NULL, 0, &status, &p), MOCK_N1QL_HANDLED);
    assert_int_equal(status, 405);
    free(fake_drain(&p, 1000, NULL));
    assert_int_equal(mock_n1ql_handle(f->q, f->c, "POST", "/pools", "", 0, &status, &p), MOCK_N1QL_NOT_MINE);
}

static void test_prepared_classic(void **state)
{
    fixture *f = *state;
    int status = 0;
    json_t *j = post(f, "{\"statement\":\"PREPARE SELECT RAW name FROM b WHERE age > $1 ORDER BY name\"}", &status);
    assert_int_equal(status, 200);
    json_t *r = json_array_get(json_object_get(j, "results"), 0);
    const char *name = json_string_value(json_object_get(r, "name"));
    const char *plan = json_string_value(json_object_get(r, "encoded_plan"));
    assert_non_null(name);
    assert_non_null(plan);
    char body[2048];
    snprintf(body, sizeof(body), "{\"prepared\":\"%s\",\"encoded_plan\":\"%s\",\"args\":[35]}", name, plan);
    expect_results(f, body, "[\"carol\",\"dave\"]");
    /* a fresh service (say, after a restart) re-creates the statement from the plan */
    mock_n1ql_free(f->q);
    f->q = mock_n1ql_new();
    expect_results(f, body, "[\"carol\",\"dave\"]");
    snprintf(body, sizeof(body), "{\"prepared\":\"%s\",\"args\":[45]}", name);
    expect_results(f, body, "[\"dave\"]");
    snprintf(body, sizeof(body), "{\"prepared\":\"%s\",\"encoded_plan\":\"AAAA%s\"}", name, plan);
    expect_error(f, body, 404, 4070);
    snprintf(body, sizeof(body), "{\"prepared\":\"other\",\"encoded_plan\":\"%s\"}", plan);
    expect_error(f, body, 404, 4070);
    expect_error(f, "{\"prepared\":\"x\",\"encoded_plan\":\"!!!\"}", 404, 4070);
    json_decref(j);
    expect_error(f, "{\"prepared\":\"never-prepared\"}", 404, 4040);
    expect_error(f, "{\"prepared\":42}", 404, 4050);
    expect_error(f, "{\"prepared\":\"\"}", 404, 4050);
}

static void test_prepared_named_execute_and_auto(void **state)
{
    fixture *f = *state;
    char *r = results_of(f, "{\"statement\":\"PREPARE byname FROM SELECT RAW age FROM b WHERE name = $n\"}");
    assert_non_null(strstr(r, "\"name\":\"byname\""));
    free(r);
    expect_results(f, "{\"statement\":\"EXECUTE byname\",\"$n\":\"bob\"}", "[25]");
    expect_results(f, "{\"prepared\":\"byname\",\"$n\":\"alice\"}", "[30]");
    expect_error(f, "{\"statement\":\"EXECUTE nosuch\"}", 404, 4040);
    /* enhanced prepared statements: prepare and run at once, then by name only */
    int status = 0;
    json_t *j = post(f, "{\"statement\":\"PREPARE SELECT RAW name FROM b WHERE age < $1\",\"auto_execute\":true,"
                        "\"args\":[26]}", &status);
    assert_int_equal(status, 200);
    const char *name = json_string_value(json_object_get(j, "prepared"));
    assert_non_null(name);
    char *res = json_dumps(json_object_get(j, "results"), JSON_COMPACT);
    assert_string_equal(res, "[\"bob\"]");
    free(res);
    char body[256];
    snprintf(body, sizeof(body), "{\"prepared\":\"%s\",\"args\":[31]}", name);
    expect_results(f, body, "[\"alice\",\"bob\"]");
    /* the same anonymous text prepares to the same name */
    json_t *j2 = post(f, "{\"statement\":\"PREPARE SELECT RAW name FROM b WHERE age < $1\",\"auto_execute\":true,"
                         "\"args\":[1]}", &status);
    assert_string_equal(json_string_value(json_object_get(j2, "prepared")), name);
    json_decref(j2);
    json_decref(j);
}

static void test_timeout(void **state)
{
    fixture *f = *state;
    int status = 0;
    json_t *j = post(f, "{\"statement\":\"SELECT * FROM b\",\"timeout\":\"1ns\"}", &status);
    assert_int_equal(status, 200);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "timeout");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(j, "errors"), 0), "code")), 1080);
    json_decref(j);
}

static void test_large_result_streams_progressively(void **state)
{
    fixture *f = *state;
    char key[32], doc[96];
    for (int i = 0; i < 100000; i++) {
        snprintf(key, sizeof(key), "row::%06d", i);
        snprintf(doc, sizeof(doc), "{\"type\":\"row\",\"n\":%d,\"payload\":\"row %d\"}", i, i);
        fake_put(f->c, "big", key, doc);
    }
    const char *body = "{\"statement\":\"SELECT RAW n FROM big WHERE type = 'row'\"}";
    mock_http_producer p = {0};
    int status = 0;
    assert_int_equal(mock_n1ql_handle(f->q, f->c, "POST", "/query/service", body, strlen(body), &status, &p),
                     MOCK_N1QL_HANDLED);
    assert_int_equal(status, 200);
    /* header, then the first rows: nowhere near the whole result */
    mock_strbuf first = {0};
    assert_int_equal(p.produce(p.ctx, &first, 4096), 1);
    assert_non_null(strstr(first.data, "\"results\":["));
    assert_int_equal(p.produce(p.ctx, &first, 4096), 1);
    assert_true(first.len < 16384);
    assert_non_null(strstr(first.data, "[0,1,2,"));
    assert_null(strstr(first.data, "99999"));
    free(first.data);
    size_t calls = 0;
    char *rest = fake_drain(&p, 16384, &calls);
    assert_true(calls > 20);
    assert_non_null(strstr(rest, ",99999]"));
    assert_non_null(strstr(rest, "\"resultCount\":100000"));
    free(rest);
    /* ORDER BY materializes first, but still formats chunk by chunk */
    expect_results(f, "{\"statement\":\"SELECT RAW n FROM big ORDER BY n DESC LIMIT 3\"}", "[99999,99998,99997]");
    expect_results(f, "{\"statement\":\"SELECT COUNT(*) AS c FROM big WHERE n >= 50000\"}", "[{\"c\":50000}]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_select_shapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_where_order_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aggregates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expression_semantics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parameters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_response_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepared_classic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepared_named_execute_and_auto, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_result_streams_progressively, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
