/* The `sofa` tool's table-driven command-line parser (tools/cli/opts.c), with a registry of
 * test commands and option sets: long/short/attached/combined forms, option sets applying by
 * command kind, `--`, negative numbers and `-` as arguments, number checks, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "../../tools/cli/opts.c"

static int run_nothing(cli_ctx *ctx)
{
    (void)ctx;
    return 0;
}

static const cli_option store_opts[] = {{"expiry", 'e', CLI_ARG_U32, "S", "expiry"},
                                        {"flags", 'f', CLI_ARG_U32, "N", "flags"},
                                        {NULL, 0, CLI_ARG_NONE, NULL, NULL}};
static const cli_option cas_opts[] = {{"cas", 'c', CLI_ARG_U64, "CAS", "cas"},
                                      {NULL, 0, CLI_ARG_NONE, NULL, NULL}};
static const cli_command test_cmds[] = {
    {"set", "KEY VALUE", "store", 2, 2, CLI_K_STORE, 1, 0, run_nothing},
    {"rm", "KEY", "remove", 1, 1, CLI_K_REMOVE, 1, 0, run_nothing},
    {"get", "KEY", "get", 1, 1, 0, 1, 0, run_nothing},
    {NULL, NULL, NULL, 0, 0, 0, 0, 0, NULL}};

const cli_command *const cli_command_groups[] = {test_cmds, NULL};
const cli_optset cli_optsets[] = {{cli_global_options, CLI_K_GLOBAL},
                                  {store_opts, CLI_K_STORE},
                                  {cas_opts, CLI_K_STORE | CLI_K_REMOVE},
                                  {NULL, 0}};
const cli_mutation_hook cli_mutation_hooks[] = {NULL};

static cli_args args;
static const cli_command *cmd;
static char err[256];

/* Parse a NULL-terminated list of arguments. */
static int parse(const char *first, ...)
{
    char *argv[200];
    int argc = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a != NULL && argc < 200; a = va_arg(ap, const char *)) {
        argv[argc++] = (char *)a;
    }
    va_end(ap);
    err[0] = '\0';
    return cli_parse(argc, argv, &args, &cmd, err, sizeof(err));
}

#define END (const char *)NULL

static void long_short_attached_and_combined_forms(void **state)
{
    (void)state;
    assert_int_equal(parse("-U", "couchbase://h/b", "set", "k", "v", "--expiry=5", "-f7", "-vv",
                           "--json", "-vPsecret", END),
                     0);
    assert_non_null(cmd);
    assert_string_equal(cmd->name, "set");
    assert_int_equal(args.npos, 2);
    assert_string_equal(args.pos[0], "k");
    assert_string_equal(args.pos[1], "v");
    assert_int_equal(cli_arg_u64(&args, "expiry", 0), 5);
    assert_int_equal(cli_arg_u64(&args, "flags", 0), 7);
    assert_int_equal(cli_arg_count(&args, "verbose"), 3);
    assert_non_null(cli_arg(&args, "json"));
    assert_string_equal(cli_arg_str(&args, "connstr", NULL), "couchbase://h/b");
    assert_string_equal(cli_arg_str(&args, "password", NULL), "secret");
    assert_null(cli_arg(&args, "cas"));
    assert_int_equal(cli_arg_u64(&args, "cas", 99), 99);
    assert_string_equal(cli_arg_str(&args, "username", "dflt"), "dflt");
}

static void option_sets_apply_by_command_kind(void **state)
{
    (void)state;
    assert_int_equal(parse("rm", "k", "--cas", "0x10", END), 0);
    assert_int_equal(cli_arg_u64(&args, "cas", 0), 16);
    assert_int_equal(parse("rm", "k", "--expiry", "5", END), -1);
    assert_string_equal(err, "unknown option --expiry for command rm");
    assert_int_equal(parse("get", "k", "-c", "1", END), -1);
    assert_string_equal(err, "unknown option -c for command get");
    /* before the command only global options are known */
    assert_int_equal(parse("--expiry", "5", "set", "k", "v", END), -1);
    assert_string_equal(err, "unknown option --expiry");
    assert_null(cmd);
    assert_int_equal(parse("frob", END), -1);
    assert_non_null(strstr(err, "unknown command 'frob'"));
    /* the last value given wins */
    assert_int_equal(parse("set", "k", "v", "--cas", "1", "-c", "2", END), 0);
    assert_int_equal(cli_arg_u64(&args, "cas", 0), 2);
}

static void dashes_as_arguments(void **state)
{
    (void)state;
    assert_int_equal(parse("set", "--", "-k", "--expiry", END), 0);
    assert_int_equal(args.npos, 2);
    assert_string_equal(args.pos[0], "-k");
    assert_string_equal(args.pos[1], "--expiry");
    assert_int_equal(parse("set", "k", "-5", END), 0);
    assert_string_equal(args.pos[1], "-5");
    assert_int_equal(parse("set", "k", "-", END), 0);
    assert_string_equal(args.pos[1], "-");
    assert_int_equal(parse("set", "k", "-end", END), -1); /* -e nd: not a number */
    assert_non_null(strstr(err, "invalid value 'nd' for --expiry"));
}

static void values_are_checked(void **state)
{
    (void)state;
    assert_int_equal(parse("set", "k", "v", "-T", END), -1);
    assert_string_equal(err, "option -T needs a value (SECONDS)");
    assert_int_equal(parse("set", "k", "v", "--timeout", END), -1);
    assert_int_equal(parse("set", "k", "v", "--json=1", END), -1);
    assert_string_equal(err, "option --json takes no value");
    assert_int_equal(parse("-T", "0", "get", "k", END), -1);
    assert_int_equal(parse("-T", "2.5", "get", "k", END), 0);
    assert_true(cli_arg(&args, "timeout")->v.seconds == 2.5);

    cli_value v;
    assert_int_equal(cli_parse_number(CLI_ARG_U32, "4294967295", &v), 0);
    assert_int_equal(v.v.u64, UINT32_MAX);
    const char *bad_u32[] = {"4294967296", "-1", "+1", " 1", "1x", "", "0x10", "1.5"};
    for (size_t i = 0; i < sizeof(bad_u32) / sizeof(bad_u32[0]); i++) {
        assert_int_equal(cli_parse_number(CLI_ARG_U32, bad_u32[i], &v), -1);
    }
    assert_int_equal(cli_parse_number(CLI_ARG_U64, "18446744073709551615", &v), 0);
    assert_true(v.v.u64 == UINT64_MAX);
    assert_int_equal(cli_parse_number(CLI_ARG_U64, "0xFFFFFFFFFFFFFFFF", &v), 0);
    assert_true(v.v.u64 == UINT64_MAX);
    const char *bad_u64[] = {"18446744073709551616", "0x", "0x1g", "0x10000000000000000"};
    for (size_t i = 0; i < sizeof(bad_u64) / sizeof(bad_u64[0]); i++) {
        assert_int_equal(cli_parse_number(CLI_ARG_U64, bad_u64[i], &v), -1);
    }
    assert_int_equal(cli_parse_number(CLI_ARG_SECONDS, "1e3", &v), 0);
    const char *bad_s[] = {"0", "nan", "inf", "-1", "1s", "1e400"};
    for (size_t i = 0; i < sizeof(bad_s) / sizeof(bad_s[0]); i++) {
        assert_int_equal(cli_parse_number(CLI_ARG_SECONDS, bad_s[i], &v), -1);
    }
}

static void limits(void **state)
{
    (void)state;
    char *argv[CLI_MAX_ARGS + 3];
    int argc = 0;
    argv[argc++] = "set";
    for (int i = 0; i <= CLI_MAX_ARGS; i++) {
        argv[argc++] = "x";
    }
    assert_int_equal(cli_parse(argc, argv, &args, &cmd, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "too many arguments"));
    argc = 0;
    argv[argc++] = "get";
    for (int i = 0; i <= CLI_MAX_ARGS; i++) {
        argv[argc++] = "-v";
    }
    assert_int_equal(cli_parse(argc, argv, &args, &cmd, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "too many options"));
    /* an error message is truncated to the buffer, never overflows it */
    char small[8];
    char *bad[] = {"get", "--a-very-long-unknown-option-name"};
    assert_int_equal(cli_parse(2, bad, &args, &cmd, small, sizeof(small)), -1);
    assert_int_equal(strlen(small), sizeof(small) - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(long_short_attached_and_combined_forms),
        cmocka_unit_test(option_sets_apply_by_command_kind),
        cmocka_unit_test(dashes_as_arguments),
        cmocka_unit_test(values_are_checked),
        cmocka_unit_test(limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
