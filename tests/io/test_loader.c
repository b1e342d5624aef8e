/* The plugin loader: where it looks, what each failure says, and the choice rule
 * (explicit table > iops= option > SOFA_IOPS > built-in select). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "io/loader.h"
#include "sofa/iops.h"
#include "sofa/status.h"

#ifndef SOFA_TEST_PLUGIN_DIR
#error "SOFA_TEST_PLUGIN_DIR must name the build tree's plugin directory"
#endif
#define SELECT_SO SOFA_TEST_PLUGIN_DIR "/libsofa_select.so"

static char errbuf[4096];

static int reset_env(void **state)
{
    (void)state;
    unsetenv("SOFA_IOPS");
    unsetenv("SOFA_PLUGIN_PATH");
    errbuf[0] = '\0';
    return 0;
}

/* A timer through the table proves it is a working plugin, not just a pointer. */
static int fired;
static void on_timer(sofa_io_timer *t, void *arg)
{
    (void)t;
    fired++;
    ((sofa_iops *)arg)->stop_watching(arg);
}
static void assert_table_works(sofa_iops *io)
{
    assert_non_null(io);
    assert_int_equal(io->struct_size, sizeof(sofa_iops));
    assert_int_equal(sofa__iops_check(io, NULL, 0), 0);
    sofa_io_timer *t = io->timer_new(io, on_timer, io);
    assert_non_null(t);
    fired = 0;
    assert_int_equal(io->update_timer(io, t, SOFA_IO_WATCH, 1000), 0);
    io->start_watching(io);
    assert_int_equal(fired, 1);
    assert_int_equal(io->update_timer(io, t, SOFA_IO_CLEANUP, 0), 0);
}

static void unknown_name_lists_every_file_tried(void **state)
{
    (void)state;
    setenv("SOFA_PLUGIN_PATH", "/nonexistent-sofa-a:/nonexistent-sofa-b", 1);
    sofa_iops *io = (sofa_iops *)&errbuf; /* must be reset to NULL */
    int rc = sofa_iops_load("nosuch", NULL, NULL, &io, errbuf, sizeof(errbuf));
    assert_int_equal(rc, SOFA_E_PLUGIN_NOT_FOUND);
    assert_null(io);
    assert_non_null(strstr(errbuf, "'nosuch'"));
    assert_non_null(strstr(errbuf, "/nonexistent-sofa-a/libsofa_nosuch.so"));
    assert_non_null(strstr(errbuf, "/nonexistent-sofa-b/libsofa_nosuch.so"));
    assert_non_null(strstr(errbuf, SOFA_PLUGIN_DIR "/libsofa_nosuch.so"));
    /* the dynamic loader's own message for the bare name */
    assert_non_null(strstr(errbuf, "libsofa_nosuch.so: cannot open shared object file"));
}

static void invalid_name_or_symbol_is_rejected(void **state)
{
    (void)state;
    sofa_iops *io = NULL;
    assert_int_equal(sofa_iops_load("bad name", NULL, NULL, &io, errbuf, sizeof(errbuf)),
                     SOFA_E_INVALID_ARGUMENT);
    assert_non_null(strstr(errbuf, "invalid"));
    assert_int_equal(sofa_iops_load("", NULL, NULL, &io, errbuf, sizeof(errbuf)),
                     SOFA_E_INVALID_ARGUMENT);
    char longname[200];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(sofa_iops_load(longname, NULL, NULL, &io, errbuf, sizeof(errbuf)),
                     SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(sofa_iops_load(SELECT_SO, "1x", NULL, &io, errbuf, sizeof(errbuf)),
                     SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(sofa_iops_load(NULL, NULL, NULL, &io, errbuf, sizeof(errbuf)),
                     SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(sofa_iops_load("select", NULL, NULL, NULL, NULL, 0),
                     SOFA_E_INVALID_ARGUMENT);
}

static void name_is_found_on_plugin_path(void **state)
{
    (void)state;
    setenv("SOFA_PLUGIN_PATH", "/nonexistent-sofa-a::" SOFA_TEST_PLUGIN_DIR, 1);
    sofa_iops *io = NULL;
    int rc = sofa_iops_load("select", NULL, NULL, &io, errbuf, sizeof(errbuf));
    assert_int_equal(rc, 0);
    assert_string_equal(io->name, "select");
    assert_table_works(io);
    sofa_iops_free(io);
}

static void path_is_opened_as_given(void **state)
{
    (void)state;
    sofa_iops *io = NULL;
    assert_int_equal(sofa_iops_load(SELECT_SO, SOFA_IOPS_ENTRY_SYMBOL, NULL, &io, errbuf,
                                    sizeof(errbuf)),
                     0);
    assert_table_works(io);
    sofa_iops_free(io);
    assert_int_equal(sofa_iops_load("/nonexistent-sofa/libx.so", NULL, NULL, &io, errbuf,
                                    sizeof(errbuf)),
                     SOFA_E_PLUGIN_NOT_FOUND);
    assert_non_null(strstr(errbuf, "/nonexistent-sofa/libx.so (no such file)"));
}

static void missing_symbol_names_file_and_symbol(void **state)
{
    (void)state;
    sofa_iops *io = NULL;
    int rc = sofa_iops_load(SELECT_SO, "no_such_entry", NULL, &io, errbuf, sizeof(errbuf));
    assert_int_equal(rc, SOFA_E_PLUGIN_SYMBOL);
    assert_null(io);
    assert_non_null(strstr(errbuf, SELECT_SO));
    assert_non_null(strstr(errbuf, "no_such_entry"));
}

static void make_garbage(char *dir, size_t dirlen, char *file, size_t filelen)
{
    snprintf(dir, dirlen, "/tmp/sofa-loader-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(file, filelen, "%s/libsofa_select.so", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("this is not an ELF file\n", f);
    fclose(f);
}

static void broken_file_is_reported_never_skipped(void **state)
{
    (void)state;
    char dir[64], file[128], path[512];
    make_garbage(dir, sizeof(dir), file, sizeof(file));
    /* The broken copy comes first; the working one after it must NOT be used. */
    snprintf(path, sizeof(path), "%s:%s", dir, SOFA_TEST_PLUGIN_DIR);
    setenv("SOFA_PLUGIN_PATH", path, 1);
    sofa_iops *io = NULL;
    int rc = sofa_iops_load("select", NULL, NULL, &io, errbuf, sizeof(errbuf));
    assert_int_equal(rc, SOFA_E_PLUGIN_NOT_FOUND);
    assert_null(io);
    assert_non_null(strstr(errbuf, file));
    assert_null(strstr(errbuf, SOFA_TEST_PLUGIN_DIR));
    unlink(file);
    rmdir(dir);
}

static void entry_failure_is_plugin_init(void **state)
{
    (void)state;
    sofa_iops *io = NULL;
    int dummy_loop = 0; /* select has no application loop to wrap: its entry refuses */
    int rc = sofa_iops_load(SELECT_SO, NULL, &dummy_loop, &io, errbuf, sizeof(errbuf));
    assert_int_equal(rc, SOFA_E_PLUGIN_INIT);
    assert_null(io);
    assert_non_null(strstr(errbuf, "failed"));
    assert_non_null(strstr(errbuf, SELECT_SO));
}

static void explicit_table_wins_and_is_checked(void **state)
{
    (void)state;
    setenv("SOFA_IOPS", "nosuch", 1);
    sofa_iops *mine = NULL;
    assert_int_equal(sofa_iops_select_new(&mine), 0);
    sofa_iops *io = mine;
    int owned = -1;
    assert_int_equal(sofa__iops_choose("nosuch", &io, &owned, errbuf, sizeof(errbuf)), 0);
    assert_ptr_equal(io, mine);
    assert_int_equal(owned, 0);

    sofa_iops bad = *mine;
    bad.struct_size = offsetof(sofa_iops, update_event);
    io = &bad;
    assert_int_equal(sofa__iops_choose(NULL, &io, &owned, errbuf, sizeof(errbuf)),
                     SOFA_E_PLUGIN_VERSION);
    assert_non_null(strstr(errbuf, "struct_size"));
    bad = *mine;
    bad.timer_new = NULL;
    io = &bad;
    assert_int_equal(sofa__iops_choose(NULL, &io, &owned, errbuf, sizeof(errbuf)),
                     SOFA_E_PLUGIN_INIT);
    assert_non_null(strstr(errbuf, "timer_new"));
    sofa_iops_free(mine);
}

static void connstr_beats_environment(void **state)
{
    (void)state;
    setenv("SOFA_IOPS", "select", 1);
    sofa_iops *io = NULL;
    int owned = 0;
    int rc = sofa__iops_choose("nosuch", &io, &owned, errbuf, sizeof(errbuf));
    assert_int_equal(rc, SOFA_E_PLUGIN_NOT_FOUND); /* no fallback to SOFA_IOPS or select */
    assert_null(io);
    assert_non_null(strstr(errbuf, "connection string"));
    assert_non_null(strstr(errbuf, "libsofa_nosuch.so"));

    rc = sofa__iops_choose("select", &io, &owned, errbuf, sizeof(errbuf));
    assert_int_equal(rc, 0);
    assert_int_equal(owned, 1);
    assert_string_equal(io->name, "select");
    sofa_iops_free(io);
}

static void environment_beats_default(void **state)
{
    (void)state;
    setenv("SOFA_IOPS", "nosuch", 1);
    sofa_iops *io = NULL;
    int owned = 0;
    int rc = sofa__iops_choose(NULL, &io, &owned, errbuf, sizeof(errbuf));
    assert_int_equal(rc, SOFA_E_PLUGIN_NOT_FOUND);
    assert_non_null(strstr(errbuf, "SOFA_IOPS"));
    assert_non_null(strstr(errbuf, "libsofa_nosuch.so"));

    setenv("SOFA_IOPS", SELECT_SO ":" SOFA_IOPS_ENTRY_SYMBOL, 1);
    rc = sofa__iops_choose("", &io, &owned, errbuf, sizeof(errbuf));
    assert_int_equal(rc, 0);
    assert_int_equal(owned, 1);
    assert_table_works(io);
    sofa_iops_free(io);
    io = NULL;

    setenv("SOFA_IOPS", SELECT_SO ":9bad", 1);
    assert_int_equal(sofa__iops_choose(NULL, &io, &owned, errbuf, sizeof(errbuf)),
                     SOFA_E_INVALID_ARGUMENT);
    assert_non_null(strstr(errbuf, "SOFA_IOPS"));
}

static void default_is_builtin_select(void **state)
{
    (void)state;
    sofa_iops *io = NULL;
    int owned = 0;
    assert_int_equal(sofa__iops_choose(NULL, &io, &owned, errbuf, sizeof(errbuf)), 0);
    assert_int_equal(owned, 1);
    assert_string_equal(io->name, "select");
    assert_table_works(io);
    sofa_iops_free(io);
    setenv("SOFA_IOPS", "", 1);
    io = NULL;
    assert_int_equal(sofa__iops_choose(NULL, &io, &owned, errbuf, sizeof(errbuf)), 0);
    assert_string_equal(io->name, "select");
    sofa_iops_free(io);
    sofa_iops_free(NULL);
    assert_int_equal(sofa__iops_choose(NULL, NULL, &owned, errbuf, sizeof(errbuf)),
                     SOFA_E_INVALID_ARGUMENT);
}

static void tiny_errbuf_is_truncated_safely(void **state)
{
    (void)state;
    char small[8];
    sofa_iops *io = NULL;
    memset(small, 'x', sizeof(small));
    assert_int_equal(sofa_iops_load("nosuch", NULL, NULL, &io, small, sizeof(small)),
                     SOFA_E_PLUGIN_NOT_FOUND);
    assert_int_equal(strlen(small), sizeof(small) - 1);
    assert_int_equal(sofa_iops_load("nosuch", NULL, NULL, &io, NULL, 0), SOFA_E_PLUGIN_NOT_FOUND);
}

static void spec_parser_splits_paths_and_checks_names(void **state)
{
    (void)state;
    sofa__iops_spec sp;
    assert_int_equal(sofa__iops_parse_spec("select", 6, &sp), 0);
    assert_int_equal(sp.kind, SOFA__IOPS_SPEC_BUILTIN);
    assert_int_equal(sofa__iops_parse_spec("default", 7, &sp), 0);
    assert_int_equal(sp.kind, SOFA__IOPS_SPEC_BUILTIN);
    assert_int_equal(sofa__iops_parse_spec("libev", 5, &sp), 0);
    assert_int_equal(sp.kind, SOFA__IOPS_SPEC_NAME);
    assert_string_equal(sp.name, "libev");
    assert_string_equal(sp.symbol, "");
    const char *p1 = "/opt/x/libmy.so:my_create";
    assert_int_equal(sofa__iops_parse_spec(p1, strlen(p1), &sp), 0);
    assert_int_equal(sp.kind, SOFA__IOPS_SPEC_PATH);
    assert_string_equal(sp.name, "/opt/x/libmy.so");
    assert_string_equal(sp.symbol, "my_create");
    const char *p2 = "/opt/a:b/libmy.so"; /* a ':' before the last '/' belongs to the path */
    assert_int_equal(sofa__iops_parse_spec(p2, strlen(p2), &sp), 0);
    assert_string_equal(sp.name, p2);
    assert_string_equal(sp.symbol, "");
    /* only the first len bytes count */
    assert_int_equal(sofa__iops_parse_spec("libevXYZ", 5, &sp), 0);
    assert_string_equal(sp.name, "libev");
    const char *bad[] = {"", "lib ev", "libev:sym", "./x.so:", "./x.so:9x", "./x.so:a-b", "a\0b"};
    const size_t badlen[] = {0, 6, 9, 7, 9, 10, 3};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(sofa__iops_parse_spec(bad[i], badlen[i], &sp), SOFA_E_INVALID_ARGUMENT);
    }
    static char huge[SOFA__IOPS_SPEC_MAX + 2];
    memset(huge, 'a', sizeof(huge));
    huge[0] = '/';
    assert_int_equal(sofa__iops_parse_spec(huge, sizeof(huge), &sp), SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(sofa__iops_parse_spec("libev", 5, NULL), SOFA_E_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(unknown_name_lists_every_file_tried, reset_env),
        cmocka_unit_test_setup(invalid_name_or_symbol_is_rejected, reset_env),
        cmocka_unit_test_setup(name_is_found_on_plugin_path, reset_env),
        cmocka_unit_test_setup(path_is_opened_as_given, reset_env),
        cmocka_unit_test_setup(missing_symbol_names_file_and_symbol, reset_env),
        cmocka_unit_test_setup(broken_file_is_reported_never_skipped, reset_env),
        cmocka_unit_test_setup(entry_failure_is_plugin_init, reset_env),
        cmocka_unit_test_setup(explicit_table_wins_and_is_checked, reset_env),
        cmocka_unit_test_setup(connstr_beats_environment, reset_env),
        cmocka_unit_test_setup(environment_beats_default, reset_env),
        cmocka_unit_test_setup(default_is_builtin_select, reset_env),
        cmocka_unit_test_setup(tiny_errbuf_is_truncated_safely, reset_env),
        cmocka_unit_test(spec_parser_splits_paths_and_checks_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
