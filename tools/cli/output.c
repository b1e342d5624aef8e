/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* The `sofa` tool: exit codes, error reports and JSON output. */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int cli_exit_code(int status)
{
    switch (status) {
    case SOFA_OK:
        return CLI_EXIT_OK;
    case SOFA_E_NOT_FOUND:
    case SOFA_E_NOT_STORED:
    case SOFA_E_VIEW_NOT_FOUND:
    case SOFA_E_QUERY_KEYSPACE_NOT_FOUND:
        return CLI_EXIT_NOT_FOUND;
    case SOFA_E_EXISTS:
    case SOFA_E_CAS_MISMATCH:
    case SOFA_E_LOCKED:
    case SOFA_E_NOT_LOCKED:
        return CLI_EXIT_CONFLICT;
    case SOFA_E_NO_MEMORY:
        return CLI_EXIT_FAILURE;
    default:
        break;
    }
    switch (sofa_status_category(status)) {
    case SOFA_CAT_INPUT:
        return CLI_EXIT_USAGE;
    case SOFA_CAT_AUTH:
        return CLI_EXIT_AUTH;
    case SOFA_CAT_TIMEOUT:
        return CLI_EXIT_TIMEOUT;
    case SOFA_CAT_NETWORK:
        return CLI_EXIT_NETWORK;
    default:
        return CLI_EXIT_FAILURE;
    }
}

void cli_json_print(cli_ctx *ctx, json_t *obj)
{
    if (obj == NULL) {
        fprintf(ctx->err, "sofa: out of memory building JSON output\n");
        return;
    }
    char *s = json_dumps(obj, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s != NULL) {
        fprintf(ctx->out, "%s\n", s);
        free(s);
    }
    json_decref(obj);
}

json_t *cli_json_status(int status, const char *key, size_t nkey)
{
    json_t *o = json_object();
    if (o == NULL) {
        return NULL;
    }
    json_object_set_new(o, "status", json_string(sofa_status_name(status)));
    if (status != SOFA_OK) {
        json_object_set_new(o, "error", json_string(sofa_strerror(status)));
    }
    if (key != NULL) {
        cli_json_set_bytes(o, "key", key, nkey);
    }
    return o;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static json_t *base64_string(const unsigned char *p, size_t n)
{
    if (n > (SIZE_MAX - 3) / 4 * 3) {
        return NULL;
    }
    size_t outlen = (n + 2) / 3 * 4;
    char *s = malloc(outlen + 1);
    if (s == NULL) {
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) {
            v |= (uint32_t)p[i + 1] << 8;
        }
        if (i + 2 < n) {
            v |= p[i + 2];
        }
        s[o++] = b64[(v >> 18) & 63];
        s[o++] = b64[(v >> 12) & 63];
        s[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        s[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    s[o] = '\0';
    json_t *j = json_stringn(s, o);
    free(s);
    return j;
}

void cli_json_set_bytes(json_t *obj, const char *name, const void *data, size_t len)
{
    json_t *s = json_stringn(data != NULL ? data : "", len); /* NULL when not UTF-8 */
    if (s != NULL) {
        json_object_set_new(obj, name, s);
        return;
    }
    char key[64];
    snprintf(key, sizeof(key), "%s_base64", name);
    json_object_set_new(obj, key, base64_string(data, len));
}

void cli_json_set_u64str(json_t *obj, const char *name, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%" PRIu64, v);
    json_object_set_new(obj, name, json_string(buf));
}

int cli_fail(cli_ctx *ctx, const char *key, size_t nkey, int status)
{
    const char *cmd = ctx->cmd != NULL ? ctx->cmd->name : "connect";
    if (key != NULL) {
        fprintf(ctx->err, "sofa: %s %.*s: %s: %s\n", cmd, (int)(nkey > 256 ? 256 : nkey), key,
                sofa_status_name(status), sofa_strerror(status));
    } else {
        fprintf(ctx->err, "sofa: %s: %s: %s\n", cmd, sofa_status_name(status),
                sofa_strerror(status));
    }
    if (ctx->json) {
        cli_json_print(ctx, cli_json_status(status, key, nkey));
    }
    return cli_exit_code(status);
}
