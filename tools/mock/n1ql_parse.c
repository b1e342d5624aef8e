/* Recursive-descent parser for the mock's N1QL subset (see n1ql_parse.h). */
#include "n1ql_parse.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

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

static const char *const reserved[] = {
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "ORDER", "BY", "LIMIT", "OFFSET", "AS", "USE", "KEYS",
    "IS", "NULL", "MISSING", "VALUED", "TRUE", "FALSE", "ASC", "DESC", "RAW", "ELEMENT", "VALUE",
    "DISTINCT", "IN", "LIKE", "BETWEEN", "PREPARE", "EXECUTE", "PRIMARY", "GROUP", "HAVING", "JOIN",
    "UNNEST", "NEST", "LET", "LETTING", "UNION", "INSERT", "UPDATE", "DELETE", "UPSERT", "MERGE",
};

static int is_kw(const n1ql_token *t, const char *kw)
{
    return t->kind == TK_IDENT && strcasecmp(t->text, kw) == 0;
}

static int is_reserved(const n1ql_token *t)
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

static n1ql_token *peek(parser *p)
{
    return &p->t[p->i];
}

static n1ql_token *next(parser *p)
{
    n1ql_token *t = &p->t[p->i];
    if (t->kind != TK_EOF) {
        p->i++;
    }
    return t;
}

static void *syntax(parser *p, const char *what)
{
    if (p->failed == 0) {
        n1ql_token *t = peek(p);
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

static void *nomem(parser *p)
{
    p->failed = -2;
    return NULL;
}

static int accept_kw(parser *p, const char *kw)
{
    if (is_kw(peek(p), kw)) {
        next(p);
        return 1;
    }
    return 0;
}

static int accept(parser *p, n1ql_tok_kind k)
{
    if (peek(p)->kind == k) {
        next(p);
        return 1;
    }
    return 0;
}

static n1ql_expr *new_expr(parser *p, n1ql_expr_kind k)
{
    n1ql_expr *e = n1ql_arena_alloc(p->a, sizeof(*e));
    if (e == NULL) {
        return nomem(p);
    }
    e->kind = k;
    return e;
}

static n1ql_expr *lit(parser *p, json_t *v)
{
    if (v == NULL || json_array_append_new(p->stmt->literals, v) != 0) {
        return nomem(p);
    }
    n1ql_expr *e = new_expr(p, EX_LIT);
    if (e != NULL) {
        e->lit = v;
    }
    return e;
}

/* An identifier: unreserved bare word or `quoted`. */
static char *ident(parser *p)
{
    n1ql_token *t = peek(p);
    if (t->kind == TK_QIDENT || (t->kind == TK_IDENT && !is_reserved(t))) {
        next(p);
        return t->text;
    }
    return syntax(p, "identifier expected");
}

static n1ql_expr *parse_expr(parser *p);

static n1ql_expr **parse_list(parser *p, n1ql_tok_kind close, size_t *n)
{
    n1ql_expr **items = n1ql_arena_alloc(p->a, MOCK_N1QL_MAX_TERMS * sizeof(*items));
    *n = 0;
    if (items == NULL) {
        return nomem(p);
    }
    if (accept(p, close)) {
        return items;
    }
    do {
        if (*n == MOCK_N1QL_MAX_TERMS) {
            return syntax(p, "too many list elements");
        }
        if ((items[(*n)++] = parse_expr(p)) == NULL) {
            return NULL;
        }
    } while (accept(p, TK_COMMA));
    if (!accept(p, close)) {
        return syntax(p, "',' or closing bracket expected");
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
        return nomem(p);
    }
    if (accept(p, TK_RBRACE)) {
        return e;
    }
    do {
        n1ql_token *k = next(p);
        if (k->kind != TK_STRING || e->nitems == MOCK_N1QL_MAX_TERMS) {
            return syntax(p, "object key string expected");
        }
        if (!accept(p, TK_COLON)) {
            return syntax(p, "':' expected");
        }
        e->keys[e->nitems] = k->text;
        if ((e->items[e->nitems++] = parse_expr(p)) == NULL) {
            return NULL;
        }
    } while (accept(p, TK_COMMA));
    return accept(p, TK_RBRACE) ? e : syntax(p, "'}' expected");
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
        if (e != NULL && peek(p)->kind != TK_RPAREN && (e->name = ident(p)) == NULL) {
            return NULL;
        }
        return e != NULL && accept(p, TK_RPAREN) ? e : (e == NULL ? NULL : syntax(p, "')' expected"));
    }
    for (size_t i = 0; i < sizeof(aggs) / sizeof(aggs[0]); i++) {
        if (strcasecmp(name->text, aggs[i].name) != 0) {
            continue;
        }
        if (!p->allow_agg) {
            return syntax(p, "aggregates are only supported in the projection");
        }
        n1ql_expr *e = new_expr(p, EX_AGG);
        if (e == NULL) {
            return NULL;
        }
        e->agg = aggs[i].agg;
        e->agg_slot = p->sel->naggs++;
        if (e->agg == AGG_COUNT && accept(p, TK_STAR)) {
            e->agg = AGG_COUNT_STAR;
        } else {
            p->allow_agg = 0; /* no nested aggregates */
            e->a = parse_expr(p);
            p->allow_agg = 1;
            if (e->a == NULL) {
                return NULL;
            }
        }
        return accept(p, TK_RPAREN) ? e : syntax(p, "')' expected");
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
    return syntax(p, "unknown function");
}

static n1ql_expr *parse_primary(parser *p)
{
    n1ql_token *t = peek(p);
    switch (t->kind) {
    case TK_NUMBER:
        next(p);
        return lit(p, t->is_int ? json_integer(t->inum) : json_real(t->num));
    case TK_STRING:
        next(p);
        return lit(p, json_string(t->text));
    case TK_PARAM_POS:
    case TK_QMARK:
    case TK_PARAM_NAMED: {
        next(p);
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
        next(p);
        n1ql_expr *e = parse_expr(p);
        return e == NULL ? NULL : accept(p, TK_RPAREN) ? e : syntax(p, "')' expected");
    }
    case TK_LBRACKET: {
        next(p);
        n1ql_expr *e = new_expr(p, EX_ARRAY);
        return e == NULL || (e->items = parse_list(p, TK_RBRACKET, &e->nitems)) == NULL ? NULL : e;
    }
    case TK_LBRACE:
        next(p);
        return parse_object(p);
    case TK_QIDENT: {
        next(p);
        n1ql_expr *e = new_expr(p, EX_IDENT);
        if (e != NULL) {
            e->name = t->text;
        }
        return e;
    }
    case TK_IDENT:
        if (is_kw(t, "TRUE") || is_kw(t, "FALSE") || is_kw(t, "NULL")) {
            next(p);
            return lit(p, is_kw(t, "NULL") ? json_null() : json_boolean(is_kw(t, "TRUE")));
        }
        if (is_kw(t, "MISSING")) {
            next(p);
            return new_expr(p, EX_LIT); /* lit == NULL: MISSING */
        }
        if (p->t[p->i + 1].kind == TK_LPAREN && !is_reserved(t)) {
            next(p);
            next(p);
            return parse_call(p, t);
        }
        if (!is_reserved(t)) {
            next(p);
            n1ql_expr *e = new_expr(p, EX_IDENT);
            if (e != NULL) {
                e->name = t->text;
            }
            return e;
        }
        return syntax(p, "unexpected keyword");
    default:
        return syntax(p, "expression expected");
    }
}

static n1ql_expr *parse_postfix(parser *p)
{
    n1ql_expr *e = parse_primary(p);
    while (e != NULL) {
        if (peek(p)->kind == TK_DOT && p->t[p->i + 1].kind != TK_STAR) {
            next(p);
            n1ql_token *t = next(p);
            if (t->kind != TK_IDENT && t->kind != TK_QIDENT) {
                return syntax(p, "field name expected after '.'");
            }
            n1ql_expr *f = new_expr(p, EX_FIELD);
            if (f == NULL) {
                return NULL;
            }
            f->a = e;
            f->name = t->text;
            e = f;
        } else if (accept(p, TK_LBRACKET)) {
            n1ql_expr *f = new_expr(p, EX_INDEX);
            if (f == NULL || (f->b = parse_expr(p)) == NULL) {
                return NULL;
            }
            if (!accept(p, TK_RBRACKET)) {
                return syntax(p, "']' expected");
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
    if (accept(p, TK_MINUS)) {
        if (++p->depth > MOCK_N1QL_MAX_DEPTH) {
            return syntax(p, "expression nested too deeply");
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
        n1ql_tok_kind k = peek(p)->kind;
        if (e == NULL || (k != TK_STAR && k != TK_SLASH && k != TK_PERCENT)) {
            return e;
        }
        next(p);
        e = binary(p, k == TK_STAR ? OP_MUL : k == TK_SLASH ? OP_DIV : OP_MOD, e, parse_unary(p));
    }
}

static n1ql_expr *parse_add(parser *p)
{
    n1ql_expr *e = parse_mul(p);
    for (;;) {
        n1ql_tok_kind k = peek(p)->kind;
        if (e == NULL || (k != TK_PLUS && k != TK_MINUS && k != TK_CONCAT)) {
            return e;
        }
        next(p);
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
        if (accept(p, cmps[i].k)) {
            return binary(p, cmps[i].op, e, parse_add(p));
        }
    }
    if (accept_kw(p, "IS")) {
        n1ql_expr *r = new_expr(p, EX_IS);
        if (r == NULL) {
            return NULL;
        }
        r->a = e;
        r->negate = accept_kw(p, "NOT");
        if (accept_kw(p, "NULL")) {
            r->is = IS_NULL;
        } else if (accept_kw(p, "MISSING")) {
            r->is = IS_MISSING;
        } else if (accept_kw(p, "VALUED")) {
            r->is = IS_VALUED;
        } else {
            return syntax(p, "NULL, MISSING or VALUED expected after IS");
        }
        return r;
    }
    int neg = 0;
    if (is_kw(peek(p), "NOT") &&
        (is_kw(&p->t[p->i + 1], "IN") || is_kw(&p->t[p->i + 1], "LIKE") || is_kw(&p->t[p->i + 1], "BETWEEN"))) {
        next(p);
        neg = 1;
    }
    n1ql_expr_kind k;
    if (accept_kw(p, "IN")) {
        k = EX_IN;
    } else if (accept_kw(p, "LIKE")) {
        k = EX_LIKE;
    } else if (accept_kw(p, "BETWEEN")) {
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
    if (k == EX_BETWEEN && (!accept_kw(p, "AND") || (r->c = parse_add(p)) == NULL)) {
        return p->failed ? NULL : syntax(p, "AND expected in BETWEEN");
    }
    return r;
}

static n1ql_expr *parse_not(parser *p)
{
    if (accept_kw(p, "NOT")) {
        if (++p->depth > MOCK_N1QL_MAX_DEPTH) {
            return syntax(p, "expression nested too deeply");
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
    while (e != NULL && accept_kw(p, "AND")) {
        e = binary(p, OP_AND, e, parse_not(p));
    }
    return e;
}

static n1ql_expr *parse_expr(parser *p)
{
    if (++p->depth > MOCK_N1QL_MAX_DEPTH) {
        return syntax(p, "expression nested too deeply");
    }
    n1ql_expr *e = parse_and(p);
    while (e != NULL && accept_kw(p, "OR")) {
        e = binary(p, OP_OR, e, parse_and(p));
    }
    p->depth--;
    return e;
}

/* ---------------------------------------------------------------- SELECT */

static char *implicit_name(parser *p, const n1ql_expr *e, size_t pos)
{
    if (e->kind == EX_IDENT || e->kind == EX_FIELD) {
        return e->name;
    }
    char buf[32];
    snprintf(buf, sizeof(buf), "$%zu", pos);
    char *s = n1ql_arena_strndup(p->a, buf, strlen(buf));
    return s != NULL ? s : nomem(p);
}

static int parse_projection(parser *p, n1ql_select *s)
{
    s->projs = n1ql_arena_alloc(p->a, MOCK_N1QL_MAX_TERMS * sizeof(*s->projs));
    if (s->projs == NULL) {
        nomem(p);
        return -1;
    }
    p->allow_agg = 1;
    do {
        if (s->nproj == MOCK_N1QL_MAX_TERMS) {
            syntax(p, "too many projection terms");
            return -1;
        }
        n1ql_proj *pr = &s->projs[s->nproj++];
        if (accept(p, TK_STAR)) {
            pr->star = 1;
            continue;
        }
        if ((pr->e = parse_expr(p)) == NULL) {
            return -1;
        }
        if (peek(p)->kind == TK_DOT && p->t[p->i + 1].kind == TK_STAR) {
            next(p);
            next(p);
            pr->star = 1;
            continue;
        }
        if (accept_kw(p, "AS")) {
            if ((pr->as = ident(p)) == NULL) {
                return -1;
            }
        } else if (peek(p)->kind == TK_QIDENT || (peek(p)->kind == TK_IDENT && !is_reserved(peek(p)))) {
            pr->as = ident(p);
        } else if ((pr->as = implicit_name(p, pr->e, s->nproj)) == NULL) {
            return -1;
        }
    } while (accept(p, TK_COMMA));
    p->allow_agg = 0;
    if (s->raw && (s->nproj != 1 || s->projs[0].star)) {
        syntax(p, "RAW takes exactly one expression");
        return -1;
    }
    return 0;
}

/* [namespace:]bucket[.scope.collection] [[AS] alias] */
static int parse_from(parser *p, n1ql_select *s)
{
    char *parts[3];
    size_t n = 0;
    if ((parts[n++] = ident(p)) == NULL) {
        return -1;
    }
    if (accept(p, TK_COLON)) { /* namespace "default:" */
        if (strcmp(parts[0], "default") != 0) {
            syntax(p, "only the 'default' namespace exists");
            return -1;
        }
        n = 0;
        if ((parts[n++] = ident(p)) == NULL) {
            return -1;
        }
    }
    while (n < 3 && peek(p)->kind == TK_DOT) {
        next(p);
        if ((parts[n++] = ident(p)) == NULL) {
            return -1;
        }
    }
    if (n == 2) {
        syntax(p, "a keyspace is bucket or bucket.scope.collection");
        return -1;
    }
    s->keyspace = parts[0];
    if (n == 3 && (strcmp(parts[1], "_default") != 0 || strcmp(parts[2], "_default") != 0)) {
        /* only the default collection exists: keep the full path so the executor reports 12003 */
        size_t l = strlen(parts[0]) + strlen(parts[1]) + strlen(parts[2]) + 3;
        char *full = n1ql_arena_alloc(p->a, l);
        if (full == NULL) {
            nomem(p);
            return -1;
        }
        snprintf(full, l, "%s.%s.%s", parts[0], parts[1], parts[2]);
        s->keyspace = full;
    }
    s->alias = parts[n - 1];
    if (accept_kw(p, "AS")) {
        if ((s->alias = ident(p)) == NULL) {
            return -1;
        }
    } else if (peek(p)->kind == TK_QIDENT || (peek(p)->kind == TK_IDENT && !is_reserved(peek(p)))) {
        s->alias = ident(p);
    }
    if (accept_kw(p, "USE")) {
        accept_kw(p, "PRIMARY");
        if (!accept_kw(p, "KEYS")) {
            syntax(p, "KEYS expected after USE");
            return -1;
        }
        if ((s->use_keys = parse_expr(p)) == NULL) {
            return -1;
        }
    }
    return 0;
}

static int parse_order(parser *p, n1ql_select *s)
{
    s->orders = n1ql_arena_alloc(p->a, MOCK_N1QL_MAX_TERMS * sizeof(*s->orders));
    if (s->orders == NULL) {
        nomem(p);
        return -1;
    }
    do {
        if (s->norder == MOCK_N1QL_MAX_TERMS) {
            syntax(p, "too many ORDER BY terms");
            return -1;
        }
        n1ql_order *o = &s->orders[s->norder++];
        if ((o->e = parse_expr(p)) == NULL) {
            return -1;
        }
        if (accept_kw(p, "DESC")) {
            o->desc = 1;
        } else {
            accept_kw(p, "ASC");
        }
    } while (accept(p, TK_COMMA));
    return 0;
}

static n1ql_select *parse_select(parser *p)
{
    n1ql_select *s = n1ql_arena_alloc(p->a, sizeof(*s));
    if (s == NULL) {
        return nomem(p);
    }
    p->sel = s;
    if (!accept_kw(p, "SELECT")) {
        return syntax(p, "SELECT, PREPARE or EXECUTE expected (sofa-mock supports queries only)");
    }
    s->raw = accept_kw(p, "RAW") || accept_kw(p, "ELEMENT") || accept_kw(p, "VALUE");
    if (is_kw(peek(p), "DISTINCT")) {
        return syntax(p, "DISTINCT is not supported by sofa-mock");
    }
    if (parse_projection(p, s) != 0) {
        return NULL;
    }
    if (accept_kw(p, "FROM") && parse_from(p, s) != 0) {
        return NULL;
    }
    if (accept_kw(p, "WHERE") && (s->where = parse_expr(p)) == NULL) {
        return NULL;
    }
    if (is_kw(peek(p), "GROUP")) {
        return syntax(p, "GROUP BY is not supported by sofa-mock");
    }
    if (accept_kw(p, "ORDER")) {
        if (!accept_kw(p, "BY")) {
            return syntax(p, "BY expected after ORDER");
        }
        if (parse_order(p, s) != 0) {
            return NULL;
        }
    }
    for (int k = 0; k < 2; k++) {
        if (s->limit == NULL && accept_kw(p, "LIMIT")) {
            if ((s->limit = parse_expr(p)) == NULL) {
                return NULL;
            }
        } else if (s->offset == NULL && accept_kw(p, "OFFSET")) {
            if ((s->offset = parse_expr(p)) == NULL) {
                return NULL;
            }
        }
    }
    if (s->keyspace == NULL && (s->where != NULL || s->norder > 0)) {
        return syntax(p, "WHERE and ORDER BY need a FROM clause");
    }
    return s;
}

static char *stmt_name(parser *p)
{
    n1ql_token *t = peek(p);
    if (t->kind == TK_STRING) {
        next(p);
        return t->text;
    }
    return ident(p);
}

static int parse_stmt(parser *p)
{
    n1ql_stmt *st = p->stmt;
    if (accept_kw(p, "EXECUTE")) {
        st->kind = STMT_EXECUTE;
        if ((st->name = stmt_name(p)) == NULL) {
            return -1;
        }
    } else if (accept_kw(p, "PREPARE")) {
        st->kind = STMT_PREPARE;
        if (!is_kw(peek(p), "SELECT")) {
            if ((st->name = stmt_name(p)) == NULL) {
                return -1;
            }
            if (!accept_kw(p, "FROM") && !accept_kw(p, "AS")) {
                syntax(p, "FROM or AS expected after the prepared statement name");
                return -1;
            }
        }
        st->body = peek(p)->start;
        if ((st->select = parse_select(p)) == NULL) {
            return -1;
        }
        st->nbody = (size_t)(peek(p)->start - st->body);
    } else {
        st->kind = STMT_SELECT;
        if ((st->select = parse_select(p)) == NULL) {
            return -1;
        }
    }
    accept(p, TK_SEMI);
    if (peek(p)->kind != TK_EOF) {
        syntax(p, "unexpected text after the statement");
        return -1;
    }
    return 0;
}

int n1ql_parse(n1ql_arena *a, const char *text, size_t n, n1ql_stmt **out, char *err, size_t nerr)
{
    parser p = {0};
    p.a = a;
    p.text = text;
    p.err = err;
    p.nerr = nerr;
    *out = NULL;
    int rc = n1ql_lex(a, text, n, &p.t, &p.nt, err, nerr);
    if (rc != 0) {
        return rc;
    }
    p.stmt = n1ql_arena_alloc(a, sizeof(*p.stmt));
    if (p.stmt == NULL || (p.stmt->literals = json_array()) == NULL) {
        return -2;
    }
    if (parse_stmt(&p) != 0) {
        n1ql_stmt_release(p.stmt);
        if (p.failed == 0) {
            snprintf(err, nerr, "syntax error");
        }
        return p.failed == -2 ? -2 : -1;
    }
    *out = p.stmt;
    return 0;
}

void n1ql_stmt_release(n1ql_stmt *s)
{
    if (s != NULL) {
        json_decref(s->literals);
        s->literals = NULL;
    }
}
