/* Asynchronous name resolution: the resolver on its own (select plugin) and the client
 * bootstrapping through a host name against sofa-mock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/log.h"
#include "io/conn.h"
#include "io/resolve.h"
#include "sofa/client.h"
#include "sofa/iops.h"
#include "sofa/status.h"
#include "support/mockproc.h"
#include "support/badhost.h"

static sofa_test_mock mock;

typedef struct {
    sofa_iops *io;
    int calls;
    int rc;
    int naddrs;
    int ticks;
    int done_at_tick; /* ticks seen when the result arrived */
} rstate;

static void on_result(int rc, struct addrinfo *res, void *arg)
{
    rstate *s = arg;
    s->calls++;
    s->rc = rc;
    s->done_at_tick = s->ticks;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
        s->naddrs++;
    if (res)
        freeaddrinfo(res);
    s->io->stop_watching(s->io);
}

static void on_tick(sofa_io_timer *t, void *arg)
{
    rstate *s = arg;
    s->ticks++;
    if (s->calls == 0 && s->ticks < 20000)
        s->io->update_timer(s->io, t, SOFA_IO_WATCH, 500);
}

static void wait_workers_gone(void)
{
    for (int i = 0; i < 3000 && sofa__resolve_active() > 0; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(sofa__resolve_active(), 0);
}

static void hints_stream(struct addrinfo *h)
{
    memset(h, 0, sizeof(*h));
    h->ai_family = AF_UNSPEC;
    h->ai_socktype = SOCK_STREAM;
    h->ai_flags = AI_NUMERICSERV;
}

static void run_resolve(const char *host, rstate *s)
{
    memset(s, 0, sizeof(*s));
    assert_int_equal(sofa_iops_select_new(&s->io), 0);
    sofa_io_timer *t = s->io->timer_new(s->io, on_tick, s);
    assert_non_null(t);
    assert_int_equal(s->io->update_timer(s->io, t, SOFA_IO_WATCH, 0), 0);
    struct addrinfo h;
    hints_stream(&h);
    sofa__resolve *r = NULL;
    assert_int_equal(sofa__resolve_start(&r, s->io, host, "11210", &h, on_result, s), 0);
    assert_non_null(r);
    assert_int_equal(s->calls, 0); /* never delivered on the caller's stack */
    s->io->start_watching(s->io);
    assert_int_equal(s->calls, 1);
    s->io->update_timer(s->io, t, SOFA_IO_CLEANUP, 0);
    sofa_iops_free(s->io);
    wait_workers_gone();
}

static void numeric_is_synchronous(void **state)
{
    (void)state;
    struct addrinfo h, *res = NULL;
    hints_stream(&h);
    assert_int_equal(sofa__resolve_numeric("127.0.0.1", "80", &h, &res), 0);
    assert_non_null(res);
    freeaddrinfo(res);
    assert_int_equal(sofa__resolve_numeric("::1", "80", &h, &res), 0);
    freeaddrinfo(res);
    assert_int_equal(sofa__resolve_numeric("localhost", "80", &h, &res), EAI_NONAME);
    assert_null(res);
}

static void localhost_resolves_on_the_loop(void **state)
{
    (void)state;
    rstate s;
    run_resolve("localhost", &s);
    assert_int_equal(s.rc, 0);
    assert_true(s.naddrs >= 1);
}

static void unknown_name_fails_while_timers_run(void **state)
{
    (void)state;
    /* A name the DNS server is asked about (see support/badhost.h): the worker takes a
     * round trip, and the loop's 0-delay timer runs meanwhile. When this thread was not
     * scheduled until the worker had finished, both are ready in the same loop turn and
     * the plugin runs I/O first (no tick): that says nothing about the resolver, so such
     * an attempt is repeated (a resolver that blocked the loop would never tick). */
    int ticked = 0;
    for (int attempt = 0; attempt < 5 && !ticked; attempt++) {
        rstate s;
        run_resolve("nosuch.invalid", &s);
        assert_int_not_equal(s.rc, 0);
        assert_int_equal(s.naddrs, 0);
        ticked = s.ticks >= 1; /* the loop ran while the worker resolved */
    }
    assert_true(ticked);
}

static void too_long_name_is_refused(void **state)
{
    (void)state;
    sofa_iops *io = NULL;
    assert_int_equal(sofa_iops_select_new(&io), 0);
    char big[SOFA__RESOLVE_HOST_MAX + 10];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    struct addrinfo h;
    hints_stream(&h);
    sofa__resolve *r = (sofa__resolve *)&h;
    assert_int_equal(sofa__resolve_start(&r, io, big, "1", &h, on_result, NULL),
                     SOFA_E_INVALID_ARGUMENT);
    assert_null(r);
    sofa_iops_free(io);
}

static void cancel_while_resolving(void **state)
{
    (void)state;
    for (int i = 0; i < 20; i++) {
        rstate s;
        memset(&s, 0, sizeof(s));
        assert_int_equal(sofa_iops_select_new(&s.io), 0);
        struct addrinfo h;
        hints_stream(&h);
        sofa__resolve *r = NULL;
        /* asked of the DNS server: still resolving when canceled (no deadline here) */
        const char *host = (i % 2) ? "localhost" : "nosuch.invalid";
        assert_int_equal(sofa__resolve_start(&r, s.io, host, "80", &h, on_result, &s), 0);
        if (i % 4 == 3) {
            struct timespec ts = {0, 2 * 1000 * 1000}; /* let the worker finish first */
            nanosleep(&ts, NULL);
        }
        sofa__resolve_cancel(r);
        s.io->start_watching(s.io); /* nothing watched: returns at once */
        assert_int_equal(s.calls, 0);
        sofa_iops_free(s.io);
    }
    wait_workers_gone();
}

/* ---- through the client, against sofa-mock ---- */

typedef struct {
    int called;
    sofa_status status;
} conn_state;

static void on_connect(sofa_client *c, sofa_status st, void *cookie)
{
    (void)c;
    conn_state *cs = cookie;
    cs->called++;
    cs->status = st;
}

static sofa_client *client_for(const char *connstr)
{
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = connstr;
    o.username = "Administrator";
    o.password = "password";
    sofa_client *c = NULL;
    char err[512] = "";
    int rc = sofa_client_new(&c, &o, err, sizeof(err));
    if (rc != 0)
        fail_msg("sofa_client_new(%s): %s: %s", connstr, sofa_status_name(rc), err);
    return c;
}

/* mock.connstr with every 127.0.0.1 replaced by localhost. */
static void localhost_connstr(char *out, size_t cap)
{
    const char *p = mock.connstr;
    size_t n = 0;
    while (*p && n + 10 < cap) {
        if (strncmp(p, "127.0.0.1", 9) == 0) {
            memcpy(out + n, "localhost", 9);
            n += 9;
            p += 9;
        } else {
            out[n++] = *p++;
        }
    }
    out[n] = '\0';
}

static void client_bootstraps_through_localhost(void **state)
{
    (void)state;
    char cs[1200];
    localhost_connstr(cs, sizeof(cs));
    assert_non_null(strstr(cs, "localhost"));
    sofa_client *c = client_for(cs);
    conn_state st = {0, SOFA_OK};
    assert_int_equal(sofa_client_connect(c, on_connect, &st), 0);
    assert_int_equal(sofa_client_wait(c), 0);
    assert_int_equal(st.called, 1);
    if (st.status != SOFA_OK)
        fail_msg("bootstrap via localhost: %s\n%s", sofa_status_name(st.status),
                 sofa_client_bootstrap_report(c));
    sofa_client_free(c);
    wait_workers_gone();
}

static void client_unknown_name_fails(void **state)
{
    (void)state;
    /* a valid name, so asked of the DNS server (see support/badhost.h): deadlines that
     * outlast the resolver's own 5 s retry of a lost packet */
    sofa_client *c = client_for("couchbase://nosuch.invalid:11210/default"
                                "?config_node_timeout=20s&config_total_timeout=25s");
    conn_state st = {0, SOFA_OK};
    assert_int_equal(sofa_client_connect(c, on_connect, &st), 0);
    assert_int_equal(sofa_client_wait(c), 0);
    assert_int_equal(st.called, 1);
    assert_int_not_equal(st.status, SOFA_OK);
    const char *rep = sofa_client_bootstrap_report(c);
    assert_non_null(rep);
    if (!strstr(rep, "SOFA_E_NAME_RESOLUTION") && !strstr(rep, "resolve"))
        fail_msg("report does not name the resolution failure:\n%s", rep);
    sofa_client_free(c);
    wait_workers_gone();
}

static void client_freed_while_resolving(void **state)
{
    (void)state;
    char cs[1200];
    localhost_connstr(cs, sizeof(cs));
    for (int i = 0; i < 10; i++) {
        sofa_client *c = client_for(i % 2 ? cs : "couchbase://nosuch.invalid/default");
        conn_state st = {0, SOFA_OK};
        assert_int_equal(sofa_client_connect(c, on_connect, &st), 0);
        sofa_client_free(c);
        assert_int_equal(st.called, 1);
        assert_int_equal(st.status, SOFA_E_CANCELED);
    }
    wait_workers_gone();
}

/* ---- a connection without a deadline queue (the HTTP pool's, src/io/conn.c) ---- */

typedef struct {
    sofa_iops *io;
    int connected;
    int errors;
    int status;
    char msg[400];
} hstate;

static void h_connected(sofa__conn *c, void *arg)
{
    (void)c;
    hstate *s = arg;
    s->connected++;
    s->io->stop_watching(s->io);
}

static void h_data(sofa__conn *c, void *arg)
{
    (void)c;
    (void)arg;
}

static void h_error(sofa__conn *c, int status, void *arg)
{
    hstate *s = arg;
    s->errors++;
    s->status = status;
    snprintf(s->msg, sizeof(s->msg), "%s", c->errmsg);
    s->io->stop_watching(s->io);
}

static const sofa__conn_handler hhandler = {h_connected, h_data, h_error};
static const sofa__conn_opts hopts = {.ipv6 = 1, .nodelay = 1};

static void noq_run(const char *host, uint16_t port, hstate *s)
{
    memset(s, 0, sizeof(*s));
    sofa__logger lg;
    sofa__logger_init(&lg, NULL, NULL, 0);
    assert_int_equal(sofa_iops_select_new(&s->io), 0);
    sofa__conn *c = NULL;
    assert_int_equal(sofa__conn_new(&c, s->io, NULL, &lg, host, port, &hopts, &hhandler, s), 0);
    assert_int_equal(s->connected + s->errors, 0);
    s->io->start_watching(s->io);
    sofa__conn_free(c);
    sofa_iops_free(s->io);
    wait_workers_gone();
}

static void noq_localhost_connects(void **state)
{
    (void)state;
    hstate s;
    noq_run("localhost", (uint16_t)mock.http_ports[0], &s);
    if (s.connected != 1)
        fail_msg("not connected: %s", s.msg);
    assert_int_equal(s.errors, 0);
}

static void noq_unknown_name_fails(void **state)
{
    (void)state;
    hstate s;
    noq_run(SOFA_TEST_BAD_HOST, 8093, &s);
    assert_int_equal(s.connected, 0);
    assert_int_equal(s.errors, 1);
    assert_int_equal(s.status, SOFA_E_NAME_RESOLUTION);
    assert_non_null(strstr(s.msg, "cannot resolve"));
}

static void noq_freed_while_resolving(void **state)
{
    (void)state;
    sofa__logger lg;
    sofa__logger_init(&lg, NULL, NULL, 0);
    for (int i = 0; i < 10; i++) {
        hstate s;
        memset(&s, 0, sizeof(s));
        assert_int_equal(sofa_iops_select_new(&s.io), 0);
        sofa__conn *c = NULL;
        /* asked of the DNS server: still resolving when freed (no deadline here) */
        assert_int_equal(sofa__conn_new(&c, s.io, NULL, &lg, i % 2 ? "localhost" : "nosuch.invalid",
                                        (uint16_t)mock.http_ports[0], &hopts, &hhandler, &s),
                         0);
        sofa__conn_free(c);
        s.io->start_watching(s.io);
        assert_int_equal(s.connected + s.errors, 0);
        sofa_iops_free(s.io);
    }
    wait_workers_gone();
}

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numeric_is_synchronous),
        cmocka_unit_test(localhost_resolves_on_the_loop),
        cmocka_unit_test(unknown_name_fails_while_timers_run),
        cmocka_unit_test(too_long_name_is_refused),
        cmocka_unit_test(cancel_while_resolving),
        cmocka_unit_test(client_bootstraps_through_localhost),
        cmocka_unit_test(client_unknown_name_fails),
        cmocka_unit_test(client_freed_while_resolving),
        cmocka_unit_test(noq_localhost_connects),
        cmocka_unit_test(noq_unknown_name_fails),
        cmocka_unit_test(noq_freed_while_resolving),
    };
    return cmocka_run_group_tests_name("async name resolution", tests, start_mock, stop_mock);
}
