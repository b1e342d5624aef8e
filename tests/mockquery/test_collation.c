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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
