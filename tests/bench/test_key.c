/* sofa-bench's key names: BENCH_KEY_PREFIX + the lowest 10 decimal digits, zero-padded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "bench.h"

static void check(uint64_t n)
{
    char got[BENCH_KEY_MAX], want[BENCH_KEY_MAX];
    size_t len = bench_key(got, n);
    snprintf(want, sizeof(want), "%s%010llu", BENCH_KEY_PREFIX,
             (unsigned long long)(n % 10000000000ull));
    assert_int_equal(len, strlen(want));
    assert_string_equal(got, want);
}

static void key_is_prefix_and_ten_digits(void **state)
{
    (void)state;
    static const uint64_t fixed[] = {
        0,         1,         9,          10,          99,           100,
        12345,     999999999, 1000000000, 9999999999u, 10000000000u, 12345678901234u,
        UINT64_MAX};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        check(fixed[i]);
    uint64_t s = 7;
    for (int i = 0; i < 100000; i++)
        check(bench_rand(&s) % (i & 1 ? 10000000000ull : 1000000ull));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(key_is_prefix_and_ten_digits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
