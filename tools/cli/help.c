/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* The `sofa` tool: help text, generated from the command and option tables. */
#include "cli.h"

#include <string.h>

static void print_option(FILE *f, const cli_option *o)
{
    char lhs[64];
    if (o->short_name != 0) {
        snprintf(lhs, sizeof(lhs), "-%c, --%s%s%s", o->short_name, o->name, o->metavar ? " " : "",
                 o->metavar ? o->metavar : "");
    } else {
        snprintf(lhs, sizeof(lhs), "    --%s%s%s", o->name, o->metavar ? " " : "",
                 o->metavar ? o->metavar : "");
    }
    fprintf(f, "  %-28s %s\n", lhs, o->help);
}

static void print_commands_of(FILE *f, const cli_optset *set)
{
    const char *sep = "";
    fprintf(f, " (");
    for (size_t g = 0; cli_command_groups[g] != NULL; g++) {
        for (const cli_command *c = cli_command_groups[g]; c->name != NULL; c++) {
            if (cli_optset_applies(set, c)) {
                fprintf(f, "%s%s", sep, c->name);
                sep = ", ";
            }
        }
    }
    fprintf(f, ")");
}

static void print_exit_codes(FILE *f)
{
    fprintf(f, "exit codes:\n"
               "  0  success\n"
               "  1  other failure\n"
               "  2  bad command line or input (also a bad connection string, a key too long)\n"
               "  3  not found: document (exists: absent), view, query keyspace\n"
               "  4  authentication failed, bucket not found or access denied\n"
               "  5  timeout\n"
               "  6  cannot reach the cluster (connection refused, bootstrap failed, ...)\n"
               "  7  conflict: document exists, CAS mismatch, locked, not locked\n");
}

void cli_usage(FILE *f)
{
    fprintf(f, "usage: sofa [-U CONNSTR] [-u USER] [-P PASS] [-v] [--json] COMMAND [ARGS...]\n\n"
               "commands:\n");
    for (size_t g = 0; cli_command_groups[g] != NULL; g++) {
        for (const cli_command *c = cli_command_groups[g]; c->name != NULL; c++) {
            char lhs[64];
            snprintf(lhs, sizeof(lhs), "%s %s", c->name, c->usage);
            fprintf(f, "  %-28s %s\n", lhs, c->summary);
        }
    }
    fprintf(f, "\nglobal options (before or after the command):\n");
    for (const cli_optset *s = cli_optsets; s->opts != NULL; s++) {
        if (s->kinds & CLI_K_GLOBAL) {
            for (const cli_option *o = s->opts; o->name != NULL; o++) {
                print_option(f, o);
            }
        }
    }
    fprintf(f, "\ncommand options:\n");
    for (const cli_optset *s = cli_optsets; s->opts != NULL; s++) {
        if (s->kinds & CLI_K_GLOBAL) {
            continue;
        }
        for (const cli_option *o = s->opts; o->name != NULL; o++) {
            print_option(f, o);
            fprintf(f, "  %-28s", "");
            print_commands_of(f, s);
            fprintf(f, "\n");
        }
    }
    fprintf(f, "\nA VALUE of - is read from stdin. Arguments after -- are never options.\n"
               "The connection string defaults to $SOFA_CONNSTR, else "
               "couchbase://127.0.0.1/default;\n"
               "user and password default to $SOFA_USERNAME and $SOFA_PASSWORD.\n"
               "Values are printed raw; errors go to stderr as 'sofa: CMD KEY: STATUS: message'.\n"
               "With --json every command prints one JSON object (status, key, cas as a decimal\n"
               "string, flags, value or value_base64) on stdout.\n\n");
    print_exit_codes(f);
}

void cli_command_usage(FILE *f, const cli_command *cmd)
{
    fprintf(f, "usage: sofa [global options] %s %s\n  %s\n", cmd->name, cmd->usage, cmd->summary);
    int any = 0;
    for (const cli_optset *s = cli_optsets; s->opts != NULL; s++) {
        if ((s->kinds & CLI_K_GLOBAL) || !cli_optset_applies(s, cmd)) {
            continue;
        }
        if (!any) {
            fprintf(f, "options:\n");
            any = 1;
        }
        for (const cli_option *o = s->opts; o->name != NULL; o++) {
            print_option(f, o);
        }
    }
    fprintf(f, "(see sofa --help for global options and exit codes)\n");
}

static int run_help(cli_ctx *ctx)
{
    if (ctx->args->npos == 0) {
        cli_usage(ctx->out);
        return CLI_EXIT_OK;
    }
    const cli_command *c = cli_find_command(ctx->args->pos[0]);
    if (c == NULL) {
        fprintf(ctx->err, "sofa: help: unknown command '%s'\n", ctx->args->pos[0]);
        return CLI_EXIT_USAGE;
    }
    cli_command_usage(ctx->out, c);
    return CLI_EXIT_OK;
}

static int run_version(cli_ctx *ctx)
{
    if (ctx->json) {
        json_t *o = cli_json_status(SOFA_OK, NULL, 0);
        if (o != NULL) {
            json_object_set_new(o, "cli", json_string(SOFA_VERSION_STRING));
            json_object_set_new(o, "library", json_string(sofa_version()));
        }
        cli_json_print(ctx, o);
    } else {
        fprintf(ctx->out, "sofa %s (libsofa %s)\n", SOFA_VERSION_STRING, sofa_version());
    }
    return CLI_EXIT_OK;
}

const cli_command cli_help_commands[] = {
    {"help", "[COMMAND]", "show this help, or one command's options", 0, 1, 0, 0, 0, run_help},
    {"version", "", "print the tool's and the library's version", 0, 0, 0, 0, 0, run_version},
    {NULL, NULL, NULL, 0, 0, 0, 0, 0, NULL}};
