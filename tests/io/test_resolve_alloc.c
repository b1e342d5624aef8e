/* Allocation-failure sweep over the asynchronous resolver (select plugin): every
 * allocation in turn fails; each run either refuses to start (SOFA_E_NO_MEMORY) or
 * delivers exactly once, and nothing leaks once the worker thread is gone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "io/resolve.h"
#include "sofa/iops.h"
#include "sofa/status.h"
#include "support/failalloc.h"
#include "support/badhost.h"

typedef struct {
    sofa_iops *io;
    int calls;
} st;

static void on_result(int rc, struct addrinfo *res, void *arg)
{
    st *s = arg;
    (void)rc;
    s->calls++;
    if (res)
        freeaddrinfo(res);
    s->io->stop_watching(s->io);
}

static void wait_workers_gone(void)
{
    for (int i = 0; i < 3000 && sofa__resolve_active() > 0; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(sofa__resolve_active(), 0);
}

/* 0 = delivered once, 1 = refused cleanly. */
static int one_run(void *arg)
{
    const char *host = arg;
    st s;
    memset(&s, 0, sizeof(s));
    if (sofa_iops_select_new(&s.io) != 0)
        return 1;
    struct addrinfo h;
    memset(&h, 0, sizeof(h));
    h.ai_family = AF_UNSPEC;
    h.ai_socktype = SOCK_STREAM;
    h.ai_flags = AI_NUMERICSERV;
    sofa__resolve *r = NULL;
    int rc = sofa__resolve_start(&r, s.io, host, "80", &h, on_result, &s);
    if (rc != 0) {
        assert_int_equal(rc, SOFA_E_NO_MEMORY);
        assert_null(r);
        sofa_iops_free(s.io);
        return 1;
    }
    s.io->start_watching(s.io);
    assert_int_equal(s.calls, 1);
    sofa_iops_free(s.io);
    return 0;
}

static void sweep(void **state)
{
    (void)state;
    const char *hosts[] = {"localhost", SOFA_TEST_BAD_HOST};
    for (size_t k = 0; k < 2; k++) {
        failalloc_run(-1, one_run, (void *)hosts[k]);
        wait_workers_gone();
        long total = failalloc_calls();
        assert_true(total > 0);
        int refused = 0;
        for (long i = 0; i < total; i++) {
            refused += failalloc_run(i, one_run, (void *)hosts[k]);
            wait_workers_gone();
            assert_int_equal(failalloc_live(), 0);
        }
        assert_true(refused >= 1);
        print_message("%s: %ld allocations swept, %d refused\n", hosts[k], total, refused);
        /* And a run with no failure still delivers. */
        assert_int_equal(failalloc_run(-1, one_run, (void *)hosts[k]), 0);
        wait_workers_gone();
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(sweep)};
    return cmocka_run_group_tests_name("resolver allocation failures", tests, NULL, NULL);
}
