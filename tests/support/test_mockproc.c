/* The mock starter works: the mock starts with several nodes, the ready file is parsed,
 * the control API answers, KV ports speak the binary protocol, and stop cleans up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/mockproc.h"
#include "support/procutil.h"

static void mock_starts_with_nodes_and_answers_control(void **state)
{
    (void)state;
    sofa_test_mock m;
    const char *args[] = {"--nodes", "3", "--replicas", "1", "--bucket", "travel", NULL};
    assert_int_equal(sofa_test_mock_start(&m, args), 0);
    assert_int_equal(m.nnodes, 3);
    assert_true(m.ctl_port > 0);
    assert_non_null(strstr(m.connstr, "couchbase://127.0.0.1:"));
    assert_non_null(strstr(m.connstr, "/travel"));
    assert_non_null(strstr(m.http_connstr, "http://127.0.0.1:"));
    for (int i = 0; i < m.nnodes; i++) {
        assert_true(m.kv_ports[i] > 0 && m.http_ports[i] > 0);
    }
    char out[4096];
    assert_int_equal(sofa_test_mock_ctl(&m, "GET", "/mock/info", NULL, out, sizeof(out)), 200);
    assert_non_null(strstr(out, "\"rev\":1"));
    assert_int_equal(sofa_test_mock_ctl(&m, "POST", "/mock/failover?node=2", NULL, out, sizeof(out)),
                     200);
    assert_int_equal(sofa_test_mock_ctl(&m, "GET", "/mock/info", NULL, out, sizeof(out)), 200);
    assert_non_null(strstr(out, "\"rev\":2"));
    assert_int_equal(sofa_test_mock_ctl(&m, "POST", "/mock/nonsense", NULL, out, sizeof(out)), 404);
    /* node 1's own HTTP port serves the control API too */
    assert_int_equal(sofa_test_mock_ctl_node(&m, 1, "GET", "/mock/info", NULL, out, sizeof(out)), 200);

    /* a KV port answers NOOP */
    int fd = sofa_test_connect(m.kv_ports[0], 2000);
    assert_true(fd >= 0);
    unsigned char req[24] = {0x80, 0x0a};
    req[15] = 7;
    assert_int_equal(send(fd, req, 24, 0), 24);
    unsigned char resp[24];
    assert_int_equal(recv(fd, resp, 24, MSG_WAITALL), 24);
    assert_int_equal(resp[0], 0x81);
    assert_int_equal(resp[1], 0x0a);
    assert_int_equal(resp[15], 7);
    close(fd);

    char dir[256];
    strcpy(dir, m.dir);
    pid_t pid = m.pid;
    sofa_test_mock_stop(&m);
    struct stat st;
    assert_int_not_equal(stat(dir, &st), 0);
    assert_int_not_equal(kill(pid, 0), 0);
}

static void bad_arguments_fail_fast(void **state)
{
    (void)state;
    sofa_test_mock m;
    const char *args[] = {"--nodes", "99", NULL};
    long long t0 = sofa_test_now_ms();
    assert_int_equal(sofa_test_mock_start(&m, args), -1);
    assert_true(sofa_test_now_ms() - t0 < 5000);
    assert_int_equal(m.pid, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mock_starts_with_nodes_and_answers_control),
        cmocka_unit_test(bad_arguments_fail_fast),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
