/* Sample datasets: deterministic, the advertised shape, and queryable through the
 * views and N1QL engines. */
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
#include "sample.h"
#include "views.h"

typedef struct dump {
    mock_strbuf all;
    size_t n;
} dump;

static int dump_visit(void *arg, const char *key, size_t nkey, const char *val, size_t nval, uint32_t flags,
                      uint64_t cas)
{
    dump *d = arg;
    assert_int_equal(flags, MOCK_SAMPLE_JSON_FLAGS);
    assert_int_equal(mock_strbuf_append(&d->all, key, nkey), 0);
    assert_int_equal(mock_strbuf_append(&d->all, "=", 1), 0);
    assert_int_equal(mock_strbuf_append(&d->all, val, nval), 0);
    assert_int_equal(mock_strbuf_append(&d->all, "\n", 1), 0);
    d->n++;
    return 0;
}

static json_t *view(mock_views *v, mock_cluster *c, const char *path, const char *query)
{
    mock_http_producer p = {0};
    int status = 0;
    assert_int_equal(mock_views_handle(v, c, "GET", path, query, NULL, 0, &status, &p), MOCK_VIEWS_HANDLED);
    assert_int_equal(status, 200);
    char *t = fake_drain(&p, 65536, NULL);
    json_t *j = json_loads(t, 0, NULL);
    free(t);
    assert_non_null(j);
    return j;
}

static void test_beers_deterministic_and_queryable(void **state)
{
    (void)state;
    static const char *const names[] = {"beer-sample", "copy", NULL};
    mock_cluster *c = fake_cluster_new(names);
    mock_views *v = mock_views_new();
    long n = mock_sample_load_into(mock_cluster_bucket(c, "beer-sample"), v, "beers");
    assert_true(n > 2000 && n < 5000);
    assert_int_equal(mock_sample_load_into(mock_cluster_bucket(c, "copy"), NULL, "beers"), n);
    dump a = {0}, b = {0};
    mock_bucket_foreach(mock_cluster_bucket(c, "beer-sample"), dump_visit, &a);
    mock_bucket_foreach(mock_cluster_bucket(c, "copy"), dump_visit, &b);
    assert_int_equal(a.n, (size_t)n);
    assert_int_equal(a.all.len, b.all.len);
    assert_memory_equal(a.all.data, b.all.data, a.all.len);
    free(a.all.data);
    free(b.all.data);

    json_t *j = view(v, c, "/beer-sample/_design/beers/_view/count_by_type", "group=true");
    json_t *rows = json_object_get(j, "rows");
    assert_int_equal(json_array_size(rows), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "key")), "beer");
    long beers = (long)json_integer_value(json_object_get(json_array_get(rows, 0), "value"));
    assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 1), "value")), 300);
    assert_int_equal(beers + 300, n);
    json_decref(j);

    j = view(v, c, "/beer-sample/_design/beers/_view/by_abv", NULL);
    json_t *st = json_object_get(json_array_get(json_object_get(j, "rows"), 0), "value");
    assert_int_equal(json_integer_value(json_object_get(st, "count")), beers);
    assert_true(json_number_value(json_object_get(st, "min")) >= 3.8);
    assert_true(json_number_value(json_object_get(st, "max")) <= 12.0);
    json_decref(j);

    j = view(v, c, "/beer-sample/_design/beers/_view/by_name", "limit=5&startkey=%22H%22");
    assert_int_equal(json_integer_value(json_object_get(j, "total_rows")), beers);
    assert_int_equal(json_array_size(json_object_get(j, "rows")), 5);
    assert_true(strncmp(json_string_value(json_object_get(json_array_get(json_object_get(j, "rows"), 0), "key")),
                        "H", 1) >= 0);
    json_decref(j);

    /* the same data through N1QL */
    mock_n1ql *q = mock_n1ql_new();
    const char *body = "{\"statement\":\"SELECT COUNT(*) AS n FROM `beer-sample` WHERE type = 'beer'\"}";
    mock_http_producer p = {0};
    int status = 0;
    assert_int_equal(mock_n1ql_handle(q, c, "POST", "/query/service", body, strlen(body), &status, &p), 0);
    char *t = fake_drain(&p, 4096, NULL);
    char want[64];
    snprintf(want, sizeof(want), "\"results\":[{\"n\":%ld}]", beers);
    assert_non_null(strstr(t, want));
    free(t);
    mock_n1ql_free(q);
    mock_views_free(v);
    fake_cluster_free(c);
}

static void test_rows_dataset(void **state)
{
    (void)state;
    static const char *const names[] = {"r", NULL};
    mock_cluster *c = fake_cluster_new(names);
    mock_views *v = mock_views_new();
    assert_int_equal(mock_sample_load_into(mock_cluster_bucket(c, "r"), v, "rows:1500"), 1500);
    assert_int_equal(fake_count(c, "r"), 1500);
    json_t *j = view(v, c, "/r/_design/rows/_view/by_n", "reduce=false&skip=1499");
    json_t *row = json_array_get(json_object_get(j, "rows"), 0);
    assert_string_equal(json_string_value(json_object_get(row, "id")), "row::00001499");
    assert_int_equal(json_integer_value(json_object_get(row, "key")), 1499);
    json_decref(j);
    const char *bad[] = {"rows:", "rows:0", "rows:-5", "rows:12x", "rows:99999999999", "nope", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(mock_sample_load_into(mock_cluster_bucket(c, "r"), v, bad[i]), -1);
    }
    mock_views_free(v);
    fake_cluster_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_beers_deterministic_and_queryable),
        cmocka_unit_test(test_rows_dataset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
