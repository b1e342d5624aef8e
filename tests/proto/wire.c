/* Blocking test connection for the proto integration tests. */
#include "wire.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "proto/sasl.h"
#include "sofa/status.h"
#include "support/procutil.h"

void wire_open(wire_conn *c, int port)
{
    memset(c, 0, sizeof(*c));
    c->fd = sofa_test_connect(port, 5000);
    assert_true(c->fd >= 0);
    struct timeval tv = {5, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

void wire_close(wire_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

void wire_send(wire_conn *c, sofa__req *r)
{
    uint8_t out[4096];
    r->opaque = ++c->opaque;
    size_t n = sofa__req_size(r);
    assert_true(n > 0 && n <= sizeof(out));
    assert_int_equal(sofa__req_encode(r, out), n);
    assert_int_equal(send(c->fd, out, n, MSG_NOSIGNAL), (ssize_t)n);
}

int wire_recv(wire_conn *c, sofa__resp *r)
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
        assert_true(c->len < sizeof(c->buf));
        ssize_t got = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
        if (got <= 0)
            return -1;
        c->len += (size_t)got;
    }
}

int wire_simple(wire_conn *c, uint8_t op, uint16_t vbucket, const char *key, const void *val,
                size_t nval, sofa__resp *r)
{
    sofa__req q = {.opcode = op,
                   .vbucket = vbucket,
                   .key = key,
                   .nkey = (uint16_t)(key ? strlen(key) : 0),
                   .value = val,
                   .nvalue = (uint32_t)nval};
    wire_send(c, &q);
    if (wire_recv(c, r) != 0)
        return -1;
    assert_int_equal(r->opcode, op);
    assert_int_equal(r->opaque, c->opaque);
    return r->status;
}

int wire_auth(wire_conn *c, const char *user, const char *pass, const char *forced, int allow_plain,
              char *chosen, size_t chosen_len)
{
    sofa__resp r;
    assert_int_equal(wire_simple(c, SOFA__OP_SASL_LIST_MECHS, 0, NULL, NULL, 0, &r), 0);
    sofa__mech mech;
    int rc = sofa__sasl_choose((const char *)r.value, r.nvalue, forced, allow_plain, &mech, chosen,
                               chosen_len);
    if (rc != 0)
        return rc;
    sofa__sasl *s;
    assert_int_equal(sofa__sasl_new(&s, mech, user, pass), 0);
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
        if (wire_simple(c, op, 0, chosen, copy, len, &r) < 0) {
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
