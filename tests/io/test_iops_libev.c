/* The conformance suite on the libev plugin, with its own loop and wrapping an
 * application's loop (the test runs ev_run itself), plus what only an
 * application-owned loop can show. */
#include <ev.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "conformance_runner.h"
#include "sofa/iops.h"
#include "sofa/plugins/libev.h"
#include "sofa/status.h"

static int own_create(void *ctx, sofa_iops **out)
{
    (void)ctx;
    return sofa_iops_libev_new(NULL, out);
}

typedef struct app {
    struct ev_loop *loop;
} app;

static int app_create(void *ctx, sofa_iops **out)
{
    app *a = ctx;
    a->loop = ev_loop_new(EVFLAG_AUTO);
    if (a->loop == NULL) {
        return SOFA_E_NO_MEMORY;
    }
    int rc = sofa_iops_libev_new(a->loop, out);
    if (rc != 0) {
        ev_loop_destroy(a->loop);
        a->loop = NULL;
    }
    return rc;
}

static void app_destroy(void *ctx, sofa_iops *io)
{
    app *a = ctx;
    sofa_iops_free(io);
    /* Nothing of the plugin may stay active on the application's loop. */
    if (ev_pending_count(a->loop) != 0) {
        fail_msg("plugin left %u pending watchers", ev_pending_count(a->loop));
    }
    /* polls whatever is still registered: ASan sees any freed watcher */
    ev_run(a->loop, EVRUN_NOWAIT);
    ev_loop_destroy(a->loop);
    a->loop = NULL;
}

static void app_run_once(void *ctx, sofa_iops *io)
{
    (void)io;
    app *a = ctx;
    ev_run(a->loop, EVRUN_ONCE);
}

static int app_hits;
static void app_cb(struct ev_loop *l, ev_io *w, int revents)
{
    (void)revents;
    ev_io_stop(l, w);
    app_hits++;
}
static int sofa_hits;
static void sofa_cb(sofa_io_event *ev, int fired, void *arg)
{
    (void)ev;
    (void)arg;
    sofa_hits += fired == SOFA_IO_WRITE;
}

static void application_loop_survives_the_plugin(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    assert_non_null(loop);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ev_io mine;
    ev_io_init(&mine, app_cb, sv[1], EV_WRITE);
    sofa_iops *io = NULL;
    assert_int_equal(sofa_iops_libev_new(loop, &io), 0);
    assert_string_equal(io->name, "libev");
    sofa_io_event *ev = io->event_new(io, sv[0], sofa_cb, NULL);
    assert_non_null(ev);
    assert_int_equal(io->update_event(io, ev, SOFA_IO_WATCH, SOFA_IO_WRITE), 0);
    ev_io_start(loop, &mine);
    app_hits = sofa_hits = 0;
    io->start_watching(io); /* returns at once: the application runs the loop */
    assert_int_equal(sofa_hits, 0);
    ev_run(loop, 0); /* both one-shot: returns when nothing is active */
    assert_int_equal(sofa_hits, 1);
    assert_int_equal(app_hits, 1);
    assert_int_equal(io->update_event(io, ev, SOFA_IO_WATCH, SOFA_IO_WRITE), 0);
    sofa_iops_free(io); /* with a live watcher */
    ev_io_start(loop, &mine);
    ev_run(loop, 0);
    assert_int_equal(app_hits, 2);
    assert_int_equal(sofa_hits, 1);
    ev_loop_destroy(loop);
    close(sv[0]);
    close(sv[1]);
}

static void entry_symbol_wraps_a_loop(void **state)
{
    (void)state;
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    sofa_iops *io = NULL;
    assert_int_equal(sofa_iops_load(SOFA_TEST_PLUGIN_DIR "/libsofa_libev.so", NULL, loop, &io,
                                    NULL, 0),
                     0);
    assert_string_equal(io->name, "libev");
    sofa_iops_free(io);
    ev_loop_destroy(loop);
    assert_int_equal(sofa_iops_libev_new(NULL, NULL), SOFA_E_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest own[] = {
        cmocka_unit_test(application_loop_survives_the_plugin),
        cmocka_unit_test(entry_symbol_wraps_a_loop),
    };
    int failed = cmocka_run_group_tests_name("libev", own, NULL, NULL);
    app a = {NULL};
    const iopscheck_factory f[] = {
        {"libev-own", own_create, conformance_free_table, NULL, NULL},
        {"libev-app", app_create, app_destroy, app_run_once, &a},
    };
    failed += run_conformance("libev conformance", f, 2);
    return failed;
}
