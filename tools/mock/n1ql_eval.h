/* Expression evaluation and aggregates for the mock's N1QL executor. Values are
 * jansson references; a NULL json_t * stands for MISSING. */
#ifndef SOFA_TOOLS_MOCK_N1QL_EVAL_H
#define SOFA_TOOLS_MOCK_N1QL_EVAL_H

#include "n1ql_ast.h"

typedef struct n1ql_err {
    int code;       /* 0 = no error; N1QL error code otherwise */
    char msg[256];
} n1ql_err;

typedef struct n1ql_row_ctx {
    const char *alias;  /* FROM alias, NULL without FROM */
    json_t *doc;        /* current document (borrowed), NULL if none */
    json_t *meta;       /* {"id","cas","flags","expiration","type"} (borrowed), NULL if none */
    const json_t *args; /* positional parameters (array) or NULL */
    const json_t *named;/* named parameters, names without '$' (object) or NULL */
    json_t **aggs;      /* final aggregate values by slot, when projecting an aggregate query */
    int agg_mode;       /* 1: plain field references are an error (no GROUP BY) */
} n1ql_row_ctx;

/* Evaluate e. Returns a new reference, or NULL for MISSING; on failure NULL with
 * err->code set (5000 out of memory, 5010 missing parameter value, 4210 field
 * outside an aggregate in an aggregate query). */
json_t *n1ql_eval(const n1ql_expr *e, const n1ql_row_ctx *c, n1ql_err *err);

/* 1 if v is TRUE in a WHERE clause (only boolean true and non-zero/non-empty values). */
int n1ql_is_true(const json_t *v);

/* Aggregate accumulators, one per EX_AGG slot. */
typedef struct n1ql_agg_acc {
    long long count;
    double sum;
    long long isum;
    int all_int, overflow, nnum;
    json_t *best; /* MIN / MAX so far */
} n1ql_agg_acc;

/* Find the aggregate nodes of an expression tree: aggs[slot] = node. */
void n1ql_collect_aggs(const n1ql_expr *e, const n1ql_expr **aggs, size_t naggs);
/* Feed the current row to one aggregate. 0 or -1 with err set. */
int n1ql_agg_step(const n1ql_expr *agg, n1ql_agg_acc *acc, const n1ql_row_ctx *c, n1ql_err *err);
/* The final value (new reference) or NULL when out of memory. */
json_t *n1ql_agg_final(const n1ql_expr *agg, const n1ql_agg_acc *acc);
void n1ql_agg_clear(n1ql_agg_acc *acc);

/* The N1QL type name of v ("missing", "null", "boolean", "number", "string", "array", "object"). */
const char *n1ql_type_name(const json_t *v);

#endif /* SOFA_TOOLS_MOCK_N1QL_EVAL_H */
