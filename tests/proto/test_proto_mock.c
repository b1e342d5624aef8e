/* The proto layer against sofa-mock (3 nodes, 1 replica, 64 vBuckets, plus a memcached
 * bucket), over real sockets: HELLO, SCRAM-SHA512, SELECT_BUCKET, GET_ERROR_MAP and
 * GET_CLUSTER_CONFIG, then keys routed with sofa__config_map_key land on the node that owns
 * them (others answer NOT_MY_VBUCKET with a config that parses), mutation tokens,
 * OBSERVE_SEQNO, durable writes with flexible framing, and ketama routing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/config.h"
#include "proto/errmap.h"
#include "proto/packet.h"
#include "proto/sasl.h"
#include "sofa/status.h"
#include "support/mockproc.h"
#include "wire.h"

#define NNODES 3
#define NVB 64

static sofa_test_mock mock;

static int setup(void **state)
{
    (void)state;
    static const char *const args[] = {
        "--nodes", "3",        "--replicas",   "1", "--vbuckets", "64", "--bucket",
        "default", "--bucket", "mc:memcached", NULL};
    return sofa_test_mock_start(&mock, args);
}

static int teardown(void **state)
{
    (void)state;
    sofa_test_mock_stop(&mock);
    return 0;
}

static const uint16_t hello_features[] = {SOFA__FEAT_XERROR,         SOFA__FEAT_SELECT_BUCKET,
                                          SOFA__FEAT_MUTATION_SEQNO, SOFA__FEAT_JSON,
                                          SOFA__FEAT_ALT_REQUEST,    SOFA__FEAT_SYNC_REPLICATION};

/* HELLO + SCRAM + SELECT_BUCKET on the node listening on @p port. Returns the acked
 * features as a bit set. */
static unsigned open_bucket(wire_conn *c, int port, const char *bucket)
{
    wire_open(c, port);
    uint8_t feats[sizeof(hello_features)];
    for (size_t i = 0; i < sizeof(hello_features) / sizeof(hello_features[0]); i++)
        sofa__put16(feats + 2 * i, hello_features[i]);
    sofa__resp r;
    assert_int_equal(wire_simple(c, SOFA__OP_HELLO, 0, "sofa-proto-test", feats, sizeof(feats), &r),
                     0);
    unsigned acked = 0;
    assert_int_equal(r.nvalue % 2, 0);
    for (uint32_t i = 0; i < r.nvalue; i += 2)
        acked |= 1u << sofa__get16(r.value + i);
    char mech[SOFA__SASL_MAX_MECH_NAME];
    assert_int_equal(wire_auth(c, "Administrator", "password", NULL, 0, mech, sizeof(mech)), 0);
    assert_string_equal(mech, "SCRAM-SHA512");
    assert_int_equal(wire_simple(c, SOFA__OP_SELECT_BUCKET, 0, bucket, NULL, 0, &r), 0);
    return acked;
}

static sofa__config *fetch_config(wire_conn *c)
{
    sofa__resp r;
    assert_int_equal(wire_simple(c, SOFA__OP_GET_CLUSTER_CONFIG, 0, NULL, NULL, 0, &r), 0);
    char err[256];
    sofa__config *cfg = NULL;
    int rc =
        sofa__config_parse((const char *)r.value, r.nvalue, "127.0.0.1", &cfg, err, sizeof(err));
    if (rc != 0)
        fail_msg("config: %s", err);
    return cfg;
}

static int port_index(int port)
{
    for (int i = 0; i < mock.nnodes; i++)
        if (mock.kv_ports[i] == port)
            return i;
    return -1;
}

static void handshake_and_cccp_config(void **state)
{
    (void)state;
    wire_conn c;
    unsigned acked = open_bucket(&c, mock.kv_ports[0], "default");
    assert_true(acked & (1u << SOFA__FEAT_MUTATION_SEQNO));
    assert_true(acked & (1u << SOFA__FEAT_XERROR));

    /* the server's error map parses and knows NOT_MY_VBUCKET needs a config */
    uint8_t ver[2];
    sofa__put16(ver, 2);
    sofa__resp r;
    assert_int_equal(wire_simple(&c, SOFA__OP_GET_ERROR_MAP, 0, NULL, ver, 2, &r), 0);
    sofa__errmap *em = NULL;
    assert_int_equal(sofa__errmap_parse((const char *)r.value, r.nvalue, &em, NULL, 0), 0);
    const sofa__errmap_entry *e = sofa__errmap_lookup(em, SOFA__ST_NOT_MY_VBUCKET);
    assert_non_null(e);
    assert_true(e->attrs & SOFA__ERRATTR_FETCH_CONFIG);
    sofa__errmap_free(em);

    sofa__config *cfg = fetch_config(&c);
    assert_string_equal(cfg->bucket, "default");
    assert_false(cfg->is_ketama);
    assert_int_equal(cfg->nkv, NNODES);
    assert_int_equal(cfg->nvbuckets, NVB);
    assert_int_equal(cfg->nreplicas, 1);
    assert_true(cfg->caps & SOFA__CAP_DURABLE_WRITE);
    int seen[NNODES] = {0};
    for (size_t i = 0; i < cfg->nkv; i++) {
        const sofa__node *n = &cfg->nodes[i];
        assert_string_equal(n->host, "127.0.0.1");
        int p = port_index(n->kv);
        assert_true(p >= 0);
        seen[p]++;
        assert_int_equal(n->mgmt, mock.http_ports[p]);
        assert_int_equal(n->this_node, p == 0); /* served by node 0 */
        assert_non_null(n->couch_api_base);
    }
    for (int i = 0; i < NNODES; i++)
        assert_int_equal(seen[i], 1);
    int self = sofa__config_find_node(cfg, "127.0.0.1", (uint16_t)mock.kv_ports[0]);
    assert_true(self >= 0 && cfg->nodes[self].this_node);
    sofa__config_unref(cfg);
    wire_close(&c);
}

static void keys_land_on_the_node_the_config_names(void **state)
{
    (void)state;
    wire_conn *conns = calloc(NNODES, sizeof(*conns));
    assert_non_null(conns);
    for (int i = 0; i < NNODES; i++)
        open_bucket(&conns[i], mock.kv_ports[i], "default");
    sofa__config *cfg = fetch_config(&conns[0]);

    for (int k = 0; k < 24; k++) {
        char key[32];
        snprintf(key, sizeof(key), "route:%d", k);
        uint16_t vb;
        int idx = sofa__config_map_key(cfg, key, strlen(key), &vb);
        assert_true(idx >= 0);
        int owner = port_index(cfg->nodes[idx].kv);
        assert_true(owner >= 0);

        /* SET on the master: success with a mutation token */
        uint8_t ext[SOFA__EXTRAS_STORE_LEN];
        sofa__extras_store(ext, 7, 0);
        sofa__req set = {.opcode = SOFA__OP_SET,
                         .vbucket = vb,
                         .extras = ext,
                         .nextras = 8,
                         .key = key,
                         .nkey = (uint16_t)strlen(key),
                         .value = "v",
                         .nvalue = 1};
        wire_send(&conns[owner], &set);
        sofa__resp r;
        assert_int_equal(wire_recv(&conns[owner], &r), 0);
        assert_int_equal(r.status, 0);
        uint64_t vbuuid, seqno;
        assert_int_equal(sofa__resp_mutation_token(&r, &vbuuid, &seqno), 0);
        assert_true(seqno > 0);

        /* OBSERVE_SEQNO on the master knows that seqno */
        uint8_t uuid[8];
        sofa__put64(uuid, vbuuid);
        assert_int_equal(wire_simple(&conns[owner], SOFA__OP_OBSERVE_SEQNO, vb, NULL, uuid, 8, &r),
                         0);
        sofa__observe_seqno o;
        assert_int_equal(sofa__observe_seqno_parse(r.value, r.nvalue, &o), 0);
        assert_int_equal(o.vbid, vb);
        assert_true(o.current_seqno >= seqno);

        /* GET on the master returns it; on a node that holds no copy: NOT_MY_VBUCKET */
        assert_int_equal(wire_simple(&conns[owner], SOFA__OP_GET, vb, key, NULL, 0, &r), 0);
        uint32_t flags;
        assert_int_equal(sofa__resp_get_flags(&r, &flags), 0);
        assert_int_equal(flags, 7);
        int replica = sofa__config_replica(cfg, vb, 0);
        int replica_port = replica >= 0 ? port_index(cfg->nodes[replica].kv) : -1;
        for (int other = 0; other < NNODES; other++) {
            if (other == owner || other == replica_port)
                continue;
            int st = wire_simple(&conns[other], SOFA__OP_GET, vb, key, NULL, 0, &r);
            assert_int_equal(st, SOFA__ST_NOT_MY_VBUCKET);
            assert_int_equal(sofa__status_from_server((uint16_t)st, SOFA__OP_GET, 0),
                             SOFA_E_NOT_MY_VBUCKET);
            if (r.nvalue) {
                sofa__config *nmv = NULL;
                assert_int_equal(
                    sofa__config_parse((const char *)r.value, r.nvalue, "127.0.0.1", &nmv, NULL, 0),
                    0);
                assert_int_equal(sofa__config_compare(nmv, cfg), 0);
                sofa__config_unref(nmv);
            }
        }
    }
    sofa__config_unref(cfg);
    for (int i = 0; i < NNODES; i++)
        wire_close(&conns[i]);
    free(conns);
}

static void durable_set_with_flexible_framing(void **state)
{
    (void)state;
    wire_conn *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    unsigned acked = open_bucket(c, mock.kv_ports[0], "default");
    assert_true(acked & (1u << SOFA__FEAT_ALT_REQUEST));
    assert_true(acked & (1u << SOFA__FEAT_SYNC_REPLICATION));
    sofa__config *cfg = fetch_config(c);
    /* a key whose master is node 0 */
    char key[32];
    uint16_t vb = 0;
    int found = 0;
    for (int k = 0; k < 1000 && !found; k++) {
        snprintf(key, sizeof(key), "durable:%d", k);
        int idx = sofa__config_map_key(cfg, key, strlen(key), &vb);
        found = idx >= 0 && cfg->nodes[idx].kv == mock.kv_ports[0];
    }
    assert_true(found);
    uint8_t fr[SOFA__FRAME_DURABILITY_MAX], ext[SOFA__EXTRAS_STORE_LEN];
    size_t nfr = sofa__frame_durability(fr, SOFA__DURABILITY_MAJORITY, 5000);
    sofa__extras_store(ext, 0, 0);
    sofa__req set = {.opcode = SOFA__OP_SET,
                     .vbucket = vb,
                     .datatype = SOFA__DT_JSON,
                     .framing = fr,
                     .nframing = (uint8_t)nfr,
                     .extras = ext,
                     .nextras = 8,
                     .key = key,
                     .nkey = (uint16_t)strlen(key),
                     .value = "{}",
                     .nvalue = 2};
    wire_send(c, &set);
    sofa__resp r;
    assert_int_equal(wire_recv(c, &r), 0);
    assert_int_equal(r.status, 0);
    uint64_t vbuuid, seqno;
    assert_int_equal(sofa__resp_mutation_token(&r, &vbuuid, &seqno), 0);

    /* an invalid level is refused with the durability status */
    fr[1] = 0x09;
    wire_send(c, &set);
    assert_int_equal(wire_recv(c, &r), 0);
    assert_int_equal(sofa__status_from_server(r.status, r.opcode, 0),
                     SOFA_E_DURABILITY_INVALID_LEVEL);
    sofa__config_unref(cfg);
    wire_close(c);
    free(c);
}

static void memcached_bucket_routes_by_ketama(void **state)
{
    (void)state;
    wire_conn *conns = calloc(NNODES, sizeof(*conns));
    assert_non_null(conns);
    for (int i = 0; i < NNODES; i++)
        open_bucket(&conns[i], mock.kv_ports[i], "mc");
    sofa__config *cfg = fetch_config(&conns[0]);
    assert_true(cfg->is_ketama);
    assert_string_equal(cfg->bucket, "mc");
    assert_int_equal(cfg->nkv, NNODES);
    assert_int_equal(cfg->ketama.npoints, NNODES * SOFA__KETAMA_POINTS_PER_SERVER);
    int used[NNODES] = {0};
    for (int k = 0; k < 30; k++) {
        char key[32];
        snprintf(key, sizeof(key), "mc:%d", k);
        int idx = sofa__config_map_key(cfg, key, strlen(key), NULL);
        assert_true(idx >= 0);
        int node = port_index(cfg->nodes[idx].kv);
        assert_true(node >= 0);
        used[node]++;
        uint8_t ext[SOFA__EXTRAS_STORE_LEN];
        sofa__extras_store(ext, 0, 0);
        sofa__req set = {.opcode = SOFA__OP_SET,
                         .extras = ext,
                         .nextras = 8,
                         .key = key,
                         .nkey = (uint16_t)strlen(key),
                         .value = "x",
                         .nvalue = 1};
        wire_send(&conns[node], &set);
        sofa__resp r;
        assert_int_equal(wire_recv(&conns[node], &r), 0);
        assert_int_equal(r.status, 0);
        assert_int_equal(wire_simple(&conns[node], SOFA__OP_GET, 0, key, NULL, 0, &r), 0);
    }
    for (int i = 0; i < NNODES; i++)
        assert_true(used[i] > 0); /* 30 keys spread over all three nodes */
    sofa__config_unref(cfg);
    for (int i = 0; i < NNODES; i++)
        wire_close(&conns[i]);
    free(conns);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(handshake_and_cccp_config),
        cmocka_unit_test(keys_land_on_the_node_the_config_names),
        cmocka_unit_test(durable_set_with_flexible_framing),
        cmocka_unit_test(memcached_bucket_routes_by_ketama),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
