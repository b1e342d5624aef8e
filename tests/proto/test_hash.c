/* CRC32 vBucket mapping (PROTOCOL.md §7.1) and the ketama continuum (§7.2, RFC 26 vectors). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "proto/hash.h"
#include "sofa/status.h"

static void crc32_matches_zlib(void **state)
{
    (void)state;
    assert_int_equal(sofa__crc32("", 0), 0);
    assert_int_equal(sofa__crc32("123456789", 9), 0xcbf43926u);
    assert_int_equal(sofa__crc32("foo", 3), 0x8c736521u);
    assert_int_equal(sofa__crc32("hello", 5), 0x3610a686u);
    assert_int_equal(sofa__crc32("user:1", 6), 0x7ba5c282u);
    assert_int_equal(sofa__crc32("key_0", 5), 0x64e29498u);
}

/* The table-driven CRC equals the bit-at-a-time definition on every length and offset. */
static uint32_t crc32_bitwise(const uint8_t *p, size_t len)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ ((c & 1u) ? 0xedb88320u : 0u);
    }
    return c ^ 0xffffffffu;
}

static void crc32_matches_bitwise_definition(void **state)
{
    (void)state;
    uint8_t buf[600];
    uint32_t x = 12345u;
    for (size_t i = 0; i < sizeof(buf); i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    for (size_t off = 0; off < 8; off++)
        for (size_t len = 0; len + off <= sizeof(buf); len += 1 + len / 8)
            assert_int_equal(sofa__crc32(buf + off, len), crc32_bitwise(buf + off, len));
}

static void vbucket_vectors_table(void **state)
{
    (void)state;
    static const struct {
        const char *key;
        uint16_t vb1024, vb64, vb4;
    } t[] = {
        {"foo", 115, 51, 3}, {"hello", 528, 16, 0}, {"user:1", 933, 37, 1}, {"key_0", 226, 34, 2}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        size_t n = strlen(t[i].key);
        assert_int_equal(sofa__vbucket_of(t[i].key, n, 1024), t[i].vb1024);
        assert_int_equal(sofa__vbucket_of(t[i].key, n, 64), t[i].vb64);
        assert_int_equal(sofa__vbucket_of(t[i].key, n, 4), t[i].vb4);
    }
    /* non-power-of-two counts use the modulus: 3187 % 48 = 19 */
    assert_int_equal(sofa__vbucket_of("foo", 3, 48), 3187 % 48);
    assert_int_equal(sofa__vbucket_of("foo", 3, 0), 0);
}

static const char *const rfc26_servers[] = {"192.168.1.101:11210", "192.168.1.102:11210",
                                            "192.168.1.103:11210", "192.168.1.104:11210"};

static void ketama_points_match_rfc26(void **state)
{
    (void)state;
    sofa__ketama k;
    assert_int_equal(sofa__ketama_build(rfc26_servers, 4, &k), 0);
    assert_int_equal(k.npoints, 640);
    assert_int_equal(k.nservers, 4);
    /* the three lowest points */
    assert_int_equal(k.points[0].point, 19069626u);
    assert_int_equal(k.points[0].server, 3);
    assert_int_equal(k.points[1].point, 28439255u);
    assert_int_equal(k.points[1].server, 0);
    assert_int_equal(k.points[2].point, 36078660u);
    assert_int_equal(k.points[2].server, 3);
    /* sorted, and the sum of all 640 points equals python's hashlib computation */
    uint64_t sum = 0;
    for (size_t i = 0; i < k.npoints; i++) {
        if (i)
            assert_true(k.points[i - 1].point <= k.points[i].point);
        sum += k.points[i].point;
    }
    assert_true(sum == 1361880482724ull);
    /* MD5("192.168.1.101:11210-0") gives these four points, all owned by server 0 */
    static const uint32_t first[] = {2797020385u, 2914209347u, 237247010u, 1832269339u};
    for (size_t j = 0; j < 4; j++) {
        int found = 0;
        for (size_t i = 0; i < k.npoints; i++)
            if (k.points[i].point == first[j] && k.points[i].server == 0)
                found = 1;
        assert_true(found);
    }
    sofa__ketama_free(&k);
    assert_null(k.points);
    sofa__ketama_free(&k); /* twice is harmless */
    sofa__ketama_free(NULL);
}

static void ketama_lookup_matches_rfc26_keys(void **state)
{
    (void)state;
    sofa__ketama k;
    assert_int_equal(sofa__ketama_build(rfc26_servers, 4, &k), 0);
    assert_int_equal(sofa__ketama_lookup(&k, "foo", 3), 2);
    assert_int_equal(sofa__ketama_lookup(&k, "hello", 5), 1);
    assert_int_equal(sofa__ketama_lookup(&k, "user:1", 6), 0);
    assert_int_equal(sofa__ketama_lookup(&k, "", 0), 3);
    sofa__ketama_free(&k);
}

static void ketama_wraps_past_the_largest_point(void **state)
{
    (void)state;
    /* one server: whatever the hash, the answer is server 0, including hashes above the
     * largest point (which must wrap to the first). */
    const char *one[] = {"127.0.0.1:11211"};
    sofa__ketama k;
    assert_int_equal(sofa__ketama_build(one, 1, &k), 0);
    assert_int_equal(k.npoints, 160);
    char key[16];
    for (int i = 0; i < 2000; i++) {
        int n = snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(sofa__ketama_lookup(&k, key, (size_t)n), 0);
    }
    /* With two servers, keys spread over both. */
    const char *two[] = {"a:1", "b:2"};
    sofa__ketama k2;
    assert_int_equal(sofa__ketama_build(two, 2, &k2), 0);
    size_t count[2] = {0, 0};
    for (int i = 0; i < 2000; i++) {
        int n = snprintf(key, sizeof(key), "k%d", i);
        size_t s = sofa__ketama_lookup(&k2, key, (size_t)n);
        assert_true(s < 2);
        count[s]++;
    }
    assert_true(count[0] > 500 && count[1] > 500);
    sofa__ketama_free(&k);
    sofa__ketama_free(&k2);
}

static void ketama_rejects_bad_input(void **state)
{
    (void)state;
    sofa__ketama k;
    assert_int_equal(sofa__ketama_build(rfc26_servers, 0, &k), SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(sofa__ketama_build(NULL, 1, &k), SOFA_E_INVALID_ARGUMENT);
    const char *with_null[] = {"a:1", NULL};
    assert_int_equal(sofa__ketama_build(with_null, 2, &k), SOFA_E_INVALID_ARGUMENT);
    assert_null(k.points);
    assert_int_equal(sofa__ketama_build(rfc26_servers, SOFA__KETAMA_MAX_SERVERS + 1, &k),
                     SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(sofa__ketama_lookup(&k, "foo", 3), 0); /* empty continuum */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc32_matches_zlib),
        cmocka_unit_test(crc32_matches_bitwise_definition),
        cmocka_unit_test(vbucket_vectors_table),
        cmocka_unit_test(ketama_points_match_rfc26),
        cmocka_unit_test(ketama_lookup_matches_rfc26_keys),
        cmocka_unit_test(ketama_wraps_past_the_largest_point),
        cmocka_unit_test(ketama_rejects_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
