/* Durability in async mode: the application runs its own libevent loop. A durable
 * upsert, then a multi-key endure started from its callback, complete from that loop
 * while an application timer keeps firing (sofa never blocks the loop), and the endure's
 * callback stops it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <event2/event.h>

#include "durability/durtest.h"
#include "sofa/plugins/libevent.h"

typedef struct app {
    struct event_base *base;
    sofa_client *c;
    int connected, written, endured;
    int write_status, endure_status;
    size_t nitems;
    int ticks_during; /* application timer ticks between the write and the endure's end */
    int in_flight;
    uint64_t t_write;
} app;

static sofa_endure_key keys[3];

static void on_endured(sofa_client *c, sofa_status st, const sofa_endure_item *it, size_t n,
                       void *ck)
{
    app *a = ck;
    (void)c, (void)it;
    a->endured++;
    a->endure_status = st;
    a->nitems = n;
    a->in_flight = 0;
    event_base_loopbreak(a->base);
}

static void on_written(sofa_client *c, sofa_status st, const sofa_mutation_result *r, void *ck)
{
    app *a = ck;
    a->written++;
    a->write_status = st;
    if (st != SOFA_OK)
        return;
    for (int i = 0; i < 3; i++) {
        keys[i].key = "async";
        keys[i].nkey = 5;
        keys[i].cas = r->cas;
    }
    keys[1].token = r->token; /* the same mutation, by seqno */
    keys[2].cas = 0;          /* any version */
    sofa_endure_opts o;
    memset(&o, 0, sizeof(o));
    o.persist_to = SOFA_DURABILITY_ALL;
    o.replicate_to = 1;
    o.timeout_us = 5000000;
    if (sofa_endure(c, keys, 3, &o, on_endured, a) != 0)
        event_base_loopbreak(a->base);
}

static void on_connected(sofa_client *c, sofa_status st, void *ck)
{
    app *a = ck;
    a->connected = st == SOFA_OK ? 1 : -1;
    if (st != SOFA_OK) {
        event_base_loopbreak(a->base);
        return;
    }
    sofa_kv_opts o;
    memset(&o, 0, sizeof(o));
    o.persist_to = 2;
    o.replicate_to = 1;
    a->in_flight = 1;
    a->t_write = dt_now_us();
    if (sofa_kv_upsert(c, "async", 5, "v", 1, &o, on_written, a) != 0)
        event_base_loopbreak(a->base);
}

static void on_app_timer(evutil_socket_t fd, short what, void *ck)
{
    app *a = ck;
    (void)fd, (void)what;
    if (a->in_flight)
        a->ticks_during++;
}

static void test_durability_in_application_loop(void **state)
{
    (void)state;
    sofa_test_mock mock;
    const char *args[] = {
        "--nodes", "2", "--replicas", "1", "--persist-delay-ms", "150", "--replicate-delay-ms",
        "50",      NULL};
    assert_int_equal(sofa_test_mock_start(&mock, args), 0);
    app a;
    memset(&a, 0, sizeof(a));
    a.base = event_base_new();
    assert_non_null(a.base);
    sofa_iops *io = NULL;
    assert_int_equal(sofa_iops_libevent_new(a.base, &io), 0);
    char cs[1400];
    snprintf(cs, sizeof(cs), "%s?durability_interval=20ms", mock.connstr);
    a.c = kt_client(cs, "Administrator", "password", io);
    assert_non_null(a.c);
    struct event *tick = event_new(a.base, -1, EV_PERSIST, on_app_timer, &a);
    struct timeval tv = {0, 10000};
    assert_int_equal(event_add(tick, &tv), 0);
    assert_int_equal(sofa_client_connect(a.c, on_connected, &a), 0);
    event_base_dispatch(a.base);
    uint64_t took = dt_now_us() - a.t_write;
    assert_int_equal(a.connected, 1);
    assert_int_equal(a.written, 1);
    assert_int_equal(a.write_status, SOFA_OK);
    assert_int_equal(a.endured, 1);
    assert_int_equal(a.endure_status, SOFA_OK);
    assert_int_equal(a.nitems, 3);
    /* the replica has it on disk 200 ms after the write; the loop kept running meanwhile */
    assert_true(took >= 190000u);
    assert_true(a.ticks_during >= 5);
    event_free(tick);
    sofa_client_free(a.c);
    sofa_iops_free(io);
    event_base_free(a.base);
    sofa_test_mock_stop(&mock);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durability_in_application_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
