/* Error map v1/v2 parsing: attributes, retry specs, lookup, revision order, bad maps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/errmap.h"
#include "sofa/status.h"

static const char map_v2[] =
    "{\"version\":2,\"revision\":5,\"errors\":{"
    "\"0\":{\"name\":\"SUCCESS\",\"desc\":\"Success\",\"attrs\":[\"success\"]},"
    "\"7\":{\"name\":\"NOT_MY_VBUCKET\",\"desc\":\"wrong node\","
    "\"attrs\":[\"fetch-config\",\"retry-now\",\"some-future-attr\"]},"
    "\"86\":{\"name\":\"ETMPFAIL\",\"desc\":\"tmp\",\"attrs\":[\"temp\",\"retry-later\"],"
    "\"retry\":{\"strategy\":\"exponential\",\"interval\":7,\"after\":10,\"ceil\":500,"
    "\"max-duration\":30000}},"
    "\"A2\":{\"name\":\"SYNC_WRITE_IN_PROGRESS\",\"desc\":\"\",\"attrs\":[\"item-locked\","
    "\"retry-later\"],\"retry\":{\"strategy\":\"quadratic\"}},"
    "\"ffff\":{\"attrs\":[]}}}";

static void parses_attributes_and_retry_specs(void **state)
{
    (void)state;
    char err[256];
    sofa__errmap *m = NULL;
    int rc = sofa__errmap_parse(map_v2, strlen(map_v2), &m, err, sizeof(err));
    if (rc)
        fail_msg("%s", err);
    assert_int_equal(m->version, 2);
    assert_int_equal(m->revision, 5);
    assert_int_equal(m->nentries, 5);
    for (size_t i = 1; i < m->nentries; i++)
        assert_true(m->entries[i - 1].code < m->entries[i].code);

    const sofa__errmap_entry *e = sofa__errmap_lookup(m, 0x07);
    assert_non_null(e);
    assert_string_equal(e->name, "NOT_MY_VBUCKET");
    assert_int_equal(e->attrs, SOFA__ERRATTR_FETCH_CONFIG | SOFA__ERRATTR_RETRY_NOW);
    assert_int_equal(e->retry.strategy, SOFA__RETRY_NONE);

    e = sofa__errmap_lookup(m, 0x86);
    assert_non_null(e);
    assert_int_equal(e->attrs, SOFA__ERRATTR_TEMP | SOFA__ERRATTR_RETRY_LATER);
    assert_int_equal(e->retry.strategy, SOFA__RETRY_EXPONENTIAL);
    assert_int_equal(e->retry.interval_ms, 7);
    assert_int_equal(e->retry.after_ms, 10);
    assert_int_equal(e->retry.ceil_ms, 500);
    assert_int_equal(e->retry.max_duration_ms, 30000);

    e = sofa__errmap_lookup(m, 0xa2); /* upper-case hex key */
    assert_non_null(e);
    assert_int_equal(e->attrs, SOFA__ERRATTR_ITEM_LOCKED | SOFA__ERRATTR_RETRY_LATER);
    assert_int_equal(e->retry.strategy, SOFA__RETRY_NONE); /* unknown strategy ignored */

    e = sofa__errmap_lookup(m, 0xffff);
    assert_non_null(e);
    assert_string_equal(e->name, "");
    assert_int_equal(e->attrs, 0);
    assert_null(sofa__errmap_lookup(m, 0x01));
    assert_null(sofa__errmap_lookup(NULL, 0x01));
    sofa__errmap_free(m);
    sofa__errmap_free(NULL);
}

static void keeps_the_highest_revision(void **state)
{
    (void)state;
    const char *v1 = "{\"version\":1,\"revision\":3,\"errors\":{}}";
    sofa__errmap *a = NULL, *b = NULL;
    assert_int_equal(sofa__errmap_parse(v1, strlen(v1), &a, NULL, 0), 0);
    assert_int_equal(a->version, 1);
    assert_int_equal(a->nentries, 0);
    assert_int_equal(sofa__errmap_parse(map_v2, strlen(map_v2), &b, NULL, 0), 0);
    assert_int_equal(sofa__errmap_newer(NULL, a), 1);
    assert_int_equal(sofa__errmap_newer(a, b), 1);
    assert_int_equal(sofa__errmap_newer(b, a), 0);
    assert_int_equal(sofa__errmap_newer(b, b), 0);
    assert_int_equal(sofa__errmap_newer(b, NULL), 0);
    sofa__errmap_free(a);
    sofa__errmap_free(b);
}

static void rejects_bad_maps_naming_the_field(void **state)
{
    (void)state;
    static const struct {
        const char *json, *field;
    } t[] = {
        {"nope", "invalid JSON"},
        {"[]", "not a JSON object"},
        {"{\"revision\":1,\"errors\":{}}", "version"},
        {"{\"version\":3,\"revision\":1,\"errors\":{}}", "version"},
        {"{\"version\":2,\"errors\":{}}", "revision"},
        {"{\"version\":2,\"revision\":1}", "errors"},
        {"{\"version\":2,\"revision\":1,\"errors\":[]}", "errors"},
        {"{\"version\":2,\"revision\":1,\"errors\":{\"xyz\":{}}}", "errors.xyz"},
        {"{\"version\":2,\"revision\":1,\"errors\":{\"10000\":{}}}", "errors.10000"},
        {"{\"version\":2,\"revision\":1,\"errors\":{\"\":{}}}", "errors."},
        {"{\"version\":2,\"revision\":1,\"errors\":{\"1\":5}}", "errors.1"},
        {"{\"version\":2,\"revision\":1,\"errors\":{\"1\":{\"name\":1}}}", "errors.1.name"},
        {"{\"version\":2,\"revision\":1,\"errors\":{\"1\":{\"attrs\":{}}}}", "errors.1.attrs"},
        {"{\"version\":2,\"revision\":1,\"errors\":{\"1\":{\"attrs\":[1]}}}", "errors.1.attrs[0]"},
        {"{\"version\":2,\"revision\":1,\"errors\":{\"1\":{\"retry\":{}}}}", "retry.strategy"},
        {"{\"version\":2,\"revision\":1,\"errors\":{\"1\":{\"retry\":{\"strategy\":\"linear\","
         "\"interval\":-1}}}}",
         "retry.interval"},
        {"{\"version\":2,\"revision\":1,\"errors\":{\"1\":{},\"01\":{}}}", "twice"},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        char err[256] = "";
        sofa__errmap *m = NULL;
        int rc = sofa__errmap_parse(t[i].json, strlen(t[i].json), &m, err, sizeof(err));
        if (rc != SOFA_E_BAD_CONFIG || m || !strstr(err, t[i].field))
            fail_msg("case %zu: rc %s err \"%s\" want \"%s\"", i, sofa_status_name(rc), err,
                     t[i].field);
    }
    sofa__errmap *m = NULL;
    assert_int_equal(sofa__errmap_parse("{}", SOFA__ERRMAP_MAX_JSON + 1, &m, NULL, 0),
                     SOFA_E_BAD_CONFIG);
    assert_int_equal(sofa__errmap_parse(NULL, 0, &m, NULL, 0), SOFA_E_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_attributes_and_retry_specs),
        cmocka_unit_test(keeps_the_highest_revision),
        cmocka_unit_test(rejects_bad_maps_naming_the_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
