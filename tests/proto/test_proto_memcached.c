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
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "proto/packet.h"
#include "proto/sasl.h"
#include "sofa/status.h"
#include "support/memcachedproc.h"
#include "support/procutil.h"

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

typedef struct conn {
    int fd;
    uint8_t buf[65536];
    size_t len;  /* bytes buffered */
    size_t used; /* bytes of the last packet, dropped on the next read */
    uint32_t opaque;
} conn;

static void conn_open(conn *c)
{
    memset(c, 0, sizeof(*c));
    c->fd = sofa_test_connect(mc.port, 5000);
    assert_true(c->fd >= 0);
    struct timeval tv = {5, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static void conn_close(conn *c)
{
    close(c->fd);
}

static void send_req(conn *c, sofa__req *r)
{
    uint8_t out[4096];
    r->opaque = ++c->opaque;
    size_t n = sofa__req_size(r);
    assert_true(n > 0 && n <= sizeof(out));
    assert_int_equal(sofa__req_encode(r, out), n);
    assert_int_equal(send(c->fd, out, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Next response (pointers valid until the next call); -1 if the server closed. */
static int recv_resp(conn *c, sofa__resp *r)
{
    memmove(c->buf, c->buf + c->used, c->len - c->used);
    c->len -= c->used;
    c->used = 0;
    for (;;) {
        long n = sofa__resp_parse(c->buf, c->len, r);
        assert_true(n >= 0);
        if (n > 0) {
            c->used = (size_t)n;
            return 0;
        }
        ssize_t got = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
        if (got <= 0)
            return -1;
        c->len += (size_t)got;
    }
}

static int simple(conn *c, uint8_t op, const char *key, const void *val, size_t nval, sofa__resp *r)
{
    sofa__req q = {.opcode = op,
                   .key = key,
                   .nkey = (uint16_t)(key ? strlen(key) : 0),
                   .value = val,
                   .nvalue = (uint32_t)nval};
    send_req(c, &q);
    if (recv_resp(c, r) != 0)
        return -1;
    assert_int_equal(r->opcode, op);
    assert_int_equal(r->opaque, c->opaque);
    return r->status;
}

/* LIST_MECHS, choose, then AUTH/STEP until done. Returns the SASL result. */
static int authenticate(conn *c, const char *forced, int allow_plain, const char *pass,
                        char *chosen, size_t chosen_len)
{
    sofa__resp r;
    assert_int_equal(simple(c, SOFA__OP_SASL_LIST_MECHS, NULL, NULL, 0, &r), 0);
    sofa__mech mech;
    int rc = sofa__sasl_choose((const char *)r.value, r.nvalue, forced, allow_plain, &mech, chosen,
                               chosen_len);
    if (rc != 0)
        return rc;
    sofa__sasl *s;
    assert_int_equal(sofa__sasl_new(&s, mech, USER, pass), 0);
    const uint8_t *msg;
    size_t len;
    assert_int_equal(sofa__sasl_start(s, &msg, &len), 0);
    uint8_t op = SOFA__OP_SASL_AUTH;
    int done = 0, rounds = 0;
    while (!done) {
        assert_true(++rounds <= 4);
        char copy[1024];
        assert_true(len <= sizeof(copy));
        memcpy(copy, msg, len);
        if (simple(c, op, chosen, copy, len, &r) < 0) {
            rc = SOFA_E_CONNECTION_CLOSED;
            break;
        }
        rc = sofa__sasl_step(s, r.status, r.value, r.nvalue, &msg, &len, &done);
        if (rc != 0)
            break;
        op = SOFA__OP_SASL_STEP;
    }
    sofa__sasl_free(s);
    return rc;
}

/* After authentication: SET with flags, GET it back, check flags, value and CAS. */
static void set_and_get(conn *c)
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
    send_req(c, &set);
    sofa__resp r;
    assert_int_equal(recv_resp(c, &r), 0);
    assert_int_equal(r.status, 0);
    assert_int_equal(sofa__status_from_server(r.status, r.opcode, 0), SOFA_OK);
    uint64_t cas = r.cas;
    assert_true(cas != 0);

    assert_int_equal(simple(c, SOFA__OP_GET, "proto:k", NULL, 0, &r), 0);
    uint32_t flags = 0;
    assert_int_equal(sofa__resp_get_flags(&r, &flags), 0);
    assert_int_equal(flags, 0xdeadbeef);
    assert_int_equal(r.nvalue, 7);
    assert_memory_equal(r.value, "{\"a\":1}", 7);
    assert_true(r.cas == cas);

    /* a stale CAS is a CAS mismatch, a missing key NOT_FOUND */
    set.cas = cas + 1;
    send_req(c, &set);
    assert_int_equal(recv_resp(c, &r), 0);
    assert_int_equal(sofa__status_from_server(r.status, r.opcode, 1), SOFA_E_CAS_MISMATCH);
    int st = simple(c, SOFA__OP_GET, "proto:missing", NULL, 0, &r);
    assert_int_equal(sofa__status_from_server((uint16_t)st, SOFA__OP_GET, 0), SOFA_E_NOT_FOUND);

    /* counters: create with initial 10, then +5 (the key is shared by the tests) */
    st = simple(c, SOFA__OP_DELETE, "proto:n", NULL, 0, &r);
    assert_true(st == SOFA__ST_SUCCESS || st == SOFA__ST_KEY_ENOENT);
    uint8_t cext[SOFA__EXTRAS_COUNTER_LEN];
    sofa__extras_counter(cext, 5, 10, 0);
    sofa__req incr = {.opcode = SOFA__OP_INCREMENT,
                      .extras = cext,
                      .nextras = sizeof(cext),
                      .key = "proto:n",
                      .nkey = 7};
    uint64_t v = 0;
    send_req(c, &incr);
    assert_int_equal(recv_resp(c, &r), 0);
    assert_int_equal(sofa__resp_counter_value(&r, &v), 0);
    assert_int_equal(v, 10);
    send_req(c, &incr);
    assert_int_equal(recv_resp(c, &r), 0);
    assert_int_equal(sofa__resp_counter_value(&r, &v), 0);
    assert_int_equal(v, 15);
}

static void scram_sha256_is_chosen_and_authenticates(void **state)
{
    (void)state;
    conn c;
    conn_open(&c);
    char name[SOFA__SASL_MAX_MECH_NAME];
    assert_int_equal(authenticate(&c, NULL, 0, PASS, name, sizeof(name)), 0);
    assert_string_equal(name, "SCRAM-SHA-256"); /* the Cyrus spelling goes on the wire */
    set_and_get(&c);
    conn_close(&c);
}

static void scram_sha1_forced_authenticates(void **state)
{
    (void)state;
    conn c;
    conn_open(&c);
    char name[SOFA__SASL_MAX_MECH_NAME];
    assert_int_equal(authenticate(&c, "SCRAM-SHA1", 0, PASS, name, sizeof(name)), 0);
    assert_string_equal(name, "SCRAM-SHA-1");
    set_and_get(&c);
    conn_close(&c);
}

static void plain_forced_authenticates(void **state)
{
    (void)state;
    conn c;
    conn_open(&c);
    char name[SOFA__SASL_MAX_MECH_NAME];
    assert_int_equal(authenticate(&c, "PLAIN", 0, PASS, name, sizeof(name)), 0);
    set_and_get(&c);
    conn_close(&c);
}

static void wrong_password_fails_for_every_mechanism(void **state)
{
    (void)state;
    static const char *forced[] = {"SCRAM-SHA256", "SCRAM-SHA1", "PLAIN"};
    for (size_t i = 0; i < sizeof(forced) / sizeof(forced[0]); i++) {
        conn c;
        conn_open(&c);
        char name[SOFA__SASL_MAX_MECH_NAME];
        int rc = authenticate(&c, forced[i], 0, "wrong", name, sizeof(name));
        if (rc != SOFA_E_AUTH_FAILED)
            fail_msg("%s: got %s", forced[i], sofa_status_name(rc));
        conn_close(&c);
    }
}

static void sha512_is_not_offered_by_cyrus(void **state)
{
    (void)state;
    conn c;
    conn_open(&c);
    char name[SOFA__SASL_MAX_MECH_NAME];
    assert_int_equal(authenticate(&c, "SCRAM-SHA512", 0, PASS, name, sizeof(name)),
                     SOFA_E_AUTH_NO_MECHANISM);
    conn_close(&c);
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
