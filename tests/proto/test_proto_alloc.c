/* Allocation-failure sweeps for the proto parsers: each run fails the 1st, 2nd, ... allocation
 * in turn (libsofa's malloc/calloc/realloc/strdup through tests/support/failalloc, jansson's
 * through json_set_alloc_funcs). Every run must end in success or SOFA_E_NO_MEMORY, with nothing
 * left allocated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "proto/config.h"
#include "proto/errmap.h"
#include "proto/hash.h"
#include "proto/sasl.h"
#include "sofa/status.h"
#include "support/failalloc.h"

/* jansson reports most of its own allocation failures as syntax errors (json_error_code()
 * is not reliably json_error_out_of_memory), so a failure injected there may also end in
 * SOFA_E_BAD_CONFIG; one injected into libsofa's own allocations must give NO_MEMORY. */
static int failed_in_jansson;

static void *json_malloc(size_t n)
{
    long before = failalloc_failures();
    void *p = __wrap_malloc(n);
    if (failalloc_failures() > before)
        failed_in_jansson = 1;
    return p;
}

static void json_free(void *p)
{
    __wrap_free(p);
}

typedef int (*scenario)(void);

/* Run @p fn with each allocation failing in turn until a run needs no failure. */
static void sweep(scenario fn, const char *what)
{
    json_set_alloc_funcs(json_malloc, json_free);
    for (long i = 0;; i++) {
        failed_in_jansson = 0;
        failalloc_start(i);
        int rc = fn();
        failalloc_stop();
        int hit = failalloc_failures() > 0;
        if (failalloc_live() != 0)
            fail_msg("%s: failing allocation %ld leaked %ld blocks", what, i, failalloc_live());
        if (hit && rc != SOFA_E_NO_MEMORY && rc != SOFA_OK &&
            !(rc == SOFA_E_BAD_CONFIG && failed_in_jansson))
            fail_msg("%s: failing allocation %ld gave %s", what, i, sofa_status_name(rc));
        if (!hit) {
            assert_int_equal(rc, SOFA_OK);
            assert_true(i > 2); /* the scenario really allocates */
            break;
        }
    }
}

static const char config_json[] =
    "{\"rev\":9,\"revEpoch\":1,\"name\":\"b\",\"uuid\":\"u\",\"nodeLocator\":\"vbucket\","
    "\"nodes\":[{\"hostname\":\"$HOST:8091\",\"ports\":{\"direct\":11210},"
    "\"couchApiBase\":\"http://$HOST:8092/b\"},{\"hostname\":\"10.0.0.1:8091\",\"ports\":"
    "{\"direct\":11210},\"couchApiBase\":\"http://10.0.0.1:8092/b\"}],"
    "\"nodesExt\":[{\"thisNode\":true,\"services\":{\"kv\":11210,\"mgmt\":8091}},"
    "{\"hostname\":\"10.0.0.1\",\"services\":{\"kv\":11210,\"n1ql\":8093}},"
    "{\"hostname\":\"10.0.0.7\",\"services\":{\"n1ql\":8093}}],"
    "\"vBucketServerMap\":{\"numReplicas\":1,\"serverList\":[\"$HOST:11210\",\"10.0.0.1:11210\"],"
    "\"vBucketMap\":[[0,1],[1,0]],\"vBucketMapForward\":[[1,0],[0,1]]},"
    "\"bucketCapabilities\":[\"cccp\"]}";

static int config_scenario(void)
{
    sofa__config *c = NULL;
    char err[128];
    int rc = sofa__config_parse(config_json, strlen(config_json), "fd00::5", &c, err, sizeof(err));
    if (rc == SOFA_OK) {
        assert_int_equal(c->nnodes, 3);
        sofa__config_unref(c);
    } else {
        assert_null(c);
    }
    return rc;
}

static const char ketama_json[] =
    "{\"rev\":3,\"name\":\"mc\",\"nodeLocator\":\"ketama\",\"nodes\":["
    "{\"hostname\":\"h1:8091\",\"ports\":{\"direct\":11210}},"
    "{\"hostname\":\"h2:8091\",\"ports\":{\"direct\":11210}}]}";

static int ketama_config_scenario(void)
{
    sofa__config *c = NULL;
    int rc = sofa__config_parse(ketama_json, strlen(ketama_json), NULL, &c, NULL, 0);
    sofa__config_unref(c);
    return rc;
}

static int from_servers_scenario(void)
{
    const char *hosts[] = {"a", "b", "c"};
    const uint16_t ports[] = {1, 2, 3};
    sofa__config *c = NULL;
    int rc = sofa__config_from_servers(hosts, ports, 3, &c);
    sofa__config_unref(c);
    return rc;
}

static int errmap_scenario(void)
{
    static const char json[] =
        "{\"version\":2,\"revision\":1,\"errors\":{\"7\":{\"name\":\"NMV\",\"desc\":\"d\","
        "\"attrs\":[\"fetch-config\"]},\"86\":{\"name\":\"T\",\"desc\":\"t\",\"attrs\":"
        "[\"temp\"],\"retry\":{\"strategy\":\"constant\",\"interval\":5}}}}";
    sofa__errmap *m = NULL;
    int rc = sofa__errmap_parse(json, strlen(json), &m, NULL, 0);
    sofa__errmap_free(m);
    return rc;
}

static int sasl_scenario(void)
{
    static const char *first = "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                               "s=QSXCR+Q6sek8bf92,i=4096";
    static const char *final = "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=";
    sofa__sasl *s = NULL;
    const uint8_t *msg;
    size_t len;
    int done = 0;
    int rc = sofa__sasl_new(&s, SOFA__MECH_SCRAM_SHA1, "user", "pencil");
    if (rc == SOFA_OK)
        rc = sofa__sasl_set_nonce(s, "fyko+d2lbbFgONRv9qkxdawL");
    if (rc == SOFA_OK)
        rc = sofa__sasl_start(s, &msg, &len);
    if (rc == SOFA_OK)
        rc = sofa__sasl_step(s, 0x21, (const uint8_t *)first, strlen(first), &msg, &len, &done);
    if (rc == SOFA_OK)
        rc = sofa__sasl_step(s, 0x00, (const uint8_t *) final, strlen(final), &msg, &len, &done);
    if (rc == SOFA_OK)
        assert_int_equal(done, 1);
    sofa__sasl_free(s);
    return rc;
}

static int ketama_scenario(void)
{
    const char *servers[] = {"a:1", "b:2"};
    sofa__ketama k;
    int rc = sofa__ketama_build(servers, 2, &k);
    sofa__ketama_free(&k);
    return rc;
}

static void config_survives_every_allocation_failure(void **state)
{
    (void)state;
    sweep(config_scenario, "config");
    sweep(ketama_config_scenario, "ketama config");
    sweep(from_servers_scenario, "config from servers");
}

static void errmap_survives_every_allocation_failure(void **state)
{
    (void)state;
    sweep(errmap_scenario, "errmap");
}

static void sasl_survives_every_allocation_failure(void **state)
{
    (void)state;
    sweep(sasl_scenario, "sasl");
}

static void ketama_survives_every_allocation_failure(void **state)
{
    (void)state;
    failalloc_start(0);
    assert_int_equal(ketama_scenario(), SOFA_E_NO_MEMORY);
    failalloc_stop();
    assert_int_equal(failalloc_live(), 0);
    assert_int_equal(ketama_scenario(), SOFA_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(config_survives_every_allocation_failure),
        cmocka_unit_test(errmap_survives_every_allocation_failure),
        cmocka_unit_test(sasl_survives_every_allocation_failure),
        cmocka_unit_test(ketama_survives_every_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
