/* Allocation-failure sweeps for the select plugin, the example's poll plugin and
 * the loader: a workload is run once counting allocations, then once per
 * allocation with that one failing. Every run must end cleanly (NULL from a
 * constructor, SOFA_E_NO_MEMORY, or a loop that returns) with nothing leaked.
 * The allocator is wrapped by tests/support/failalloc (-Wl,--wrap), which
 * replaces those calls in the test, libsofa.a and the example's objects only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "io/loader.h"
#include "sofa/iops.h"
#include "sofa/status.h"
#include "support/failalloc.h"

int custom_iops_new(sofa_iops **out); /* examples/custom-iops.c */

typedef int (*create_fn)(sofa_iops **out);

static int fired;
static void on_event(sofa_io_event *ev, int flags, void *arg)
{
    (void)flags;
    fired++;
    sofa_iops *io = arg;
    io->update_event(io, ev, SOFA_IO_CLEANUP, 0); /* free from inside its own callback */
}

static void on_zero_timer(sofa_io_timer *t, void *arg)
{
    (void)t;
    (void)arg;
    fired++;
}

static void on_timer(sofa_io_timer *t, void *arg)
{
    (void)t;
    fired++;
    sofa_iops *io = arg;
    io->stop_watching(io);
}

/* Returns 0 when everything worked, 1 when something reported out-of-memory. */
static int workload(create_fn create)
{
    sofa_iops *io = NULL;
    int rc = create(&io);
    if (rc != 0) {
        assert_int_equal(rc, SOFA_E_NO_MEMORY);
        return 1;
    }
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int oom = 0;
    sofa_io_event *a = io->event_new(io, sv[0], on_event, io);
    sofa_io_event *b = io->event_new(io, sv[1], on_event, io);
    sofa_io_timer *t = io->timer_new(io, on_timer, io);
    sofa_io_timer *u = io->timer_new(io, on_zero_timer, io);
    oom |= !a || !b || !t || !u;
    fired = 0;
    if (a && b && t && u) {
        assert_int_equal(io->update_event(io, a, SOFA_IO_WATCH, SOFA_IO_WRITE), 0);
        assert_int_equal(io->update_event(io, b, SOFA_IO_WATCH, SOFA_IO_READ | SOFA_IO_WRITE), 0);
        assert_int_equal(io->update_timer(io, u, SOFA_IO_WATCH, 0), 0);
        assert_int_equal(io->update_timer(io, t, SOFA_IO_WATCH, 2000), 0);
        io->start_watching(io); /* may end early if the loop cannot allocate */
        oom |= fired != 4;
        a = b = NULL; /* cleaned up by their callbacks, or freed by destroy */
    }
    if (a) {
        io->update_event(io, a, SOFA_IO_CLEANUP, 0);
    }
    if (b) {
        io->update_event(io, b, SOFA_IO_CLEANUP, 0);
    }
    if (t) {
        io->update_timer(io, t, SOFA_IO_CLEANUP, 0);
    }
    if (u) {
        io->update_timer(io, u, SOFA_IO_CLEANUP, 0);
    }
    io->destroy(io); /* frees whatever is left (events not delivered) */
    close(sv[0]);
    close(sv[1]);
    return oom;
}

static int run_workload(void *create)
{
    return workload(*(create_fn *)create);
}

static void sweep(create_fn create)
{
    assert_int_equal(failalloc_run(-1, run_workload, &create), 0); /* count only */
    long total = failalloc_calls();
    assert_int_equal(failalloc_live(), 0);
    assert_true(total > 0);
    for (long n = 0; n < total; n++) {
        int oom = failalloc_run(n, run_workload, &create);
        if (!oom) {
            print_error("allocation %ld of %ld failed but nothing noticed\n", n, total);
            fail();
        }
        if (failalloc_live() != 0) {
            print_error("allocation %ld of %ld failed: %ld allocations leaked\n", n, total,
                        failalloc_live());
            fail();
        }
    }
}

static void select_survives_every_allocation_failure(void **state)
{
    (void)state;
    sweep(sofa_iops_select_new);
}

static void poll_example_survives_every_allocation_failure(void **state)
{
    (void)state;
    sweep(custom_iops_new);
}

static void loader_reports_allocation_failure(void **state)
{
    (void)state;
    char err[1024];
    sofa_iops *io = NULL;
    int owned = 0;
    failalloc_start(0); /* the built-in select's first allocation */
    int rc = sofa__iops_choose(NULL, &io, &owned, err, sizeof(err));
    failalloc_stop();
    assert_int_equal(rc, SOFA_E_NO_MEMORY);
    assert_null(io);
    assert_non_null(strstr(err, "select"));
    assert_int_equal(failalloc_live(), 0);

    failalloc_start(0); /* remembering which library the table came from */
    rc = sofa_iops_load(SOFA_TEST_PLUGIN_DIR "/libsofa_select.so", NULL, NULL, &io, err,
                        sizeof(err));
    failalloc_stop();
    assert_int_equal(rc, SOFA_E_NO_MEMORY);
    assert_null(io);
    assert_int_equal(failalloc_live(), 0);
    rc = sofa_iops_load(SOFA_TEST_PLUGIN_DIR "/libsofa_select.so", NULL, NULL, &io, err,
                        sizeof(err));
    assert_int_equal(rc, 0);
    sofa_iops_free(io);
    assert_int_equal(failalloc_live(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(select_survives_every_allocation_failure),
        cmocka_unit_test(poll_example_survives_every_allocation_failure),
        cmocka_unit_test(loader_reports_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
