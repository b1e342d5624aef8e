/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* The `sofa` tool: table-driven command-line parsing (see cli.h). */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Options every command accepts (before or after the command name). */
const cli_option cli_global_options[] = {
    {"connstr", 'U', CLI_ARG_STRING, "CONNSTR",
     "connection string (default $SOFA_CONNSTR, else " CLI_DEFAULT_CONNSTR ")"},
    {"username", 'u', CLI_ARG_STRING, "USER", "user name (default $SOFA_USERNAME)"},
    {"password", 'P', CLI_ARG_STRING, "PASS", "password (default $SOFA_PASSWORD)"},
    {"timeout", 'T', CLI_ARG_SECONDS, "SECONDS",
     "operation timeout (default: the connstr's operation_timeout, 2.5)"},
    {"json", 0, CLI_ARG_NONE, NULL, "print the result as one JSON object on stdout"},
    {"verbose", 'v', CLI_ARG_NONE, NULL,
     "details (CAS, flags) on stderr; -vv/-vvv/-vvvv add the client log"},
    {"help", 'h', CLI_ARG_NONE, NULL, "show help (with a command: its options)"},
    {NULL, 0, CLI_ARG_NONE, NULL, NULL}};

const cli_command *cli_find_command(const char *name)
{
    for (size_t g = 0; cli_command_groups[g] != NULL; g++) {
        for (const cli_command *c = cli_command_groups[g]; c->name != NULL; c++) {
            if (strcmp(c->name, name) == 0) {
                return c;
            }
        }
    }
    return NULL;
}

int cli_optset_applies(const cli_optset *set, const cli_command *cmd)
{
    if (set->kinds & CLI_K_GLOBAL) {
        return 1;
    }
    return cmd != NULL && (set->kinds & cmd->kinds) != 0;
}

static const cli_option *find_option(const cli_command *cmd, const char *name, size_t nlen,
                                     char short_name)
{
    for (const cli_optset *s = cli_optsets; s->opts != NULL; s++) {
        if (!cli_optset_applies(s, cmd)) {
            continue;
        }
        for (const cli_option *o = s->opts; o->name != NULL; o++) {
            if (name != NULL && strlen(o->name) == nlen && memcmp(o->name, name, nlen) == 0) {
                return o;
            }
            if (name == NULL && short_name != 0 && o->short_name == short_name) {
                return o;
            }
        }
    }
    return NULL;
}

static int parse_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

int cli_parse_number(cli_argtype type, const char *text, cli_value *out)
{
    if (text == NULL || *text == '\0' || isspace((unsigned char)*text) || *text == '-' ||
        *text == '+') {
        return -1;
    }
    char *end = NULL;
    errno = 0;
    if (type == CLI_ARG_SECONDS) {
        double d = strtod(text, &end);
        if (errno != 0 || *end != '\0' || !isfinite(d) || d <= 0 || d > 86400.0 * 365) {
            return -1;
        }
        out->v.seconds = d;
        return 0;
    }
    int hex = type == CLI_ARG_U64 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
    if (hex && text[2] == '\0') {
        return -1;
    }
    unsigned long long v = strtoull(hex ? text + 2 : text, &end, hex ? 16 : 10);
    if (errno != 0 || *end != '\0' || (type == CLI_ARG_U32 && v > UINT32_MAX)) {
        return -1;
    }
    out->v.u64 = (uint64_t)v;
    return 0;
}

static const char *type_hint(cli_argtype t)
{
    switch (t) {
    case CLI_ARG_U32:
        return "a whole number 0..4294967295";
    case CLI_ARG_U64:
        return "a whole number (decimal or 0x hex)";
    case CLI_ARG_SECONDS:
        return "a positive number of seconds";
    default:
        return "text";
    }
}

static int add_value(cli_args *out, const cli_option *o, const char *text, char *err, size_t errlen)
{
    if (out->nvals >= CLI_MAX_ARGS) {
        return parse_error(err, errlen, "too many options (at most %d)", CLI_MAX_ARGS);
    }
    cli_value *v = &out->vals[out->nvals];
    memset(v, 0, sizeof(*v));
    v->opt = o;
    v->text = text;
    if (o->type != CLI_ARG_NONE && o->type != CLI_ARG_STRING &&
        cli_parse_number(o->type, text, v) != 0) {
        return parse_error(err, errlen, "invalid value '%s' for --%s: expected %s", text, o->name,
                           type_hint(o->type));
    }
    out->nvals++;
    return 0;
}

static int is_option(const char *s)
{
    /* "-" alone (stdin) and "-5" (a negative number) are positional */
    return s[0] == '-' && s[1] != '\0' && !isdigit((unsigned char)s[1]);
}

static int parse_long(int argc, char **argv, int *i, cli_args *out, const cli_command *cmd,
                      char *err, size_t errlen)
{
    const char *name = argv[*i] + 2;
    const char *eq = strchr(name, '=');
    size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
    const cli_option *o = find_option(cmd, name, nlen, 0);
    if (o == NULL) {
        return parse_error(err, errlen, "unknown option --%.*s%s%s", (int)nlen, name,
                           cmd ? " for command " : "", cmd ? cmd->name : "");
    }
    if (o->type == CLI_ARG_NONE) {
        if (eq != NULL) {
            return parse_error(err, errlen, "option --%s takes no value", o->name);
        }
        return add_value(out, o, NULL, err, errlen);
    }
    if (eq != NULL) {
        return add_value(out, o, eq + 1, err, errlen);
    }
    if (*i + 1 >= argc) {
        return parse_error(err, errlen, "option --%s needs a value (%s)", o->name, o->metavar);
    }
    (*i)++;
    return add_value(out, o, argv[*i], err, errlen);
}

static int parse_short(int argc, char **argv, int *i, cli_args *out, const cli_command *cmd,
                       char *err, size_t errlen)
{
    for (const char *p = argv[*i] + 1; *p != '\0'; p++) {
        const cli_option *o = find_option(cmd, NULL, 0, *p);
        if (o == NULL) {
            return parse_error(err, errlen, "unknown option -%c%s%s", *p,
                               cmd ? " for command " : "", cmd ? cmd->name : "");
        }
        if (o->type == CLI_ARG_NONE) {
            if (add_value(out, o, NULL, err, errlen) != 0) {
                return -1;
            }
            continue;
        }
        if (p[1] != '\0') {
            return add_value(out, o, p + 1, err, errlen);
        }
        if (*i + 1 >= argc) {
            return parse_error(err, errlen, "option -%c needs a value (%s)", *p, o->metavar);
        }
        (*i)++;
        return add_value(out, o, argv[*i], err, errlen);
    }
    return 0;
}

int cli_parse(int argc, char **argv, cli_args *out, const cli_command **cmd, char *err,
              size_t errlen)
{
    memset(out, 0, sizeof(*out));
    *cmd = NULL;
    int only_positional = 0;
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (!only_positional && strcmp(s, "--") == 0) {
            only_positional = 1;
            continue;
        }
        if (!only_positional && is_option(s)) {
            int rc = s[1] == '-' ? parse_long(argc, argv, &i, out, *cmd, err, errlen)
                                 : parse_short(argc, argv, &i, out, *cmd, err, errlen);
            if (rc != 0) {
                return -1;
            }
            continue;
        }
        if (*cmd == NULL) {
            *cmd = cli_find_command(s);
            if (*cmd == NULL) {
                return parse_error(err, errlen, "unknown command '%s' (see sofa --help)", s);
            }
            continue;
        }
        if (out->npos >= CLI_MAX_ARGS) {
            return parse_error(err, errlen, "too many arguments (at most %d)", CLI_MAX_ARGS);
        }
        out->pos[out->npos++] = s;
    }
    return 0;
}

const cli_value *cli_arg(const cli_args *a, const char *name)
{
    for (size_t i = a->nvals; i > 0; i--) {
        if (strcmp(a->vals[i - 1].opt->name, name) == 0) {
            return &a->vals[i - 1];
        }
    }
    return NULL;
}

size_t cli_arg_count(const cli_args *a, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < a->nvals; i++) {
        n += strcmp(a->vals[i].opt->name, name) == 0;
    }
    return n;
}

const char *cli_arg_str(const cli_args *a, const char *name, const char *def)
{
    const cli_value *v = cli_arg(a, name);
    return v != NULL ? v->text : def;
}

uint64_t cli_arg_u64(const cli_args *a, const char *name, uint64_t def)
{
    const cli_value *v = cli_arg(a, name);
    return v != NULL ? v->v.u64 : def;
}
