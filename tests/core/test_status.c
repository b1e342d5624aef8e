/* Every status code has a distinct number, a name, a message and a category. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sofa/status.h"

static const int all_codes[] = {
#define CODE(name, num, cat, flags, msg) num,
    SOFA_STATUS_MAP(CODE)
#undef CODE
};
#define NCODES (sizeof(all_codes) / sizeof(all_codes[0]))

static void every_code_has_name_message_and_category(void **state)
{
    (void)state;
    for (size_t i = 0; i < NCODES; i++) {
        int c = all_codes[i];
        assert_string_not_equal(sofa_status_name(c), "UNKNOWN");
        assert_string_not_equal(sofa_strerror(c), "unknown status");
        assert_true(strlen(sofa_strerror(c)) > 3);
        if (c == 0) {
            assert_int_equal(sofa_status_category(c), SOFA_CAT_SUCCESS);
        } else {
            assert_true(c < 0);
            assert_int_not_equal(sofa_status_category(c), SOFA_CAT_SUCCESS);
        }
    }
}

static void codes_and_names_are_unique(void **state)
{
    (void)state;
    for (size_t i = 0; i < NCODES; i++) {
        for (size_t j = i + 1; j < NCODES; j++) {
            assert_int_not_equal(all_codes[i], all_codes[j]);
            assert_string_not_equal(sofa_status_name(all_codes[i]),
                                    sofa_status_name(all_codes[j]));
        }
    }
}

static void unknown_codes_are_reported_as_unknown(void **state)
{
    (void)state;
    assert_string_equal(sofa_status_name(-12345), "UNKNOWN");
    assert_string_equal(sofa_strerror(12345), "unknown status");
    assert_int_equal(sofa_status_flags(-12345), 0);
}

static void ambiguous_timeout_is_flagged(void **state)
{
    (void)state;
    assert_true(sofa_status_flags(SOFA_E_TIMEOUT_AMBIGUOUS) & SOFA_F_AMBIGUOUS);
    assert_false(sofa_status_flags(SOFA_E_TIMEOUT) & SOFA_F_AMBIGUOUS);
    assert_string_equal(sofa_status_name(SOFA_E_NOT_FOUND), "E_NOT_FOUND");
    assert_string_equal(sofa_category_name(sofa_status_category(SOFA_E_CONNECT_REFUSED)),
                        "network");
}

/* The number ranges documented in status.h, so a code added in the wrong range fails. */
static void numbers_lie_in_their_category_range(void **state)
{
    (void)state;
    static const sofa_category by_hundred[10][2] = {
        {SOFA_CAT_INPUT, SOFA_CAT_INPUT},           {SOFA_CAT_IO, SOFA_CAT_IO},
        {SOFA_CAT_NETWORK, SOFA_CAT_NETWORK},       {SOFA_CAT_TIMEOUT, SOFA_CAT_TIMEOUT},
        {SOFA_CAT_AUTH, SOFA_CAT_AUTH},             {SOFA_CAT_ITEM, SOFA_CAT_SERVER},
        {SOFA_CAT_DURABILITY, SOFA_CAT_DURABILITY}, {SOFA_CAT_QUERY, SOFA_CAT_QUERY},
        {SOFA_CAT_LIFECYCLE, SOFA_CAT_LIFECYCLE},   {SOFA_CAT_INTERNAL, SOFA_CAT_INTERNAL},
    };
    for (size_t i = 0; i < NCODES; i++) {
        int c = all_codes[i];
        if (c == 0) {
            continue;
        }
        assert_true(c >= -999);
        int h = -c / 100;
        sofa_category cat = sofa_status_category(c);
        if (cat != by_hundred[h][0] && cat != by_hundred[h][1]) {
            print_error("%s (%d) has category %s, outside its number range\n",
                        sofa_status_name(c), c, sofa_category_name(cat));
            fail();
        }
        assert_string_not_equal(sofa_category_name(cat), "?");
    }
}

/* Flags and texts follow one form: retryable implies transient, names start with E_,
 * messages are one line without a final period. */
static void flags_and_texts_are_consistent(void **state)
{
    (void)state;
    for (size_t i = 0; i < NCODES; i++) {
        int c = all_codes[i];
        unsigned f = sofa_status_flags(c);
        if (f & SOFA_F_RETRYABLE) {
            assert_true(f & SOFA_F_TRANSIENT);
        }
        assert_int_equal(f & ~(unsigned)(SOFA_F_TRANSIENT | SOFA_F_RETRYABLE | SOFA_F_AMBIGUOUS |
                                         SOFA_F_FATAL),
                         0);
        const char *name = sofa_status_name(c);
        if (c != 0) {
            assert_memory_equal(name, "E_", 2);
        }
        const char *msg = sofa_strerror(c);
        assert_null(strchr(msg, '\n'));
        assert_int_not_equal(msg[strlen(msg) - 1], '.');
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_code_has_name_message_and_category),
        cmocka_unit_test(codes_and_names_are_unique),
        cmocka_unit_test(unknown_codes_are_reported_as_unknown),
        cmocka_unit_test(ambiguous_timeout_is_flagged),
        cmocka_unit_test(numbers_lie_in_their_category_range),
        cmocka_unit_test(flags_and_texts_are_consistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
