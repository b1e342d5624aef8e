/* The memcached starter works: plain and SASL instances start on free ports and
 * answer raw binary-protocol requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/memcachedproc.h"
#include "support/procutil.h"

static int read_full(int fd, unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t r = recv(fd, p, n, 0);
        if (r <= 0) {
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* One request/response; returns the status or -1; value copied into out. */
static int rpc(int fd, uint8_t op, const char *key, const void *val, size_t nval, char *out,
               size_t outlen)
{
    unsigned char pkt[512] = {0};
    size_t nkey = key ? strlen(key) : 0;
    pkt[0] = 0x80;
    pkt[1] = op;
    pkt[2] = (unsigned char)(nkey >> 8);
    pkt[3] = (unsigned char)nkey;
    uint32_t body = htonl((uint32_t)(nkey + nval));
    memcpy(pkt + 8, &body, 4);
    if (nkey > 0) {
        memcpy(pkt + 24, key, nkey);
    }
    if (nval > 0) {
        memcpy(pkt + 24 + nkey, val, nval);
    }
    if (send(fd, pkt, 24 + nkey + nval, MSG_NOSIGNAL) != (ssize_t)(24 + nkey + nval)) {
        return -1;
    }
    unsigned char hdr[24];
    if (read_full(fd, hdr, 24) != 0 || hdr[0] != 0x81 || hdr[1] != op) {
        return -1;
    }
    uint32_t blen;
    memcpy(&blen, hdr + 8, 4);
    blen = ntohl(blen);
    unsigned char buf[4096];
    if (blen > sizeof(buf) || read_full(fd, buf, blen) != 0) {
        return -1;
    }
    size_t off = (size_t)hdr[4] + (size_t)((hdr[2] << 8) | hdr[3]);
    size_t vlen = blen - off;
    if (out != NULL) {
        size_t c = vlen < outlen - 1 ? vlen : outlen - 1;
        memcpy(out, buf + off, c);
        out[c] = '\0';
    }
    return (hdr[6] << 8) | hdr[7];
}

/* The server on m.port is the child started, not another process's memcached. */
static void instance_on_port_is_the_child(void **state)
{
    (void)state;
    sofa_test_memcached a, b;
    assert_int_equal(sofa_test_memcached_start(&a, 0, NULL, NULL), 0);
    assert_int_equal(sofa_test_memcached_start(&b, 0, NULL, NULL), 0);
    assert_int_not_equal(a.port, b.port);
    assert_int_equal(sofa_test_memcached_pid(a.port, 2000), (long)a.pid);
    assert_int_equal(sofa_test_memcached_pid(b.port, 2000), (long)b.pid);
    sofa_test_memcached_stop(&b);
    sofa_test_memcached_stop(&a);
}

static void plain_instance_answers_version(void **state)
{
    (void)state;
    sofa_test_memcached m;
    assert_int_equal(sofa_test_memcached_start(&m, 0, NULL, NULL), 0);
    assert_true(m.port > 0);
    int fd = sofa_test_connect(m.port, 2000);
    assert_true(fd >= 0);
    char out[256];
    assert_int_equal(rpc(fd, 0x0b, NULL, NULL, 0, out, sizeof(out)), 0);
    assert_true(strncmp(out, "1.", 2) == 0);
    /* No auth needed: a miss is a plain KEY_ENOENT. */
    assert_int_equal(rpc(fd, 0x00, "nope", NULL, 0, out, sizeof(out)), 0x01);
    close(fd);
    sofa_test_memcached_stop(&m);
    assert_int_equal(m.pid, 0);
}

static void sasl_instance_requires_auth(void **state)
{
    (void)state;
    sofa_test_memcached m;
    assert_int_equal(sofa_test_memcached_start(&m, 1, "alice", "s3cret"), 0);
    int fd = sofa_test_connect(m.port, 2000);
    assert_true(fd >= 0);
    char out[256];
    assert_int_equal(rpc(fd, 0x0b, NULL, NULL, 0, out, sizeof(out)), 0);
    assert_int_equal(rpc(fd, 0x20, NULL, NULL, 0, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "PLAIN"));
    assert_non_null(strstr(out, "SCRAM-SHA-256"));
    static const char bad[] = "\0alice\0wrong";
    assert_int_equal(rpc(fd, 0x21, "PLAIN", bad, sizeof(bad) - 1, out, sizeof(out)), 0x20);
    close(fd);

    fd = sofa_test_connect(m.port, 2000);
    assert_true(fd >= 0);
    static const char good[] = "\0alice\0s3cret";
    assert_int_equal(rpc(fd, 0x21, "PLAIN", good, sizeof(good) - 1, out, sizeof(out)), 0);
    assert_int_equal(rpc(fd, 0x00, "nope", NULL, 0, out, sizeof(out)), 0x01);
    close(fd);
    sofa_test_memcached_stop(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_instance_answers_version),
        cmocka_unit_test(sasl_instance_requires_auth),
        cmocka_unit_test(instance_on_port_is_the_child),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
