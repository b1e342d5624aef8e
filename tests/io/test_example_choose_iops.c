/* examples/choose-iops against the mock: SOFA_IOPS=libev runs it on libev (the
 * debug log says so), SOFA_IOPS=nosuch fails naming the files it tried. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "support/mockproc.h"

static sofa_test_mock mock;

/* Run the example with @env prepended; output (stdout+stderr) into out. Exit status. */
static int run_example(const char *env, char *out, size_t outlen)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "SOFA_PLUGIN_PATH='%s' %s '%s' '%s' Administrator password 2>&1", SOFA_TEST_PLUGIN_DIR,
             env, CHOOSE_IOPS_EXE, mock.connstr);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, outlen - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void sofa_iops_libev_runs_on_libev(void **state)
{
    (void)state;
    char out[16384];
    int rc = run_example("SOFA_IOPS=libev SOFA_LOG_LEVEL=debug", out, sizeof(out));
    if (rc != 0) {
        fail_msg("exit %d:\n%s", rc, out);
    }
    assert_non_null(strstr(out, "event loop plugin: libev"));
    assert_non_null(strstr(out, "plugin: libev\n"));
    assert_non_null(strstr(out, "ok: hello from choose-iops"));
}

static void default_is_select(void **state)
{
    (void)state;
    char out[16384];
    assert_int_equal(run_example("SOFA_IOPS=", out, sizeof(out)), 0);
    assert_non_null(strstr(out, "plugin: select\n"));
    assert_non_null(strstr(out, "ok: hello from choose-iops"));
}

static void sofa_iops_nosuch_names_what_it_tried(void **state)
{
    (void)state;
    char out[16384];
    int rc = run_example("SOFA_IOPS=nosuch", out, sizeof(out));
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "E_PLUGIN_NOT_FOUND"));
    assert_non_null(strstr(out, "SOFA_IOPS"));
    assert_non_null(strstr(out, SOFA_TEST_PLUGIN_DIR "/libsofa_nosuch.so"));
    assert_non_null(strstr(out, "cannot open shared object file"));
    assert_null(strstr(out, "ok:"));
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
        cmocka_unit_test(sofa_iops_libev_runs_on_libev),
        cmocka_unit_test(default_is_select),
        cmocka_unit_test(sofa_iops_nosuch_names_what_it_tried),
    };
    return cmocka_run_group_tests_name("choose-iops example", tests, start_mock, stop_mock);
}
