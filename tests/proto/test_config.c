/* Cluster config parsing: the PROTOCOL.md §6 example with $HOST, IPv6, ketama buckets,
 * forward maps, revision ordering and a table of malformed configs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/config.h"
#include "sofa/status.h"

static const char example[] =
    "{\"rev\": 1073, \"revEpoch\": 1, \"name\": \"default\", \"uuid\": "
    "\"5f0bea1472aab794b613ff6f0b9fc936\",\n"
    " \"nodeLocator\": \"vbucket\", \"collectionsManifestUid\": \"0\",\n"
    " \"uri\": \"/pools/default/buckets/default?bucket_uuid=5f0bea1472aab794b613ff6f0b9fc936\",\n"
    " \"streamingUri\": "
    "\"/pools/default/bucketsStreaming/default?bucket_uuid=5f0bea1472aab794b613ff6f0b9fc936\",\n"
    " \"ddocs\": {\"uri\": \"/pools/default/buckets/default/ddocs\"},\n"
    " \"nodes\": [{\"hostname\": \"10.0.0.1:8091\", \"ports\": {\"direct\": 11210},\n"
    "            \"couchApiBase\": "
    "\"http://10.0.0.1:8092/default%2B5f0bea1472aab794b613ff6f0b9fc936\"},\n"
    "           {\"hostname\": \"$HOST:8091\", \"ports\": {\"direct\": 11210},\n"
    "            \"couchApiBase\": "
    "\"http://$HOST:8092/default%2B5f0bea1472aab794b613ff6f0b9fc936\"}],\n"
    " \"nodesExt\": [{\"hostname\": \"10.0.0.1\", \"services\": {\"mgmt\": 8091, \"mgmtSSL\": "
    "18091, \"capi\": 8092,\n"
    "                \"capiSSL\": 18092, \"n1ql\": 8093, \"n1qlSSL\": 18093, \"kv\": 11210, "
    "\"kvSSL\": 11207}},\n"
    "              {\"thisNode\": true, \"services\": {\"mgmt\": 8091, \"mgmtSSL\": 18091, "
    "\"capi\": 8092,\n"
    "                \"capiSSL\": 18092, \"kv\": 11210, \"kvSSL\": 11207}}],\n"
    " \"vBucketServerMap\": {\"hashAlgorithm\": \"CRC\", \"numReplicas\": 1,\n"
    "   \"serverList\": [\"10.0.0.1:11210\", \"$HOST:11210\"], \"vBucketMap\": [[0, 1], [1, 0], "
    "[0, 1], [1, 0]]},\n"
    " \"bucketCapabilitiesVer\": \"\", \"bucketCapabilities\": [\"collections\", "
    "\"durableWrite\", \"couchapi\", \"dcp\",\n"
    "   \"cbhello\", \"touch\", \"cccp\", \"xattr\", \"nodesExt\"],\n"
    " \"clusterCapabilitiesVer\": [1, 0], \"clusterCapabilities\": {\"n1ql\": "
    "[\"enhancedPreparedStatements\"]}}";

static sofa__config *parse_ok(const char *json, const char *host)
{
    char err[256];
    sofa__config *c = NULL;
    int rc = sofa__config_parse(json, strlen(json), host, &c, err, sizeof(err));
    if (rc != 0)
        fail_msg("parse failed: %s (%s)", sofa_status_name(rc), err);
    assert_non_null(c);
    assert_int_equal(c->refcount, 1);
    return c;
}

static void parses_the_protocol_example(void **state)
{
    (void)state;
    sofa__config *c = parse_ok(example, "10.0.0.2");
    assert_int_equal(c->epoch, 1);
    assert_int_equal(c->rev, 1073);
    assert_string_equal(c->bucket, "default");
    assert_string_equal(c->uuid, "5f0bea1472aab794b613ff6f0b9fc936");
    assert_false(c->is_ketama);
    assert_int_equal(c->nnodes, 2);
    assert_int_equal(c->nkv, 2);
    assert_int_equal(c->nreplicas, 1);
    assert_int_equal(c->nvbuckets, 4);
    assert_null(c->vbmap_forward);

    const sofa__node *n0 = &c->nodes[0], *n1 = &c->nodes[1];
    assert_string_equal(n0->host, "10.0.0.1");
    assert_true(n0->is_kv);
    assert_false(n0->this_node);
    assert_int_equal(n0->kv, 11210);
    assert_int_equal(n0->kv_tls, 11207);
    assert_int_equal(n0->mgmt, 8091);
    assert_int_equal(n0->mgmt_tls, 18091);
    assert_int_equal(n0->capi, 8092);
    assert_int_equal(n0->n1ql, 8093);
    assert_int_equal(n0->n1ql_tls, 18093);
    assert_string_equal(n0->couch_api_base,
                        "http://10.0.0.1:8092/default%2B5f0bea1472aab794b613ff6f0b9fc936");

    assert_string_equal(n1->host, "10.0.0.2");
    assert_true(n1->this_node);
    assert_int_equal(n1->kv, 11210);
    assert_int_equal(n1->kv_tls, 11207);
    assert_int_equal(n1->n1ql, 0); /* node 2 runs no query service */
    assert_string_equal(n1->couch_api_base,
                        "http://10.0.0.2:8092/default%2B5f0bea1472aab794b613ff6f0b9fc936");

    unsigned want = SOFA__CAP_COLLECTIONS | SOFA__CAP_DURABLE_WRITE | SOFA__CAP_COUCHAPI |
                    SOFA__CAP_DCP | SOFA__CAP_CBHELLO | SOFA__CAP_TOUCH | SOFA__CAP_CCCP |
                    SOFA__CAP_XATTR | SOFA__CAP_NODES_EXT | SOFA__CAP_ENHANCED_PREPARED;
    assert_int_equal(c->caps, want);
    sofa__config_unref(c);
}

static void maps_keys_like_the_protocol_example(void **state)
{
    (void)state;
    sofa__config *c = parse_ok(example, "10.0.0.2");
    static const struct {
        const char *key;
        uint16_t vb;
        int master, replica;
    } t[] = {{"hello", 0, 0, 1}, {"user:1", 1, 1, 0}, {"key_0", 2, 0, 1}, {"foo", 3, 1, 0}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        uint16_t vb = 999;
        assert_int_equal(sofa__config_map_key(c, t[i].key, strlen(t[i].key), &vb), t[i].master);
        assert_int_equal(vb, t[i].vb);
        assert_int_equal(sofa__config_master(c, vb), t[i].master);
        assert_int_equal(sofa__config_replica(c, vb, 0), t[i].replica);
    }
    assert_int_equal(sofa__config_replica(c, 0, 1), -1); /* only one replica */
    assert_int_equal(sofa__config_replica(c, 0, -1), -1);
    assert_int_equal(sofa__config_master(c, 4), -1); /* vbucket out of range */
    assert_int_equal(sofa__config_master_forward(c, 0), -1);
    assert_int_equal(sofa__config_find_node(c, "10.0.0.2", 11210), 1);
    assert_int_equal(sofa__config_find_node(c, "10.0.0.2", 11207), 1);
    assert_int_equal(sofa__config_find_node(c, "10.0.0.3", 11210), -1);
    sofa__config_unref(c);
}

static void ipv6_host_is_bracketed_in_urls_only(void **state)
{
    (void)state;
    sofa__config *c = parse_ok(example, "fd00::2");
    assert_string_equal(c->nodes[1].host, "fd00::2");
    assert_string_equal(c->nodes[1].couch_api_base,
                        "http://[fd00::2]:8092/default%2B5f0bea1472aab794b613ff6f0b9fc936");
    assert_int_equal(c->nodes[1].mgmt, 8091);
    assert_int_equal(c->nodes[1].kv_tls, 11207);
    sofa__config_unref(c);
}

static void dollar_host_without_a_host_is_an_error(void **state)
{
    (void)state;
    char err[256];
    sofa__config *c = (sofa__config *)1;
    assert_int_equal(sofa__config_parse(example, strlen(example), NULL, &c, err, sizeof(err)),
                     SOFA_E_BAD_CONFIG);
    assert_null(c);
    assert_non_null(strstr(err, "$HOST"));
}

static void forward_map_and_minus_one_entries(void **state)
{
    (void)state;
    const char *json = "{\"rev\":7,\"name\":\"b\",\"nodeLocator\":\"vbucket\","
                       "\"vBucketServerMap\":{\"numReplicas\":2,\"serverList\":[\"a:1\",\"b:2\","
                       "\"c:3\"],\"vBucketMap\":[[0,1,-1],[-1,-1,-1]],"
                       "\"vBucketMapForward\":[[2,0,1],[1,2,0]]}}";
    sofa__config *c = parse_ok(json, NULL);
    assert_int_equal(c->epoch, -1);
    assert_int_equal(c->nvbuckets, 2);
    assert_int_equal(c->nkv, 3);
    assert_int_equal(c->nodes[2].kv, 3);
    assert_string_equal(c->nodes[2].host, "c");
    assert_int_equal(sofa__config_master(c, 0), 0);
    assert_int_equal(sofa__config_replica(c, 0, 1), -1);
    assert_int_equal(sofa__config_master(c, 1), -1);
    assert_int_equal(sofa__config_master_forward(c, 0), 2);
    assert_int_equal(sofa__config_master_forward(c, 1), 1);
    assert_null(c->nodes[0].couch_api_base);
    sofa__config_unref(c);
}

static const char ketama_json[] =
    "{\"rev\":3,\"name\":\"mc\",\"nodeLocator\":\"ketama\",\"nodes\":["
    "{\"hostname\":\"192.168.1.101:8091\",\"ports\":{\"direct\":11210}},"
    "{\"hostname\":\"192.168.1.102:8091\",\"ports\":{\"direct\":11210}},"
    "{\"hostname\":\"192.168.1.103:8091\",\"ports\":{\"direct\":11210}},"
    "{\"hostname\":\"192.168.1.104:8091\",\"ports\":{\"direct\":11210}}]}";

static void ketama_bucket_uses_the_continuum(void **state)
{
    (void)state;
    sofa__config *c = parse_ok(ketama_json, NULL);
    assert_true(c->is_ketama);
    assert_int_equal(c->nkv, 4);
    assert_int_equal(c->nvbuckets, 0);
    assert_int_equal(c->ketama.npoints, 640);
    assert_int_equal(c->nodes[0].mgmt, 8091);
    uint16_t vb = 7;
    assert_int_equal(sofa__config_map_key(c, "foo", 3, &vb), 2);
    assert_int_equal(vb, 0);
    assert_int_equal(sofa__config_map_key(c, "hello", 5, &vb), 1);
    assert_int_equal(sofa__config_map_key(c, "user:1", 6, &vb), 0);
    assert_int_equal(sofa__config_master(c, 0), -1);
    sofa__config_unref(c);
}

static void config_from_a_server_list(void **state)
{
    (void)state;
    const char *hosts[] = {"192.168.1.101", "192.168.1.102", "192.168.1.103", "192.168.1.104"};
    const uint16_t ports[] = {11210, 11210, 11210, 11210};
    sofa__config *c = NULL;
    assert_int_equal(sofa__config_from_servers(hosts, ports, 4, &c), 0);
    assert_true(c->is_ketama);
    assert_null(c->bucket);
    assert_int_equal(c->rev, -1);
    assert_int_equal(sofa__config_map_key(c, "foo", 3, NULL), 2);
    assert_int_equal(sofa__config_map_key(c, "hello", 5, NULL), 1);
    sofa__config_ref(c);
    assert_int_equal(c->refcount, 2);
    sofa__config_unref(c);
    sofa__config_unref(c);
    sofa__config_unref(NULL);

    const uint16_t zero[] = {0};
    assert_int_equal(sofa__config_from_servers(hosts, zero, 1, &c), SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(sofa__config_from_servers(hosts, ports, 0, &c), SOFA_E_INVALID_ARGUMENT);
    /* IPv6 hosts hash as "[host]:port" */
    const char *v6[] = {"::1"};
    assert_int_equal(sofa__config_from_servers(v6, ports, 1, &c), 0);
    assert_int_equal(sofa__config_map_key(c, "x", 1, NULL), 0);
    sofa__config_unref(c);
}

static void bucketless_config_lists_nodes_from_nodes_ext(void **state)
{
    (void)state;
    const char *json =
        "{\"rev\":10,\"revEpoch\":2,\"nodesExt\":[{\"hostname\":\"h1\",\"services\":"
        "{\"kv\":11210,\"mgmt\":8091}},{\"services\":{\"mgmt\":9000,\"n1ql\":8093}}]}";
    sofa__config *c = parse_ok(json, "seed");
    assert_null(c->bucket);
    assert_int_equal(c->nnodes, 2);
    assert_int_equal(c->nkv, 1);
    assert_true(c->nodes[0].is_kv);
    assert_false(c->nodes[1].is_kv);
    assert_string_equal(c->nodes[1].host, "seed");
    assert_int_equal(c->nodes[1].n1ql, 8093);
    assert_int_equal(sofa__config_map_key(c, "foo", 3, NULL), -1);
    sofa__config_unref(c);
}

static void compares_by_epoch_then_rev(void **state)
{
    (void)state;
    sofa__config a = {.epoch = -1, .rev = 100}, b = {.epoch = 1, .rev = 1},
                 c = {.epoch = 1, .rev = 2}, d = {.epoch = 1, .rev = 2};
    assert_true(sofa__config_compare(&a, &b) < 0);
    assert_true(sofa__config_compare(&b, &a) > 0);
    assert_true(sofa__config_compare(&b, &c) < 0);
    assert_true(sofa__config_compare(&c, &d) == 0);
}

static void rejects_bad_configs_naming_the_field(void **state)
{
    (void)state;
#define VB(inner) "{\"rev\":1,\"nodeLocator\":\"vbucket\",\"vBucketServerMap\":{" inner "}}"
    static const struct {
        const char *json, *field;
    } t[] = {
        {"", "invalid JSON"},
        {"[1,2]", "not a JSON object"},
        {"{\"rev\":\"1\"}", "rev"},
        {"{\"rev\":1,\"revEpoch\":1.5}", "revEpoch"},
        {"{\"rev\":1,\"name\":5}", "name"},
        {"{\"rev\":1,\"nodeLocator\":\"ring\"}", "nodeLocator"},
        {"{\"rev\":1,\"nodeLocator\":\"vbucket\"}", "vBucketServerMap"},
        {"{\"rev\":1,\"nodeLocator\":\"ketama\"}", "ketama config needs"},
        {"{\"rev\":1,\"rev\":2}", "duplicate"},
        {VB("\"numReplicas\":1,\"serverList\":[\"a:1\"],\"vBucketMap\":[[0]]"), "vBucketMap[0]"},
        {VB("\"numReplicas\":0,\"serverList\":[\"a:1\"],\"vBucketMap\":[[1]]"), "vBucketMap[0][0]"},
        {VB("\"numReplicas\":0,\"serverList\":[\"a:1\"],\"vBucketMap\":[[-2]]"),
         "vBucketMap[0][0]"},
        {VB("\"numReplicas\":0,\"serverList\":[\"a:1\"],\"vBucketMap\":[[\"0\"]]"),
         "vBucketMap[0][0]"},
        {VB("\"numReplicas\":0,\"serverList\":[\"a:1\"],\"vBucketMap\":[]"), "vBucketMap: empty"},
        {VB("\"numReplicas\":0,\"serverList\":[\"a:1\"],\"vBucketMap\":[0]"), "vBucketMap[0]"},
        {VB("\"numReplicas\":4,\"serverList\":[\"a:1\"],\"vBucketMap\":[[0]]"), "numReplicas"},
        {VB("\"serverList\":[\"a:1\"],\"vBucketMap\":[[0]]"), "numReplicas"},
        {VB("\"numReplicas\":0,\"vBucketMap\":[[0]]"), "serverList: missing"},
        {VB("\"numReplicas\":0,\"serverList\":[\"a:1\"]"), "vBucketMap: missing"},
        {VB("\"numReplicas\":0,\"serverList\":[\"a\"],\"vBucketMap\":[[0]]"), "serverList[0]"},
        {VB("\"numReplicas\":0,\"serverList\":[\"a:0\"],\"vBucketMap\":[[0]]"), "serverList[0]"},
        {VB("\"numReplicas\":0,\"serverList\":[\"a:65536\"],\"vBucketMap\":[[0]]"),
         "serverList[0]"},
        {VB("\"numReplicas\":0,\"serverList\":[\":11210\"],\"vBucketMap\":[[0]]"), "serverList[0]"},
        {VB("\"numReplicas\":0,\"serverList\":[\"a:1\",\"a:1\"],\"vBucketMap\":[[0]]"),
         "duplicate"},
        {VB("\"numReplicas\":0,\"serverList\":[7],\"vBucketMap\":[[0]]"), "serverList[0]"},
        {VB("\"numReplicas\":0,\"serverList\":[\"a:1\"],\"vBucketMap\":[[0]],"
            "\"vBucketMapForward\":[[0],[0]]"),
         "vBucketMapForward"},
        {VB("\"hashAlgorithm\":\"MD5\",\"numReplicas\":0,\"serverList\":[\"a:1\"],"
            "\"vBucketMap\":[[0]]"),
         "hashAlgorithm"},
        {"{\"rev\":1,\"nodesExt\":[{\"services\":{\"kv\":70000}}]}", "nodesExt[0].services.kv"},
        {"{\"rev\":1,\"nodesExt\":[{\"hostname\":\"\",\"services\":{}}]}", "nodesExt[0]"},
        {"{\"rev\":1,\"nodesExt\":{}}", "nodesExt"},
        {"{\"rev\":1,\"nodes\":[{\"ports\":{}}]}", "nodes[0].hostname"},
        {"{\"rev\":1,\"nodes\":[{\"hostname\":\"a:1\",\"ports\":{\"direct\":-1}}]}", "nodes[0]"},
        {"{\"rev\":1,\"bucketCapabilities\":[1]}", "bucketCapabilities[0]"},
        {"{\"rev\":1,\"clusterCapabilities\":{\"n1ql\":5}}", "clusterCapabilities.n1ql"},
    };
#undef VB
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        char err[256] = "";
        sofa__config *c = NULL;
        int rc = sofa__config_parse(t[i].json, strlen(t[i].json), "h", &c, err, sizeof(err));
        if (rc != SOFA_E_BAD_CONFIG || c != NULL || !strstr(err, t[i].field))
            fail_msg("case %zu (%s): rc %s, err \"%s\", want field \"%s\"", i, t[i].json,
                     sofa_status_name(rc), err, t[i].field);
    }
}

static void rejects_oversized_input_and_vbucket_counts(void **state)
{
    (void)state;
    char err[128];
    sofa__config *c = NULL;
    assert_int_equal(
        sofa__config_parse("{}", SOFA__CONFIG_MAX_JSON + 1, NULL, &c, err, sizeof(err)),
        SOFA_E_BAD_CONFIG);
    assert_null(c);
    /* 65537 vbuckets: one more than vbucket ids can address */
    size_t cap = 40 + 65537 * 4 + 64;
    char *big = malloc(cap);
    assert_non_null(big);
    size_t n = (size_t)snprintf(big, cap,
                                "{\"vBucketServerMap\":{\"numReplicas\":0,\"serverList\":[\"a:1\"],"
                                "\"vBucketMap\":[");
    for (size_t i = 0; i < 65537; i++)
        n += (size_t)snprintf(big + n, cap - n, i ? ",[0]" : "[0]");
    n += (size_t)snprintf(big + n, cap - n, "]}}");
    assert_int_equal(sofa__config_parse(big, n, NULL, &c, err, sizeof(err)), SOFA_E_BAD_CONFIG);
    assert_non_null(strstr(err, "vBucketMap"));
    free(big);
    /* NULL errbuf is allowed */
    assert_int_equal(sofa__config_parse("[]", 2, NULL, &c, NULL, 0), SOFA_E_BAD_CONFIG);
    assert_int_equal(sofa__config_parse(NULL, 2, NULL, &c, NULL, 0), SOFA_E_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_the_protocol_example),
        cmocka_unit_test(maps_keys_like_the_protocol_example),
        cmocka_unit_test(ipv6_host_is_bracketed_in_urls_only),
        cmocka_unit_test(dollar_host_without_a_host_is_an_error),
        cmocka_unit_test(forward_map_and_minus_one_entries),
        cmocka_unit_test(ketama_bucket_uses_the_continuum),
        cmocka_unit_test(config_from_a_server_list),
        cmocka_unit_test(bucketless_config_lists_nodes_from_nodes_ext),
        cmocka_unit_test(compares_by_epoch_then_rev),
        cmocka_unit_test(rejects_bad_configs_naming_the_field),
        cmocka_unit_test(rejects_oversized_input_and_vbucket_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
