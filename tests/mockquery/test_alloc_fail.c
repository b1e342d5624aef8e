/* Allocation-failure sweeps: run view and N1QL requests failing the 1st, 2nd, 3rd ...
 * allocation in turn (tests/support/failalloc wraps malloc/calloc/realloc/strdup/free
 * in the mock's query code; jansson allocates through the same wrappers, duktape
 * through the mock's own heap functions). Every run must end cleanly (an error answer
 * or a truncated stream) and free everything it allocated. Runs under
 * AddressSanitizer too, which then also checks every error path for memory errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "fake_store.h"
#include "n1ql.h"
#include "support/failalloc.h"
#include "views.h"

typedef void (*scenario_fn)(mock_cluster *c);

static void drain(mock_http_producer *p)
{
    mock_strbuf out = {0};
    int rc;
    do {
        out.len = 0;
        rc = p->produce(p->ctx, &out, 256);
    } while (rc == 1);
    assert_true(rc == 0 || rc == -1);
    free(out.data);
    p->free(p->ctx);
}

static void n1ql_scenario(mock_cluster *c)
{
    static const char *const bodies[] = {
        ("{\"statement\":\"SELECT name, age AS a, META().id FROM b WHERE age > $1 OR name LIKE 'a%' "
         "ORDER BY age DESC LIMIT 5\",\"args\":[20],\"client_context_id\":\"x\"}"),
        "{\"statement\":\"SELECT COUNT(*) AS n, SUM(age), MIN(name) FROM b\"}",
        "{\"statement\":\"SELECT RAW [LOWER(name), {'k': tags}] FROM b USE KEYS ['u1','u2']\"}",
        "{\"statement\":\"PREPARE p1 FROM SELECT * FROM b WHERE type = $t\"}",
        "{\"statement\":\"EXECUTE p1\",\"$t\":\"user\"}",
        "{\"statement\":\"PREPARE SELECT b.* FROM b\",\"auto_execute\":true}",
        "{\"statement\":\"SELEC oops\"}",
        "{\"statement\":\"SELECT * FROM nope\",\"timeout\":\"5s\"}",
    };
    mock_n1ql *q = mock_n1ql_new();
    if (q == NULL) {
        return;
    }
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        mock_http_producer p = {0};
        int status = 0;
        if (mock_n1ql_handle(q, c, "POST", "/query/service", bodies[i], strlen(bodies[i]), &status, &p) ==
            MOCK_N1QL_HANDLED) {
            drain(&p);
        }
    }
    mock_n1ql_free(q);
}

static void views_scenario(mock_cluster *c)
{
    static const char ddoc[] =
        "{\"views\":{\"v\":{\"map\":\"function(doc, meta){ if (doc.age) emit([doc.type, doc.age], doc.age); }\","
        "\"reduce\":\"_stats\"},\"j\":{\"map\":\"function(doc, meta){ emit(meta.id, 1); }\","
        "\"reduce\":\"function(k, v, r){ return v.length; }\"}}}";
    static const char *const queries[][2] = {
        {"/b/_design/d/_view/v", "group_level=1&descending=true"},
        {"/b/_design/d/_view/v", "reduce=false&startkey=%5B%22user%22%5D&limit=2"},
        {"/b/_design/d/_view/j", "group=true"},
        {"/b/_design/d/_view/nope", ""},
    };
    mock_views *v = mock_views_new();
    char err[256];
    if (v == NULL || mock_views_put_ddoc(v, "b", "d", ddoc, strlen(ddoc), err, sizeof(err)) != 0) {
        mock_views_free(v);
        return;
    }
    for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        mock_http_producer p = {0};
        int status = 0;
        if (mock_views_handle(v, c, "GET", queries[i][0], queries[i][1], NULL, 0, &status, &p) == MOCK_VIEWS_HANDLED) {
            drain(&p);
        }
    }
    mock_views_free(v);
}

static void sweep(scenario_fn fn, long stride)
{
    static const char *const names[] = {"b", NULL};
    mock_cluster *c = fake_cluster_new(names);
    fake_put(c, "b", "u1", "{\"type\":\"user\",\"name\":\"alice\",\"age\":30,\"tags\":[1]}");
    fake_put(c, "b", "u2", "{\"type\":\"user\",\"name\":\"bob\",\"age\":25}");
    fake_put(c, "b", "a1", "{\"type\":\"admin\",\"name\":\"carol\",\"age\":50}");
    long runs = 0;
    for (long n = 0;; n += stride) {
        failalloc_start(n);
        fn(c);
        failalloc_stop();
        if (failalloc_live() != 0) {
            fail_msg("failing allocation #%ld leaked %ld blocks", n, failalloc_live());
        }
        runs++;
        if (failalloc_failures() == 0) {
            break; /* the scenario finished without reaching allocation #n */
        }
    }
    print_message("%ld runs\n", runs);
    assert_true(runs > 10);
    fake_cluster_free(c);
}

static void test_n1ql_survives_every_failed_allocation(void **state)
{
    (void)state;
    sweep(n1ql_scenario, 1);
}

static void test_views_survive_failed_allocations(void **state)
{
    (void)state;
    sweep(views_scenario, 7); /* duktape makes thousands of allocations: every 7th */
}

int main(void)
{
    json_set_alloc_funcs(__wrap_malloc, __wrap_free); /* before jansson allocates anything */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_n1ql_survives_every_failed_allocation),
        cmocka_unit_test(test_views_survive_failed_allocations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
