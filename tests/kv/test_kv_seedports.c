/* Port selection for bootstrap seeds, without any network: the default ports the connection
 * string gives an HTTP seed, and which of them get a CCCP attempt first (and on which port). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "kv/engine.h"
#include "kv/kvtest.h"

/* The CCCP port chosen for seed @i of @connstr (0: none); *port gets the seed's own port. */
static unsigned cccp_port_of(const char *connstr, size_t i, unsigned *port)
{
    sofa_client *c = kt_client(connstr, NULL, NULL, NULL);
    assert_non_null(c);
    assert_true(i < c->cs.nhosts);
    *port = c->cs.hosts[i].port;
    unsigned r = sofa__boot_cccp_port(c, &c->cs.hosts[i]);
    sofa_client_free(c);
    return r;
}

static void test_http_default_port_gets_cccp_on_11210(void **state)
{
    (void)state;
    unsigned port = 0;
    assert_int_equal(cccp_port_of("http://127.0.0.1/default", 0, &port), 11210);
    assert_int_equal(port, 8091);
    /* explicit :8091 is the same */
    assert_int_equal(cccp_port_of("http://127.0.0.1:8091/default", 0, &port), 11210);
    assert_int_equal(port, 8091);
    /* couchbase://host:8091=http as well */
    assert_int_equal(cccp_port_of("couchbase://h1:8091=http,h2/default", 0, &port), 11210);
    assert_int_equal(port, 8091);
}

static void test_no_cccp_attempt(void **state)
{
    (void)state;
    unsigned port = 0;
    /* a KV seed is CCCP itself, on its own (default) port */
    assert_int_equal(cccp_port_of("couchbase://127.0.0.1/default", 0, &port), 0);
    assert_int_equal(port, 11210);
    assert_int_equal(cccp_port_of("couchbase://h1:8091=http,h2/default", 1, &port), 0);
    assert_int_equal(port, 11210);
    /* an HTTP seed on another port says nothing about where KV listens */
    assert_int_equal(cccp_port_of("http://127.0.0.1:9000/default", 0, &port), 0);
    assert_int_equal(port, 9000);
    assert_int_equal(cccp_port_of("http://127.0.0.1:9000/default?bootstrap_on=all", 0, &port), 0);
    /* bootstrap_on=http excludes CCCP */
    assert_int_equal(cccp_port_of("http://127.0.0.1/default?bootstrap_on=http", 0, &port), 0);
    assert_int_equal(port, 8091);
}

static void test_tls_defaults(void **state)
{
    (void)state;
    unsigned port = 0;
    assert_int_equal(cccp_port_of("couchbases://127.0.0.1/default?ssl=no_verify", 0, &port), 0);
    assert_int_equal(port, 11207);
    assert_int_equal(
        cccp_port_of("couchbases://127.0.0.1:18091=https/default?ssl=no_verify", 0, &port), 11207);
    assert_int_equal(port, 18091);
    /* the plain manager port is not the TLS one */
    assert_int_equal(
        cccp_port_of("couchbases://127.0.0.1:8091=https/default?ssl=no_verify", 0, &port), 0);
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
