/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* The `sofa` tool: cluster commands (stats, ping). Output is written from inside the
 * callback, where the borrowed entries are valid. */
#include "cli.h"

#include <inttypes.h>
#include <string.h>

typedef struct admin_res {
    cli_ctx *ctx;
    int calls;
    int status;
    json_t *json; /* the --json output being built */
} admin_res;

static int admin_finish(cli_ctx *ctx, int submit_rc, const admin_res *res)
{
    if (submit_rc != 0) {
        return submit_rc;
    }
    int rc = sofa_client_wait(ctx->client);
    if (rc != 0) {
        return rc;
    }
    return res->calls == 1 ? res->status : SOFA_E_INTERNAL;
}

static void on_stats(sofa_client *client, sofa_status status, const sofa_stat_entry *entries,
                     size_t nentries, void *cookie)
{
    admin_res *res = cookie;
    cli_ctx *ctx = res->ctx;
    res->calls++;
    res->status = status;
    json_t *servers = ctx->json ? json_object() : NULL;
    for (size_t i = 0; i < nentries; i++) {
        const sofa_stat_entry *e = &entries[i];
        if (!ctx->json) {
            fprintf(ctx->out, "%s\t%s\t%s\n", e->server, e->key, e->value);
            continue;
        }
        if (servers == NULL) {
            break;
        }
        json_t *s = json_object_get(servers, e->server);
        if (s == NULL) {
            s = json_object();
            json_object_set_new(servers, e->server, s);
        }
        if (s != NULL) {
            json_object_set_new(s, e->key, json_string(e->value));
        }
    }
    if (ctx->json) {
        res->json = cli_json_status(status, NULL, 0);
        if (res->json != NULL) {
            json_object_set_new(res->json, "stats", servers);
        } else {
            json_decref(servers);
        }
    }
}

static int run_stats(cli_ctx *ctx)
{
    const char *group = ctx->args->npos > 0 ? ctx->args->pos[0] : NULL;
    admin_res res = {ctx, 0, 0, NULL};
    int rc = sofa_kv_stats(ctx->client, group, &ctx->kvopts, on_stats, &res);
    rc = admin_finish(ctx, rc, &res);
    if (res.json != NULL) {
        cli_json_print(ctx, res.json);
    }
    if (rc != SOFA_OK) {
        /* the JSON (with per-server results) is already out: report on stderr only */
        int json = ctx->json;
        ctx->json = json && res.json == NULL;
        int x = cli_fail(ctx, group, group ? strlen(group) : 0, rc);
        ctx->json = json;
        return x;
    }
    return CLI_EXIT_OK;
}

static void on_ping(sofa_client *client, sofa_status status, const sofa_ping_entry *entries,
                    size_t nentries, void *cookie)
{
    admin_res *res = cookie;
    cli_ctx *ctx = res->ctx;
    res->calls++;
    res->status = status;
    json_t *nodes = ctx->json ? json_array() : NULL;
    for (size_t i = 0; i < nentries; i++) {
        const sofa_ping_entry *e = &entries[i];
        if (!ctx->json) {
            fprintf(ctx->out, "%s\t%s\t%" PRIu64 "us\n", e->server, sofa_status_name(e->status),
                    e->latency_us);
            continue;
        }
        json_t *n = json_object();
        if (n != NULL) {
            json_object_set_new(n, "server", json_string(e->server));
            json_object_set_new(n, "status", json_string(sofa_status_name(e->status)));
            json_object_set_new(n, "latency_us", json_integer((json_int_t)e->latency_us));
            json_array_append_new(nodes, n);
        }
    }
    if (ctx->json) {
        res->json = cli_json_status(status, NULL, 0);
        if (res->json != NULL) {
            json_object_set_new(res->json, "nodes", nodes);
        } else {
            json_decref(nodes);
        }
    }
}

static int run_ping(cli_ctx *ctx)
{
    admin_res res = {ctx, 0, 0, NULL};
    int rc = sofa_kv_ping(ctx->client, &ctx->kvopts, on_ping, &res);
    rc = admin_finish(ctx, rc, &res);
    if (res.json != NULL) {
        cli_json_print(ctx, res.json);
    }
    if (rc != SOFA_OK) {
        int json = ctx->json;
        ctx->json = json && res.json == NULL;
        int x = cli_fail(ctx, NULL, 0, rc);
        ctx->json = json;
        return x;
    }
    return CLI_EXIT_OK;
}

const cli_command cli_admin_commands[] = {
    {"stats", "[GROUP]", "print statistics of every node (server, key, value per line)", 0, 1,
     CLI_K_STATS, 1, 0, run_stats},
    {"ping", "", "send a NOOP to every node and print the round trip", 0, 0, 0, 1, 0, run_ping},
    {NULL, NULL, NULL, 0, 0, 0, 0, 0, NULL}};
