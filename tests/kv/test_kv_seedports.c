/* Port selection for bootstrap seeds, without any network: the default ports the connection
 * string gives an HTTP seed, and which of them get a CCCP attempt first (and on which port). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "kv/engine.h"
#include "kv/kvtest.h"

typedef struct seed_case {
    const char *connstr;
    size_t seed;        /* which host of connstr */
    unsigned port;      /* the seed's own port (from the connection string's defaults) */
    unsigned cccp_port; /* the CCCP attempt before it, 0 for none */
} seed_case;

static void check_cases(const seed_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const seed_case *t = &cases[i];
        sofa_client *c = kt_client(t->connstr, NULL, NULL, NULL);
        assert_non_null(c);
        assert_true(t->seed < c->cs.nhosts);
        const sofa__host *h = &c->cs.hosts[t->seed];
        if (h->port != t->port || sofa__boot_cccp_port(c, h) != t->cccp_port)
            fail_msg("%s seed %zu: port %u (want %u), CCCP port %u (want %u)", t->connstr, t->seed,
                     (unsigned)h->port, t->port, (unsigned)sofa__boot_cccp_port(c, h),
                     t->cccp_port);
        sofa_client_free(c);
    }
}

/* An HTTP seed on the cluster manager's default port gets CCCP on 11210 first. */
static void test_http_default_port_gets_cccp_on_11210(void **state)
{
    (void)state;
    static const seed_case cases[] = {
        {"http://127.0.0.1/default", 0, 8091, 11210},
        {"http://127.0.0.1:8091/default", 0, 8091, 11210},
        {"couchbase://h1:8091=http,h2/default", 0, 8091, 11210},
    };
    check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_no_cccp_attempt(void **state)
{
    (void)state;
    static const seed_case cases[] = {
        /* a KV seed is CCCP itself, on its own (default) port */
        {"couchbase://127.0.0.1/default", 0, 11210, 0},
        {"couchbase://h1:8091=http,h2/default", 1, 11210, 0},
        /* an HTTP seed on another port says nothing about where KV listens */
        {"http://127.0.0.1:9000/default", 0, 9000, 0},
        {"http://127.0.0.1:9000/default?bootstrap_on=all", 0, 9000, 0},
        /* bootstrap_on=http excludes CCCP */
        {"http://127.0.0.1/default?bootstrap_on=http", 0, 8091, 0},
    };
    check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_tls_defaults(void **state)
{
    (void)state;
    static const seed_case cases[] = {
        {"couchbases://127.0.0.1/default?ssl=no_verify", 0, 11207, 0},
        {"couchbases://127.0.0.1:18091=https/default?ssl=no_verify", 0, 18091, 11207},
        /* the plain manager port is not the TLS one */
        {"couchbases://127.0.0.1:8091=https/default?ssl=no_verify", 0, 8091, 0},
    };
    check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_default_port_gets_cccp_on_11210),
        cmocka_unit_test(test_no_cccp_attempt),
        cmocka_unit_test(test_tls_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
