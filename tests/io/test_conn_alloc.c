/* Allocation-failure sweep over a connection without a deadline queue (as the HTTP pool
 * opens them; select plugin, a peer socket of this process): every allocation in turn
 * fails; each run either is refused at once (SOFA_E_NO_MEMORY), reports exactly one
 * SOFA_E_NO_MEMORY through on_error, or completes its round trip, and nothing leaks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io/conn.h"
#include "sofa/iops.h"
#include "sofa/status.h"
#include "support/failalloc.h"

typedef struct {
    sofa_iops *io;
    int lfd, pfd; /* the peer: listening and accepted sockets */
    int connected, done, errors, status;
} st;

static int listen_loopback(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void on_connected(sofa__conn *c, void *arg)
{
    (void)c;
    st *s = arg;
    s->connected++;
    struct pollfd p = {s->lfd, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 5000), 1);
    s->pfd = accept(s->lfd, NULL, NULL);
    assert_true(s->pfd >= 0);
    assert_int_equal(send(s->pfd, "pong", 4, MSG_NOSIGNAL), 4);
}

static void on_data(sofa__conn *c, void *arg)
{
    st *s = arg;
    if (sofa__buf_used(&c->rbuf) >= 4) {
        assert_memory_equal(sofa__buf_head(&c->rbuf), "pong", 4);
        s->done = 1;
        s->io->stop_watching(s->io);
    }
}

static void on_error(sofa__conn *c, int status, void *arg)
{
    (void)c;
    st *s = arg;
    s->errors++;
    s->status = status;
    s->io->stop_watching(s->io);
}

static void on_deadline(sofa_io_timer *t, void *arg)
{
    (void)t;
    sofa_iops *io = arg;
    io->stop_watching(io);
}

static const sofa__conn_handler handler = {on_connected, on_data, on_error};
static const sofa__conn_opts opts = {.ipv6 = 1, .nodelay = 1, .read_batch = 1024};

/* 0 = the round trip completed, 1 = refused or failed cleanly. */
static int one_run(void *arg)
{
    (void)arg;
    st s;
    memset(&s, 0, sizeof(s));
    s.pfd = -1;
    if (sofa_iops_select_new(&s.io) != 0)
        return 1;
    uint16_t port;
    s.lfd = listen_loopback(&port);
    sofa__conn *c = NULL;
    int rc = sofa__conn_new(&c, s.io, NULL, NULL, "127.0.0.1", port, &opts, &handler, &s);
    sofa_io_timer *t = rc == 0 ? s.io->timer_new(s.io, on_deadline, s.io) : NULL;
    if (rc != 0 || !t) {
        if (rc != 0) {
            assert_int_equal(rc, SOFA_E_NO_MEMORY);
            assert_null(c);
        }
        sofa__conn_free(c);
        close(s.lfd);
        sofa_iops_free(s.io);
        return 1;
    }
    int wrc = sofa__conn_write(c, "ping", 4);
    assert_true(wrc == 0 || wrc == SOFA_E_NO_MEMORY);
    assert_int_equal(s.io->update_timer(s.io, t, SOFA_IO_WATCH, 5000000u), 0);
    s.io->start_watching(s.io);
    s.io->update_timer(s.io, t, SOFA_IO_CLEANUP, 0);
    assert_int_equal(s.done + s.errors, 1);
    if (s.errors)
        assert_int_equal(s.status, SOFA_E_NO_MEMORY);
    sofa__conn_free(c);
    if (s.pfd >= 0)
        close(s.pfd);
    close(s.lfd);
    sofa_iops_free(s.io);
    return s.done ? 0 : 1;
}

static void sweep(void **state)
{
    (void)state;
    assert_int_equal(failalloc_run(-1, one_run, NULL), 0);
    long total = failalloc_calls();
    assert_true(total > 0);
    int refused = 0;
    for (long i = 0; i < total; i++) {
        refused += failalloc_run(i, one_run, NULL);
        assert_int_equal(failalloc_live(), 0);
    }
    assert_true(refused >= 1);
    print_message("%ld allocations swept, %d runs refused or failed cleanly\n", total, refused);
    assert_int_equal(failalloc_run(-1, one_run, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(sweep)};
    return cmocka_run_group_tests_name("connection allocation failures", tests, NULL, NULL);
}
