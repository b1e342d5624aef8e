/* Allocation-failure sweep: the parser is run with the 1st, 2nd, ... allocation
 * failing in turn. Each run must end in SOFA_OK or SOFA_E_NO_MEMORY with no
 * allocation left behind (allocator wrapped by tests/support/failalloc). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/connstr.h"
#include "sofa/status.h"
#include "support/failalloc.h"

/* Parse @text once normally (counting its allocations), then once per allocation with
 * that one failing: each such run must give SOFA_E_NO_MEMORY, free everything and zero
 * the result. @want is the normal result (some strings are invalid late, after
 * allocations, e.g. an unknown last option). */
static void sweep(const char *text, int want)
{
    sofa__connstr cs;
    char err[256];
    failalloc_start(-1); /* count only */
    assert_int_equal(sofa__connstr_parse(text, &cs, err, sizeof(err)), want);
    long total = failalloc_calls();
    sofa__connstr_free(&cs);
    assert_int_equal(failalloc_live(), 0);
    assert_true(total > 0);
    for (long n = 0; n < total; n++) {
        failalloc_start(n);
        int rc = sofa__connstr_parse(text, &cs, err, sizeof(err));
        failalloc_stop();
        if (rc != SOFA_E_NO_MEMORY) {
            print_error("%s: allocation %ld of %ld failed, got %d (%s)\n", text, n, total, rc,
                        err);
            fail();
        }
        assert_string_equal(err, "out of memory");
        assert_null(cs.hosts);
        assert_null(cs.bucket);
        assert_int_equal(failalloc_live(), 0);
    }
}

static void every_allocation_failure_is_reported_and_leaks_nothing(void **state)
{
    (void)state;
    sweep("couchbase://a,b:9000,[::1]:11210=mcd;c:8091=http/bucket"
          "?username=u&password=p&iops=libevent&sasl_mech_force=plain&certpath=%2Fca"
          "&bucket_x=1",
          SOFA_E_CONNSTR_OPTION);
    sweep("couchbase://a,b:9000,[::1]:11210=mcd;c:8091=http/bucket"
          "?username=u&password=p&iops=libevent&sasl_mech_force=plain&certpath=%2Fca",
          SOFA_OK);
    sweep("couchbase://h?bucket=b&operation_timeout=1s&log_level=debug", SOFA_OK);
    sweep("http://h", SOFA_OK);
    sweep("memcached://a,b,c", SOFA_OK);
    sweep("couchbase://a,b/c?password=x&password=y", SOFA_E_CONNSTR_DUPLICATE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_allocation_failure_is_reported_and_leaks_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
