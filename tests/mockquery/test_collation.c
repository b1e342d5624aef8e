/* Couchbase view collation order of JSON values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "collation.h"

static int cmp(const char *a, const char *b)
{
    json_t *x = json_loads(a, JSON_DECODE_ANY, NULL), *y = json_loads(b, JSON_DECODE_ANY, NULL);
    assert_non_null(x);
    assert_non_null(y);
    int c = mock_collate(x, y);
    assert_int_equal(mock_collate(y, x), -c); /* antisymmetric */
    json_decref(x);
    json_decref(y);
    return c;
}

static void test_type_order(void **state)
{
    (void)state;
    const char *order[] = {"null", "false", "true", "-5", "0", "1.5", "2", "\"\"", "\"A\"", "\"a\"",
                           "\"ab\"", "\"b\"", "[]", "[null]", "[1]", "[1,2]", "[2]", "{}", "{\"a\":1}",
                           "{\"a\":2}", "{\"a\":2,\"b\":0}", "{\"b\":0}"};
    size_t n = sizeof(order) / sizeof(order[0]);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(cmp(order[i], order[i]), 0);
        for (size_t j = i + 1; j < n; j++) {
            if (cmp(order[i], order[j]) >= 0) {
                fail_msg("expected %s < %s", order[i], order[j]);
            }
        }
    }
}

static void test_numbers_compare_by_value(void **state)
{
    (void)state;
    assert_int_equal(cmp("1", "1.0"), 0);
    assert_true(cmp("9007199254740993", "9007199254740992") > 0); /* exact for integers */
    assert_true(cmp("-1e3", "-999") < 0);
}

static void test_missing_sorts_first(void **state)
{
    (void)state;
    json_t *n = json_null();
    assert_true(mock_collate(NULL, n) < 0);
    assert_true(mock_collate(n, NULL) > 0);
    assert_int_equal(mock_collate(NULL, NULL), 0);
    assert_int_equal(mock_collate_type_rank(NULL), 0);
    json_decref(n);
}

static int vcmp(const char *a, const char *b)
{
    json_t *x = json_loads(a, JSON_DECODE_ANY, NULL), *y = json_loads(b, JSON_DECODE_ANY, NULL);
    assert_non_null(x);
    assert_non_null(y);
    int c = mock_view_collate(x, y);
    assert_int_equal(mock_view_collate(y, x), -c);
    json_decref(x);
    json_decref(y);
    return c;
}

static void test_view_strings_follow_icu_order(void **state)
{
    (void)state;
    /* ICU root order for ASCII: punctuation < digits < letters, case second */
    const char *order[] = {"\" \"", "\"`\"", "\"^\"", "\"_\"", "\"-\"", "\"!\"", "\"@\"", "\"%\"", "\"+\"", "\"~\"", "\"$\"", "\"0\"", "\"9\"",
                           "\"a\"", "\"A\"", "\"aa\"", "\"Ab\"", "\"b\"", "\"B\"", "\"ba\"", "\"z\"",
                           "\"Z\"", "\"\u00e9\"", "\"\u4e2d\""};
    size_t n = sizeof(order) / sizeof(order[0]);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(vcmp(order[i], order[i]), 0);
        for (size_t j = i + 1; j < n; j++) {
            if (vcmp(order[i], order[j]) >= 0) {
                fail_msg("expected %s < %s in view order", order[i], order[j]);
            }
        }
    }
    /* N1QL keeps byte order: "B" < "a" */
    assert_true(cmp("\"B\"", "\"a\"") < 0);
    assert_true(vcmp("\"B\"", "\"a\"") > 0);
    /* inside arrays and object keys too; other types rank as before */
    assert_true(vcmp("[\"a\", 2]", "[\"B\", 1]") < 0);
    assert_true(vcmp("{\"a\": 1}", "{\"B\": 0}") < 0);
    assert_true(vcmp("\"zzz\"", "[]") < 0);
    assert_true(vcmp("true", "0") < 0);
    /* invalid UTF-8 still gives a total order */
    assert_true(mock_view_collate_strings("a\xff", 2, "a\xfe", 2) > 0);
    assert_int_equal(mock_view_collate_strings("\xc3", 1, "\xc3", 1), 0);
}

static void test_nested(void **state)
{
    (void)state;
    assert_true(cmp("[\"a\",[1,{}]]", "[\"a\",[1,[]]]") > 0);
    assert_true(cmp("[\"a\",{\"x\":[1]}]", "[\"a\",{\"x\":[1,0]}]") < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_order),
        cmocka_unit_test(test_numbers_compare_by_value),
        cmocka_unit_test(test_missing_sorts_first),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_view_strings_follow_icu_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
