/* The conformance suite on the select plugin (built into libsofa), plus what
 * is select's own: descriptors >= FD_SETSIZE are refused, never corrupt memory,
 * and destroy from inside a callback is deferred. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "conformance_runner.h"
#include "sofa/iops.h"
#include "sofa/status.h"

static int select_create(void *ctx, sofa_iops **out)
{
    (void)ctx;
    return sofa_iops_select_new(out);
}

static int hits;
static void on_ready(sofa_io_event *ev, int fired, void *arg)
{
    (void)ev;
    (void)fired;
    hits++;
    sofa_iops *io = arg;
    io->stop_watching(io);
}

static void fd_beyond_fd_setsize_is_refused(void **state)
{
    (void)state;
    assert_int_equal(iopscheck_raise_nofile(FD_SETSIZE + 64), 0);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int big = dup2(sv[0], FD_SETSIZE + 10);
    assert_int_equal(big, FD_SETSIZE + 10);
    sofa_iops *io = NULL;
    assert_int_equal(sofa_iops_select_new(&io), 0);
    sofa_io_event *bad = io->event_new(io, big, on_ready, io);
    sofa_io_event *edge = io->event_new(io, FD_SETSIZE, on_ready, io);
    sofa_io_event *good = io->event_new(io, sv[1], on_ready, io);
    assert_non_null(bad);
    assert_non_null(edge);
    assert_non_null(good);
    assert_int_equal(io->update_event(io, bad, SOFA_IO_WATCH, SOFA_IO_READ), SOFA_E_FD_TOO_LARGE);
    assert_int_equal(io->update_event(io, edge, SOFA_IO_WATCH, SOFA_IO_WRITE),
                     SOFA_E_FD_TOO_LARGE);
    /* bad flags are refused too */
    assert_int_equal(io->update_event(io, good, SOFA_IO_WATCH, 0), SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(io->update_event(io, good, SOFA_IO_WATCH, 8), SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(io->update_event(io, good, (sofa_io_action)99, 1), SOFA_E_INVALID_ARGUMENT);
    /* the plugin keeps working for descriptors it can handle */
    hits = 0;
    assert_int_equal(io->update_event(io, good, SOFA_IO_WATCH, SOFA_IO_WRITE), 0);
    io->start_watching(io);
    assert_int_equal(hits, 1);
    assert_int_equal(io->update_event(io, bad, SOFA_IO_CLEANUP, 0), 0);
    assert_int_equal(io->update_event(io, edge, SOFA_IO_CLEANUP, 0), 0);
    assert_int_equal(io->update_event(io, good, SOFA_IO_CLEANUP, 0), 0);
    sofa_iops_free(io);
    close(big);
    close(sv[0]);
    close(sv[1]);
}

static void on_ready_destroy(sofa_io_event *ev, int fired, void *arg)
{
    (void)ev;
    (void)fired;
    hits++;
    sofa_iops *io = arg;
    io->destroy(io); /* deferred until start_watching unwinds */
}

static void destroy_inside_callback_is_deferred(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    sofa_iops *io = NULL;
    assert_int_equal(sofa_iops_select_new(&io), 0);
    sofa_io_event *a = io->event_new(io, sv[0], on_ready_destroy, io);
    sofa_io_event *b = io->event_new(io, sv[1], on_ready_destroy, io);
    sofa_io_timer *t = io->timer_new(io, NULL, NULL);
    assert_null(t); /* a timer needs a callback */
    assert_int_equal(io->update_event(io, a, SOFA_IO_WATCH, SOFA_IO_WRITE), 0);
    assert_int_equal(io->update_event(io, b, SOFA_IO_WATCH, SOFA_IO_WRITE), 0);
    hits = 0;
    io->start_watching(io); /* both ready; the first destroys: the second never runs */
    assert_int_equal(hits, 1);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest own[] = {
        cmocka_unit_test(fd_beyond_fd_setsize_is_refused),
        cmocka_unit_test(destroy_inside_callback_is_deferred),
    };
    int failed = cmocka_run_group_tests_name("select", own, NULL, NULL);
    const iopscheck_factory f[] = {{"select", select_create, conformance_free_table, NULL, NULL}};
    failed += run_conformance("select conformance", f, 1);
    return failed;
}
