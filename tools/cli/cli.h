/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * The `sofa` command-line tool: shared types.
 *
 * The tool is two tables:
 *  - commands (struct cli_command), grouped one group per file (cmd_kv.c, cmd_admin.c,
 *    ...) and listed in commands.c;
 *  - option sets (struct cli_optset), each a {NULL}-terminated array of cli_option that
 *    applies to every command whose `kinds` mask shares a bit with the set's mask.
 * Adding a command group: write cmd_<group>.c defining a {NULL}-terminated
 * `const cli_command cli_<group>_commands[]`, declare it below, list it in commands.c.
 * Adding options to existing commands: define a set and list it in commands.c with the
 * kinds it applies to; read the values with cli_arg_*() by long name.
 */
#ifndef SOFA_TOOLS_CLI_CLI_H
#define SOFA_TOOLS_CLI_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <sofa/sofa.h>

/* The connection string when neither -U nor $SOFA_CONNSTR gives one. */
#define CLI_DEFAULT_CONNSTR "couchbase://127.0.0.1/default"

/* Exit codes (documented in `sofa --help` and docs/cli.md). */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILURE = 1,   /* any other failure */
    CLI_EXIT_USAGE = 2,     /* bad command line or input (also a bad connection string) */
    CLI_EXIT_NOT_FOUND = 3, /* no such document (E_NOT_FOUND, E_NOT_STORED), view or keyspace;
                               `exists`: absent */
    CLI_EXIT_AUTH = 4,      /* authentication / bucket / access (E_AUTH_*, E_BUCKET_NOT_FOUND) */
    CLI_EXIT_TIMEOUT = 5,   /* a deadline passed (E_TIMEOUT*, E_BOOTSTRAP_TIMEOUT) */
    CLI_EXIT_NETWORK = 6,   /* cannot reach the cluster (refused, bootstrap failed, ...) */
    CLI_EXIT_CONFLICT = 7   /* E_EXISTS, E_CAS_MISMATCH, E_LOCKED, E_NOT_LOCKED */
};

/* Command kinds: which option sets a command accepts. */
enum {
    CLI_K_GLOBAL = 1u << 0,   /* sets with this bit apply to every command (and before it) */
    CLI_K_STORE = 1u << 1,    /* set/add/replace/append/prepend */
    CLI_K_REMOVE = 1u << 2,   /* rm */
    CLI_K_COUNTER = 1u << 3,  /* incr/decr */
    CLI_K_MUTATION = 1u << 4, /* every command that changes a document durably */
    CLI_K_STATS = 1u << 5,    /* stats */
    CLI_K_ENDURE = 1u << 6,   /* endure (cmd_durability.c) */
    CLI_K_QUERY = 1u << 7,    /* query (cmd_query.c) */
    CLI_K_VIEW = 1u << 8      /* view (cmd_query.c) */
};

typedef enum cli_argtype {
    CLI_ARG_NONE,   /* a flag; may be repeated (-vv) */
    CLI_ARG_STRING, /* any text */
    CLI_ARG_U32,    /* decimal 0..4294967295 */
    CLI_ARG_U64,    /* decimal, or hexadecimal with 0x */
    CLI_ARG_SECONDS /* a positive decimal number of seconds, e.g. 2.5 */
} cli_argtype;

typedef struct cli_option {
    const char *name; /* long name without "--"; NULL ends a set */
    char short_name;  /* 0 = none */
    cli_argtype type;
    const char *metavar;
    const char *help;
} cli_option;

typedef struct cli_optset {
    const cli_option *opts; /* NULL ends the list */
    unsigned kinds;         /* CLI_K_* bits */
} cli_optset;

/** Most values or positional arguments one command line may carry. */
#define CLI_MAX_ARGS 64

typedef struct cli_value {
    const cli_option *opt;
    const char *text; /* NULL for flags */
    union {
        uint64_t u64;
        double seconds;
    } v;
} cli_value;

typedef struct cli_args {
    cli_value vals[CLI_MAX_ARGS];
    size_t nvals;
    const char *pos[CLI_MAX_ARGS]; /* positional arguments after the command name */
    size_t npos;
} cli_args;

struct cli_command;

/** What a command's run function gets. */
typedef struct cli_ctx {
    sofa_client *client; /* connected; NULL for commands with needs_client == 0 */
    const struct cli_command *cmd;
    const cli_args *args;
    sofa_kv_opts kvopts; /* timeout from -T; commands add their own fields */
    int json;            /* --json */
    int verbose;         /* number of -v */
    FILE *out, *err;     /* stdout, stderr */
} cli_ctx;

/** Returns a CLI_EXIT_* code. */
typedef int (*cli_run_fn)(cli_ctx *ctx);

typedef struct cli_command {
    const char *name;    /* NULL ends a group */
    const char *usage;   /* positional part, e.g. "KEY VALUE" */
    const char *summary; /* one line */
    unsigned min_pos, max_pos;
    unsigned kinds; /* CLI_K_* bits: which option sets apply */
    int needs_client;
    int param; /* command-specific (e.g. the store mode) */
    cli_run_fn run;
} cli_command;

/** A successful mutation, for hooks (e.g. client-side durability). */
typedef struct cli_mutation_info {
    const char *key;
    size_t nkey;
    uint64_t cas;
    sofa_mutation_token token;
} cli_mutation_info;

/** Runs after each successful mutation; returns SOFA_OK or the status to report. */
typedef int (*cli_mutation_hook)(cli_ctx *ctx, const cli_mutation_info *m);

/** Runs before the command (and before connecting): checks option values that the
 *  parser cannot; returns CLI_EXIT_OK or an exit code (after printing why). */
typedef int (*cli_check_hook)(cli_ctx *ctx);

/* commands.c: the registries */
extern const cli_command *const cli_command_groups[];
extern const cli_optset cli_optsets[];
extern const cli_mutation_hook cli_mutation_hooks[];
extern const cli_check_hook cli_check_hooks[];

/* command groups */
extern const cli_command cli_kv_commands[];
extern const cli_command cli_admin_commands[];
extern const cli_command cli_help_commands[];
extern const cli_command cli_durability_commands[];
extern const cli_command cli_query_commands[];

/* option sets */
extern const cli_option cli_global_options[];
extern const cli_option cli_kv_expiry_options[];
extern const cli_option cli_kv_store_options[];
extern const cli_option cli_kv_cas_options[];
extern const cli_option cli_kv_counter_options[];
extern const cli_option cli_kv_durability_options[];
extern const cli_option cli_durability_options[];
extern const cli_option cli_endure_options[];
extern const cli_option cli_query_options[];
extern const cli_option cli_view_options[];

/* mutation hooks */
int cli_durability_hook(cli_ctx *ctx, const cli_mutation_info *m); /* cmd_durability.c */
int cli_durability_check(cli_ctx *ctx);                            /* cmd_durability.c */

/* opts.c */
const cli_command *cli_find_command(const char *name);
int cli_optset_applies(const cli_optset *set, const cli_command *cmd);
/* Parse argv (without the program name): options, the command name, its positionals.
 * On error returns -1 with a message in err; *cmd is set as far as it was known. */
int cli_parse(int argc, char **argv, cli_args *out, const cli_command **cmd, char *err,
              size_t errlen);
const cli_value *cli_arg(const cli_args *a, const char *name); /* last given, or NULL */
size_t cli_arg_count(const cli_args *a, const char *name);
const char *cli_arg_str(const cli_args *a, const char *name, const char *def);
uint64_t cli_arg_u64(const cli_args *a, const char *name, uint64_t def);
/* Parse one number as the type says; 0 / -1. */
int cli_parse_number(cli_argtype type, const char *text, cli_value *out);

/* output.c */
int cli_exit_code(int status);
/* "sofa: CMD KEY: E_NAME: message" on stderr, and with --json a status object on stdout. */
int cli_fail(cli_ctx *ctx, const char *key, size_t nkey, int status);
/* Print and free a JSON object (one line) on stdout. */
void cli_json_print(cli_ctx *ctx, json_t *obj);
/* A JSON object {"status": NAME} (+ "key" when key != NULL); NULL on no memory. */
json_t *cli_json_status(int status, const char *key, size_t nkey);
/* Set obj[name] to the bytes as a string when UTF-8, else obj[name_base64]. */
void cli_json_set_bytes(json_t *obj, const char *name, const void *data, size_t len);
/* The CAS as a decimal string (JSON numbers cannot hold every 64-bit value). */
void cli_json_set_u64str(json_t *obj, const char *name, uint64_t v);

/* help.c */
void cli_usage(FILE *f);
void cli_command_usage(FILE *f, const cli_command *cmd);

#endif /* SOFA_TOOLS_CLI_CLI_H */
