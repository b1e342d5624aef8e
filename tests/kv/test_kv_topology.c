/* Topology changes and faults against the mock (3 nodes, 1 replica): NOT_MY_VBUCKET after a
 * rebalance, failover, a node rebalanced out, a node stopped and restarted, dropped
 * connections, garbage packets, temporary failures. Every operation's callback is counted:
 * zero lost, zero doubled. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>

#include <cmocka.h>

#include "kv/engine.h"
#include "kv/kvtest.h"
#include "support/mockproc.h"

enum { NKEYS = 300 };

static sofa_test_mock mock;
static sofa_client *cli;
static kt_res res[NKEYS];
static char keys[NKEYS][16];

static void ctl(const char *path)
{
    char out[512];
    int st = sofa_test_mock_ctl(&mock, "POST", path, NULL, out, sizeof(out));
    if (st != 200)
        fprintf(stderr, "ctl %s: %d %s\n", path, st, out);
    assert_int_equal(st, 200);
}

static int setup(void **state)
{
    (void)state;
    const char *args[] = {"--nodes", "3", "--replicas", "1", NULL};
    if (sofa_test_mock_start(&mock, args) != 0)
        return -1;
    cli = kt_client(mock.connstr, "Administrator", "password", NULL);
    if (!cli || kt_connect(cli) != SOFA_OK)
        return -1;
    for (int i = 0; i < NKEYS; i++)
        snprintf(keys[i], sizeof(keys[i]), "tk%d", i);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sofa_client_free(cli);
    sofa_test_mock_stop(&mock);
    return 0;
}

/* Store every key; a mutation that met a connection the mock had just dropped fails with a
 * network status (never silently retried): the test, like an application, tries again. */
static void store_all(const char *tag)
{
    static int todo[NKEYS];
    for (int i = 0; i < NKEYS; i++)
        todo[i] = 1;
    for (int round = 0; round < 5; round++) {
        memset(res, 0, sizeof(res));
        int n = 0;
        for (int i = 0; i < NKEYS; i++) {
            if (!todo[i])
                continue;
            char v[64];
            int nv = snprintf(v, sizeof(v), "%s-%d", tag, i);
            assert_int_equal(sofa_kv_upsert(cli, keys[i], strlen(keys[i]), v, (size_t)nv, NULL,
                                            kt_mut_cb, &res[i]), 0);
            n++;
        }
        if (n == 0)
            return;
        assert_int_equal(sofa_client_wait(cli), 0);
        for (int i = 0; i < NKEYS; i++) {
            if (!todo[i])
                continue;
            assert_int_equal(res[i].calls, 1);
            if (res[i].status == SOFA_OK)
                todo[i] = 0;
            else
                assert_int_equal(sofa_status_category(res[i].status), SOFA_CAT_NETWORK);
        }
    }
    for (int i = 0; i < NKEYS; i++)
        assert_int_equal(todo[i], 0);
}

/* Schedule a get of every key, run the loop @p ticks times, then do @p path on the mock,
 * then wait: every callback exactly once; return how many succeeded with the right value. */
static int read_all_around(const char *tag, const char *path)
{
    memset(res, 0, sizeof(res));
    for (int i = 0; i < NKEYS; i++)
        assert_int_equal(sofa_kv_get(cli, keys[i], strlen(keys[i]), NULL, kt_get_cb, &res[i]), 0);
    sofa_client_tick(cli);
    if (path)
        ctl(path);
    assert_int_equal(sofa_client_wait(cli), 0);
    int ok = 0;
    for (int i = 0; i < NKEYS; i++) {
        assert_int_equal(res[i].calls, 1);
        char v[64];
        snprintf(v, sizeof(v), "%s-%d", tag, i);
        if (res[i].status == SOFA_OK && strcmp(res[i].value, v) == 0)
            ok++;
    }
    return ok;
}

static void test_rebalance_nmvb(void **state)
{
    (void)state;
    store_all("a");
    /* vBuckets move; the client still has the old map: NOT_MY_VBUCKET carries the new one */
    ctl("/mock/rebalance");
    assert_int_equal(read_all_around("a", NULL), NKEYS);
    assert_int_equal(read_all_around("a", "/mock/rebalance"), NKEYS);
    store_all("b");
    assert_int_equal(read_all_around("b", NULL), NKEYS);
}

static void test_failover(void **state)
{
    (void)state;
    store_all("c");
    assert_int_equal(read_all_around("c", "/mock/failover?node=1"), NKEYS);
    store_all("d");
    assert_int_equal(read_all_around("d", NULL), NKEYS);
    ctl("/mock/rebalance?nodes=0,1,2");
}

static void test_rebalance_node_out(void **state)
{
    (void)state;
    store_all("e");
    assert_int_equal(read_all_around("e", "/mock/rebalance?nodes=0,1"), NKEYS);
    store_all("f");
    ctl("/mock/rebalance?nodes=0,1,2");
    assert_int_equal(read_all_around("f", NULL), NKEYS);
}

static void test_node_stop_and_restart(void **state)
{
    (void)state;
    store_all("g");
    /* node 0 goes away for 400 ms: its ops fail with a network status or are retried;
     * none is lost or doubled, and the client reconnects afterwards */
    int ok = read_all_around("g", "/mock/stop?node=0&for_ms=400");
    assert_true(ok > 0);
    struct timespec ts = {0, 600 * 1000 * 1000};
    nanosleep(&ts, NULL);
    int tries = 0;
    while ((ok = read_all_around("g", NULL)) != NKEYS && tries++ < 20) {
        ts.tv_nsec = 100 * 1000 * 1000;
        nanosleep(&ts, NULL);
    }
    assert_int_equal(ok, NKEYS);
}

static void test_dropped_connections(void **state)
{
    (void)state;
    store_all("h");
    ctl("/mock/drop");
    int ok = 0, tries = 0;
    while ((ok = read_all_around("h", NULL)) != NKEYS && tries++ < 20) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(ok, NKEYS);
}

static void test_garbage_packet(void **state)
{
    (void)state;
    store_all("i");
    ctl("/mock/corrupt?mode=garbage&opcode=0&count=1");
    int ok = read_all_around("i", NULL);
    assert_true(ok < NKEYS); /* the connection that got garbage failed its in-flight ops */
    int tries = 0;
    while ((ok = read_all_around("i", NULL)) != NKEYS && tries++ < 20) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(ok, NKEYS);
}

static void test_tmpfail_is_retried(void **state)
{
    (void)state;
    assert_non_null(cli->errmap); /* fetched during the handshake */
    /* a status neither sofa nor the server's error map knows: failed once, not retried */
    ctl("/mock/fail?opcode=0&status=0x60&count=1");
    kt_res u;
    assert_int_equal(kt_get(cli, "tk1", &u), SOFA_E_SERVER_ERROR);
    assert_int_equal(kt_upsert(cli, "tf", "v"), SOFA_OK);
    ctl("/mock/fail?opcode=0&status=0x86&count=3");
    kt_res r;
    assert_int_equal(kt_get(cli, "tf", &r), SOFA_OK);
    assert_string_equal(r.value, "v");
    /* a mutation refused with TMPFAIL is retried too (it did not execute) */
    ctl("/mock/fail?opcode=1&status=0x86&count=2");
    assert_int_equal(kt_upsert(cli, "tf", "w"), SOFA_OK);
    /* a permanent TMPFAIL ends at the deadline, not as ambiguous */
    ctl("/mock/fail?opcode=1&status=0x86&count=100000");
    kt_res w = {0};
    sofa_kv_opts o = {0};
    o.timeout_us = 150000;
    sofa_kv_upsert(cli, "tf", 2, "x", 1, &o, kt_mut_cb, &w);
    sofa_client_wait(cli);
    assert_int_equal(w.calls, 1);
    assert_int_equal(w.status, SOFA_E_TIMEOUT);
    ctl("/mock/reset");
    assert_int_equal(kt_get(cli, "tf", &r), SOFA_OK);
    assert_string_equal(r.value, "w");
}

/* With no traffic at all, polling (config_poll_interval) picks up a new config, and
 * connections to nodes that stayed are kept. */
static void test_polling_sees_rebalance(void **state)
{
    (void)state;
    char cs[1200];
    snprintf(cs, sizeof(cs), "%s?config_poll_interval=0.1", mock.connstr);
    sofa_client *c = kt_client(cs, "Administrator", "password", NULL);
    assert_non_null(c);
    assert_int_equal(kt_connect(c), SOFA_OK);
    kt_res r;
    (void)kt_get(c, "warm", &r); /* connect to the nodes */
    int64_t rev = c->config->rev;
    sofa__kvnode *n0 = c->nodes[0];
    sofa__conn *conn0 = n0->conn;
    ctl("/mock/rebalance");
    for (int i = 0; i < 100 && c->config->rev == rev; i++) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
        sofa_client_tick(c);
    }
    assert_true(c->config->rev > rev);
    assert_ptr_equal(c->nodes[0], n0); /* same node object ... */
    assert_ptr_equal(c->nodes[0]->conn, conn0); /* ... and the same connection */

    /* node 2 leaves: once the config says so, its connection is closed (nothing in flight) */
    rev = c->config->rev;
    ctl("/mock/rebalance?nodes=0,1");
    for (int i = 0; i < 100 && c->config->rev == rev; i++) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
        sofa_client_tick(c);
    }
    assert_int_equal(c->nnodes, 2);
    assert_null(c->draining);
    for (size_t i = 0; i < c->nnodes; i++)
        assert_int_not_equal(c->nodes[i]->port, mock.kv_ports[2]);
    ctl("/mock/rebalance?nodes=0,1,2");
    sofa_client_free(c);
}

/* A node leaves while operations are in flight on it: it is retired (draining), its
 * operations are answered (directly or after a NOT_MY_VBUCKET retry), then it is closed. */
static void test_retired_node_drains(void **state)
{
    (void)state;
    store_all("r");
    char cs[1200];
    snprintf(cs, sizeof(cs), "%s?config_poll_interval=0.05", mock.connstr);
    sofa_client *c = kt_client(cs, "Administrator", "password", NULL);
    assert_non_null(c);
    assert_int_equal(kt_connect(c), SOFA_OK);
    int on2[NKEYS], n2 = 0;
    for (int i = 0; i < NKEYS; i++) {
        uint16_t vb;
        int idx = sofa__config_map_key(c->config, keys[i], strlen(keys[i]), &vb);
        if (idx >= 0 && c->nodes[idx]->port == mock.kv_ports[2])
            on2[n2++] = i;
    }
    assert_true(n2 > 0);
    kt_res warm;
    assert_int_equal(kt_get(c, keys[on2[0]], &warm), SOFA_OK); /* node 2 connected and ready */
    ctl("/mock/delay?ms=400&node=2");
    memset(res, 0, sizeof(res));
    for (int k = 0; k < n2; k++)
        assert_int_equal(sofa_kv_get(c, keys[on2[k]], strlen(keys[on2[k]]), NULL, kt_get_cb,
                                     &res[on2[k]]), 0);
    sofa_client_tick(c); /* sent; the answers are 400 ms away */
    int64_t rev = c->config->rev;
    ctl("/mock/rebalance?nodes=0,1");
    for (int i = 0; i < 100 && c->config->rev == rev; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        sofa_client_tick(c);
    }
    assert_true(c->config->rev > rev);
    assert_non_null(c->draining); /* retired, its operations still in flight */
    assert_int_equal(sofa_client_wait(c), 0);
    for (int k = 0; k < n2; k++) {
        assert_int_equal(res[on2[k]].calls, 1);
        assert_int_equal(res[on2[k]].status, SOFA_OK);
    }
    assert_null(c->draining); /* answered, then closed */
    ctl("/mock/reset");
    ctl("/mock/rebalance?nodes=0,1,2");
    sofa_client_free(c);
}

/* A collector (multi-get) that is still waiting when the client is freed ends with
 * SOFA_E_CANCELED, even when one of its keys had already failed: sofa_client_free()
 * answers every pending operation with CANCELED (it used to report the earlier key's
 * status, seen as a rare failure of test_faults_load's free-during-backoff case). */
typedef struct mg_res {
    int calls;
    int status;
    size_t n;
    int item_status[2];
} mg_res;

static void mg_cb(sofa_client *c, sofa_status st, const sofa_multi_item *items, size_t n,
                  void *ck)
{
    mg_res *m = ck;
    (void)c;
    m->calls++;
    m->status = st;
    m->n = n;
    for (size_t i = 0; i < n && i < 2; i++)
        m->item_status[i] = items[i].status;
}

typedef struct free_on_cb {
    kt_res r;
    sofa_client *c;
} free_on_cb;

static void free_in_get_cb(sofa_client *c, sofa_status st, const sofa_get_result *g, void *ck)
{
    free_on_cb *f = ck;
    kt_get_cb(c, st, g, &f->r);
    sofa_client_free(f->c); /* deferred until this callback returns */
}

/* The first key @p prefix N that @p c's config maps to the node with KV port @p port. */
static void key_on_node(sofa_client *c, int port, const char *prefix, char *out, size_t len)
{
    for (int i = 0; i < 10000; i++) {
        snprintf(out, len, "%s%d", prefix, i);
        uint16_t vb;
        int idx = sofa__config_map_key(c->config, out, strlen(out), &vb);
        if (idx >= 0 && c->nodes[idx] && c->nodes[idx]->port == port)
            return;
    }
    fail_msg("no key of %s maps to port %d", prefix, port);
}

static void test_free_cancels_partly_failed_multi_get(void **state)
{
    (void)state;
    ctl("/mock/reset");
    sofa_client *c = kt_client(mock.connstr, "Administrator", "password", NULL);
    assert_non_null(c);
    assert_int_equal(kt_connect(c), SOFA_OK);
    char k0[32], k0b[32], k1[32];
    key_on_node(c, mock.kv_ports[0], "mgmiss", k0, sizeof(k0));   /* absent: NOT_FOUND */
    key_on_node(c, mock.kv_ports[0], "mgother", k0b, sizeof(k0b)); /* absent too */
    key_on_node(c, mock.kv_ports[1], "mghung", k1, sizeof(k1));
    kt_res warm;
    (void)kt_get(c, k1, &warm); /* node 1 connected and ready before it hangs */
    assert_int_equal(warm.calls, 1);
    ctl("/mock/hang?on=1&node=1");
    sofa_kv_opts o = {0};
    o.timeout_us = 20000000; /* nothing times out in this test */
    sofa_key mkeys[2] = {{k0, strlen(k0)}, {k1, strlen(k1)}};
    mg_res m = {0};
    assert_int_equal(sofa_kv_get_multi(c, mkeys, 2, 0, &o, mg_cb, &m), 0);
    /* answered after the multi-get's key on the same node: when its callback frees the
     * client, the multi-get holds a NOT_FOUND for k0 and still waits for k1 */
    free_on_cb f = {{0}, c};
    assert_int_equal(sofa_kv_get(c, k0b, strlen(k0b), &o, free_in_get_cb, &f), 0);
    sofa_client_wait(c); /* destroys the client */
    assert_int_equal(f.r.calls, 1);
    assert_int_equal(f.r.status, SOFA_E_NOT_FOUND);
    assert_int_equal(m.calls, 1);
    assert_int_equal(m.n, 2);
    assert_int_equal(m.item_status[0], SOFA_E_NOT_FOUND);
    assert_int_equal(m.item_status[1], SOFA_E_CANCELED);
    assert_int_equal(m.status, SOFA_E_CANCELED);
    ctl("/mock/reset");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rebalance_nmvb),
        cmocka_unit_test(test_failover),
        cmocka_unit_test(test_rebalance_node_out),
        cmocka_unit_test(test_node_stop_and_restart),
        cmocka_unit_test(test_dropped_connections),
        cmocka_unit_test(test_garbage_packet),
        cmocka_unit_test(test_tmpfail_is_retried),
        cmocka_unit_test(test_polling_sees_rebalance),
        cmocka_unit_test(test_retired_node_drains),
        cmocka_unit_test(test_free_cancels_partly_failed_multi_get),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
