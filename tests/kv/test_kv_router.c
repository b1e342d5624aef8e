/* The router on the PROTOCOL.md §6 example config (2 nodes, 4 vBuckets, 1 replica) and on
 * a ketama server list: master, replica, fixed-node and no-config cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kv/engine.h"

static const char CONFIG[] =
    "{\"rev\": 1073, \"revEpoch\": 1, \"name\": \"default\", \"nodeLocator\": \"vbucket\","
    " \"nodes\": [{\"hostname\": \"10.0.0.1:8091\", \"ports\": {\"direct\": 11210}},"
    "            {\"hostname\": \"$HOST:8091\", \"ports\": {\"direct\": 11210}}],"
    " \"nodesExt\": [{\"hostname\": \"10.0.0.1\", \"services\": {\"mgmt\": 8091, \"kv\": 11210}},"
    "              {\"thisNode\": true, \"services\": {\"mgmt\": 8091, \"kv\": 11210}}],"
    " \"vBucketServerMap\": {\"hashAlgorithm\": \"CRC\", \"numReplicas\": 1,"
    "   \"serverList\": [\"10.0.0.1:11210\", \"$HOST:11210\"],"
    "   \"vBucketMap\": [[0, 1], [1, 0], [0, 1], [1, 0]]}}";

static sofa_client *fake_client(sofa__config *cfg)
{
    sofa_client *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    c->config = cfg;
    c->config_gen = 1;
    if (cfg) {
        c->nnodes = cfg->nkv;
        c->nodes = calloc(cfg->nkv, sizeof(*c->nodes));
        for (size_t i = 0; i < cfg->nkv; i++) {
            c->nodes[i] = sofa__node_new(c, cfg->nodes[i].host, cfg->nodes[i].kv, 0);
            assert_non_null(c->nodes[i]);
            c->nodes[i]->index = (int)i;
        }
    }
    return c;
}

static void free_client(sofa_client *c)
{
    for (size_t i = 0; i < c->nnodes; i++)
        free(c->nodes[i]);
    free(c->nodes);
    sofa__config_unref(c->config);
    free(c);
}

static const sofa__op_type t = {"test", 0, NULL, NULL, NULL};

static sofa__kvnode *route_key(sofa_client *c, const char *key, int replica, int *st,
                               uint16_t *vb)
{
    sofa__op *op = sofa__op_new(c, &t, strlen(key));
    assert_non_null(op);
    sofa__op_set_request(op, SOFA__OP_GET, NULL, 0, NULL, 0, key, (uint16_t)strlen(key), NULL, 0);
    op->route = SOFA__ROUTE_KEY;
    op->replica = (uint8_t)replica;
    *st = 0;
    sofa__kvnode *n = sofa__route(c, op, st);
    *vb = op->vbid;
    free(op);
    return n;
}

static void test_vbucket_routing(void **state)
{
    (void)state;
    sofa__config *cfg = NULL;
    assert_int_equal(sofa__config_parse(CONFIG, strlen(CONFIG), "10.0.0.2", &cfg, NULL, 0), 0);
    sofa_client *c = fake_client(cfg);
    int st;
    uint16_t vb;
    struct { const char *key; uint16_t vb; const char *master; } cases[] = {
        {"hello", 0, "10.0.0.1"}, {"user:1", 1, "10.0.0.2"}, {"key_0", 2, "10.0.0.1"},
        {"foo", 3, "10.0.0.2"}};
    for (size_t i = 0; i < 4; i++) {
        sofa__kvnode *n = route_key(c, cases[i].key, 0, &st, &vb);
        assert_non_null(n);
        assert_int_equal(vb, cases[i].vb);
        assert_string_equal(n->host, cases[i].master);
    }
    sofa__kvnode *r = route_key(c, "foo", 1, &st, &vb);
    assert_non_null(r);
    assert_string_equal(r->host, "10.0.0.1"); /* foo's replica */
    assert_null(route_key(c, "foo", 2, &st, &vb));
    assert_int_equal(st, SOFA_E_NO_NODE);

    sofa__op *op = sofa__op_new(c, &t, 0);
    op->route = SOFA__ROUTE_NODE;
    op->fixed_node = 1;
    op->config_gen = 1;
    assert_ptr_equal(sofa__route(c, op, &st), c->nodes[1]);
    op->config_gen = 0; /* picked under an older config */
    assert_null(sofa__route(c, op, &st));
    assert_int_equal(st, SOFA_E_NO_NODE);
    op->route = SOFA__ROUTE_VBUCKET;
    op->vbid = 1;
    op->replica = 1;
    assert_ptr_equal(sofa__route(c, op, &st), c->nodes[0]);
    op->vbid = 4; /* out of range */
    assert_null(sofa__route(c, op, &st));
    free(op);
    free_client(c);
}

static void test_ketama_and_no_config(void **state)
{
    (void)state;
    const char *hosts[] = {"192.168.1.101", "192.168.1.102", "192.168.1.103", "192.168.1.104"};
    uint16_t ports[] = {11210, 11210, 11210, 11210};
    sofa__config *cfg = NULL;
    assert_int_equal(sofa__config_from_servers(hosts, ports, 4, &cfg), 0);
    sofa_client *c = fake_client(cfg);
    int st;
    uint16_t vb;
    /* PROTOCOL.md §7.2 vectors */
    assert_string_equal(route_key(c, "foo", 0, &st, &vb)->host, "192.168.1.103");
    assert_string_equal(route_key(c, "hello", 0, &st, &vb)->host, "192.168.1.102");
    assert_string_equal(route_key(c, "user:1", 0, &st, &vb)->host, "192.168.1.101");
    assert_null(route_key(c, "foo", 1, &st, &vb)); /* no replicas with ketama */
    assert_int_equal(st, SOFA_E_NOT_SUPPORTED);
    free_client(c);

    c = fake_client(NULL);
    assert_null(route_key(c, "foo", 0, &st, &vb));
    assert_int_equal(st, SOFA_E_NO_CONFIG);
    free_client(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vbucket_routing),
        cmocka_unit_test(test_ketama_and_no_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
