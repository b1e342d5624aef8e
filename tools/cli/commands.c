/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* The `sofa` tool: the registries of command groups, option sets and mutation hooks.
 * To extend the tool, add a line here (see cli.h). */
#include "cli.h"

/* one group per line */
/* clang-format off */
const cli_command *const cli_command_groups[] = {
    cli_kv_commands,
    cli_admin_commands,
    cli_durability_commands,
    cli_query_commands,
    cli_help_commands,
    NULL,
};
/* clang-format on */

const cli_optset cli_optsets[] = {
    {cli_global_options, CLI_K_GLOBAL},
    {cli_kv_expiry_options, CLI_K_STORE | CLI_K_COUNTER},
    {cli_kv_store_options, CLI_K_STORE},
    {cli_kv_cas_options, CLI_K_STORE | CLI_K_REMOVE | CLI_K_ENDURE},
    {cli_kv_counter_options, CLI_K_COUNTER},
    {cli_kv_durability_options, CLI_K_MUTATION},
    {cli_durability_options, CLI_K_MUTATION | CLI_K_ENDURE},
    {cli_endure_options, CLI_K_ENDURE},
    {cli_query_options, CLI_K_QUERY},
    {cli_view_options, CLI_K_VIEW},
    {NULL, 0},
};

/* Called before every command, in order: option values the parser cannot check. */
const cli_check_hook cli_check_hooks[] = {
    cli_durability_check,
    NULL,
};

/* Called after every successful mutation, in order (e.g. client-side durability). */
const cli_mutation_hook cli_mutation_hooks[] = {
    cli_durability_hook,
    NULL,
};
