/* sofa-bench's latency histogram: bucket edges, relative error bound, percentiles, merge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hist.h"

static void small_values_are_exact(void **state)
{
    (void)state;
    for (uint64_t v = 0; v < 128; v++) {
        assert_int_equal(hist_index(v), v);
        assert_int_equal(hist_bucket_high(hist_index(v)), v);
    }
    assert_int_equal(hist_index(128), 128);
    assert_int_equal(hist_index(129), 128);
    assert_int_equal(hist_index(130), 129);
    assert_int_equal(hist_bucket_high(128), 129);
}

static void every_value_lands_in_a_bucket_that_holds_it(void **state)
{
    (void)state;
    size_t last = 0;
    uint64_t v = 1;
    for (int i = 0; i < 200000; i++) {
        size_t idx = hist_index(v);
        assert_true(idx < HIST_BUCKETS);
        assert_true(idx >= last); /* monotonic */
        last = idx;
        uint64_t high = hist_bucket_high(idx);
        assert_true(high >= v);
        /* the bucket is narrow: under 1/64 of the value */
        assert_true(high - v <= v / 64 + 1);
        if (idx > 0) {
            assert_true(hist_bucket_high(idx - 1) < v);
        }
        v += v / 97 + 1;
        if (v > UINT64_MAX / 2) {
            break;
        }
    }
    assert_int_equal(hist_index(UINT64_MAX), HIST_BUCKETS - 1);
    assert_true(hist_bucket_high(HIST_BUCKETS - 1) == UINT64_MAX);
}

static void percentiles_of_a_known_distribution(void **state)
{
    (void)state;
    static hist h, h2;
    hist_init(&h);
    assert_int_equal(hist_percentile(&h, 50), 0);
    for (uint64_t v = 1; v <= 1000; v++) {
        hist_record(&h, v * 1000); /* 1..1000 us in ns */
    }
    uint64_t p50 = hist_percentile(&h, 50), p99 = hist_percentile(&h, 99);
    uint64_t p999 = hist_percentile(&h, 99.9), p100 = hist_percentile(&h, 100);
    assert_true(p50 >= 500000 && p50 <= 500000 + 500000 / 64 + 1);
    assert_true(p99 >= 990000 && p99 <= 990000 + 990000 / 64 + 1);
    assert_true(p999 >= 999000 && p999 <= 1000000);
    assert_int_equal(p100, 1000000); /* capped at the largest recording */
    assert_int_equal(h.min, 1000);
    assert_true(hist_mean(&h) > 500499.0 && hist_mean(&h) < 500501.0);

    hist_init(&h2);
    for (int i = 0; i < 9000; i++) {
        hist_record(&h2, 5);
    }
    hist_merge(&h2, &h);
    assert_int_equal(h2.total, 10000);
    assert_int_equal(hist_percentile(&h2, 90), 5);
    assert_true(hist_percentile(&h2, 95) >= 500000);
    assert_int_equal(h2.max, 1000000);
    assert_int_equal(h2.min, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_values_are_exact),
        cmocka_unit_test(every_value_lands_in_a_bucket_that_holds_it),
        cmocka_unit_test(percentiles_of_a_known_distribution),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
