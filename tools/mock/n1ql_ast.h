/* N1QL subset: tokens, syntax tree and the arena that owns it. See docs/mock-query.md
 * for the grammar. */
#ifndef SOFA_TOOLS_MOCK_N1QL_AST_H
#define SOFA_TOOLS_MOCK_N1QL_AST_H

#include <jansson.h>
#include <stddef.h>

#define MOCK_N1QL_MAX_STATEMENT 65536 /* bytes of statement text */
#define MOCK_N1QL_MAX_DEPTH 64        /* expression nesting */
#define MOCK_N1QL_MAX_TERMS 256       /* projection / ORDER BY terms, list elements */

/* ---------------------------------------------------------------- arena */
typedef struct n1ql_arena n1ql_arena;
n1ql_arena *n1ql_arena_new(void);
void n1ql_arena_free(n1ql_arena *a);
/* Zeroed memory owned by the arena, NULL when out of memory. */
void *n1ql_arena_alloc(n1ql_arena *a, size_t n);
char *n1ql_arena_strndup(n1ql_arena *a, const char *s, size_t n);

/* ---------------------------------------------------------------- tokens */
typedef enum n1ql_tok_kind {
    TK_EOF, TK_IDENT, TK_QIDENT /* `quoted` */, TK_STRING, TK_NUMBER, TK_PARAM_POS, TK_PARAM_NAMED,
    TK_QMARK, TK_LPAREN, TK_RPAREN, TK_LBRACKET, TK_RBRACKET, TK_LBRACE, TK_RBRACE, TK_COMMA, TK_DOT,
    TK_COLON, TK_STAR, TK_PLUS, TK_MINUS, TK_SLASH, TK_PERCENT, TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE,
    TK_CONCAT, TK_SEMI
} n1ql_tok_kind;

typedef struct n1ql_token {
    n1ql_tok_kind kind;
    const char *start; /* in the statement text */
    size_t len;
    char *text;        /* decoded identifier / string / parameter name (arena) */
    double num;        /* TK_NUMBER */
    int is_int;        /* TK_NUMBER without '.'/exponent that fits an int64 */
    long long inum;
    size_t pos;        /* TK_PARAM_POS: 1-based */
} n1ql_token;

/* Tokenize text into an arena array. Returns 0, or -1 with a message in err
 * (syntax error), or -2 when out of memory. */
int n1ql_lex(n1ql_arena *a, const char *text, size_t n, n1ql_token **toks, size_t *ntoks, char *err,
             size_t nerr);

/* ---------------------------------------------------------------- expressions */
typedef enum n1ql_expr_kind {
    EX_LIT,     /* lit */
    EX_IDENT,   /* name */
    EX_FIELD,   /* a.name */
    EX_INDEX,   /* a[b] */
    EX_PARAM,   /* $1 / ? (pos > 0) or $name (name) */
    EX_META,    /* META([alias]) -- the object {id,cas,flags,expiration,type} */
    EX_BINARY,  /* a op b */
    EX_NOT,     /* NOT a */
    EX_NEG,     /* -a */
    EX_IS,      /* a IS [NOT] NULL|MISSING|VALUED */
    EX_AGG,     /* COUNT(*), COUNT/SUM/MIN/MAX/AVG(a) */
    EX_CALL,    /* LOWER/UPPER/LENGTH/ABS/ROUND/TOSTRING/TYPE(a...) */
    EX_ARRAY,   /* [a, b] */
    EX_OBJECT,  /* {"k": a} */
    EX_IN,      /* a [NOT] IN b */
    EX_LIKE,    /* a [NOT] LIKE b */
    EX_BETWEEN  /* a [NOT] BETWEEN b AND c */
} n1ql_expr_kind;

typedef enum n1ql_binop {
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_AND, OP_OR, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD,
    OP_CONCAT
} n1ql_binop;

typedef enum n1ql_is_kind { IS_NULL, IS_MISSING, IS_VALUED } n1ql_is_kind;
typedef enum n1ql_agg_kind { AGG_COUNT_STAR, AGG_COUNT, AGG_SUM, AGG_MIN, AGG_MAX, AGG_AVG } n1ql_agg_kind;

typedef struct n1ql_expr n1ql_expr;
struct n1ql_expr {
    n1ql_expr_kind kind;
    json_t *lit;       /* EX_LIT (owned by the statement's literal list) */
    char *name;        /* EX_IDENT, EX_FIELD, EX_PARAM named, EX_META alias (may be NULL), EX_CALL */
    size_t pos;        /* EX_PARAM positional */
    n1ql_binop op;     /* EX_BINARY */
    int negate;        /* EX_IS / EX_IN / EX_LIKE / EX_BETWEEN */
    n1ql_is_kind is;   /* EX_IS */
    n1ql_agg_kind agg; /* EX_AGG */
    size_t agg_slot;   /* EX_AGG: index into the executor's accumulators */
    n1ql_expr *a, *b, *c;
    n1ql_expr **items; /* EX_ARRAY / EX_OBJECT values / EX_CALL args */
    char **keys;       /* EX_OBJECT keys */
    size_t nitems;
};

/* ---------------------------------------------------------------- statements */
typedef struct n1ql_proj {
    n1ql_expr *e;   /* NULL for a bare '*' */
    int star;       /* '*' or e.* */
    char *as;       /* explicit or implicit result name (NULL for stars) */
} n1ql_proj;

typedef struct n1ql_order {
    n1ql_expr *e;
    int desc;
} n1ql_order;

typedef struct n1ql_select {
    int raw;
    n1ql_proj *projs;
    size_t nproj;
    char *keyspace;  /* bucket name, NULL without FROM */
    char *alias;     /* FROM alias (defaults to the bucket / collection name) */
    n1ql_expr *use_keys;
    n1ql_expr *where;
    n1ql_order *orders;
    size_t norder;
    n1ql_expr *limit, *offset;
    size_t naggs;    /* aggregate slots used in projections */
    size_t nparams_pos; /* highest positional parameter referenced */
} n1ql_select;

typedef enum n1ql_stmt_kind { STMT_SELECT, STMT_PREPARE, STMT_EXECUTE } n1ql_stmt_kind;

typedef struct n1ql_stmt {
    n1ql_stmt_kind kind;
    n1ql_select *select;  /* SELECT and PREPARE */
    char *name;           /* PREPARE name (NULL if none) / EXECUTE name */
    const char *body;     /* PREPARE: the prepared statement text (points into the input) */
    size_t nbody;
    json_t *literals;     /* array owning every literal of the tree */
} n1ql_stmt;

#endif /* SOFA_TOOLS_MOCK_N1QL_AST_H */
