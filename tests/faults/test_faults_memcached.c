/* memcached:// with two Debian memcached servers (ketama): one is killed (SIGKILL) in the
 * middle of a mixed load with 1000 operations in flight and restarted on the same port
 * later. Every callback exactly once with an expected status; afterwards every operation
 * succeeds again (the client reconnects to the restarted server). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "faults/faultkit.h"
#include "support/memcachedproc.h"
#include "support/procutil.h"

static sofa_test_memcached mc[2];

/* Restart server @i on its port (after its process was killed). */
static pid_t respawn(int i)
{
    char port[16], log[600];
    snprintf(port, sizeof(port), "%d", mc[i].port);
    snprintf(log, sizeof(log), "%s/memcached-restart.log", mc[i].dir);
    const char *bin = getenv("SOFA_MEMCACHED") ? getenv("SOFA_MEMCACHED") : "/usr/bin/memcached";
    const char *argv[12];
    int argc = 0;
    argv[argc++] = bin;
    argv[argc++] = "-l";
    argv[argc++] = "127.0.0.1";
    argv[argc++] = "-p";
    argv[argc++] = port;
    argv[argc++] = "-U";
    argv[argc++] = "0";
    argv[argc++] = "-B";
    argv[argc++] = "binary";
    if (geteuid() == 0) {
        argv[argc++] = "-u";
        argv[argc++] = "nobody";
    }
    argv[argc] = NULL;
    for (int attempt = 0; attempt < 50; attempt++) {
        pid_t pid = sofa_test_spawn(argv, log, NULL, NULL);
        if (pid <= 0)
            return -1;
        for (int t = 0; t < 100; t++) {
            if (sofa_test_child_exited(pid))
                break; /* port still in TIME_WAIT trouble: try again */
            /* the server on the port must be this child, not another process's */
            if (sofa_test_memcached_pid(mc[i].port, 500) == (long)pid)
                return pid;
            sofa_test_sleep_ms(5);
        }
        sofa_test_kill_wait(pid, 1000);
        sofa_test_sleep_ms(50);
    }
    return -1;
}

static int fault(fk_load *l, const char *what)
{
    (void)l;
    if (strcmp(what, "kill0") == 0) {
        kill(mc[0].pid, SIGKILL);
        waitpid(mc[0].pid, NULL, 0);
        mc[0].pid = 0;
        return 200;
    }
    if (strcmp(what, "restart0") == 0) {
        mc[0].pid = respawn(0);
        return mc[0].pid > 0 ? 200 : 500;
    }
    return 400;
}

static void run_sync(fk_load *l)
{
    fk_load_start(l);
    sofa_client_wait(l->c);
}

static void test_killed_and_restarted_mid_load(void **state)
{
    (void)state;
    char cs[512];
    snprintf(cs, sizeof(cs), "memcached://127.0.0.1:%d,127.0.0.1:%d?operation_timeout=500ms",
             mc[0].port, mc[1].port);
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = cs;
    sofa_client *c = NULL;
    assert_int_equal(sofa_client_new(&c, &o, NULL, 0), 0);
    assert_int_equal(fk_connect_wait(c), SOFA_OK);
    for (int round = 0; round < 2; round++) {
        fk_load l;
        assert_int_equal(fk_load_init(&l, c, NULL, 5000, 1000, 4242u + (unsigned)round), 0);
        l.fault_fn = fault;
        fk_load_add_fault(&l, 1000, "kill0");
        fk_load_add_fault(&l, 3000, "restart0");
        run_sync(&l);
        fk_load_report(&l, round ? "memcached restart (2)" : "memcached restart");
        assert_int_equal(l.fired_once_more, 0);
        assert_int_equal(l.unexpected, 0);
        assert_int_equal(l.submit_errors, 0);
        assert_true(fk_load_clean(&l));
        assert_true(l.failed > 0); /* the kill hit operations in flight */
        fk_load_free(&l);
        assert_true(fk_recover(c, run_sync, 400, 8000));
    }
    sofa_client_free(c);
}

/* Both servers gone with operations in flight, then back: the same. */
static void test_all_servers_killed(void **state)
{
    (void)state;
    char cs[512];
    snprintf(cs, sizeof(cs), "memcached://127.0.0.1:%d,127.0.0.1:%d?operation_timeout=300ms",
             mc[0].port, mc[1].port);
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = cs;
    sofa_client *c = NULL;
    assert_int_equal(sofa_client_new(&c, &o, NULL, 0), 0);
    assert_int_equal(fk_connect_wait(c), SOFA_OK);
    fk_load l;
    assert_int_equal(fk_load_init(&l, c, NULL, 600, 600, 99u), 0);
    fk_load_start(&l);
    sofa_client_tick(c);
    for (int i = 0; i < 2; i++) {
        kill(mc[i].pid, SIGKILL);
        waitpid(mc[i].pid, NULL, 0);
        mc[i].pid = 0;
    }
    sofa_client_wait(c);
    fk_load_report(&l, "all killed");
    assert_true(fk_load_clean(&l));
    fk_load_free(&l);
    for (int i = 0; i < 2; i++) {
        mc[i].pid = respawn(i);
        assert_true(mc[i].pid > 0);
    }
    assert_true(fk_recover(c, run_sync, 400, 8000));
    sofa_client_free(c);
}

static int setup(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++)
        if (sofa_test_memcached_start(&mc[i], 0, NULL, NULL) != 0)
            return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++)
        sofa_test_memcached_stop(&mc[i]);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_killed_and_restarted_mid_load),
        cmocka_unit_test(test_all_servers_killed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
