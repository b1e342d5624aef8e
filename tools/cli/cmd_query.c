/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * The `sofa` tool: N1QL and view queries.
 *
 *   sofa query STATEMENT [--param VALUE]... [--named NAME=VALUE]... [--prepared]
 *              [--consistency not_bounded|request_plus] [--context-id ID] [--readonly]
 *   sofa view DDOC VIEW [--opt KEY=VALUE]...
 *
 * Each row is printed on its own line as it arrives; the metadata (the response
 * without its rows, as JSON) is printed last. Failures go to stderr with the
 * server's message.
 *
 * Wired in cli.h (the tables and the kinds CLI_K_QUERY, CLI_K_VIEW) and commands.c.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include <sofa/query.h>
#include <sofa/view.h>

#define QUERY_MAX_PARAMS CLI_MAX_ARGS

const cli_option cli_query_options[] = {
    {"param", 0, CLI_ARG_STRING, "JSON", "positional parameter $1, $2, ... (repeatable)"},
    {"named", 0, CLI_ARG_STRING, "NAME=JSON", "named parameter $NAME (repeatable)"},
    {"prepared", 0, CLI_ARG_NONE, NULL, "use a prepared statement (adhoc=false)"},
    {"consistency", 0, CLI_ARG_STRING, "MODE", "not_bounded (default) or request_plus"},
    {"context-id", 0, CLI_ARG_STRING, "ID", "client_context_id"},
    {"readonly", 0, CLI_ARG_NONE, NULL, "refuse statements that modify data"},
    {NULL, 0, CLI_ARG_NONE, NULL, NULL},
};

const cli_option cli_view_options[] = {
    {"opt", 0, CLI_ARG_STRING, "KEY=VALUE",
     "view option (repeatable): key, keys, startkey, endkey (JSON); startkey_docid, "
     "endkey_docid; inclusive_end, descending, reduce, group (true/false); limit, skip, "
     "group_level; stale (ok/false/update_after); on_error (continue/stop); include_docs"},
    {NULL, 0, CLI_ARG_NONE, NULL, NULL},
};

typedef struct qrun {
    cli_ctx *ctx;
    int done;
    int status;
    char msg[256];
    int64_t code;
} qrun;

static void print_meta(qrun *r, int status, const sofa_query_meta *m)
{
    r->done = 1;
    r->status = status;
    r->code = m->error_code;
    snprintf(r->msg, sizeof(r->msg), "%s", m->error_msg);
    if (m->json[0]) {
        fprintf(r->ctx->out, "%s\n", m->json);
    }
    fflush(r->ctx->out);
}

static void q_rows(sofa_client *c, const sofa_row *rows, size_t n, void *cookie)
{
    qrun *r = cookie;
    for (size_t i = 0; i < n; i++) {
        fwrite(rows[i].json, 1, rows[i].len, r->ctx->out);
        fputc('\n', r->ctx->out);
    }
    fflush(r->ctx->out); /* rows appear as they arrive */
}

static void q_done(sofa_client *c, const sofa_query_meta *m, void *cookie)
{
    print_meta(cookie, 0, m);
}

static void q_error(sofa_client *c, sofa_status st, const sofa_query_meta *m, void *cookie)
{
    print_meta(cookie, st, m);
}

static int finish(cli_ctx *ctx, const char *what, int rc, qrun *r)
{
    if (rc == 0) {
        rc = sofa_client_wait(ctx->client);
    }
    if (rc == 0) {
        rc = r->done ? r->status : SOFA_E_INTERNAL;
    }
    if (rc != 0) {
        if (r->msg[0] && r->code) {
            fprintf(ctx->err, "sofa: %s: %s (code %lld)\n", ctx->cmd->name, r->msg,
                    (long long)r->code);
        } else if (r->msg[0]) {
            fprintf(ctx->err, "sofa: %s: %s\n", ctx->cmd->name, r->msg);
        }
        return cli_fail(ctx, what, strlen(what), rc);
    }
    return CLI_EXIT_OK;
}

/* All values of a repeated option, in order. */
static size_t values_of(const cli_args *a, const char *name, const char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < a->nvals && n < max; i++) {
        if (a->vals[i].opt && strcmp(a->vals[i].opt->name, name) == 0) {
            out[n++] = a->vals[i].text;
        }
    }
    return n;
}

static int run_query(cli_ctx *ctx)
{
    const char *stmt = ctx->args->pos[0];
    const char *args[QUERY_MAX_PARAMS], *named_text[QUERY_MAX_PARAMS];
    sofa_query_param named[QUERY_MAX_PARAMS];
    char names[QUERY_MAX_PARAMS][128];
    sofa_query_opts o = SOFA_QUERY_OPTS_INIT;
    o.args = args;
    o.nargs = values_of(ctx->args, "param", args, QUERY_MAX_PARAMS);
    o.nnamed = values_of(ctx->args, "named", named_text, QUERY_MAX_PARAMS);
    for (size_t i = 0; i < o.nnamed; i++) {
        const char *eq = strchr(named_text[i], '=');
        size_t nl = eq ? (size_t)(eq - named_text[i]) : 0;
        if (!eq || nl == 0 || nl >= sizeof(names[i])) {
            fprintf(ctx->err, "sofa: query: --named wants NAME=VALUE, got '%s'\n", named_text[i]);
            return CLI_EXIT_USAGE;
        }
        memcpy(names[i], named_text[i], nl);
        names[i][nl] = '\0';
        named[i].name = names[i];
        named[i].json = eq + 1;
    }
    o.named = named;
    o.prepared = cli_arg(ctx->args, "prepared") != NULL;
    o.readonly = cli_arg(ctx->args, "readonly") != NULL;
    o.client_context_id = cli_arg_str(ctx->args, "context-id", NULL);
    o.timeout_us = ctx->kvopts.timeout_us;
    const char *cons = cli_arg_str(ctx->args, "consistency", "not_bounded");
    if (strcmp(cons, "request_plus") == 0) {
        o.consistency = SOFA_SCAN_REQUEST_PLUS;
    } else if (strcmp(cons, "not_bounded") != 0) {
        fprintf(ctx->err, "sofa: query: unknown consistency '%s'\n", cons);
        return CLI_EXIT_USAGE;
    }
    qrun r = {ctx, 0, 0, "", 0};
    static const sofa_query_callbacks cbs = {q_rows, q_done, q_error};
    int rc = sofa_query_start(ctx->client, stmt, &o, &cbs, &r, NULL);
    if (rc == SOFA_E_INVALID_ARGUMENT) {
        fprintf(ctx->err, "sofa: query: a parameter is not valid JSON or the statement is empty\n");
        return CLI_EXIT_USAGE;
    }
    return finish(ctx, stmt, rc, &r);
}

static void v_rows(sofa_client *c, const sofa_view_row *rows, size_t n, void *cookie)
{
    qrun *r = cookie;
    for (size_t i = 0; i < n; i++) {
        fwrite(rows[i].json, 1, rows[i].len, r->ctx->out);
        if (rows[i].id && rows[i].doc) {
            fputc('\t', r->ctx->out);
            fwrite(rows[i].doc, 1, rows[i].ndoc, r->ctx->out);
        } else if (rows[i].id) {
            fprintf(r->ctx->out, "\t(%s)", sofa_status_name(rows[i].doc_status));
        }
        fputc('\n', r->ctx->out);
    }
    fflush(r->ctx->out);
}

static int parse_bool(const char *v, sofa_tristate *out)
{
    if (strcmp(v, "true") == 0) {
        *out = SOFA_TRUE;
    } else if (strcmp(v, "false") == 0) {
        *out = SOFA_FALSE;
    } else {
        return -1;
    }
    return 0;
}

static int parse_u32(const char *v, uint32_t *out)
{
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    if (!*v || *end || n > UINT32_MAX || v[0] == '-') {
        return -1;
    }
    *out = (uint32_t)n;
    return 0;
}

/* keys=[...] becomes the keys array: each element re-serialised. */
static int parse_keys(const char *v, json_t **holder, const char **keys, size_t *nkeys)
{
    json_t *arr = json_loads(v, 0, NULL);
    if (!json_is_array(arr) || json_array_size(arr) > QUERY_MAX_PARAMS) {
        json_decref(arr);
        return -1;
    }
    *holder = json_array();
    for (size_t i = 0; i < json_array_size(arr) && *holder; i++) {
        char *s = json_dumps(json_array_get(arr, i), JSON_ENCODE_ANY | JSON_COMPACT);
        if (!s) {
            break;
        }
        json_array_append_new(*holder, json_string(s)); /* keeps s alive as a JSON string */
        keys[(*nkeys)++] = json_string_value(json_array_get(*holder, i));
        free(s);
    }
    json_decref(arr);
    return 0;
}

static int set_view_opt(sofa_view_opts *o, const char *k, const char *v, json_t **keys_holder,
                        const char **keys)
{
    if (strcmp(k, "key") == 0) {
        o->key = v;
    } else if (strcmp(k, "keys") == 0) {
        return parse_keys(v, keys_holder, keys, &o->nkeys);
    } else if (strcmp(k, "startkey") == 0 || strcmp(k, "start_key") == 0) {
        o->startkey = v;
    } else if (strcmp(k, "endkey") == 0 || strcmp(k, "end_key") == 0) {
        o->endkey = v;
    } else if (strcmp(k, "startkey_docid") == 0) {
        o->startkey_docid = v;
    } else if (strcmp(k, "endkey_docid") == 0) {
        o->endkey_docid = v;
    } else if (strcmp(k, "inclusive_end") == 0) {
        return parse_bool(v, &o->inclusive_end);
    } else if (strcmp(k, "descending") == 0) {
        return parse_bool(v, &o->descending);
    } else if (strcmp(k, "reduce") == 0) {
        return parse_bool(v, &o->reduce);
    } else if (strcmp(k, "group") == 0) {
        return parse_bool(v, &o->group);
    } else if (strcmp(k, "limit") == 0) {
        return parse_u32(v, &o->limit);
    } else if (strcmp(k, "skip") == 0) {
        return parse_u32(v, &o->skip);
    } else if (strcmp(k, "group_level") == 0) {
        return parse_u32(v, &o->group_level);
    } else if (strcmp(k, "stale") == 0) {
        o->stale = strcmp(v, "ok") == 0             ? SOFA_STALE_OK
                   : strcmp(v, "false") == 0        ? SOFA_STALE_FALSE
                   : strcmp(v, "update_after") == 0 ? SOFA_STALE_UPDATE_AFTER
                                                    : (sofa_view_stale)-1;
        return o->stale == (sofa_view_stale)-1 ? -1 : 0;
    } else if (strcmp(k, "on_error") == 0) {
        o->on_error = strcmp(v, "continue") == 0 ? SOFA_VIEW_ON_ERROR_CONTINUE
                      : strcmp(v, "stop") == 0   ? SOFA_VIEW_ON_ERROR_STOP
                                                 : (sofa_view_on_error)-1;
        return o->on_error == (sofa_view_on_error)-1 ? -1 : 0;
    } else if (strcmp(k, "include_docs") == 0) {
        o->include_docs = strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
    } else {
        return -1;
    }
    return 0;
}

static int run_view(cli_ctx *ctx)
{
    const char *ddoc = ctx->args->pos[0], *view = ctx->args->pos[1];
    const char *opts[QUERY_MAX_PARAMS], *keys[QUERY_MAX_PARAMS];
    char kv[QUERY_MAX_PARAMS][64];
    json_t *keys_holder = NULL;
    sofa_view_opts o = SOFA_VIEW_OPTS_INIT;
    o.keys = keys;
    o.timeout_us = ctx->kvopts.timeout_us;
    size_t n = values_of(ctx->args, "opt", opts, QUERY_MAX_PARAMS);
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(opts[i], '=');
        size_t kl = eq ? (size_t)(eq - opts[i]) : 0;
        if (!eq || kl == 0 || kl >= sizeof(kv[i])) {
            fprintf(ctx->err, "sofa: view: --opt wants KEY=VALUE, got '%s'\n", opts[i]);
            json_decref(keys_holder);
            return CLI_EXIT_USAGE;
        }
        memcpy(kv[i], opts[i], kl);
        kv[i][kl] = '\0';
        if (set_view_opt(&o, kv[i], eq + 1, &keys_holder, keys) != 0) {
            fprintf(ctx->err, "sofa: view: bad option '%s'\n", opts[i]);
            json_decref(keys_holder);
            return CLI_EXIT_USAGE;
        }
    }
    qrun r = {ctx, 0, 0, "", 0};
    static const sofa_view_callbacks cbs = {v_rows, q_done, q_error};
    int rc = sofa_view_start(ctx->client, ddoc, view, &o, &cbs, &r, NULL);
    if (rc == SOFA_E_INVALID_ARGUMENT) {
        fprintf(ctx->err, "sofa: view: a JSON option is not valid JSON\n");
        json_decref(keys_holder);
        return CLI_EXIT_USAGE;
    }
    rc = finish(ctx, view, rc, &r);
    json_decref(keys_holder);
    return rc;
}

const cli_command cli_query_commands[] = {
    {"query", "STATEMENT", "run a N1QL statement; rows as they arrive, then the metadata", 1, 1,
     CLI_K_QUERY, 1, 0, run_query},
    {"view", "DDOC VIEW", "query a view; rows as they arrive, then the metadata", 2, 2, CLI_K_VIEW,
     1, 0, run_view},
    {NULL, NULL, NULL, 0, 0, 0, 0, 0, NULL},
};
