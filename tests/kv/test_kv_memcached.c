/* memcached:// mode against Debian's memcached (binary protocol, with and without SASL):
 * ketama over the host list, no HELLO/SELECT_BUCKET, every operation memcached supports. */
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "kv/kvtest.h"
#include "support/memcachedproc.h"

static void test_plain_operations(void **state)
{
    (void)state;
    sofa_test_memcached m;
    assert_int_equal(sofa_test_memcached_start(&m, 0, NULL, NULL), 0);
    sofa_client *c = kt_client(m.connstr, NULL, NULL, NULL);
    assert_non_null(c);
    assert_int_equal(kt_connect(c), SOFA_OK);
    assert_true(sofa_client_is_connected(c));

    assert_int_equal(kt_upsert(c, "foo", "bar"), SOFA_OK);
    kt_res r;
    assert_int_equal(kt_get(c, "foo", &r), SOFA_OK);
    assert_string_equal(r.value, "bar");
    assert_true(r.cas != 0);
    assert_int_equal(kt_get(c, "missing", &r), SOFA_E_NOT_FOUND);

    /* insert on an existing key, replace on a missing one */
    kt_res w = {0};
    assert_int_equal(sofa_kv_store(c, SOFA_STORE_INSERT, "foo", 3, "x", 1, NULL, kt_mut_cb, &w), 0);
    kt_res w2 = {0};
    assert_int_equal(sofa_kv_store(c, SOFA_STORE_REPLACE, "nope", 4, "x", 1, NULL, kt_mut_cb, &w2), 0);
    kt_res w3 = {0};
    assert_int_equal(sofa_kv_store(c, SOFA_STORE_APPEND, "foo", 3, "baz", 3, NULL, kt_mut_cb, &w3), 0);
    kt_res w4 = {0};
    assert_int_equal(sofa_kv_store(c, SOFA_STORE_PREPEND, "foo", 3, "<", 1, NULL, kt_mut_cb, &w4), 0);
    assert_int_equal(sofa_client_wait(c), 0);
    assert_int_equal(w.calls, 1);
    assert_int_equal(w.status, SOFA_E_EXISTS);
    assert_int_equal(w2.calls, 1);
    assert_int_equal(w2.status, SOFA_E_NOT_FOUND);
    assert_int_equal(w3.status, SOFA_OK);
    assert_int_equal(w4.status, SOFA_OK);
    assert_int_equal(kt_get(c, "foo", &r), SOFA_OK);
    assert_string_equal(r.value, "<barbaz");

    /* CAS: a stale CAS fails, the current one works */
    sofa_kv_opts o = {0};
    o.cas = r.cas + 12345;
    memset(&w, 0, sizeof(w));
    assert_int_equal(sofa_kv_upsert(c, "foo", 3, "v2", 2, &o, kt_mut_cb, &w), 0);
    sofa_client_wait(c);
    assert_int_equal(w.status, SOFA_E_CAS_MISMATCH);
    o.cas = r.cas;
    o.flags = 0xdeadbeef;
    memset(&w, 0, sizeof(w));
    assert_int_equal(sofa_kv_upsert(c, "foo", 3, "v2", 2, &o, kt_mut_cb, &w), 0);
    sofa_client_wait(c);
    assert_int_equal(w.status, SOFA_OK);
    assert_int_equal(kt_get(c, "foo", &r), SOFA_OK);
    assert_int_equal(r.flags, 0xdeadbeef);

    /* counters */
    memset(&w, 0, sizeof(w));
    assert_int_equal(sofa_kv_counter(c, "ctr", 3, 5, 100, 1, NULL, kt_mut_cb, &w), 0);
    sofa_client_wait(c);
    assert_int_equal(w.status, SOFA_OK);
    assert_int_equal(w.counter, 100);
    memset(&w, 0, sizeof(w));
    assert_int_equal(sofa_kv_counter(c, "ctr", 3, -30, 0, 1, NULL, kt_mut_cb, &w), 0);
    sofa_client_wait(c);
    assert_int_equal(w.counter, 70);
    memset(&w, 0, sizeof(w));
    assert_int_equal(sofa_kv_counter(c, "ctr2", 4, 1, 0, 0, NULL, kt_mut_cb, &w), 0);
    sofa_client_wait(c);
    assert_int_equal(w.status, SOFA_E_NOT_FOUND);
    memset(&w, 0, sizeof(w));
    assert_int_equal(sofa_kv_counter(c, "foo", 3, 1, 0, 1, NULL, kt_mut_cb, &w), 0);
    sofa_client_wait(c);
    assert_int_equal(w.status, SOFA_E_DELTA_BADVAL);

    /* get-and-touch and a JSON datatype (not sent: memcached has no datatypes) */
    kt_res gt = {0};
    assert_int_equal(sofa_kv_get_and_touch(c, "foo", 3, 100, NULL, kt_get_cb, &gt), 0);
    sofa_kv_opts jo = {0};
    jo.datatype = SOFA_DATATYPE_JSON;
    kt_res js = {0};
    assert_int_equal(sofa_kv_upsert(c, "json", 4, "{}", 2, &jo, kt_mut_cb, &js), 0);
    sofa_client_wait(c);
    assert_int_equal(gt.status, SOFA_OK);
    assert_string_equal(gt.value, "v2");
    assert_int_equal(js.status, SOFA_OK);

    /* touch, exists, remove */
    memset(&w, 0, sizeof(w));
    assert_int_equal(sofa_kv_touch(c, "foo", 3, 100, NULL, kt_mut_cb, &w), 0);
    sofa_client_wait(c);
    assert_int_equal(w.status, SOFA_OK);
    kt_res e = {0};
    assert_int_equal(sofa_kv_exists(c, "foo", 3, NULL, kt_exists_cb, &e), 0);
    sofa_client_wait(c);
    assert_int_equal(e.status, SOFA_OK);
    assert_int_equal(e.exists, 1);
    memset(&w, 0, sizeof(w));
    assert_int_equal(sofa_kv_remove(c, "foo", 3, NULL, kt_mut_cb, &w), 0);
    sofa_client_wait(c);
    assert_int_equal(w.status, SOFA_OK);
    memset(&e, 0, sizeof(e));
    assert_int_equal(sofa_kv_exists(c, "foo", 3, NULL, kt_exists_cb, &e), 0);
    sofa_client_wait(c);
    assert_int_equal(e.status, SOFA_OK);
    assert_int_equal(e.exists, 0);
    memset(&w, 0, sizeof(w));
    assert_int_equal(sofa_kv_remove(c, "foo", 3, NULL, kt_mut_cb, &w), 0);
    sofa_client_wait(c);
    assert_int_equal(w.status, SOFA_E_NOT_FOUND);

    /* not in memcached:// mode */
    assert_int_equal(sofa_kv_get_and_lock(c, "foo", 3, 5, NULL, kt_get_cb, &r), SOFA_E_NOT_SUPPORTED);
    assert_int_equal(sofa_kv_get_replica(c, "foo", 3, SOFA_REPLICA_ANY, 0, NULL, kt_get_cb, &r),
                     SOFA_E_NOT_SUPPORTED);
    sofa_client_free(c);
    sofa_test_memcached_stop(&m);
}

static void test_sasl(void **state)
{
    (void)state;
    sofa_test_memcached m;
    assert_int_equal(sofa_test_memcached_start(&m, 1, "alice", "s3cret"), 0);

    sofa_client *c = kt_client(m.connstr, "alice", "s3cret", NULL);
    assert_non_null(c);
    assert_int_equal(kt_connect(c), SOFA_OK);
    assert_int_equal(kt_upsert(c, "k", "v"), SOFA_OK);
    kt_res r;
    assert_int_equal(kt_get(c, "k", &r), SOFA_OK);
    assert_string_equal(r.value, "v");
    sofa_client_free(c);

    /* wrong password: the operation fails with the auth status, not a timeout */
    c = kt_client(m.connstr, "alice", "wrong", NULL);
    assert_non_null(c);
    assert_int_equal(kt_connect(c), SOFA_OK); /* memcached://: the list is the config */
    assert_int_equal(kt_get(c, "k", &r), SOFA_E_AUTH_FAILED);
    sofa_client_free(c);

    /* forced PLAIN works too */
    char cs[256];
    snprintf(cs, sizeof(cs), "%s?sasl_mech_force=PLAIN", m.connstr);
    c = kt_client(cs, "alice", "s3cret", NULL);
    assert_non_null(c);
    assert_int_equal(kt_connect(c), SOFA_OK);
    assert_int_equal(kt_get(c, "k", &r), SOFA_OK);
    sofa_client_free(c);
    sofa_test_memcached_stop(&m);
}

static void test_ketama_two_servers(void **state)
{
    (void)state;
    sofa_test_memcached a, b;
    assert_int_equal(sofa_test_memcached_start(&a, 0, NULL, NULL), 0);
    assert_int_equal(sofa_test_memcached_start(&b, 0, NULL, NULL), 0);
    char cs[512];
    snprintf(cs, sizeof(cs), "memcached://127.0.0.1:%d,127.0.0.1:%d", a.port, b.port);
    sofa_client *c = kt_client(cs, NULL, NULL, NULL);
    assert_non_null(c);
    assert_int_equal(kt_connect(c), SOFA_OK);
    enum { N = 200 };
    kt_res w[N];
    memset(w, 0, sizeof(w));
    char key[32];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "key_%d", i);
        assert_int_equal(sofa_kv_upsert(c, key, strlen(key), key, strlen(key), NULL, kt_mut_cb, &w[i]), 0);
    }
    sofa_client_wait(c);
    for (int i = 0; i < N; i++) {
        assert_int_equal(w[i].calls, 1);
        assert_int_equal(w[i].status, SOFA_OK);
    }
    for (int i = 0; i < N; i++) {
        kt_res r;
        snprintf(key, sizeof(key), "key_%d", i);
        assert_int_equal(kt_get(c, key, &r), SOFA_OK);
        assert_string_equal(r.value, key);
    }
    /* both servers got some keys: each alone misses part of them */
    sofa_client *ca = NULL;
    snprintf(cs, sizeof(cs), "memcached://127.0.0.1:%d", a.port);
    ca = kt_client(cs, NULL, NULL, NULL);
    assert_int_equal(kt_connect(ca), SOFA_OK);
    int found = 0;
    for (int i = 0; i < N; i++) {
        kt_res r;
        snprintf(key, sizeof(key), "key_%d", i);
        found += kt_get(ca, key, &r) == SOFA_OK;
    }
    assert_true(found > 0 && found < N);
    sofa_client_free(ca);
    sofa_client_free(c);
    sofa_test_memcached_stop(&a);
    sofa_test_memcached_stop(&b);
}

/* The server goes away: operations in flight and after are answered once each with a
 * failure, nothing hangs past the deadlines. */
static void test_server_killed(void **state)
{
    (void)state;
    sofa_test_memcached m;
    assert_int_equal(sofa_test_memcached_start(&m, 0, NULL, NULL), 0);
    char cs[256];
    snprintf(cs, sizeof(cs), "%s?operation_timeout=0.5", m.connstr);
    sofa_client *c = kt_client(cs, NULL, NULL, NULL);
    assert_non_null(c);
    assert_int_equal(kt_connect(c), SOFA_OK);
    assert_int_equal(kt_upsert(c, "k", "v"), SOFA_OK);
    sofa_test_memcached_stop(&m);
    enum { N = 50 };
    kt_res r[N];
    memset(r, 0, sizeof(r));
    for (int i = 0; i < N; i++)
        assert_int_equal(sofa_kv_get(c, "k", 1, NULL, kt_get_cb, &r[i]), 0);
    assert_int_equal(sofa_client_wait(c), 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(r[i].calls, 1);
        assert_true(r[i].status != SOFA_OK);
    }
    sofa_client_free(c);
}

/* memcached on the IPv6 loopback: reached with ipv6=allow (the default) and ipv6=only, not
 * with ipv6=disabled (every operation fails, once). */
static pid_t v6pid;

static int free_port6(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof(a));
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    socklen_t len = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin6_port);
}

static void test_ipv6(void **state)
{
    (void)state;
    int port = free_port6();
    if (port < 0) {
        skip(); /* no IPv6 loopback on this machine: reported as skipped, not passed */
        return;
    }
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    pid_t pid = fork();
    assert_true(pid >= 0);
    v6pid = pid;
    if (pid == 0) {
        if (geteuid() == 0)
            execlp("memcached", "memcached", "-u", "nobody", "-B", "binary", "-U", "0", "-l", "::1",
                   "-p", portstr, (char *)NULL);
        else
            execlp("memcached", "memcached", "-B", "binary", "-U", "0", "-l", "::1", "-p", portstr,
                   (char *)NULL);
        _exit(127);
    }
    char cs[128];
    snprintf(cs, sizeof(cs), "memcached://[::1]:%d?operation_timeout=0.5", port);
    sofa_client *c = kt_client(cs, NULL, NULL, NULL);
    assert_non_null(c);
    assert_int_equal(kt_connect(c), SOFA_OK);
    int st = -1;
    for (int i = 0; i < 50 && st != SOFA_OK; i++) { /* until memcached listens */
        st = kt_upsert(c, "v6", "yes");
        if (st != SOFA_OK) {
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    assert_int_equal(st, SOFA_OK);
    kt_res r;
    assert_int_equal(kt_get(c, "v6", &r), SOFA_OK);
    assert_string_equal(r.value, "yes");
    sofa_client_free(c);

    snprintf(cs, sizeof(cs), "memcached://[::1]:%d?ipv6=only", port);
    c = kt_client(cs, NULL, NULL, NULL);
    assert_int_equal(kt_connect(c), SOFA_OK);
    assert_int_equal(kt_get(c, "v6", &r), SOFA_OK);
    sofa_client_free(c);

    /* an IPv6 literal with ipv6=disabled is refused when the client is created */
    snprintf(cs, sizeof(cs), "memcached://[::1]:%d?ipv6=disabled", port);
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = cs;
    c = NULL;
    assert_int_equal(sofa_client_new(&c, &o, NULL, 0), SOFA_E_CONNSTR_VALUE);
    assert_null(c);
}

static int stop_v6(void **state)
{
    (void)state;
    if (v6pid > 0) {
        kill(v6pid, SIGTERM);
        waitpid(v6pid, NULL, 0);
        v6pid = 0;
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_operations),
        cmocka_unit_test(test_sasl),
        cmocka_unit_test(test_ketama_two_servers),
        cmocka_unit_test(test_server_killed),
        cmocka_unit_test_teardown(test_ipv6, stop_v6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
