/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* The `sofa` tool: client-side durability. `--persist-to N` / `--replicate-to N` on every
 * mutation command (a mutation hook endures the write's CAS and token), and
 * `sofa endure KEY...` for documents written earlier (OBSERVE, any version unless --cas). */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

const cli_option cli_durability_options[] = {
    {"persist-to", 0, CLI_ARG_STRING, "N|all",
     "client-side durability: wait until N nodes (master included) have it on disk"},
    {"replicate-to", 0, CLI_ARG_STRING, "N|all",
     "client-side durability: wait until N replicas have it in memory"},
    {NULL, 0, CLI_ARG_NONE, NULL, NULL}};

const cli_option cli_endure_options[] = {
    {"check-removed", 0, CLI_ARG_NONE, NULL, "wait until the keys are removed instead"},
    {"durability-timeout", 0, CLI_ARG_SECONDS, "SECONDS",
     "give up after this long (default: the connection string's durability_timeout, 5 s)"},
    {"interval", 0, CLI_ARG_SECONDS, "SECONDS",
     "poll this often (default: durability_interval, 0.1 s)"},
    {NULL, 0, CLI_ARG_NONE, NULL, NULL}};

/* "all" (or -1), or a count 0..99 (the library says when it is too many). 0 / -1. */
static int parse_count(const char *text, int *out)
{
    if (strcmp(text, "all") == 0 || strcmp(text, "-1") == 0) {
        *out = -1;
        return 0;
    }
    size_t n = strlen(text);
    if (n == 0 || n > 2 || strspn(text, "0123456789") != n) {
        return -1;
    }
    *out = atoi(text);
    return 0;
}

/* The criteria from the command line; CLI_EXIT_OK or CLI_EXIT_USAGE (message printed). */
static int read_criteria(cli_ctx *ctx, sofa_endure_opts *o, int *given)
{
    static const char *const names[] = {"persist-to", "replicate-to"};
    int *fields[] = {&o->persist_to, &o->replicate_to};
    *given = 0;
    for (size_t i = 0; i < 2; i++) {
        const char *t = cli_arg_str(ctx->args, names[i], NULL);
        if (t == NULL) {
            continue;
        }
        if (parse_count(t, fields[i]) != 0) {
            fprintf(ctx->err, "sofa: %s: --%s: '%s' is not a count or all\n", ctx->cmd->name,
                    names[i], t);
            return CLI_EXIT_USAGE;
        }
        *given = 1;
    }
    const cli_value *v = cli_arg(ctx->args, "durability-timeout");
    if (v != NULL) {
        o->timeout_us = (uint64_t)(v->v.seconds * 1e6) + 1;
    }
    v = cli_arg(ctx->args, "interval");
    if (v != NULL) {
        o->interval_us = (uint64_t)(v->v.seconds * 1e6) + 1;
    }
    return CLI_EXIT_OK;
}

typedef struct endure_res {
    int calls;
    int status;
    size_t n;
    sofa_endure_item *items; /* copies; their key pointers are not valid afterwards */
} endure_res;

static void on_endure(sofa_client *client, sofa_status status, const sofa_endure_item *items,
                      size_t n, void *cookie)
{
    endure_res *r = cookie;
    (void)client;
    r->calls++;
    r->status = status;
    if (n > 0) {
        r->items = calloc(n, sizeof(*items));
        if (r->items != NULL) {
            memcpy(r->items, items, n * sizeof(*items));
            r->n = n;
        }
    }
}

/* Endure @p keys; prints nothing. Returns the status (submit error or the callback's). */
static int endure_keys(cli_ctx *ctx, const sofa_endure_key *keys, size_t n,
                       const sofa_endure_opts *o, endure_res *r)
{
    memset(r, 0, sizeof(*r));
    int rc = sofa_endure(ctx->client, keys, n, o, on_endure, r);
    if (rc != 0) {
        return rc;
    }
    rc = sofa_client_wait(ctx->client);
    if (rc != 0) {
        return rc;
    }
    return r->calls == 1 ? r->status : SOFA_E_INTERNAL;
}

/* Check hook: a bad count is a usage error before anything is written. */
int cli_durability_check(cli_ctx *ctx)
{
    sofa_endure_opts o;
    memset(&o, 0, sizeof(o));
    int given = 0;
    return read_criteria(ctx, &o, &given);
}

/* Mutation hook: endure the write when --persist-to / --replicate-to were given. */
int cli_durability_hook(cli_ctx *ctx, const cli_mutation_info *m)
{
    sofa_endure_opts o;
    memset(&o, 0, sizeof(o));
    int given = 0;
    if (read_criteria(ctx, &o, &given) != CLI_EXIT_OK) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    if (!given) {
        return SOFA_OK;
    }
    o.check_removed = (ctx->cmd->kinds & CLI_K_REMOVE) != 0;
    sofa_endure_key k;
    memset(&k, 0, sizeof(k));
    k.key = m->key;
    k.nkey = m->nkey;
    k.cas = m->cas;
    k.token = m->token;
    endure_res r;
    int rc = endure_keys(ctx, &k, 1, &o, &r);
    if (ctx->verbose > 0 && r.n == 1) {
        fprintf(ctx->err, "durability: %s persisted=%u replicated=%u\n", sofa_status_name(r.status),
                r.items[0].npersisted, r.items[0].nreplicated);
    }
    free(r.items);
    return rc;
}

static void print_item(cli_ctx *ctx, const sofa_endure_item *it)
{
    if (ctx->json) {
        json_t *o = cli_json_status(it->status, it->key, it->nkey);
        if (o != NULL) {
            json_object_set_new(o, "persisted", json_integer(it->npersisted));
            json_object_set_new(o, "replicated", json_integer(it->nreplicated));
            json_object_set_new(o, "persisted_master", json_boolean(it->persisted_master));
            if (it->cas != 0) {
                cli_json_set_u64str(o, "cas", it->cas);
            }
        }
        cli_json_print(ctx, o);
        return;
    }
    fprintf(ctx->out, "%.*s %s persisted=%u replicated=%u\n", (int)it->nkey, (const char *)it->key,
            sofa_status_name(it->status), it->npersisted, it->nreplicated);
}

static int run_endure(cli_ctx *ctx)
{
    sofa_endure_opts o;
    memset(&o, 0, sizeof(o));
    int given = 0;
    int x = read_criteria(ctx, &o, &given);
    if (x != CLI_EXIT_OK) {
        return x;
    }
    o.check_removed = cli_arg(ctx->args, "check-removed") != NULL;
    size_t n = ctx->args->npos;
    sofa_endure_key keys[CLI_MAX_ARGS];
    uint64_t cas = cli_arg_u64(ctx->args, "cas", 0);
    for (size_t i = 0; i < n; i++) {
        memset(&keys[i], 0, sizeof(keys[i]));
        keys[i].key = ctx->args->pos[i];
        keys[i].nkey = strlen(ctx->args->pos[i]);
        keys[i].cas = cas;
    }
    endure_res r;
    int rc = endure_keys(ctx, keys, n, &o, &r);
    if (r.calls == 0) { /* refused at submit */
        return cli_fail(ctx, n == 1 ? keys[0].key : NULL, n == 1 ? keys[0].nkey : 0, rc);
    }
    for (size_t i = 0; i < r.n && i < n; i++) {
        r.items[i].key = keys[i].key; /* the callback's key pointers were borrowed */
        print_item(ctx, &r.items[i]);
    }
    free(r.items);
    if (rc != SOFA_OK) {
        fprintf(ctx->err, "sofa: endure: %s: %s\n", sofa_status_name(rc), sofa_strerror(rc));
    }
    return rc == SOFA_OK ? CLI_EXIT_OK : cli_exit_code(rc);
}

const cli_command cli_durability_commands[] = {
    {"endure", "KEY...",
     "wait until documents are persisted / replicated (--persist-to, --replicate-to)", 1,
     CLI_MAX_ARGS, CLI_K_ENDURE, 1, 0, run_endure},
    {NULL, NULL, NULL, 0, 0, 0, 0, 0, NULL}};
