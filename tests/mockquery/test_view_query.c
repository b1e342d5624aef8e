/* Parsing of view query options (query string + POST body). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "view_query.h"

static mock_view_opts_rc parse(mock_view_opts *o, const char *q, const char *body, char *err)
{
    return mock_view_opts_parse(o, q, q ? strlen(q) : 0, body, body ? strlen(body) : 0, err, 256);
}

static void test_defaults(void **state)
{
    (void)state;
    mock_view_opts o;
    char err[256];
    assert_int_equal(parse(&o, NULL, NULL, err), MOCK_VIEW_OPTS_OK);
    assert_null(o.key);
    assert_int_equal(o.inclusive_end, 1);
    assert_int_equal(o.limit, -1);
    assert_int_equal(o.reduce, -1);
    assert_int_equal(o.group_level, -1);
    mock_view_opts_clear(&o);
}

static void test_all_options(void **state)
{
    (void)state;
    mock_view_opts o;
    char err[256];
    const char *q = "startkey=%5B%22a%22%2C1%5D&endkey=\"z\"&startkey_docid=d%201&endkey_docid=e+2"
                    "&inclusive_end=false&descending=true&limit=10&skip=3&reduce=false&group_level=2"
                    "&stale=update_after&on_error=stop&connection_timeout=60000&foo=bar";
    assert_int_equal(parse(&o, q, NULL, err), MOCK_VIEW_OPTS_OK);
    assert_true(json_is_array(o.startkey));
    assert_string_equal(json_string_value(json_array_get(o.startkey, 0)), "a");
    assert_string_equal(json_string_value(o.endkey), "z");
    assert_string_equal(o.startkey_docid, "d 1");
    assert_string_equal(o.endkey_docid, "e 2");
    assert_int_equal(o.inclusive_end, 0);
    assert_int_equal(o.descending, 1);
    assert_int_equal(o.limit, 10);
    assert_int_equal(o.skip, 3);
    assert_int_equal(o.reduce, 0);
    assert_int_equal(o.group_level, 2);
    assert_int_equal(o.group, 1);
    mock_view_opts_clear(&o);
}

static void test_keys_from_body(void **state)
{
    (void)state;
    mock_view_opts o;
    char err[256];
    assert_int_equal(parse(&o, "limit=1", "{\"keys\":[1,\"two\"]}", err), MOCK_VIEW_OPTS_OK);
    assert_int_equal(json_array_size(o.keys), 2);
    mock_view_opts_clear(&o);
    assert_int_equal(parse(&o, NULL, "{\"keys\":3}", err), MOCK_VIEW_OPTS_BAD);
    assert_non_null(strstr(err, "keys"));
    mock_view_opts_clear(&o);
    assert_int_equal(parse(&o, NULL, "{not json", err), MOCK_VIEW_OPTS_BAD);
    mock_view_opts_clear(&o);
}

static void test_bad_values(void **state)
{
    (void)state;
    const char *bad[] = {"limit=abc", "limit=-1", "skip=", "descending=yes", "key=notjson", "keys={}",
                         "stale=maybe", "limit=99999999999999999999", "key=%zz", "key=%2", "key=1&keys=[1]",
                         "startkey=%00", "on_error=panic", "group=1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        mock_view_opts o;
        char err[256];
        if (parse(&o, bad[i], NULL, err) != MOCK_VIEW_OPTS_BAD) {
            fail_msg("accepted %s", bad[i]);
        }
        assert_true(strlen(err) > 0);
        mock_view_opts_clear(&o);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_all_options),
        cmocka_unit_test(test_keys_from_body),
        cmocka_unit_test(test_bad_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
