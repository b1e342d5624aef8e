/* Retry decisions: what is retried, with which backoff, and which timeout status a
 * deadline produces (a sent mutation is ambiguous, never silently retried). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <string.h>

#include <cmocka.h>

#include "kv/engine.h"

static void test_retryable_statuses(void **state)
{
    (void)state;
    uint64_t d;
    assert_int_equal(sofa__retry_decide(SOFA_E_NOT_MY_VBUCKET, 0, 0, &d), SOFA__RETRY_BACKOFF);
    assert_int_equal(sofa__retry_decide(SOFA_E_TEMPORARY_FAILURE, SOFA__OPF_MUTATION, 0, &d),
                     SOFA__RETRY_BACKOFF);
    assert_int_equal(sofa__retry_decide(SOFA_E_SERVER_BUSY, 0, 3, &d), SOFA__RETRY_BACKOFF);
    assert_int_equal(sofa__retry_decide(SOFA_E_LOCKED, SOFA__OPF_RETRY_LOCKED, 0, &d),
                     SOFA__RETRY_BACKOFF);
    assert_int_equal(sofa__retry_decide(SOFA_E_LOCKED, 0, 0, &d), SOFA__RETRY_NO);
    assert_int_equal(sofa__retry_decide(SOFA_E_NOT_FOUND, 0, 0, &d), SOFA__RETRY_NO);
    assert_int_equal(sofa__retry_decide(SOFA_E_EXISTS, SOFA__OPF_MUTATION, 0, &d), SOFA__RETRY_NO);
    assert_int_equal(sofa__retry_decide(SOFA_E_AUTH_FAILED, 0, 0, &d), SOFA__RETRY_NO);
    assert_int_equal(sofa__retry_decide(SOFA_E_SYNC_WRITE_AMBIGUOUS, SOFA__OPF_MUTATION, 0, &d),
                     SOFA__RETRY_NO);
}

static void test_backoff_grows_and_is_capped(void **state)
{
    (void)state;
    assert_int_equal(sofa__retry_backoff(0), SOFA__RETRY_MIN_US);
    assert_int_equal(sofa__retry_backoff(1), 2 * SOFA__RETRY_MIN_US);
    assert_int_equal(sofa__retry_backoff(3), 8 * SOFA__RETRY_MIN_US);
    assert_int_equal(sofa__retry_backoff(100), SOFA__RETRY_MAX_US);
    assert_int_equal(sofa__retry_backoff(UINT32_MAX), SOFA__RETRY_MAX_US);
}

static void test_timeout_status(void **state)
{
    (void)state;
    assert_int_equal(sofa__timeout_status(0, 0, 0), SOFA_E_TIMEOUT);
    assert_int_equal(sofa__timeout_status(SOFA__OPF_MUTATION, 0, 0), SOFA_E_TIMEOUT);
    assert_int_equal(sofa__timeout_status(0, 1, 0), SOFA_E_TIMEOUT_READ);
    assert_int_equal(sofa__timeout_status(SOFA__OPF_MUTATION, 1, 1), SOFA_E_TIMEOUT_AMBIGUOUS);
    /* a mutation parked for a retry after it may have executed is still ambiguous */
    assert_int_equal(sofa__timeout_status(SOFA__OPF_MUTATION, 0, 1), SOFA_E_TIMEOUT_AMBIGUOUS);
}

static void test_error_map_attributes(void **state)
{
    (void)state;
    uint64_t d;
    int refresh;
    assert_int_equal(sofa__retry_decide_attrs(SOFA__ERRATTR_TEMP | SOFA__ERRATTR_RETRY_NOW, 0, &d,
                                              &refresh), SOFA__RETRY_BACKOFF);
    assert_int_equal(refresh, 0);
    uint64_t now_delay = d;
    assert_int_equal(sofa__retry_decide_attrs(SOFA__ERRATTR_RETRY_LATER, 0, &d, &refresh),
                     SOFA__RETRY_BACKOFF);
    assert_true(d > now_delay);
    assert_int_equal(sofa__retry_decide_attrs(SOFA__ERRATTR_FETCH_CONFIG, 0, &d, &refresh),
                     SOFA__RETRY_NO);
    assert_int_equal(refresh, 1);
    assert_int_equal(sofa__retry_decide_attrs(SOFA__ERRATTR_TEMP | SOFA__ERRATTR_NO_RETRY, 0, &d,
                                              &refresh), SOFA__RETRY_NO);
    assert_int_equal(sofa__retry_decide_attrs(SOFA__ERRATTR_ITEM_ONLY, 0, &d, &refresh),
                     SOFA__RETRY_NO);
    /* with a parsed map: an unknown code marked retry-now */
    const char *js = "{\"version\":2,\"revision\":3,\"errors\":{\"7777\":{\"name\":\"NEW\","
                     "\"desc\":\"d\",\"attrs\":[\"temp\",\"retry-now\",\"some-future-attr\"]}}}";
    sofa__errmap *m = NULL;
    assert_int_equal(sofa__errmap_parse(js, strlen(js), &m, NULL, 0), 0);
    const sofa__errmap_entry *e = sofa__errmap_lookup(m, 0x7777);
    assert_non_null(e);
    assert_int_equal(sofa__retry_decide_attrs(e->attrs, 2, &d, &refresh), SOFA__RETRY_BACKOFF);
    sofa__errmap_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retryable_statuses),
        cmocka_unit_test(test_backoff_grows_and_is_capped),
        cmocka_unit_test(test_timeout_status),
        cmocka_unit_test(test_error_map_attributes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
