/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* `sofa`: a command-line client for Couchbase Server and memcached (see docs/cli.md).
 * Parses the command line (opts.c), connects with the public API, runs one command. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

typedef struct connect_res {
    int calls;
    int status;
} connect_res;

static void on_connect(sofa_client *client, sofa_status status, void *cookie)
{
    connect_res *r = cookie;
    r->calls++;
    r->status = status;
}

static const char *setting(const cli_args *a, const char *name, const char *env, const char *def)
{
    const char *v = cli_arg_str(a, name, NULL);
    if (v == NULL && env != NULL) {
        v = getenv(env);
    }
    return v != NULL ? v : def;
}

static void print_report(cli_ctx *ctx)
{
    const char *report = sofa_client_bootstrap_report(ctx->client);
    while (*report != '\0') {
        size_t n = strcspn(report, "\n");
        if (n > 0) {
            fprintf(ctx->err, "sofa:   %.*s\n", (int)n, report);
        }
        report += n;
        report += *report == '\n';
    }
}

static int open_client(cli_ctx *ctx)
{
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = setting(ctx->args, "connstr", "SOFA_CONNSTR", CLI_DEFAULT_CONNSTR);
    o.username = setting(ctx->args, "username", "SOFA_USERNAME", NULL);
    o.password = setting(ctx->args, "password", "SOFA_PASSWORD", NULL);
    if (ctx->verbose >= 2) {
        static const int levels[] = {SOFA_LOG_INFO, SOFA_LOG_DEBUG, SOFA_LOG_TRACE};
        int i = ctx->verbose - 2 > 2 ? 2 : ctx->verbose - 2;
        o.logger = sofa_log_console;
        o.log_level = levels[i];
    }
    char errbuf[256] = "";
    int rc = sofa_client_new(&ctx->client, &o, errbuf, sizeof(errbuf));
    if (rc != SOFA_OK) {
        fprintf(ctx->err, "sofa: cannot use connection string '%s': %s\n", o.connstr, errbuf);
        return cli_fail(ctx, NULL, 0, rc);
    }
    connect_res cr = {0, 0};
    rc = sofa_client_connect(ctx->client, on_connect, &cr);
    if (rc == SOFA_OK) {
        rc = sofa_client_wait(ctx->client);
    }
    if (rc == SOFA_OK) {
        rc = cr.calls == 1 ? cr.status : SOFA_E_INTERNAL;
    }
    if (rc != SOFA_OK) {
        fprintf(ctx->err, "sofa: cannot connect to '%s'\n", o.connstr);
        print_report(ctx);
        return cli_fail(ctx, NULL, 0, rc);
    }
    return CLI_EXIT_OK;
}

static int finish_output(int code)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "sofa: error writing to stdout\n");
        return code == CLI_EXIT_OK ? CLI_EXIT_FAILURE : code;
    }
    return code;
}

int main(int argc, char **argv)
{
    cli_args args;
    const cli_command *cmd = NULL;
    char err[512];
    if (cli_parse(argc - 1, argv + 1, &args, &cmd, err, sizeof(err)) != 0) {
        fprintf(stderr, "sofa: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    if (cli_arg(&args, "help") != NULL) {
        cmd != NULL ? cli_command_usage(stdout, cmd) : cli_usage(stdout);
        return finish_output(CLI_EXIT_OK);
    }
    if (cmd == NULL) {
        fprintf(stderr, "sofa: no command given\n");
        cli_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (args.npos < cmd->min_pos || args.npos > cmd->max_pos) {
        fprintf(stderr, "sofa: %s: wrong number of arguments\n", cmd->name);
        cli_command_usage(stderr, cmd);
        return CLI_EXIT_USAGE;
    }
    cli_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.cmd = cmd;
    ctx.args = &args;
    ctx.json = cli_arg(&args, "json") != NULL;
    ctx.verbose = (int)cli_arg_count(&args, "verbose");
    ctx.out = stdout;
    ctx.err = stderr;
    const cli_value *t = cli_arg(&args, "timeout");
    if (t != NULL) {
        double us = t->v.seconds * 1e6;
        ctx.kvopts.timeout_us = us < 1 ? 1 : (uint64_t)us;
    }
    int code = CLI_EXIT_OK;
    for (size_t i = 0; code == CLI_EXIT_OK && cli_check_hooks[i] != NULL; i++) {
        code = cli_check_hooks[i](&ctx);
    }
    if (code == CLI_EXIT_OK && cmd->needs_client) {
        code = open_client(&ctx);
    }
    if (code == CLI_EXIT_OK) {
        code = cmd->run(&ctx);
    }
    sofa_client_free(ctx.client);
    return finish_output(code);
}
