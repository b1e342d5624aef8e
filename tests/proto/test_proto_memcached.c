/* The codec and the SASL client against a real server: Debian's memcached with Cyrus SASL on
 * an ephemeral port. Every byte sent is built by sofa__req_encode, every reply is read with
 * sofa__resp_parse, and SCRAM runs through memcached's Cyrus flow (0x21 + v=, then an empty
 * SASL_STEP). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "proto/packet.h"
#include "proto/sasl.h"
#include "sofa/status.h"
#include "support/memcachedproc.h"
#include "wire.h"

#define USER "sofa"
#define PASS "pencil,=x"

static sofa_test_memcached mc;

static int setup(void **state)
{
    (void)state;
    return sofa_test_memcached_start(&mc, 1, USER, PASS);
}

static int teardown(void **state)
{
    (void)state;
    sofa_test_memcached_stop(&mc);
    return 0;
}

/* After authentication: SET with flags, GET it back, check flags, value and CAS. */
static void set_and_get(wire_conn *c)
{
    uint8_t ext[SOFA__EXTRAS_STORE_LEN];
    sofa__extras_store(ext, 0xdeadbeef, 0);
    sofa__req set = {.opcode = SOFA__OP_SET,
                     .extras = ext,
                     .nextras = sizeof(ext),
                     .key = "proto:k",
                     .nkey = 7,
                     .value = "{\"a\":1}",
                     .nvalue = 7};
    wire_send(c, &set);
    sofa__resp r;
    assert_int_equal(wire_recv(c, &r), 0);
    assert_int_equal(r.status, 0);
    assert_int_equal(sofa__status_from_server(r.status, r.opcode, 0), SOFA_OK);
    uint64_t cas = r.cas;
    assert_true(cas != 0);

    assert_int_equal(wire_simple(c, SOFA__OP_GET, 0, "proto:k", NULL, 0, &r), 0);
    uint32_t flags = 0;
    assert_int_equal(sofa__resp_get_flags(&r, &flags), 0);
    assert_int_equal(flags, 0xdeadbeef);
    assert_int_equal(r.nvalue, 7);
    assert_memory_equal(r.value, "{\"a\":1}", 7);
    assert_true(r.cas == cas);

    /* a stale CAS is a CAS mismatch, a missing key NOT_FOUND */
    set.cas = cas + 1;
    wire_send(c, &set);
    assert_int_equal(wire_recv(c, &r), 0);
    assert_int_equal(sofa__status_from_server(r.status, r.opcode, 1), SOFA_E_CAS_MISMATCH);
    int st = wire_simple(c, SOFA__OP_GET, 0, "proto:missing", NULL, 0, &r);
    assert_int_equal(sofa__status_from_server((uint16_t)st, SOFA__OP_GET, 0), SOFA_E_NOT_FOUND);

    /* counters: create with initial 10, then +5 (the key is shared by the tests) */
    st = wire_simple(c, SOFA__OP_DELETE, 0, "proto:n", NULL, 0, &r);
    assert_true(st == SOFA__ST_SUCCESS || st == SOFA__ST_KEY_ENOENT);
    uint8_t cext[SOFA__EXTRAS_COUNTER_LEN];
    sofa__extras_counter(cext, 5, 10, 0);
    sofa__req incr = {.opcode = SOFA__OP_INCREMENT,
                      .extras = cext,
                      .nextras = sizeof(cext),
                      .key = "proto:n",
                      .nkey = 7};
    uint64_t v = 0;
    wire_send(c, &incr);
    assert_int_equal(wire_recv(c, &r), 0);
    assert_int_equal(sofa__resp_counter_value(&r, &v), 0);
    assert_int_equal(v, 10);
    wire_send(c, &incr);
    assert_int_equal(wire_recv(c, &r), 0);
    assert_int_equal(sofa__resp_counter_value(&r, &v), 0);
    assert_int_equal(v, 15);
}

static void scram_sha256_is_chosen_and_authenticates(void **state)
{
    (void)state;
    wire_conn c;
    wire_open(&c, mc.port);
    char name[SOFA__SASL_MAX_MECH_NAME];
    assert_int_equal(wire_auth(&c, USER, PASS, NULL, 0, name, sizeof(name)), 0);
    assert_string_equal(name, "SCRAM-SHA-256"); /* the Cyrus spelling goes on the wire */
    set_and_get(&c);
    wire_close(&c);
}

static void scram_sha1_forced_authenticates(void **state)
{
    (void)state;
    wire_conn c;
    wire_open(&c, mc.port);
    char name[SOFA__SASL_MAX_MECH_NAME];
    assert_int_equal(wire_auth(&c, USER, PASS, "SCRAM-SHA1", 0, name, sizeof(name)), 0);
    assert_string_equal(name, "SCRAM-SHA-1");
    set_and_get(&c);
    wire_close(&c);
}

static void plain_forced_authenticates(void **state)
{
    (void)state;
    wire_conn c;
    wire_open(&c, mc.port);
    char name[SOFA__SASL_MAX_MECH_NAME];
    assert_int_equal(wire_auth(&c, USER, PASS, "PLAIN", 0, name, sizeof(name)), 0);
    set_and_get(&c);
    wire_close(&c);
}

static void wrong_password_fails_for_every_mechanism(void **state)
{
    (void)state;
    static const char *forced[] = {"SCRAM-SHA256", "SCRAM-SHA1", "PLAIN"};
    for (size_t i = 0; i < sizeof(forced) / sizeof(forced[0]); i++) {
        wire_conn c;
        wire_open(&c, mc.port);
        char name[SOFA__SASL_MAX_MECH_NAME];
        int rc = wire_auth(&c, USER, "wrong", forced[i], 0, name, sizeof(name));
        if (rc != SOFA_E_AUTH_FAILED)
            fail_msg("%s: got %s", forced[i], sofa_status_name(rc));
        wire_close(&c);
    }
}

static void sha512_is_not_offered_by_cyrus(void **state)
{
    (void)state;
    wire_conn c;
    wire_open(&c, mc.port);
    char name[SOFA__SASL_MAX_MECH_NAME];
    assert_int_equal(wire_auth(&c, USER, PASS, "SCRAM-SHA512", 0, name, sizeof(name)),
                     SOFA_E_AUTH_NO_MECHANISM);
    wire_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scram_sha256_is_chosen_and_authenticates),
        cmocka_unit_test(scram_sha1_forced_authenticates),
        cmocka_unit_test(plain_forced_authenticates),
        cmocka_unit_test(wrong_password_fails_for_every_mechanism),
        cmocka_unit_test(sha512_is_not_offered_by_cyrus),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
