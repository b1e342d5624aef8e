/* N1QL statement parser: SELECT clauses, PREPARE, EXECUTE (see n1ql_parse.h). */
#include <stdio.h>
#include <string.h>

#include "n1ql_parse.h"
#include "n1ql_parse_int.h"

/* ---------------------------------------------------------------- SELECT */

static char *implicit_name(parser *p, const n1ql_expr *e, size_t pos)
{
    if (e->kind == EX_IDENT || e->kind == EX_FIELD) {
        return e->name;
    }
    char buf[32];
    snprintf(buf, sizeof(buf), "$%zu", pos);
    char *s = n1ql_arena_strndup(p->a, buf, strlen(buf));
    return s != NULL ? s : n1ql_p_nomem(p);
}

static int parse_projection(parser *p, n1ql_select *s)
{
    s->projs = n1ql_arena_alloc(p->a, MOCK_N1QL_MAX_TERMS * sizeof(*s->projs));
    if (s->projs == NULL) {
        n1ql_p_nomem(p);
        return -1;
    }
    p->allow_agg = 1;
    do {
        if (s->nproj == MOCK_N1QL_MAX_TERMS) {
            n1ql_p_syntax(p, "too many projection terms");
            return -1;
        }
        n1ql_proj *pr = &s->projs[s->nproj++];
        if (n1ql_p_accept(p, TK_STAR)) {
            pr->star = 1;
            continue;
        }
        if ((pr->e = n1ql_p_parse_expr(p)) == NULL) {
            return -1;
        }
        if (n1ql_p_peek(p)->kind == TK_DOT && p->t[p->i + 1].kind == TK_STAR) {
            n1ql_p_next(p);
            n1ql_p_next(p);
            pr->star = 1;
            continue;
        }
        if (n1ql_p_accept_kw(p, "AS")) {
            if ((pr->as = n1ql_p_ident(p)) == NULL) {
                return -1;
            }
        } else if (n1ql_p_peek(p)->kind == TK_QIDENT || (n1ql_p_peek(p)->kind == TK_IDENT && !n1ql_p_is_reserved(n1ql_p_peek(p)))) {
            pr->as = n1ql_p_ident(p);
        } else if ((pr->as = implicit_name(p, pr->e, s->nproj)) == NULL) {
            return -1;
        }
    } while (n1ql_p_accept(p, TK_COMMA));
    p->allow_agg = 0;
    if (s->raw && (s->nproj != 1 || s->projs[0].star)) {
        n1ql_p_syntax(p, "RAW takes exactly one expression");
        return -1;
    }
    return 0;
}

/* [namespace:]bucket[.scope.collection] [[AS] alias] */
static int parse_from(parser *p, n1ql_select *s)
{
    char *parts[3];
    size_t n = 0;
    if ((parts[n++] = n1ql_p_ident(p)) == NULL) {
        return -1;
    }
    if (n1ql_p_accept(p, TK_COLON)) { /* namespace "default:" */
        if (strcmp(parts[0], "default") != 0) {
            n1ql_p_syntax(p, "only the 'default' namespace exists");
            return -1;
        }
        n = 0;
        if ((parts[n++] = n1ql_p_ident(p)) == NULL) {
            return -1;
        }
    }
    while (n < 3 && n1ql_p_peek(p)->kind == TK_DOT) {
        n1ql_p_next(p);
        if ((parts[n++] = n1ql_p_ident(p)) == NULL) {
            return -1;
        }
    }
    if (n == 2) {
        n1ql_p_syntax(p, "a keyspace is bucket or bucket.scope.collection");
        return -1;
    }
    s->keyspace = parts[0];
    if (n == 3 && (strcmp(parts[1], "_default") != 0 || strcmp(parts[2], "_default") != 0)) {
        /* only the default collection exists: keep the full path so the executor reports 12003 */
        size_t l = strlen(parts[0]) + strlen(parts[1]) + strlen(parts[2]) + 3;
        char *full = n1ql_arena_alloc(p->a, l);
        if (full == NULL) {
            n1ql_p_nomem(p);
            return -1;
        }
        snprintf(full, l, "%s.%s.%s", parts[0], parts[1], parts[2]);
        s->keyspace = full;
    }
    s->alias = parts[n - 1];
    if (n1ql_p_accept_kw(p, "AS")) {
        if ((s->alias = n1ql_p_ident(p)) == NULL) {
            return -1;
        }
    } else if (n1ql_p_peek(p)->kind == TK_QIDENT || (n1ql_p_peek(p)->kind == TK_IDENT && !n1ql_p_is_reserved(n1ql_p_peek(p)))) {
        s->alias = n1ql_p_ident(p);
    }
    if (n1ql_p_accept_kw(p, "USE")) {
        n1ql_p_accept_kw(p, "PRIMARY");
        if (!n1ql_p_accept_kw(p, "KEYS")) {
            n1ql_p_syntax(p, "KEYS expected after USE");
            return -1;
        }
        if ((s->use_keys = n1ql_p_parse_expr(p)) == NULL) {
            return -1;
        }
    }
    return 0;
}

static int parse_order(parser *p, n1ql_select *s)
{
    s->orders = n1ql_arena_alloc(p->a, MOCK_N1QL_MAX_TERMS * sizeof(*s->orders));
    if (s->orders == NULL) {
        n1ql_p_nomem(p);
        return -1;
    }
    do {
        if (s->norder == MOCK_N1QL_MAX_TERMS) {
            n1ql_p_syntax(p, "too many ORDER BY terms");
            return -1;
        }
        n1ql_order *o = &s->orders[s->norder++];
        if ((o->e = n1ql_p_parse_expr(p)) == NULL) {
            return -1;
        }
        if (n1ql_p_accept_kw(p, "DESC")) {
            o->desc = 1;
        } else {
            n1ql_p_accept_kw(p, "ASC");
        }
    } while (n1ql_p_accept(p, TK_COMMA));
    return 0;
}

static n1ql_select *parse_select(parser *p)
{
    n1ql_select *s = n1ql_arena_alloc(p->a, sizeof(*s));
    if (s == NULL) {
        return n1ql_p_nomem(p);
    }
    p->sel = s;
    if (!n1ql_p_accept_kw(p, "SELECT")) {
        return n1ql_p_syntax(p, "SELECT, PREPARE or EXECUTE expected (sofa-mock supports queries only)");
    }
    s->raw = n1ql_p_accept_kw(p, "RAW") || n1ql_p_accept_kw(p, "ELEMENT") || n1ql_p_accept_kw(p, "VALUE");
    if (n1ql_p_is_kw(n1ql_p_peek(p), "DISTINCT")) {
        return n1ql_p_syntax(p, "DISTINCT is not supported by sofa-mock");
    }
    if (parse_projection(p, s) != 0) {
        return NULL;
    }
    if (n1ql_p_accept_kw(p, "FROM") && parse_from(p, s) != 0) {
        return NULL;
    }
    if (n1ql_p_accept_kw(p, "WHERE") && (s->where = n1ql_p_parse_expr(p)) == NULL) {
        return NULL;
    }
    if (n1ql_p_is_kw(n1ql_p_peek(p), "GROUP")) {
        return n1ql_p_syntax(p, "GROUP BY is not supported by sofa-mock");
    }
    if (n1ql_p_accept_kw(p, "ORDER")) {
        if (!n1ql_p_accept_kw(p, "BY")) {
            return n1ql_p_syntax(p, "BY expected after ORDER");
        }
        if (parse_order(p, s) != 0) {
            return NULL;
        }
    }
    for (int k = 0; k < 2; k++) {
        if (s->limit == NULL && n1ql_p_accept_kw(p, "LIMIT")) {
            if ((s->limit = n1ql_p_parse_expr(p)) == NULL) {
                return NULL;
            }
        } else if (s->offset == NULL && n1ql_p_accept_kw(p, "OFFSET")) {
            if ((s->offset = n1ql_p_parse_expr(p)) == NULL) {
                return NULL;
            }
        }
    }
    if (s->keyspace == NULL && (s->where != NULL || s->norder > 0)) {
        return n1ql_p_syntax(p, "WHERE and ORDER BY need a FROM clause");
    }
    return s;
}

static char *stmt_name(parser *p)
{
    n1ql_token *t = n1ql_p_peek(p);
    if (t->kind == TK_STRING) {
        n1ql_p_next(p);
        return t->text;
    }
    return n1ql_p_ident(p);
}

static int parse_stmt(parser *p)
{
    n1ql_stmt *st = p->stmt;
    if (n1ql_p_accept_kw(p, "EXECUTE")) {
        st->kind = STMT_EXECUTE;
        if ((st->name = stmt_name(p)) == NULL) {
            return -1;
        }
    } else if (n1ql_p_accept_kw(p, "PREPARE")) {
        st->kind = STMT_PREPARE;
        if (!n1ql_p_is_kw(n1ql_p_peek(p), "SELECT")) {
            if ((st->name = stmt_name(p)) == NULL) {
                return -1;
            }
            if (!n1ql_p_accept_kw(p, "FROM") && !n1ql_p_accept_kw(p, "AS")) {
                n1ql_p_syntax(p, "FROM or AS expected after the prepared statement name");
                return -1;
            }
        }
        st->body = n1ql_p_peek(p)->start;
        if ((st->select = parse_select(p)) == NULL) {
            return -1;
        }
        st->nbody = (size_t)(n1ql_p_peek(p)->start - st->body);
    } else {
        st->kind = STMT_SELECT;
        if ((st->select = parse_select(p)) == NULL) {
            return -1;
        }
    }
    n1ql_p_accept(p, TK_SEMI);
    if (n1ql_p_peek(p)->kind != TK_EOF) {
        n1ql_p_syntax(p, "unexpected text after the statement");
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
