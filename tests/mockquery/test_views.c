/* The view engine end to end through mock_views_handle, over a fake store. */
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
#include "views.h"

typedef struct fixture {
    mock_cluster *c;
    mock_views *v;
} fixture;

static const char *ddoc_json =
    "{\"views\":{"
    "\"by_name\":{\"map\":\"function(doc, meta){ if (doc.name) emit(doc.name, doc.age); }\"},"
    "\"by_age\":{\"map\":\"function(doc, meta){ if (doc.age !== undefined) emit(doc.age, null); }\","
    "\"reduce\":\"_count\"},"
    "\"age_stats\":{\"map\":\"function(doc, meta){ if (doc.age) emit(doc.type, doc.age); }\",\"reduce\":\"_stats\"},"
    "\"age_sum\":{\"map\":\"function(doc, meta){ if (doc.age) emit([doc.type, doc.name], doc.age); }\",\"reduce\":\"_sum\"},"
    "\"js_max\":{\"map\":\"function(doc, meta){ if (doc.age) emit(doc.type, doc.age); }\","
    "\"reduce\":\"function(keys, values, rereduce){ return Math.max.apply(null, values); }\"},"
    "\"bad_reduce\":{\"map\":\"function(doc, meta){ emit(1, 1); }\","
    "\"reduce\":\"function(keys, values, rereduce){ throw new Error('boom'); }\"},"
    "\"tojson_throws\":{\"map\":\"function(doc, meta){ emit(meta.id, {toJSON: function(){ throw new Error('no'); }}); }\"},"
    "\"tricky\":{\"map\":\"function(doc, meta){ emit(undefined, function(){}); emit(['\\\\ud800'], 1); }\"},"
    "\"meta\":{\"map\":\"function(doc, meta){ emit(meta.id, [meta.type, meta.flags, typeof meta.cas]); }\"},"
    "\"throws\":{\"map\":\"function(doc, meta){ if (doc.name == 'bob') throw new Error('x'); emit(meta.id, 1); }\"}"
    "}}";

static int setup(void **state)
{
    static const char *const names[] = {"b", "other", NULL};
    fixture *f = calloc(1, sizeof(*f));
    f->c = fake_cluster_new(names);
    f->v = mock_views_new();
    assert_non_null(f->v);
    fake_put(f->c, "b", "u3", "{\"type\":\"user\",\"name\":\"carol\",\"age\":41}");
    fake_put(f->c, "b", "u1", "{\"type\":\"user\",\"name\":\"alice\",\"age\":30}");
    fake_put(f->c, "b", "u2", "{\"type\":\"user\",\"name\":\"bob\",\"age\":25}");
    fake_put(f->c, "b", "a1", "{\"type\":\"admin\",\"name\":\"alice\",\"age\":50}");
    fake_put(f->c, "b", "x", "{\"type\":\"misc\",\"age\":null}");
    fake_put(f->c, "b", "bin", "\x01\x02not json");
    *state = f;
    char err[256];
    assert_int_equal(mock_views_put_ddoc(f->v, "b", "dd", ddoc_json, strlen(ddoc_json), err, sizeof(err)), 0);
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    mock_views_free(f->v);
    fake_cluster_free(f->c);
    free(f);
    return 0;
}

/* Run a request, return the parsed body and the HTTP status. */
static json_t *req(fixture *f, const char *method, const char *path, const char *query, const char *body,
                   int *status)
{
    mock_http_producer p = {0};
    int rc = mock_views_handle(f->v, f->c, method, path, query, body, body ? strlen(body) : 0, status, &p);
    assert_int_equal(rc, MOCK_VIEWS_HANDLED);
    char *text = fake_drain(&p, 64, NULL);
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (j == NULL) {
        fail_msg("bad JSON body: %s (%s)", text, je.text);
    }
    free(text);
    return j;
}

static json_t *view(fixture *f, const char *v, const char *query, int expect_status)
{
    char path[128];
    int status = 0;
    snprintf(path, sizeof(path), "/b/_design/dd/_view/%s", v);
    json_t *j = req(f, "GET", path, query, NULL, &status);
    assert_int_equal(status, expect_status);
    return j;
}

static void assert_ids(json_t *j, const char *expect)
{
    char got[512] = "";
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(j, "rows"), i, row) {
        strcat(got, i ? "," : "");
        strcat(got, json_string_value(json_object_get(row, "id")));
    }
    assert_string_equal(got, expect);
}

/* Query view @p v (status 200) and check the ids of its rows, in order. */
static void view_ids(fixture *f, const char *v, const char *query, const char *expect)
{
    json_t *j = view(f, v, query, 200);
    assert_ids(j, expect);
    json_decref(j);
}

static void test_map_rows_sorted_by_key_then_id(void **state)
{
    fixture *f = *state;
    json_t *j = view(f, "by_name", NULL, 200);
    assert_int_equal(json_integer_value(json_object_get(j, "total_rows")), 4);
    assert_ids(j, "a1,u1,u2,u3"); /* alice(a1), alice(u1), bob, carol */
    json_t *r0 = json_array_get(json_object_get(j, "rows"), 0);
    assert_string_equal(json_string_value(json_object_get(r0, "key")), "alice");
    assert_int_equal(json_integer_value(json_object_get(r0, "value")), 50);
    json_decref(j);
}

static void test_key_range_descending_limit_skip(void **state)
{
    fixture *f = *state;
    view_ids(f, "by_name", "key=%22alice%22", "a1,u1");
    view_ids(f, "by_name", "startkey=%22b%22&endkey=%22carol%22&inclusive_end=false", "u2");
    view_ids(f, "by_name", "descending=true&startkey=%22bob%22", "u2,u1,a1");
    view_ids(f, "by_name", "skip=1&limit=2", "u1,u2");
    view_ids(f, "by_name", "startkey=%22alice%22&startkey_docid=u0", "u1,u2,u3");
    view_ids(f, "by_name", "endkey=%22alice%22&endkey_docid=a1", "a1");
    view_ids(f, "by_name", "keys=%5B%22carol%22%2C%22alice%22%2C%22nobody%22%5D", "u3,a1,u1");
}

static void test_post_keys(void **state)
{
    fixture *f = *state;
    int status = 0;
    json_t *j = req(f, "POST", "/b/_design/dd/_view/by_name", NULL, "{\"keys\":[\"bob\"]}", &status);
    assert_int_equal(status, 200);
    assert_ids(j, "u2");
    json_decref(j);
}

static void test_builtin_reduces_and_grouping(void **state)
{
    fixture *f = *state;
    json_t *j = view(f, "by_age", NULL, 200);
    assert_null(json_object_get(j, "total_rows"));
    json_t *r = json_array_get(json_object_get(j, "rows"), 0);
    assert_int_equal(json_array_size(json_object_get(j, "rows")), 1);
    assert_true(json_is_null(json_object_get(r, "key")));
    assert_int_equal(json_integer_value(json_object_get(r, "value")), 5);
    json_decref(j);

    j = view(f, "age_stats", "group=true", 200);
    assert_int_equal(json_array_size(json_object_get(j, "rows")), 2);
    r = json_array_get(json_object_get(j, "rows"), 1); /* "user" after "admin" */
    assert_string_equal(json_string_value(json_object_get(r, "key")), "user");
    json_t *st = json_object_get(r, "value");
    assert_int_equal(json_integer_value(json_object_get(st, "sum")), 96);
    assert_int_equal(json_integer_value(json_object_get(st, "count")), 3);
    assert_int_equal(json_integer_value(json_object_get(st, "min")), 25);
    assert_int_equal(json_integer_value(json_object_get(st, "max")), 41);
    assert_int_equal(json_integer_value(json_object_get(st, "sumsqr")), 41 * 41 + 30 * 30 + 25 * 25);
    json_decref(j);

    j = view(f, "age_sum", "group_level=1", 200);
    assert_int_equal(json_array_size(json_object_get(j, "rows")), 2);
    r = json_array_get(json_object_get(j, "rows"), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(r, "key"), 0)), "user");
    assert_int_equal(json_array_size(json_object_get(r, "key")), 1);
    assert_int_equal(json_integer_value(json_object_get(r, "value")), 96);
    json_decref(j);

    view_ids(f, "age_sum", "reduce=false&limit=1", "a1");
}

static void test_js_reduce(void **state)
{
    fixture *f = *state;
    json_t *j = view(f, "js_max", "group=true&key=%22user%22", 200);
    json_t *r = json_array_get(json_object_get(j, "rows"), 0);
    assert_int_equal(json_integer_value(json_object_get(r, "value")), 41);
    json_decref(j);
}

static void test_meta_and_binary_docs(void **state)
{
    fixture *f = *state;
    json_t *j = view(f, "meta", "key=%22bin%22", 200);
    json_t *v = json_object_get(json_array_get(json_object_get(j, "rows"), 0), "value");
    assert_string_equal(json_string_value(json_array_get(v, 0)), "base64");
    assert_int_equal(json_integer_value(json_array_get(v, 1)), 0);
    assert_string_equal(json_string_value(json_array_get(v, 2)), "number");
    json_decref(j);
    j = view(f, "tojson_throws", NULL, 200); /* the emit throws: every document is skipped */
    assert_int_equal(json_integer_value(json_object_get(j, "total_rows")), 0);
    json_decref(j);
    j = view(f, "tricky", NULL, 200); /* undefined, functions, text jansson rejects: null */
    assert_int_equal(json_integer_value(json_object_get(j, "total_rows")), 12);
    json_t *r0 = json_array_get(json_object_get(j, "rows"), 0);
    assert_true(json_is_null(json_object_get(r0, "key")));
    assert_true(json_is_null(json_object_get(r0, "value")));
    json_decref(j);
    j = view(f, "throws", NULL, 200); /* bob's doc throws: skipped, the rest still map */
    assert_int_equal(json_integer_value(json_object_get(j, "total_rows")), 5);
    json_decref(j);
}

static void expect_error(json_t *j, const char *error, const char *reason)
{
    assert_string_equal(json_string_value(json_object_get(j, "error")), error);
    if (reason != NULL) {
        assert_string_equal(json_string_value(json_object_get(j, "reason")), reason);
    }
    json_decref(j);
}

static void test_errors(void **state)
{
    fixture *f = *state;
    int status = 0;
    expect_error(view(f, "nope", NULL, 404), "not_found", "missing_named_view");
    json_t *be = view(f, "bad_reduce", NULL, 500);
    assert_non_null(strstr(json_string_value(json_object_get(be, "reason")), "boom"));
    expect_error(be, "reduce_error", NULL);
    json_decref(view(f, "bad_reduce", "reduce=false&stale=false", 200));
    expect_error(view(f, "by_name", "limit=x", 400), "query_parse_error", NULL);
    expect_error(view(f, "by_name", "reduce=true", 400), "query_parse_error", NULL);
    expect_error(view(f, "by_name", "startkey=%22z%22&endkey=%22a%22", 400), "query_parse_error", NULL);
    expect_error(view(f, "by_name", "startkey=%22a%22&endkey=%22z%22&descending=true", 400), "query_parse_error", NULL);
    json_decref(view(f, "by_name", "startkey=%22z%22&endkey=%22a%22&descending=true", 200));
    expect_error(view(f, "by_name", "group=true", 400), "query_parse_error", NULL);
    expect_error(view(f, "by_age", "keys=%5B1%5D", 400), "query_parse_error", NULL);
    expect_error(req(f, "GET", "/b/_design/none/_view/v", NULL, NULL, &status), "not_found", "missing");
    assert_int_equal(status, 404);
    expect_error(req(f, "GET", "/nobucket/_design/dd/_view/by_name", NULL, NULL, &status), "not_found", NULL);
    assert_int_equal(status, 404);
    expect_error(req(f, "PUT", "/b/_design/bad", NULL, "{\"views\":{\"v\":{\"map\":\"function(doc{\"}}}",
                     &status),
                 "invalid_design_document", NULL);
    assert_int_equal(status, 400);
    expect_error(req(f, "PUT", "/b/_design/bad", NULL, "[1]", &status), "invalid_design_document", NULL);
    expect_error(req(f, "PUT", "/b/_design/bad", NULL, "{\"views\":{\"v\":{\"map\":\"function(d){}\","
                                                       "\"reduce\":\"_median\"}}}", &status),
                 "invalid_design_document", NULL);
    mock_http_producer p = {0};
    assert_int_equal(mock_views_handle(f->v, f->c, "GET", "/pools/default", NULL, NULL, 0, &status, &p),
                     MOCK_VIEWS_NOT_MINE);
    assert_int_equal(mock_views_handle(f->v, f->c, "GET", "/b/_all_docs", NULL, NULL, 0, &status, &p),
                     MOCK_VIEWS_NOT_MINE);
}

static void test_design_doc_lifecycle(void **state)
{
    fixture *f = *state;
    int status = 0;
    const char *dd = "{\"views\":{\"all\":{\"map\":\"function(doc, meta){ emit(null, null); }\"}}}";
    json_t *j = req(f, "PUT", "/other/_design/dev_x", NULL, dd, &status);
    assert_int_equal(status, 201);
    assert_true(json_is_true(json_object_get(j, "ok")));
    assert_string_equal(json_string_value(json_object_get(j, "id")), "_design/dev_x");
    json_decref(j);
    j = req(f, "GET", "/other/_design/dev_x", NULL, NULL, &status);
    assert_int_equal(status, 200);
    assert_non_null(json_object_get(json_object_get(json_object_get(j, "views"), "all"), "map"));
    json_decref(j);
    j = req(f, "GET", "/other/_design/dev_x/_view/all", NULL, NULL, &status);
    assert_int_equal(json_integer_value(json_object_get(j, "total_rows")), 0);
    json_decref(j);
    /* the design doc belongs to bucket "other", not "b" */
    expect_error(req(f, "GET", "/b/_design/dev_x", NULL, NULL, &status), "not_found", "missing");
    j = req(f, "DELETE", "/other/_design/dev_x", NULL, NULL, &status);
    assert_int_equal(status, 200);
    json_decref(j);
    expect_error(req(f, "GET", "/other/_design/dev_x", NULL, NULL, &status), "not_found", "missing");
    assert_int_equal(status, 404);
}

static void test_rows_streamed_in_pieces(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 2000; i++) {
        char key[32], doc[64];
        snprintf(key, sizeof(key), "n%05d", i);
        snprintf(doc, sizeof(doc), "{\"name\":\"n%05d\",\"age\":%d}", i, i);
        fake_put(f->c, "b", key, doc);
    }
    mock_http_producer p = {0};
    int status = 0;
    assert_int_equal(mock_views_handle(f->v, f->c, "GET", "/b/_design/dd/_view/by_name", NULL, NULL, 0, &status, &p),
                     MOCK_VIEWS_HANDLED);
    /* the first piece holds the header and a few rows, not the whole result */
    mock_strbuf first = {0};
    assert_int_equal(p.produce(p.ctx, &first, 512), 1);
    assert_true(first.len < 1024);
    assert_non_null(strstr(first.data, "{\"total_rows\":2004,\"rows\":["));
    free(first.data);
    size_t calls = 0;
    char *rest = fake_drain(&p, 512, &calls);
    assert_true(calls > 100);
    assert_non_null(strstr(rest, "n01999"));
    free(rest);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_map_rows_sorted_by_key_then_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_range_descending_limit_skip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_post_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_builtin_reduces_and_grouping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_js_reduce, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meta_and_binary_docs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_design_doc_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rows_streamed_in_pieces, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
