/* Logging: level names, SOFA_LOG_LEVEL, custom loggers, filtering, the console logger. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/log.h"
#include "sofa/status.h"

typedef struct capture {
    int count;
    sofa_log_level level;
    char subsystem[32];
    char file[256];
    int line;
    char msg[2048];
} capture;

static void capture_cb(void *arg, sofa_log_level level, const char *subsystem, const char *file,
                       int line, const char *msg)
{
    capture *c = arg;
    c->count++;
    c->level = level;
    snprintf(c->subsystem, sizeof(c->subsystem), "%s", subsystem);
    snprintf(c->file, sizeof(c->file), "%s", file);
    c->line = line;
    snprintf(c->msg, sizeof(c->msg), "%s", msg);
}

static void level_names_parse_both_ways(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int rc;
        sofa_log_level level;
    } t[] = {
        {"error", 0, SOFA_LOG_ERROR}, {"warn", 0, SOFA_LOG_WARN},   {"warning", 0, SOFA_LOG_WARN},
        {"info", 0, SOFA_LOG_INFO},   {"debug", 0, SOFA_LOG_DEBUG}, {"trace", 0, SOFA_LOG_TRACE},
        {"TRACE", 0, SOFA_LOG_TRACE}, {"Debug", 0, SOFA_LOG_DEBUG}, {"off", 0, SOFA_LOG_OFF},
        {"none", 0, SOFA_LOG_OFF},    {"0", 0, SOFA_LOG_ERROR},     {"4", 0, SOFA_LOG_TRACE},
        {"5", SOFA_E_INVALID_ARGUMENT, 0},  {"-1", SOFA_E_INVALID_ARGUMENT, 0},
        {"", SOFA_E_INVALID_ARGUMENT, 0},   {"10", SOFA_E_INVALID_ARGUMENT, 0},
        {"debugx", SOFA_E_INVALID_ARGUMENT, 0}, {" info", SOFA_E_INVALID_ARGUMENT, 0},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        sofa_log_level got = (sofa_log_level)99;
        int rc = sofa_log_level_parse(t[i].text, &got);
        if (rc != t[i].rc || (rc == 0 && got != t[i].level)) {
            print_error("'%s': want %d/%d got %d/%d\n", t[i].text, t[i].rc, t[i].level, rc, got);
            fail();
        }
        if (rc != 0) {
            assert_int_equal(got, 99); /* untouched on error */
        }
    }
    sofa_log_level l;
    assert_int_equal(sofa_log_level_parse(NULL, &l), SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(sofa_log_level_parse("info", NULL), SOFA_E_INVALID_ARGUMENT);

    for (int lv = SOFA_LOG_ERROR; lv <= SOFA_LOG_TRACE; lv++) {
        sofa_log_level back;
        assert_int_equal(sofa_log_level_parse(sofa_log_level_name((sofa_log_level)lv), &back), 0);
        assert_int_equal(back, lv);
    }
    assert_string_equal(sofa_log_level_name(SOFA_LOG_OFF), "off");
    assert_string_equal(sofa_log_level_name((sofa_log_level)17), "off");
}

static void custom_logger_gets_formatted_messages_with_origin(void **state)
{
    (void)state;
    capture c = {0};
    sofa__logger lg;
    sofa__logger_init(&lg, capture_cb, &c, SOFA_LOG_DEBUG);
    int line = __LINE__ + 1;
    SOFA_LOG(&lg, SOFA_LOG_WARN, "kv", "node %s:%d lost %zu requests", "h1", 11210, (size_t)3);
    assert_int_equal(c.count, 1);
    assert_int_equal(c.level, SOFA_LOG_WARN);
    assert_string_equal(c.subsystem, "kv");
    assert_string_equal(c.msg, "node h1:11210 lost 3 requests");
    assert_non_null(strstr(c.file, "test_log.c"));
    assert_int_equal(c.line, line);
}

static int side_effects;
static int count_call(void)
{
    return ++side_effects;
}

static void messages_above_the_level_are_dropped_before_formatting(void **state)
{
    (void)state;
    capture c = {0};
    sofa__logger lg;
    sofa__logger_init(&lg, capture_cb, &c, SOFA_LOG_INFO);
    side_effects = 0;
    SOFA_LOG(&lg, SOFA_LOG_DEBUG, "io", "x=%d", count_call());
    SOFA_LOG(&lg, SOFA_LOG_TRACE, "io", "x=%d", count_call());
    assert_int_equal(c.count, 0);
    assert_int_equal(side_effects, 0); /* arguments not even evaluated */
    SOFA_LOG(&lg, SOFA_LOG_INFO, "io", "x=%d", count_call());
    SOFA_LOG(&lg, SOFA_LOG_ERROR, "io", "x=%d", count_call());
    assert_int_equal(c.count, 2);
    assert_int_equal(side_effects, 2);
    assert_string_equal(c.msg, "x=2");

    /* a logger with no callback, or no logger at all, logs nothing and does not crash */
    sofa__logger off = {0};
    off.level = SOFA_LOG_TRACE;
    SOFA_LOG(&off, SOFA_LOG_ERROR, "io", "dropped %d", count_call());
    SOFA_LOG((const sofa__logger *)NULL, SOFA_LOG_ERROR, "io", "dropped %d", count_call());
    assert_int_equal(side_effects, 2);
}

static void a_callback_without_a_level_defaults_to_info(void **state)
{
    (void)state;
    capture c = {0};
    sofa__logger lg;
    sofa__logger_init(&lg, capture_cb, &c, -1);
    assert_ptr_equal(lg.cb, capture_cb);
    assert_int_equal(lg.level, SOFA_LOG_INFO);
}

static void long_messages_are_cut_not_overrun(void **state)
{
    (void)state;
    capture c = {0};
    sofa__logger lg;
    sofa__logger_init(&lg, capture_cb, &c, SOFA_LOG_TRACE);
    char big[3000];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    SOFA_LOG(&lg, SOFA_LOG_INFO, "t", "%s", big);
    assert_int_equal(c.count, 1);
    assert_int_equal(strlen(c.msg), 1023);
}

static void env_level_turns_on_the_console_logger(void **state)
{
    (void)state;
    sofa__logger lg;

    unsetenv("SOFA_LOG_LEVEL");
    sofa__logger_init(&lg, NULL, NULL, -1);
    assert_null(lg.cb); /* off by default */

    setenv("SOFA_LOG_LEVEL", "debug", 1);
    sofa__logger_init(&lg, NULL, NULL, -1);
    assert_ptr_equal(lg.cb, sofa_log_console);
    assert_int_equal(lg.level, SOFA_LOG_DEBUG);

    setenv("SOFA_LOG_LEVEL", "2", 1);
    sofa__logger_init(&lg, NULL, NULL, -1);
    assert_int_equal(lg.level, SOFA_LOG_INFO);

    setenv("SOFA_LOG_LEVEL", "chatty", 1); /* invalid: stays off */
    sofa__logger_init(&lg, NULL, NULL, -1);
    assert_null(lg.cb);

    setenv("SOFA_LOG_LEVEL", "off", 1);
    sofa__logger_init(&lg, NULL, NULL, -1);
    assert_null(lg.cb);

    /* an explicit level (e.g. log_level= in the connection string) wins over the env */
    setenv("SOFA_LOG_LEVEL", "trace", 1);
    sofa__logger_init(&lg, NULL, NULL, SOFA_LOG_WARN);
    assert_ptr_equal(lg.cb, sofa_log_console);
    assert_int_equal(lg.level, SOFA_LOG_WARN);

    /* a custom callback ignores the env */
    capture c = {0};
    sofa__logger_init(&lg, capture_cb, &c, -1);
    assert_ptr_equal(lg.cb, capture_cb);
    assert_int_equal(lg.level, SOFA_LOG_INFO);
    unsetenv("SOFA_LOG_LEVEL");
}

static void console_logger_writes_one_line_to_stderr(void **state)
{
    (void)state;
    char path[] = "/tmp/sofa-test-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_true(dup2(fd, 2) >= 0);
    sofa_log_console(NULL, SOFA_LOG_WARN, "config", "/a/b/config.c", 42, "revision 7 ignored");
    fflush(stderr);
    assert_true(dup2(saved, 2) >= 0);
    close(saved);

    char buf[256] = {0};
    assert_true(lseek(fd, 0, SEEK_SET) == 0);
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    unlink(path);
    assert_true(n > 0);
    assert_string_equal(buf, "[sofa warn ] config: revision 7 ignored (config.c:42)\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(level_names_parse_both_ways),
        cmocka_unit_test(custom_logger_gets_formatted_messages_with_origin),
        cmocka_unit_test(messages_above_the_level_are_dropped_before_formatting),
        cmocka_unit_test(a_callback_without_a_level_defaults_to_info),
        cmocka_unit_test(long_messages_are_cut_not_overrun),
        cmocka_unit_test(env_level_turns_on_the_console_logger),
        cmocka_unit_test(console_logger_writes_one_line_to_stderr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
