/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* The `sofa` tool: key-value commands (get, lock, exists, set/add/replace/append/prepend,
 * rm, incr/decr, touch, unlock). Each schedules one operation and waits for it. */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ options */

const cli_option cli_kv_expiry_options[] = {
    {"expiry", 'e', CLI_ARG_U32, "SECONDS",
     "expiry: seconds (<= 30 days) or a Unix time; 0 = never (default)"},
    {NULL, 0, CLI_ARG_NONE, NULL, NULL}};

const cli_option cli_kv_store_options[] = {
    {"flags", 'f', CLI_ARG_U32, "N", "user flags stored with the document (default 0)"},
    {"json-doc", 0, CLI_ARG_NONE, NULL, "mark the value as JSON (datatype JSON)"},
    {NULL, 0, CLI_ARG_NONE, NULL, NULL}};

const cli_option cli_kv_cas_options[] = {
    {"cas", 'c', CLI_ARG_U64, "CAS", "only if the document's CAS is this (decimal or 0x hex)"},
    {NULL, 0, CLI_ARG_NONE, NULL, NULL}};

const cli_option cli_kv_counter_options[] = {
    {"delta", 'd', CLI_ARG_U64, "N", "amount to add or subtract (default 1)"},
    {"initial", 'i', CLI_ARG_U64, "N", "create a missing counter with this value"},
    {NULL, 0, CLI_ARG_NONE, NULL, NULL}};

const cli_option cli_kv_durability_options[] = {
    {"durability", 0, CLI_ARG_STRING, "LEVEL",
     "server-side durability: none, majority, majority_and_persist_to_active, "
     "persist_to_majority"},
    {NULL, 0, CLI_ARG_NONE, NULL, NULL}};

/* ------------------------------------------------------------------ results */

typedef struct kv_res {
    int calls;
    int status;
    uint64_t cas;
    uint32_t flags;
    uint8_t datatype;
    char *value;
    size_t nvalue;
    uint64_t counter;
    int exists;
    sofa_mutation_token token;
} kv_res;

static void on_get(sofa_client *client, sofa_status status, const sofa_get_result *r, void *cookie)
{
    kv_res *res = cookie;
    res->calls++;
    res->status = status;
    if (status != SOFA_OK || r == NULL) {
        return;
    }
    res->cas = r->cas;
    res->flags = r->flags;
    res->datatype = r->datatype;
    if (r->nvalue > 0) {
        res->value = malloc(r->nvalue);
        if (res->value == NULL) {
            res->status = SOFA_E_NO_MEMORY;
            return;
        }
        memcpy(res->value, r->value, r->nvalue);
        res->nvalue = r->nvalue;
    }
}

static void on_mutation(sofa_client *client, sofa_status status, const sofa_mutation_result *r,
                        void *cookie)
{
    kv_res *res = cookie;
    res->calls++;
    res->status = status;
    if (status == SOFA_OK && r != NULL) {
        res->cas = r->cas;
        res->token = r->token;
        res->counter = r->counter;
    }
}

static void on_exists(sofa_client *client, sofa_status status, const sofa_exists_result *r,
                      void *cookie)
{
    kv_res *res = cookie;
    res->calls++;
    res->status = status;
    if (status == SOFA_OK && r != NULL) {
        res->exists = r->exists;
        res->cas = r->cas;
        res->flags = r->flags;
    }
}

/* The status of a scheduled operation once the loop has answered it. */
static int kv_finish(cli_ctx *ctx, int submit_rc, const kv_res *res)
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

static int usage_error(cli_ctx *ctx, const char *fmt, const char *arg)
{
    fprintf(ctx->err, "sofa: %s: ", ctx->cmd->name);
    fprintf(ctx->err, fmt, arg);
    fprintf(ctx->err, "\n");
    return CLI_EXIT_USAGE;
}

static int positional_number(cli_ctx *ctx, size_t i, cli_argtype type, const char *what,
                             uint64_t *out)
{
    cli_value v;
    if (cli_parse_number(type, ctx->args->pos[i], &v) != 0) {
        return usage_error(ctx, what, ctx->args->pos[i]);
    }
    *out = v.v.u64;
    return CLI_EXIT_OK;
}

/* ------------------------------------------------------------------ output */

static void verbose_line(cli_ctx *ctx, const kv_res *res, const char *what)
{
    if (ctx->verbose > 0) {
        fprintf(ctx->err, "%s CAS=%" PRIu64 " flags=%" PRIu32 " datatype=0x%02x size=%zu\n", what,
                res->cas, res->flags, res->datatype, res->nvalue);
    }
}

static int print_get(cli_ctx *ctx, const char *key, const kv_res *res, int lock)
{
    if (ctx->json) {
        json_t *o = cli_json_status(SOFA_OK, key, strlen(key));
        if (o != NULL) {
            cli_json_set_u64str(o, "cas", res->cas);
            json_object_set_new(o, "flags", json_integer(res->flags));
            json_object_set_new(o, "datatype", json_integer(res->datatype));
            cli_json_set_bytes(o, "value", res->value, res->nvalue);
        }
        cli_json_print(ctx, o);
    } else if (lock) {
        fprintf(ctx->out, "%" PRIu64 "\n", res->cas);
    } else if (res->nvalue > 0 && fwrite(res->value, 1, res->nvalue, ctx->out) != res->nvalue) {
        fprintf(ctx->err, "sofa: %s: cannot write the value to stdout\n", ctx->cmd->name);
        return CLI_EXIT_FAILURE;
    }
    verbose_line(ctx, res, lock ? "locked" : "found");
    return CLI_EXIT_OK;
}

static int run_hooks(cli_ctx *ctx, const char *key, const kv_res *res)
{
    cli_mutation_info m = {key, strlen(key), res->cas, res->token};
    for (size_t i = 0; cli_mutation_hooks[i] != NULL; i++) {
        int rc = cli_mutation_hooks[i](ctx, &m);
        if (rc != SOFA_OK) {
            return rc;
        }
    }
    return SOFA_OK;
}

static int print_mutation(cli_ctx *ctx, const char *key, const kv_res *res, int counter)
{
    int rc = run_hooks(ctx, key, res);
    if (rc != SOFA_OK) {
        return cli_fail(ctx, key, strlen(key), rc);
    }
    if (ctx->json) {
        json_t *o = cli_json_status(SOFA_OK, key, strlen(key));
        if (o != NULL) {
            cli_json_set_u64str(o, "cas", res->cas);
            if (counter) {
                cli_json_set_u64str(o, "value", res->counter);
            }
            if (res->token.vbuuid != 0) {
                json_t *t = json_object();
                json_object_set_new(t, "vbid", json_integer(res->token.vbid));
                cli_json_set_u64str(t, "vbuuid", res->token.vbuuid);
                cli_json_set_u64str(t, "seqno", res->token.seqno);
                json_object_set_new(o, "token", t);
            }
        }
        cli_json_print(ctx, o);
    } else if (counter) {
        fprintf(ctx->out, "%" PRIu64 "\n", res->counter);
    }
    if (ctx->verbose > 0) {
        fprintf(ctx->err, "%s %s CAS=%" PRIu64 "\n", ctx->cmd->name, key, res->cas);
    }
    return CLI_EXIT_OK;
}

/* ------------------------------------------------------------------ reads */

static int run_get(cli_ctx *ctx)
{
    const char *key = ctx->args->pos[0];
    kv_res res = {0};
    uint64_t secs = 0;
    int lock = ctx->cmd->param;
    if (lock) {
        int x = positional_number(ctx, 1, CLI_ARG_U32, "invalid lock time '%s' (seconds)", &secs);
        if (x != CLI_EXIT_OK) {
            return x;
        }
    }
    int rc = lock ? sofa_kv_get_and_lock(ctx->client, key, strlen(key), (uint32_t)secs,
                                         &ctx->kvopts, on_get, &res)
                  : sofa_kv_get(ctx->client, key, strlen(key), &ctx->kvopts, on_get, &res);
    rc = kv_finish(ctx, rc, &res);
    int x = rc == SOFA_OK ? print_get(ctx, key, &res, lock) : cli_fail(ctx, key, strlen(key), rc);
    free(res.value);
    return x;
}

static int run_exists(cli_ctx *ctx)
{
    const char *key = ctx->args->pos[0];
    kv_res res = {0};
    int rc = sofa_kv_exists(ctx->client, key, strlen(key), &ctx->kvopts, on_exists, &res);
    rc = kv_finish(ctx, rc, &res);
    if (rc != SOFA_OK) {
        return cli_fail(ctx, key, strlen(key), rc);
    }
    if (ctx->json) {
        json_t *o = cli_json_status(SOFA_OK, key, strlen(key));
        if (o != NULL) {
            json_object_set_new(o, "exists", json_boolean(res.exists));
            if (res.exists) {
                cli_json_set_u64str(o, "cas", res.cas);
            }
        }
        cli_json_print(ctx, o);
    } else {
        fprintf(ctx->out, "%s\n", res.exists ? "true" : "false");
    }
    return res.exists ? CLI_EXIT_OK : CLI_EXIT_NOT_FOUND;
}

/* --------------------------------------------------------------- mutations */

static int durability_opt(cli_ctx *ctx, sofa_kv_opts *o)
{
    static const char *const names[] = {"none", "majority", "majority_and_persist_to_active",
                                        "persist_to_majority"};
    const char *level = cli_arg_str(ctx->args, "durability", NULL);
    if (level == NULL) {
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(level, names[i]) == 0) {
            o->durability_level = (uint8_t)i;
            return CLI_EXIT_OK;
        }
    }
    return usage_error(ctx, "unknown durability level '%s'", level);
}

/* Read all of stdin, up to the largest value sofa sends. */
static int read_stdin(cli_ctx *ctx, char **out, size_t *outlen)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (buf == NULL) {
        return SOFA_E_NO_MEMORY;
    }
    for (;;) {
        if (len == cap) {
            if (cap > SOFA_KV_MAX_VALUE) {
                free(buf);
                return SOFA_E_VALUE_TOO_LARGE;
            }
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                return SOFA_E_NO_MEMORY;
            }
            buf = nb;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len, stdin);
        len += n;
        if (n == 0) {
            break;
        }
    }
    if (ferror(stdin)) {
        free(buf);
        fprintf(ctx->err, "sofa: %s: error reading the value from stdin\n", ctx->cmd->name);
        return SOFA_E_INVALID_ARGUMENT;
    }
    if (len > SOFA_KV_MAX_VALUE) {
        free(buf);
        return SOFA_E_VALUE_TOO_LARGE;
    }
    *out = buf;
    *outlen = len;
    return SOFA_OK;
}

static int run_store(cli_ctx *ctx)
{
    const char *key = ctx->args->pos[0];
    const char *value = ctx->args->pos[1];
    sofa_kv_opts o = ctx->kvopts;
    o.expiry = (uint32_t)cli_arg_u64(ctx->args, "expiry", 0);
    o.flags = (uint32_t)cli_arg_u64(ctx->args, "flags", 0);
    o.cas = cli_arg_u64(ctx->args, "cas", 0);
    o.datatype = cli_arg(ctx->args, "json-doc") != NULL ? SOFA_DATATYPE_JSON : 0;
    int x = durability_opt(ctx, &o);
    if (x != CLI_EXIT_OK) {
        return x;
    }
    char *buf = NULL;
    size_t nvalue = strlen(value);
    if (strcmp(value, "-") == 0) {
        int rc = read_stdin(ctx, &buf, &nvalue);
        if (rc != SOFA_OK) {
            return cli_fail(ctx, key, strlen(key), rc);
        }
        value = buf;
    }
    kv_res res = {0};
    int rc = sofa_kv_store(ctx->client, (sofa_store_op)ctx->cmd->param, key, strlen(key), value,
                           nvalue, &o, on_mutation, &res);
    rc = kv_finish(ctx, rc, &res);
    free(buf);
    return rc == SOFA_OK ? print_mutation(ctx, key, &res, 0) : cli_fail(ctx, key, strlen(key), rc);
}

static int run_remove(cli_ctx *ctx)
{
    const char *key = ctx->args->pos[0];
    sofa_kv_opts o = ctx->kvopts;
    o.cas = cli_arg_u64(ctx->args, "cas", 0);
    int x = durability_opt(ctx, &o);
    if (x != CLI_EXIT_OK) {
        return x;
    }
    kv_res res = {0};
    int rc = sofa_kv_remove(ctx->client, key, strlen(key), &o, on_mutation, &res);
    rc = kv_finish(ctx, rc, &res);
    return rc == SOFA_OK ? print_mutation(ctx, key, &res, 0) : cli_fail(ctx, key, strlen(key), rc);
}

static int run_counter(cli_ctx *ctx)
{
    const char *key = ctx->args->pos[0];
    sofa_kv_opts o = ctx->kvopts;
    o.expiry = (uint32_t)cli_arg_u64(ctx->args, "expiry", 0);
    int x = durability_opt(ctx, &o);
    if (x != CLI_EXIT_OK) {
        return x;
    }
    uint64_t delta = cli_arg_u64(ctx->args, "delta", 1);
    if (delta > (uint64_t)INT64_MAX) {
        return usage_error(ctx, "--delta %s is too large (at most 2^63-1)",
                           cli_arg_str(ctx->args, "delta", ""));
    }
    const cli_value *initial = cli_arg(ctx->args, "initial");
    int64_t d = ctx->cmd->param < 0 ? -(int64_t)delta : (int64_t)delta;
    kv_res res = {0};
    int rc = sofa_kv_counter(ctx->client, key, strlen(key), d, initial ? initial->v.u64 : 0,
                             initial != NULL, &o, on_mutation, &res);
    rc = kv_finish(ctx, rc, &res);
    return rc == SOFA_OK ? print_mutation(ctx, key, &res, 1) : cli_fail(ctx, key, strlen(key), rc);
}

static int run_touch(cli_ctx *ctx)
{
    const char *key = ctx->args->pos[0];
    uint64_t expiry = 0;
    int x = positional_number(ctx, 1, CLI_ARG_U32, "invalid expiry '%s' (seconds)", &expiry);
    if (x != CLI_EXIT_OK) {
        return x;
    }
    kv_res res = {0};
    int rc = sofa_kv_touch(ctx->client, key, strlen(key), (uint32_t)expiry, &ctx->kvopts,
                           on_mutation, &res);
    rc = kv_finish(ctx, rc, &res);
    return rc == SOFA_OK ? print_mutation(ctx, key, &res, 0) : cli_fail(ctx, key, strlen(key), rc);
}

static int run_unlock(cli_ctx *ctx)
{
    const char *key = ctx->args->pos[0];
    uint64_t cas = 0;
    int x = positional_number(ctx, 1, CLI_ARG_U64, "invalid CAS '%s'", &cas);
    if (x != CLI_EXIT_OK) {
        return x;
    }
    kv_res res = {0};
    int rc = sofa_kv_unlock(ctx->client, key, strlen(key), cas, &ctx->kvopts, on_mutation, &res);
    rc = kv_finish(ctx, rc, &res);
    if (rc != SOFA_OK) {
        return cli_fail(ctx, key, strlen(key), rc);
    }
    if (ctx->json) {
        cli_json_print(ctx, cli_json_status(SOFA_OK, key, strlen(key)));
    }
    return CLI_EXIT_OK;
}

#define STORE_KINDS (CLI_K_STORE | CLI_K_MUTATION)

const cli_command cli_kv_commands[] = {
    {"get", "KEY", "print a document's value (raw bytes) on stdout", 1, 1, 0, 1, 0, run_get},
    {"set", "KEY VALUE|-", "store a document (create or overwrite)", 2, 2, STORE_KINDS, 1,
     SOFA_STORE_UPSERT, run_store},
    {"add", "KEY VALUE|-", "create a document; fails if it exists", 2, 2, STORE_KINDS, 1,
     SOFA_STORE_INSERT, run_store},
    {"replace", "KEY VALUE|-", "overwrite a document; fails if it is missing", 2, 2, STORE_KINDS, 1,
     SOFA_STORE_REPLACE, run_store},
    {"append", "KEY VALUE|-", "add bytes at the end of a document", 2, 2, STORE_KINDS, 1,
     SOFA_STORE_APPEND, run_store},
    {"prepend", "KEY VALUE|-", "add bytes at the start of a document", 2, 2, STORE_KINDS, 1,
     SOFA_STORE_PREPEND, run_store},
    {"rm", "KEY", "remove a document", 1, 1, CLI_K_REMOVE | CLI_K_MUTATION, 1, 0, run_remove},
    {"incr", "KEY", "add to a counter and print its new value", 1, 1,
     CLI_K_COUNTER | CLI_K_MUTATION, 1, 1, run_counter},
    {"decr", "KEY", "subtract from a counter (floors at 0) and print its new value", 1, 1,
     CLI_K_COUNTER | CLI_K_MUTATION, 1, -1, run_counter},
    {"touch", "KEY EXPIRY", "set a document's expiry (seconds or Unix time; 0 = never)", 2, 2, 0, 1,
     0, run_touch},
    {"lock", "KEY SECONDS", "lock a document and print the lock CAS (pass it to unlock)", 2, 2, 0,
     1, 1, run_get},
    {"unlock", "KEY CAS", "unlock a document locked with lock", 2, 2, 0, 1, 0, run_unlock},
    {"exists", "KEY", "print true/false; exit code 0 when it exists, 3 when not", 1, 1, 0, 1, 0,
     run_exists},
    {NULL, NULL, NULL, 0, 0, 0, 0, 0, NULL}};
