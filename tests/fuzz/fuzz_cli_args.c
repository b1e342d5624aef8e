/* libFuzzer target: the `sofa` tool's command-line parser (tools/cli/opts.c) and its
 * number parsing, over argv vectors made by splitting the input at NUL bytes. The tool's
 * own sources are compiled in; the registries are this file's (the KV, admin and help
 * groups with the option sets of tools/cli/commands.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/cli/cmd_admin.c"
#include "../../tools/cli/cmd_kv.c"
#include "../../tools/cli/help.c"
#include "../../tools/cli/opts.c"
#include "../../tools/cli/output.c"

const cli_command *const cli_command_groups[] = {cli_kv_commands, cli_admin_commands,
                                                 cli_help_commands, NULL};
const cli_optset cli_optsets[] = {
    {cli_global_options, CLI_K_GLOBAL},
    {cli_kv_expiry_options, CLI_K_STORE | CLI_K_COUNTER},
    {cli_kv_store_options, CLI_K_STORE},
    {cli_kv_cas_options, CLI_K_STORE | CLI_K_REMOVE},
    {cli_kv_counter_options, CLI_K_COUNTER},
    {cli_kv_durability_options, CLI_K_MUTATION},
    {NULL, 0},
};
const cli_mutation_hook cli_mutation_hooks[] = {NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) {
        return 0;
    }
    char *buf = malloc(size + 1);
    if (buf == NULL) {
        return 0;
    }
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *argv[CLI_MAX_ARGS * 2 + 2];
    int argc = 0;
    for (size_t i = 0; i <= size && argc < (int)(sizeof(argv) / sizeof(argv[0]));) {
        argv[argc++] = buf + i;
        i += strlen(buf + i) + 1;
    }
    static cli_args args;
    const cli_command *cmd = NULL;
    char err[256];
    if (cli_parse(argc, argv, &args, &cmd, err, sizeof(err)) == 0) {
        /* every value refers to an option of a set that applies, and positionals are argv's */
        for (size_t i = 0; i < args.nvals; i++) {
            if (args.vals[i].opt == NULL || args.vals[i].opt->name == NULL) {
                abort();
            }
            (void)cli_arg(&args, args.vals[i].opt->name);
        }
        if (args.npos > CLI_MAX_ARGS) {
            abort();
        }
        (void)cli_arg_u64(&args, "expiry", 0);
        (void)cli_arg_count(&args, "verbose");
    } else if (strlen(err) == 0) {
        abort(); /* an error always says why */
    }
    cli_value v;
    (void)cli_parse_number(CLI_ARG_U64, buf, &v);
    (void)cli_parse_number(CLI_ARG_SECONDS, buf, &v);
    free(buf);
    return 0;
}
