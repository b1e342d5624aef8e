/* The client-level IOPS scenario: the same 1000 KV operations against the mock
 * cluster on every plugin, sync (sofa_client_wait) and async (an event_base /
 * ev_loop that the test runs itself), and plugins named at run time (iops=).
 *
 * Built three times: CLIENT_ON_LIBEVENT, CLIENT_ON_LIBEV, or neither (select,
 * the example's poll plugin, plugins loaded by name). libev and libevent are
 * never linked into one executable: libev's libevent emulation exports
 * event_add/event_del/event_base_* and would take over libevent's symbols. */
#if defined(CLIENT_ON_LIBEV)
#include <ev.h>
#endif
#if defined(CLIENT_ON_LIBEVENT)
#include <event2/event.h>
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sofa/kv.h"
#include "sofa/plugins/libev.h"
#include "sofa/plugins/libevent.h"
#include "sofa/sofa.h"
#include "support/mockproc.h"

#define NOPS 1000
#define USER "Administrator"
#define PASS "password"

int custom_iops_new(sofa_iops **out); /* examples/custom-iops.c */

static sofa_test_mock mock;

static int start_mock(void **state)
{
    (void)state;
    return sofa_test_mock_start(&mock, NULL);
}

static int stop_mock(void **state)
{
    (void)state;
    sofa_test_mock_stop(&mock);
    return 0;
}

/* ------------------------------------------------------------ the workload */

typedef struct run {
    sofa_client *client;
    const char *tag;   /* keeps each plugin's keys apart */
    int connected;     /* connect callback calls */
    int connect_status;
    int stored, got, bad;
    int phase;         /* async: 0 connecting, 1 storing, 2 getting, 3 done */
    void (*finish)(struct run *r); /* async: stop the application's loop */
    void *loop;
} run;

static void key_of(const run *r, int i, char *key, size_t n)
{
    snprintf(key, n, "iops-%s-%04d", r->tag, i);
}

static void on_get(sofa_client *c, sofa_status st, const sofa_get_result *res, void *cookie);

static void schedule_gets(run *r)
{
    for (int i = 0; i < NOPS; i++) {
        char key[64];
        key_of(r, i, key, sizeof(key));
        if (sofa_kv_get(r->client, key, strlen(key), NULL, on_get, r) != 0) {
            r->bad++;
        }
    }
}

static void on_store(sofa_client *c, sofa_status st, const sofa_mutation_result *res, void *cookie)
{
    (void)c;
    (void)res;
    run *r = cookie;
    if (st != SOFA_OK) {
        r->bad++;
    }
    if (++r->stored == NOPS && r->finish != NULL) {
        r->phase = 2;
        schedule_gets(r); /* async: the next batch from inside a callback */
    }
}

static void on_get(sofa_client *c, sofa_status st, const sofa_get_result *res, void *cookie)
{
    (void)c;
    run *r = cookie;
    char want[64];
    if (st != SOFA_OK || res == NULL || res->nkey >= sizeof(want)) {
        r->bad++;
    } else {
        /* the value is the key itself */
        if (res->nvalue != res->nkey || memcmp(res->value, res->key, res->nkey) != 0) {
            r->bad++;
        }
    }
    if (++r->got == NOPS && r->finish != NULL) {
        r->phase = 3;
        r->finish(r);
    }
}

static void schedule_stores(run *r)
{
    for (int i = 0; i < NOPS; i++) {
        char key[64];
        key_of(r, i, key, sizeof(key));
        if (sofa_kv_upsert(r->client, key, strlen(key), key, strlen(key), NULL, on_store, r) != 0) {
            r->bad++;
        }
    }
}

static void on_connect(sofa_client *c, sofa_status st, void *cookie)
{
    (void)c;
    run *r = cookie;
    r->connected++;
    r->connect_status = st;
    if (st == SOFA_OK && r->finish != NULL) {
        r->phase = 1;
        schedule_stores(r);
    } else if (st != SOFA_OK && r->finish != NULL) {
        r->finish(r);
    }
}

static sofa_client *new_client(sofa_iops *io, const char *extra_opts)
{
    char connstr[1200];
    snprintf(connstr, sizeof(connstr), "%s%s", mock.connstr, extra_opts ? extra_opts : "");
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = connstr;
    o.username = USER;
    o.password = PASS;
    o.iops = io;
    sofa_client *c = NULL;
    char err[512] = "";
    int rc = sofa_client_new(&c, &o, err, sizeof(err));
    if (rc != 0) {
        fail_msg("sofa_client_new(%s): %s: %s", connstr, sofa_status_name(rc), err);
    }
    return c;
}

/* Sync: connect, 1000 upserts, wait, 1000 gets, wait. */
static void sync_workload(sofa_iops *io, const char *tag, const char *extra, const char *want_name)
{
    run r = {0};
    r.tag = tag;
    r.client = new_client(io, extra);
    assert_non_null(r.client);
    assert_string_equal(sofa_client_iops(r.client)->name, want_name);
    assert_int_equal(sofa_client_connect(r.client, on_connect, &r), 0);
    assert_int_equal(sofa_client_wait(r.client), 0);
    assert_int_equal(r.connected, 1);
    if (r.connect_status != SOFA_OK) {
        fail_msg("bootstrap on %s: %s\n%s", tag, sofa_status_name(r.connect_status),
                 sofa_client_bootstrap_report(r.client));
    }
    schedule_stores(&r);
    assert_int_equal(sofa_client_wait(r.client), 0);
    assert_int_equal(r.stored, NOPS);
    schedule_gets(&r);
    assert_int_equal(sofa_client_wait(r.client), 0);
    assert_int_equal(r.got, NOPS);
    assert_int_equal(r.bad, 0);
    assert_int_equal(sofa_client_pending(r.client), 0);
    sofa_client_free(r.client);
}

#if !defined(CLIENT_ON_LIBEVENT) && !defined(CLIENT_ON_LIBEV)
static void sync_on_select(void **state)
{
    (void)state;
    unsetenv("SOFA_IOPS");
    sync_workload(NULL, "select", NULL, "select");
}

#endif

#if defined(CLIENT_ON_LIBEVENT)
static void sync_on_libevent(void **state)
{
    (void)state;
    sofa_iops *io = NULL;
    assert_int_equal(sofa_iops_libevent_new(NULL, &io), 0);
    sync_workload(io, "libevent", NULL, "libevent");
    sofa_iops_free(io);
}

#endif

#if defined(CLIENT_ON_LIBEV)
static void sync_on_libev(void **state)
{
    (void)state;
    sofa_iops *io = NULL;
    assert_int_equal(sofa_iops_libev_new(NULL, &io), 0);
    sync_workload(io, "libev", NULL, "libev");
    sofa_iops_free(io);
}

#endif

#if !defined(CLIENT_ON_LIBEVENT) && !defined(CLIENT_ON_LIBEV)
static void sync_on_custom_poll(void **state)
{
    (void)state;
    sofa_iops *io = NULL;
    assert_int_equal(custom_iops_new(&io), 0);
    sync_workload(io, "poll", NULL, "custom-poll");
    io->destroy(io);
}

static char logged[8192];
static void capture_log(void *arg, sofa_log_level level, const char *subsystem, const char *file,
                        int line, const char *msg)
{
    (void)arg;
    (void)level;
    (void)subsystem;
    (void)file;
    (void)line;
    size_t n = strlen(logged);
    snprintf(logged + n, sizeof(logged) - n, "%s\n", msg);
}

/* Named at run time: iops= in the connection string, then SOFA_IOPS. */
static void sync_on_plugins_named_at_run_time(void **state)
{
    (void)state;
    setenv("SOFA_PLUGIN_PATH", SOFA_TEST_PLUGIN_DIR, 1);
    sync_workload(NULL, "connstr-libev", "?iops=libev", "libev");
    setenv("SOFA_IOPS", "libevent", 1);
    sync_workload(NULL, "env-libevent", NULL, "libevent");
    /* the choice is visible at debug level */
    setenv("SOFA_IOPS", "libev", 1);
    sofa_client_options d = SOFA_CLIENT_OPTIONS_INIT;
    d.connstr = mock.connstr;
    d.username = USER;
    d.password = PASS;
    d.logger = capture_log;
    d.log_level = SOFA_LOG_DEBUG;
    sofa_client *dc = NULL;
    logged[0] = '\0';
    assert_int_equal(sofa_client_new(&dc, &d, NULL, 0), 0);
    assert_non_null(strstr(logged, "event loop plugin: libev"));
    run dr = {0};
    assert_int_equal(sofa_client_connect(dc, on_connect, &dr), 0);
    assert_int_equal(sofa_client_wait(dc), 0);
    assert_int_equal(dr.connected, 1);
    assert_int_equal(dr.connect_status, SOFA_OK);
    sofa_client_free(dc);

    setenv("SOFA_IOPS", "nosuch", 1);
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = mock.connstr;
    sofa_client *c = NULL;
    char err[1024] = "";
    assert_int_equal(sofa_client_new(&c, &o, err, sizeof(err)), SOFA_E_PLUGIN_NOT_FOUND);
    assert_null(c);
    assert_non_null(strstr(err, "libsofa_nosuch.so"));
    unsetenv("SOFA_IOPS");
    unsetenv("SOFA_PLUGIN_PATH");
}

#endif

/* ------------------------------------------------------------ async */

#if defined(CLIENT_ON_LIBEVENT) || defined(CLIENT_ON_LIBEV)
static void watchdog_fail(run *r)
{
    fail_msg("async %s: stuck in phase %d (stored %d, got %d)", r->tag, r->phase, r->stored,
             r->got);
}
#endif

#if defined(CLIENT_ON_LIBEVENT)
static void libevent_finish(run *r)
{
    event_base_loopbreak(r->loop);
}

static void libevent_watchdog(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    run *r = arg;
    r->bad = -1000000;
    event_base_loopbreak(r->loop);
}

static void async_on_application_event_base(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    assert_non_null(base);
    sofa_iops *io = NULL;
    assert_int_equal(sofa_iops_libevent_new(base, &io), 0);
    run r = {0};
    r.tag = "async-libevent";
    r.loop = base;
    r.finish = libevent_finish;
    r.client = new_client(io, NULL);
    assert_non_null(r.client);
    struct event *dog = evtimer_new(base, libevent_watchdog, &r);
    struct timeval tv = {20, 0};
    evtimer_add(dog, &tv);
    assert_int_equal(sofa_client_connect(r.client, on_connect, &r), 0);
    event_base_dispatch(base); /* the application runs the loop */
    if (r.bad == -1000000) {
        watchdog_fail(&r);
    }
    assert_int_equal(r.connect_status, SOFA_OK);
    assert_int_equal(r.phase, 3);
    assert_int_equal(r.stored, NOPS);
    assert_int_equal(r.got, NOPS);
    assert_int_equal(r.bad, 0);
    sofa_client_free(r.client);
    event_free(dog);
    sofa_iops_free(io);
    event_base_free(base);
}

#endif

#if defined(CLIENT_ON_LIBEV)
static void libev_finish(run *r)
{
    ev_break(r->loop, EVBREAK_ALL);
}

static void libev_watchdog(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    run *r = w->data;
    r->bad = -1000000;
    ev_break(loop, EVBREAK_ALL);
}

static void async_on_application_ev_loop(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    assert_non_null(loop);
    sofa_iops *io = NULL;
    assert_int_equal(sofa_iops_libev_new(loop, &io), 0);
    run r = {0};
    r.tag = "async-libev";
    r.loop = loop;
    r.finish = libev_finish;
    r.client = new_client(io, NULL);
    assert_non_null(r.client);
    ev_timer dog;
    ev_timer_init(&dog, libev_watchdog, 20., 0.);
    dog.data = &r;
    ev_timer_start(loop, &dog);
    assert_int_equal(sofa_client_connect(r.client, on_connect, &r), 0);
    ev_run(loop, 0); /* the application runs the loop */
    ev_timer_stop(loop, &dog);
    if (r.bad == -1000000) {
        watchdog_fail(&r);
    }
    assert_int_equal(r.connect_status, SOFA_OK);
    assert_int_equal(r.phase, 3);
    assert_int_equal(r.stored, NOPS);
    assert_int_equal(r.got, NOPS);
    assert_int_equal(r.bad, 0);
    sofa_client_free(r.client);
    sofa_iops_free(io);
    ev_loop_destroy(loop);
}

#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
#if defined(CLIENT_ON_LIBEVENT)
        cmocka_unit_test(sync_on_libevent),
        cmocka_unit_test(async_on_application_event_base),
#elif defined(CLIENT_ON_LIBEV)
        cmocka_unit_test(sync_on_libev),
        cmocka_unit_test(async_on_application_ev_loop),
#else
        cmocka_unit_test(sync_on_select),
        cmocka_unit_test(sync_on_custom_poll),
        cmocka_unit_test(sync_on_plugins_named_at_run_time),
#endif
    };
    return cmocka_run_group_tests_name("client on every plugin", tests, start_mock, stop_mock);
}
