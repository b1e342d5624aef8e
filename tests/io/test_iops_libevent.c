/* The conformance suite on the libevent plugin, with its own event_base and
 * wrapping an application's base (the test runs event_base_loop itself), plus
 * what only an application-owned base can show. */
#include <event2/event.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "conformance_runner.h"
#include "sofa/iops.h"
#include "sofa/plugins/libevent.h"
#include "sofa/status.h"

static int own_create(void *ctx, sofa_iops **out)
{
    (void)ctx;
    return sofa_iops_libevent_new(NULL, out);
}

typedef struct app {
    struct event_base *base;
} app;

static int app_create(void *ctx, sofa_iops **out)
{
    app *a = ctx;
    a->base = event_base_new();
    if (a->base == NULL) {
        return SOFA_E_NO_MEMORY;
    }
    int rc = sofa_iops_libevent_new(a->base, out);
    if (rc != 0) {
        event_base_free(a->base);
        a->base = NULL;
    }
    return rc;
}

static void app_destroy(void *ctx, sofa_iops *io)
{
    app *a = ctx;
    sofa_iops_free(io);
    /* The plugin never frees the application's base; freeing it here also
     * walks whatever the plugin might have left registered (ASan checks). */
    event_base_free(a->base);
    a->base = NULL;
}

static void app_run_once(void *ctx, sofa_iops *io)
{
    (void)io;
    app *a = ctx;
    event_base_loop(a->base, EVLOOP_ONCE);
}

/* The application's own events keep working next to sofa's, and the base is
 * still usable after the plugin is destroyed. */
static int app_hits;
static void app_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    app_hits++;
}
static int sofa_hits;
static void sofa_cb(sofa_io_event *ev, int fired, void *arg)
{
    (void)ev;
    (void)arg;
    sofa_hits += fired == SOFA_IO_WRITE;
}

static void application_base_survives_the_plugin(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    assert_non_null(base);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct event *mine = event_new(base, sv[1], EV_WRITE, app_cb, NULL);
    assert_non_null(mine);
    sofa_iops *io = NULL;
    assert_int_equal(sofa_iops_libevent_new(base, &io), 0);
    assert_string_equal(io->name, "libevent");
    sofa_io_event *ev = io->event_new(io, sv[0], sofa_cb, NULL);
    assert_non_null(ev);
    assert_int_equal(io->update_event(io, ev, SOFA_IO_WATCH, SOFA_IO_WRITE), 0);
    assert_int_equal(event_add(mine, NULL), 0);
    app_hits = sofa_hits = 0;
    io->start_watching(io); /* returns at once: the application runs the base */
    assert_int_equal(sofa_hits, 0);
    event_base_dispatch(base); /* both one-shot: returns when neither is pending */
    assert_int_equal(sofa_hits, 1);
    assert_int_equal(app_hits, 1);
    /* destroy with a live, watched event: it must leave the base clean */
    assert_int_equal(io->update_event(io, ev, SOFA_IO_WATCH, SOFA_IO_WRITE), 0);
    sofa_iops_free(io);
    assert_int_equal(event_add(mine, NULL), 0);
    assert_true(event_base_dispatch(base) >= 0);
    assert_int_equal(app_hits, 2);
    assert_int_equal(sofa_hits, 1);
    event_free(mine);
    event_base_free(base);
    close(sv[0]);
    close(sv[1]);
}

static void entry_symbol_wraps_a_base(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    sofa_iops *io = NULL;
    assert_int_equal(sofa_iops_load(SOFA_TEST_PLUGIN_DIR "/libsofa_libevent.so", NULL, base, &io,
                                    NULL, 0),
                     0);
    assert_string_equal(io->name, "libevent");
    sofa_iops_free(io);
    event_base_free(base);
    assert_int_equal(sofa_iops_libevent_new(NULL, NULL), SOFA_E_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest own[] = {
        cmocka_unit_test(application_base_survives_the_plugin),
        cmocka_unit_test(entry_symbol_wraps_a_base),
    };
    int failed = cmocka_run_group_tests_name("libevent", own, NULL, NULL);
    app a = {NULL};
    const iopscheck_factory f[] = {
        {"libevent-own", own_create, conformance_free_table, NULL, NULL},
        {"libevent-app", app_create, app_destroy, app_run_once, &a},
    };
    failed += run_conformance("libevent conformance", f, 2);
    return failed;
}
