/* N1QL and views on the libevent and libev plugins, sync (sofa_client_wait on the
 * plugin's own loop) and async (the application runs its loop; no wait call):
 * every row arrives, exactly one terminal callback, no hang. Built twice (one
 * plugin per process, as in tests/kv). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#ifdef QUERY_TEST_LIBEV
#include <ev.h>
#include "sofa/plugins/libev.h"
#else
#include <event2/event.h>
#include "sofa/plugins/libevent.h"
#endif

#include <sofa/sofa.h>
#include <sofa/query.h>
#include <sofa/view.h>

#include "support/mockproc.h"

enum { NROWS = 20000 };

static sofa_test_mock mock;

typedef struct run {
    sofa_client *c;
    size_t rows, vrows;
    int ends, vends;
    int status, vstatus;
#ifdef QUERY_TEST_LIBEV
    struct ev_loop *loop;
#else
    struct event_base *base;
#endif
} run;

static void maybe_stop(run *r)
{
    if (r->ends + r->vends < 2) {
        return;
    }
#ifdef QUERY_TEST_LIBEV
    if (r->loop) {
        ev_break(r->loop, EVBREAK_ALL);
    }
#else
    if (r->base) {
        event_base_loopbreak(r->base);
    }
#endif
}

static void q_rows(sofa_client *c, const sofa_row *rows, size_t n, void *cookie)
{
    ((run *)cookie)->rows += n;
}

static void q_done(sofa_client *c, const sofa_query_meta *m, void *cookie)
{
    run *r = cookie;
    r->ends++;
    r->status = 0;
    maybe_stop(r);
}

static void q_error(sofa_client *c, sofa_status st, const sofa_query_meta *m, void *cookie)
{
    run *r = cookie;
    r->ends++;
    r->status = st;
    maybe_stop(r);
}

static void v_rows(sofa_client *c, const sofa_view_row *rows, size_t n, void *cookie)
{
    ((run *)cookie)->vrows += n;
}

static void v_done(sofa_client *c, const sofa_query_meta *m, void *cookie)
{
    run *r = cookie;
    r->vends++;
    r->vstatus = 0;
    maybe_stop(r);
}

static void v_error(sofa_client *c, sofa_status st, const sofa_query_meta *m, void *cookie)
{
    run *r = cookie;
    r->vends++;
    r->vstatus = st;
    maybe_stop(r);
}

static sofa_client *client(const char *connstr, sofa_iops *io)
{
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = connstr;
    o.username = "Administrator";
    o.password = "password";
    o.iops = io;
    sofa_client *c = NULL;
    char err[256];
    if (sofa_client_new(&c, &o, err, sizeof(err)) != 0) {
        fprintf(stderr, "client: %s\n", err);
        return NULL;
    }
    return c;
}

/* A query and a view with include_docs at the same time. */
static void start(run *r)
{
    static const sofa_query_callbacks qcbs = {q_rows, q_done, q_error};
    static const sofa_view_callbacks vcbs = {v_rows, v_done, v_error};
    assert_int_equal(sofa_client_connect(r->c, NULL, NULL), 0);
    assert_int_equal(sofa_query_start(r->c, "SELECT RAW n FROM default WHERE type = 'row'", NULL,
                                      &qcbs, r, NULL),
                     0);
    sofa_view_opts vo = SOFA_VIEW_OPTS_INIT;
    vo.reduce = SOFA_FALSE;
    vo.limit = 500;
    vo.include_docs = 1;
    assert_int_equal(sofa_view_start(r->c, "rows", "by_n", &vo, &vcbs, r, NULL), 0);
}

static void check(const run *r)
{
    assert_int_equal(r->ends, 1);
    assert_int_equal(r->status, 0);
    assert_int_equal(r->rows, NROWS);
    assert_int_equal(r->vends, 1);
    assert_int_equal(r->vstatus, 0);
    assert_int_equal(r->vrows, 500);
}

static void test_loaded_by_connstr_option_sync(void **state)
{
    char cs[1200];
#ifdef QUERY_TEST_LIBEV
    snprintf(cs, sizeof(cs), "%s?iops=libev", mock.connstr);
#else
    snprintf(cs, sizeof(cs), "%s?iops=libevent", mock.connstr);
#endif
    run r;
    memset(&r, 0, sizeof(r));
    r.c = client(cs, NULL);
    assert_non_null(r.c);
    start(&r);
    assert_int_equal(sofa_client_wait(r.c), 0);
    check(&r);
    sofa_client_free(r.c);
}

static void test_application_loop_async(void **state)
{
    run r;
    memset(&r, 0, sizeof(r));
    sofa_iops *io = NULL;
#ifdef QUERY_TEST_LIBEV
    r.loop = ev_loop_new(EVFLAG_AUTO);
    assert_non_null(r.loop);
    assert_int_equal(sofa_iops_libev_new(r.loop, &io), 0);
#else
    r.base = event_base_new();
    assert_non_null(r.base);
    assert_int_equal(sofa_iops_libevent_new(r.base, &io), 0);
#endif
    r.c = client(mock.connstr, io);
    assert_non_null(r.c);
    start(&r);
    assert_int_equal(r.rows, 0); /* nothing before the application runs its loop */
#ifdef QUERY_TEST_LIBEV
    ev_run(r.loop, 0);
#else
    event_base_dispatch(r.base);
#endif
    check(&r);
    sofa_client_free(r.c);
    sofa_iops_free(io);
#ifdef QUERY_TEST_LIBEV
    ev_loop_destroy(r.loop);
#else
    event_base_free(r.base);
#endif
}

static int setup(void **state)
{
    const char *args[] = {"--sample", "rows:20000", NULL};
    return sofa_test_mock_start(&mock, args) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    sofa_test_mock_stop(&mock);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loaded_by_connstr_option_sync),
        cmocka_unit_test(test_application_loop_async),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
