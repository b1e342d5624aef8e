/* The HTTP config stream splitter: every way of cutting the stream gives the same configs;
 * empty segments are skipped; a config over the limit is an error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kv/cfgstream.h"
#include "sofa/status.h"

typedef struct got {
    char out[4][64];
    int n;
} got;

static int collect(void *arg, const uint8_t *json, size_t len)
{
    got *g = arg;
    if (g->n < 4 && len < sizeof(g->out[0])) {
        memcpy(g->out[g->n], json, len);
        g->out[g->n][len] = '\0';
    }
    g->n++;
    return 0;
}

static const char STREAM[] = "{\"rev\":1}\n\n\n\n\n\n\n\n{\"rev\":2,\"x\":\"a\\nb\"}\n\n\n\n{\"rev\":3}\n\n\n";

static void check(const got *g)
{
    assert_int_equal(g->n, 2); /* the third has no separator yet */
    assert_string_equal(g->out[0], "{\"rev\":1}");
    assert_string_equal(g->out[1], "{\"rev\":2,\"x\":\"a\\nb\"}");
}

static void test_every_split_point(void **state)
{
    (void)state;
    size_t len = strlen(STREAM);
    for (size_t a = 0; a <= len; a++) {
        for (size_t b = a; b <= len; b++) {
            sofa__cfgstream s;
            memset(&s, 0, sizeof(s));
            got g;
            memset(&g, 0, sizeof(g));
            assert_int_equal(sofa__cfgstream_feed(&s, STREAM, a, collect, &g), 0);
            assert_int_equal(sofa__cfgstream_feed(&s, STREAM + a, b - a, collect, &g), 0);
            assert_int_equal(sofa__cfgstream_feed(&s, STREAM + b, len - b, collect, &g), 0);
            check(&g);
            assert_int_equal(sofa__cfgstream_feed(&s, "\n", 1, collect, &g), 0);
            assert_int_equal(g.n, 3);
            assert_string_equal(g.out[2], "{\"rev\":3}");
            sofa__cfgstream_free(&s);
        }
    }
}

static void test_byte_by_byte(void **state)
{
    (void)state;
    sofa__cfgstream s;
    memset(&s, 0, sizeof(s));
    got g;
    memset(&g, 0, sizeof(g));
    for (size_t i = 0; i < strlen(STREAM); i++)
        assert_int_equal(sofa__cfgstream_feed(&s, STREAM + i, 1, collect, &g), 0);
    check(&g);
    sofa__cfgstream_reset(&s);
    assert_int_equal(sofa__cfgstream_feed(&s, "\n", 1, collect, &g), 0);
    assert_int_equal(g.n, 2); /* the partial config was dropped by the reset */
    sofa__cfgstream_free(&s);
}

static int stop_cb(void *arg, const uint8_t *json, size_t len)
{
    (void)arg, (void)json, (void)len;
    return SOFA_E_CANCELED;
}

static void test_limits_and_stop(void **state)
{
    (void)state;
    sofa__cfgstream s;
    memset(&s, 0, sizeof(s));
    size_t big = 1024 * 1024;
    char *junk = malloc(big);
    assert_non_null(junk);
    memset(junk, 'x', big);
    int rc = 0;
    for (size_t i = 0; i < SOFA__CFGSTREAM_MAX / big + 2 && rc == 0; i++)
        rc = sofa__cfgstream_feed(&s, junk, big, collect, NULL);
    assert_int_equal(rc, SOFA_E_BAD_CONFIG);
    sofa__cfgstream_free(&s);
    free(junk);
    memset(&s, 0, sizeof(s));
    assert_int_equal(sofa__cfgstream_feed(&s, "{}\n\n\n\n{}\n\n\n\n", 12, stop_cb, NULL),
                     SOFA_E_CANCELED);
    sofa__cfgstream_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_split_point),
        cmocka_unit_test(test_byte_by_byte),
        cmocka_unit_test(test_limits_and_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
