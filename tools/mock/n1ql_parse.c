/* Recursive-descent parser for the mock's N1QL subset (see n1ql_parse.h). */
#include "n1ql_parse.h"
#include "n1ql_parse_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const reserved[] = {
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "ORDER", "BY", "LIMIT", "OFFSET", "AS", "USE", "KEYS",
    "IS", "NULL", "MISSING", "VALUED", "TRUE", "FALSE", "ASC", "DESC", "RAW", "ELEMENT", "VALUE",
    "DISTINCT", "IN", "LIKE", "BETWEEN", "PREPARE", "EXECUTE", "PRIMARY", "GROUP", "HAVING", "JOIN",
    "UNNEST", "NEST", "LET", "LETTING", "UNION", "INSERT", "UPDATE", "DELETE", "UPSERT", "MERGE",
};

int n1ql_p_is_kw(const n1ql_token *t, const char *kw)
{
    return t->kind == TK_IDENT && strcasecmp(t->text, kw) == 0;
}

int n1ql_p_is_reserved(const n1ql_token *t)
{
    if (t->kind != TK_IDENT) {
        return 0;
    }
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        if (strcasecmp(t->text, reserved[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

n1ql_token *n1ql_p_peek(parser *p)
{
    return &p->t[p->i];
}

n1ql_token *n1ql_p_next(parser *p)
{
    n1ql_token *t = &p->t[p->i];
    if (t->kind != TK_EOF) {
        p->i++;
    }
    return t;
}

void *n1ql_p_syntax(parser *p, const char *what)
{
    if (p->failed == 0) {
        n1ql_token *t = n1ql_p_peek(p);
        if (t->kind == TK_EOF) {
            snprintf(p->err, p->nerr, "syntax error - %s at end of input", what);
        } else {
            snprintf(p->err, p->nerr, "syntax error - %s near '%.*s' (position %zu)", what,
                     (int)(t->len > 40 ? 40 : t->len), t->start, (size_t)(t->start - p->text));
        }
        p->failed = -1;
    }
    return NULL;
}

void *n1ql_p_nomem(parser *p)
{
    p->failed = -2;
    return NULL;
}

int n1ql_p_accept_kw(parser *p, const char *kw)
{
    if (n1ql_p_is_kw(n1ql_p_peek(p), kw)) {
        n1ql_p_next(p);
        return 1;
    }
    return 0;
}

int n1ql_p_accept(parser *p, n1ql_tok_kind k)
{
    if (n1ql_p_peek(p)->kind == k) {
        n1ql_p_next(p);
        return 1;
    }
    return 0;
}

static n1ql_expr *new_expr(parser *p, n1ql_expr_kind k)
{
    n1ql_expr *e = n1ql_arena_alloc(p->a, sizeof(*e));
    if (e == NULL) {
        return n1ql_p_nomem(p);
    }
    e->kind = k;
    return e;
}

static n1ql_expr *lit(parser *p, json_t *v)
{
    if (v == NULL || json_array_append_new(p->stmt->literals, v) != 0) {
        return n1ql_p_nomem(p);
    }
    n1ql_expr *e = new_expr(p, EX_LIT);
    if (e != NULL) {
        e->lit = v;
    }
    return e;
}

/* An identifier: unreserved bare word or `quoted`. */
char *n1ql_p_ident(parser *p)
{
    n1ql_token *t = n1ql_p_peek(p);
    if (t->kind == TK_QIDENT || (t->kind == TK_IDENT && !n1ql_p_is_reserved(t))) {
        n1ql_p_next(p);
        return t->text;
    }
    return n1ql_p_syntax(p, "identifier expected");
}


static n1ql_expr **parse_list(parser *p, n1ql_tok_kind close, size_t *n)
{
    n1ql_expr **items = n1ql_arena_alloc(p->a, MOCK_N1QL_MAX_TERMS * sizeof(*items));
    *n = 0;
    if (items == NULL) {
        return n1ql_p_nomem(p);
    }
    if (n1ql_p_accept(p, close)) {
        return items;
    }
    do {
        if (*n == MOCK_N1QL_MAX_TERMS) {
            return n1ql_p_syntax(p, "too many list elements");
        }
        if ((items[(*n)++] = n1ql_p_parse_expr(p)) == NULL) {
            return NULL;
        }
    } while (n1ql_p_accept(p, TK_COMMA));
    if (!n1ql_p_accept(p, close)) {
        return n1ql_p_syntax(p, "',' or closing bracket expected");
    }
    return items;
}

static n1ql_expr *parse_object(parser *p)
{
    n1ql_expr *e = new_expr(p, EX_OBJECT);
    if (e == NULL) {
        return NULL;
    }
    e->items = n1ql_arena_alloc(p->a, MOCK_N1QL_MAX_TERMS * sizeof(*e->items));
    e->keys = n1ql_arena_alloc(p->a, MOCK_N1QL_MAX_TERMS * sizeof(*e->keys));
    if (e->items == NULL || e->keys == NULL) {
        return n1ql_p_nomem(p);
    }
    if (n1ql_p_accept(p, TK_RBRACE)) {
        return e;
    }
    do {
        n1ql_token *k = n1ql_p_next(p);
        if (k->kind != TK_STRING || e->nitems == MOCK_N1QL_MAX_TERMS) {
            return n1ql_p_syntax(p, "object key string expected");
        }
        if (!n1ql_p_accept(p, TK_COLON)) {
            return n1ql_p_syntax(p, "':' expected");
        }
        e->keys[e->nitems] = k->text;
        if ((e->items[e->nitems++] = n1ql_p_parse_expr(p)) == NULL) {
            return NULL;
        }
    } while (n1ql_p_accept(p, TK_COMMA));
    return n1ql_p_accept(p, TK_RBRACE) ? e : n1ql_p_syntax(p, "'}' expected");
}

static const struct {
    const char *name;
    n1ql_agg_kind agg;
} aggs[] = {{"COUNT", AGG_COUNT}, {"SUM", AGG_SUM}, {"MIN", AGG_MIN}, {"MAX", AGG_MAX}, {"AVG", AGG_AVG}};

static const char *const scalar_funcs[] = {"LOWER", "UPPER", "LENGTH", "ABS", "ROUND", "TOSTRING", "TYPE"};

static n1ql_expr *parse_call(parser *p, n1ql_token *name)
{
    if (strcasecmp(name->text, "META") == 0) {
        n1ql_expr *e = new_expr(p, EX_META);
        if (e != NULL && n1ql_p_peek(p)->kind != TK_RPAREN && (e->name = n1ql_p_ident(p)) == NULL) {
            return NULL;
        }
        return e != NULL && n1ql_p_accept(p, TK_RPAREN) ? e : (e == NULL ? NULL : n1ql_p_syntax(p, "')' expected"));
    }
    for (size_t i = 0; i < sizeof(aggs) / sizeof(aggs[0]); i++) {
        if (strcasecmp(name->text, aggs[i].name) != 0) {
            continue;
        }
        if (!p->allow_agg) {
            return n1ql_p_syntax(p, "aggregates are only supported in the projection");
        }
        n1ql_expr *e = new_expr(p, EX_AGG);
        if (e == NULL) {
            return NULL;
        }
        e->agg = aggs[i].agg;
        e->agg_slot = p->sel->naggs++;
        if (e->agg == AGG_COUNT && n1ql_p_accept(p, TK_STAR)) {
            e->agg = AGG_COUNT_STAR;
        } else {
            p->allow_agg = 0; /* no nested aggregates */
            e->a = n1ql_p_parse_expr(p);
            p->allow_agg = 1;
            if (e->a == NULL) {
                return NULL;
            }
        }
        return n1ql_p_accept(p, TK_RPAREN) ? e : n1ql_p_syntax(p, "')' expected");
    }
    for (size_t i = 0; i < sizeof(scalar_funcs) / sizeof(scalar_funcs[0]); i++) {
        if (strcasecmp(name->text, scalar_funcs[i]) == 0) {
            n1ql_expr *e = new_expr(p, EX_CALL);
            if (e == NULL) {
                return NULL;
            }
            e->name = (char *)scalar_funcs[i];
            e->items = parse_list(p, TK_RPAREN, &e->nitems);
            return e->items != NULL ? e : NULL;
        }
    }
    return n1ql_p_syntax(p, "unknown function");
}

static n1ql_expr *parse_primary(parser *p)
{
    n1ql_token *t = n1ql_p_peek(p);
    switch (t->kind) {
    case TK_NUMBER:
        n1ql_p_next(p);
        return lit(p, t->is_int ? json_integer(t->inum) : json_real(t->num));
    case TK_STRING:
        n1ql_p_next(p);
        return lit(p, json_string(t->text));
    case TK_PARAM_POS:
    case TK_QMARK:
    case TK_PARAM_NAMED: {
        n1ql_p_next(p);
        n1ql_expr *e = new_expr(p, EX_PARAM);
        if (e != NULL) {
            e->pos = t->kind == TK_PARAM_POS ? t->pos : t->kind == TK_QMARK ? ++p->next_qmark : 0;
            e->name = t->kind == TK_PARAM_NAMED ? t->text : NULL;
            if (e->pos > p->sel->nparams_pos) {
                p->sel->nparams_pos = e->pos;
            }
        }
        return e;
    }
    case TK_LPAREN: {
        n1ql_p_next(p);
        n1ql_expr *e = n1ql_p_parse_expr(p);
        return e == NULL ? NULL : n1ql_p_accept(p, TK_RPAREN) ? e : n1ql_p_syntax(p, "')' expected");
    }
    case TK_LBRACKET: {
        n1ql_p_next(p);
        n1ql_expr *e = new_expr(p, EX_ARRAY);
        return e == NULL || (e->items = parse_list(p, TK_RBRACKET, &e->nitems)) == NULL ? NULL : e;
    }
    case TK_LBRACE:
        n1ql_p_next(p);
        return parse_object(p);
    case TK_QIDENT: {
        n1ql_p_next(p);
        n1ql_expr *e = new_expr(p, EX_IDENT);
        if (e != NULL) {
            e->name = t->text;
        }
        return e;
    }
    case TK_IDENT:
        if (n1ql_p_is_kw(t, "TRUE") || n1ql_p_is_kw(t, "FALSE") || n1ql_p_is_kw(t, "NULL")) {
            n1ql_p_next(p);
            return lit(p, n1ql_p_is_kw(t, "NULL") ? json_null() : json_boolean(n1ql_p_is_kw(t, "TRUE")));
        }
        if (n1ql_p_is_kw(t, "MISSING")) {
            n1ql_p_next(p);
            return new_expr(p, EX_LIT); /* lit == NULL: MISSING */
        }
        if (p->t[p->i + 1].kind == TK_LPAREN && !n1ql_p_is_reserved(t)) {
            n1ql_p_next(p);
            n1ql_p_next(p);
            return parse_call(p, t);
        }
        if (!n1ql_p_is_reserved(t)) {
            n1ql_p_next(p);
            n1ql_expr *e = new_expr(p, EX_IDENT);
            if (e != NULL) {
                e->name = t->text;
            }
            return e;
        }
        return n1ql_p_syntax(p, "unexpected keyword");
    default:
        return n1ql_p_syntax(p, "expression expected");
    }
}

static n1ql_expr *parse_postfix(parser *p)
{
    n1ql_expr *e = parse_primary(p);
    while (e != NULL) {
        if (n1ql_p_peek(p)->kind == TK_DOT && p->t[p->i + 1].kind != TK_STAR) {
            n1ql_p_next(p);
            n1ql_token *t = n1ql_p_next(p);
            if (t->kind != TK_IDENT && t->kind != TK_QIDENT) {
                return n1ql_p_syntax(p, "field name expected after '.'");
            }
            n1ql_expr *f = new_expr(p, EX_FIELD);
            if (f == NULL) {
                return NULL;
            }
            f->a = e;
            f->name = t->text;
            e = f;
        } else if (n1ql_p_accept(p, TK_LBRACKET)) {
            n1ql_expr *f = new_expr(p, EX_INDEX);
            if (f == NULL || (f->b = n1ql_p_parse_expr(p)) == NULL) {
                return NULL;
            }
            if (!n1ql_p_accept(p, TK_RBRACKET)) {
                return n1ql_p_syntax(p, "']' expected");
            }
            f->a = e;
            e = f;
        } else {
            break;
        }
    }
    return e;
}

static n1ql_expr *binary(parser *p, n1ql_binop op, n1ql_expr *a, n1ql_expr *b)
{
    if (a == NULL || b == NULL) {
        return NULL;
    }
    n1ql_expr *e = new_expr(p, EX_BINARY);
    if (e != NULL) {
        e->op = op;
        e->a = a;
        e->b = b;
    }
    return e;
}

static n1ql_expr *parse_unary(parser *p)
{
    if (n1ql_p_accept(p, TK_MINUS)) {
        if (++p->depth > MOCK_N1QL_MAX_DEPTH) {
            return n1ql_p_syntax(p, "expression nested too deeply");
        }
        n1ql_expr *e = new_expr(p, EX_NEG);
        if (e == NULL || (e->a = parse_unary(p)) == NULL) {
            return NULL;
        }
        p->depth--;
        return e;
    }
    return parse_postfix(p);
}

static n1ql_expr *parse_mul(parser *p)
{
    n1ql_expr *e = parse_unary(p);
    for (;;) {
        n1ql_tok_kind k = n1ql_p_peek(p)->kind;
        if (e == NULL || (k != TK_STAR && k != TK_SLASH && k != TK_PERCENT)) {
            return e;
        }
        n1ql_p_next(p);
        e = binary(p, k == TK_STAR ? OP_MUL : k == TK_SLASH ? OP_DIV : OP_MOD, e, parse_unary(p));
    }
}

static n1ql_expr *parse_add(parser *p)
{
    n1ql_expr *e = parse_mul(p);
    for (;;) {
        n1ql_tok_kind k = n1ql_p_peek(p)->kind;
        if (e == NULL || (k != TK_PLUS && k != TK_MINUS && k != TK_CONCAT)) {
            return e;
        }
        n1ql_p_next(p);
        e = binary(p, k == TK_PLUS ? OP_ADD : k == TK_MINUS ? OP_SUB : OP_CONCAT, e, parse_mul(p));
    }
}

static n1ql_expr *parse_cmp(parser *p)
{
    n1ql_expr *e = parse_add(p);
    if (e == NULL) {
        return NULL;
    }
    static const struct {
        n1ql_tok_kind k;
        n1ql_binop op;
    } cmps[] = {{TK_EQ, OP_EQ}, {TK_NE, OP_NE}, {TK_LT, OP_LT}, {TK_LE, OP_LE}, {TK_GT, OP_GT}, {TK_GE, OP_GE}};
    for (size_t i = 0; i < sizeof(cmps) / sizeof(cmps[0]); i++) {
        if (n1ql_p_accept(p, cmps[i].k)) {
            return binary(p, cmps[i].op, e, parse_add(p));
        }
    }
    if (n1ql_p_accept_kw(p, "IS")) {
        n1ql_expr *r = new_expr(p, EX_IS);
        if (r == NULL) {
            return NULL;
        }
        r->a = e;
        r->negate = n1ql_p_accept_kw(p, "NOT");
        if (n1ql_p_accept_kw(p, "NULL")) {
            r->is = IS_NULL;
        } else if (n1ql_p_accept_kw(p, "MISSING")) {
            r->is = IS_MISSING;
        } else if (n1ql_p_accept_kw(p, "VALUED")) {
            r->is = IS_VALUED;
        } else {
            return n1ql_p_syntax(p, "NULL, MISSING or VALUED expected after IS");
        }
        return r;
    }
    int neg = 0;
    if (n1ql_p_is_kw(n1ql_p_peek(p), "NOT") &&
        (n1ql_p_is_kw(&p->t[p->i + 1], "IN") || n1ql_p_is_kw(&p->t[p->i + 1], "LIKE") || n1ql_p_is_kw(&p->t[p->i + 1], "BETWEEN"))) {
        n1ql_p_next(p);
        neg = 1;
    }
    n1ql_expr_kind k;
    if (n1ql_p_accept_kw(p, "IN")) {
        k = EX_IN;
    } else if (n1ql_p_accept_kw(p, "LIKE")) {
        k = EX_LIKE;
    } else if (n1ql_p_accept_kw(p, "BETWEEN")) {
        k = EX_BETWEEN;
    } else {
        return e;
    }
    n1ql_expr *r = new_expr(p, k);
    if (r == NULL || (r->b = parse_add(p)) == NULL) {
        return NULL;
    }
    r->a = e;
    r->negate = neg;
    if (k == EX_BETWEEN && (!n1ql_p_accept_kw(p, "AND") || (r->c = parse_add(p)) == NULL)) {
        return p->failed ? NULL : n1ql_p_syntax(p, "AND expected in BETWEEN");
    }
    return r;
}

static n1ql_expr *parse_not(parser *p)
{
    if (n1ql_p_accept_kw(p, "NOT")) {
        if (++p->depth > MOCK_N1QL_MAX_DEPTH) {
            return n1ql_p_syntax(p, "expression nested too deeply");
        }
        n1ql_expr *e = new_expr(p, EX_NOT);
        if (e == NULL || (e->a = parse_not(p)) == NULL) {
            return NULL;
        }
        p->depth--;
        return e;
    }
    return parse_cmp(p);
}

static n1ql_expr *parse_and(parser *p)
{
    n1ql_expr *e = parse_not(p);
    while (e != NULL && n1ql_p_accept_kw(p, "AND")) {
        e = binary(p, OP_AND, e, parse_not(p));
    }
    return e;
}

n1ql_expr *n1ql_p_parse_expr(parser *p)
{
    if (++p->depth > MOCK_N1QL_MAX_DEPTH) {
        return n1ql_p_syntax(p, "expression nested too deeply");
    }
    n1ql_expr *e = parse_and(p);
    while (e != NULL && n1ql_p_accept_kw(p, "OR")) {
        e = binary(p, OP_OR, e, parse_and(p));
    }
    p->depth--;
    return e;
}
