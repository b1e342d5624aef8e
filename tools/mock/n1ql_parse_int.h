/* Internals shared by the N1QL expression parser (n1ql_parse.c) and the statement
 * parser (n1ql_parse_stmt.c). */
#ifndef SOFA_TOOLS_MOCK_N1QL_PARSE_INT_H
#define SOFA_TOOLS_MOCK_N1QL_PARSE_INT_H

#include "n1ql_ast.h"

typedef struct parser {
    n1ql_arena *a;
    const char *text;
    n1ql_token *t;
    size_t nt, i;
    int depth;
    int failed; /* -1 syntax, -2 out of memory */
    char *err;
    size_t nerr;
    n1ql_stmt *stmt;
    n1ql_select *sel;    /* select being parsed */
    int allow_agg;       /* aggregates allowed here (projection) */
    size_t next_qmark;   /* next '?' position */
} parser;

n1ql_token *n1ql_p_peek(parser *p);
n1ql_token *n1ql_p_next(parser *p);
/* Record a syntax error (the first one wins) and return NULL. */
void *n1ql_p_syntax(parser *p, const char *what);
/* Record out-of-memory and return NULL. */
void *n1ql_p_nomem(parser *p);
int n1ql_p_is_kw(const n1ql_token *t, const char *kw);
int n1ql_p_is_reserved(const n1ql_token *t);
int n1ql_p_accept_kw(parser *p, const char *kw);
int n1ql_p_accept(parser *p, n1ql_tok_kind k);
/* An identifier: unreserved bare word or `quoted` (NULL + syntax error otherwise). */
char *n1ql_p_ident(parser *p);
/* A full expression (NULL on error, p->failed set). */
n1ql_expr *n1ql_p_parse_expr(parser *p);

#endif /* SOFA_TOOLS_MOCK_N1QL_PARSE_INT_H */
