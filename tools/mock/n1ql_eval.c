/* N1QL expression evaluation (see n1ql_eval.h). */
#include "n1ql_eval.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collation.h"

static json_t *oom(n1ql_err *err)
{
    err->code = 5000;
    snprintf(err->msg, sizeof(err->msg), "out of memory");
    return NULL;
}

const char *n1ql_type_name(const json_t *v)
{
    static const char *const names[] = {"missing", "null", "boolean", "boolean", "number", "string", "array",
                                        "object"};
    int r = mock_collate_type_rank(v);
    return r < 8 ? names[r] : "unknown";
}

/* Truth value: 1 true, 0 false, -1 null, -2 missing. */
static int truth(const json_t *v)
{
    if (v == NULL) {
        return -2;
    }
    switch (json_typeof(v)) {
    case JSON_NULL: return -1;
    case JSON_TRUE: return 1;
    case JSON_FALSE: return 0;
    case JSON_INTEGER:
    case JSON_REAL: return json_number_value(v) != 0;
    case JSON_STRING: return json_string_length(v) > 0;
    case JSON_ARRAY: return json_array_size(v) > 0;
    case JSON_OBJECT: return json_object_size(v) > 0;
    }
    return 0;
}

int n1ql_is_true(const json_t *v)
{
    return truth(v) == 1;
}

static json_t *from_truth(int t)
{
    return t == -2 ? NULL : t == -1 ? json_null() : json_boolean(t);
}

static json_t *number(double d)
{
    if (d == floor(d) && fabs(d) < 9007199254740992.0) {
        return json_integer((json_int_t)d);
    }
    return isfinite(d) ? json_real(d) : json_null();
}

static json_t *arith(n1ql_binop op, const json_t *a, const json_t *b)
{
    if (a == NULL || b == NULL) {
        return NULL;
    }
    if (op == OP_CONCAT) {
        if (!json_is_string(a) || !json_is_string(b)) {
            return json_null();
        }
        size_t na = json_string_length(a), nb = json_string_length(b);
        char *buf = malloc(na + nb + 1);
        if (buf == NULL) {
            return NULL;
        }
        memcpy(buf, json_string_value(a), na);
        memcpy(buf + na, json_string_value(b), nb);
        json_t *r = json_stringn_nocheck(buf, na + nb);
        free(buf);
        return r;
    }
    if (!json_is_number(a) || !json_is_number(b)) {
        return json_null();
    }
    if (json_is_integer(a) && json_is_integer(b) && op != OP_DIV) {
        long long x = json_integer_value(a), y = json_integer_value(b), r;
        int ovf = 0;
        switch (op) {
        case OP_ADD: ovf = __builtin_add_overflow(x, y, &r); break;
        case OP_SUB: ovf = __builtin_sub_overflow(x, y, &r); break;
        case OP_MUL: ovf = __builtin_mul_overflow(x, y, &r); break;
        default:
            if (y == 0) {
                return json_null();
            }
            r = y == -1 ? 0 : x % y;
            break;
        }
        if (!ovf) {
            return json_integer(r);
        }
    }
    double x = json_number_value(a), y = json_number_value(b);
    switch (op) {
    case OP_ADD: return number(x + y);
    case OP_SUB: return number(x - y);
    case OP_MUL: return number(x * y);
    case OP_DIV: return y == 0 ? json_null() : number(x / y);
    default: return y == 0 ? json_null() : number(fmod(x, y));
    }
}

static json_t *compare(n1ql_binop op, const json_t *a, const json_t *b)
{
    if (a == NULL || b == NULL) {
        return NULL;
    }
    if (json_is_null(a) || json_is_null(b)) {
        return json_null();
    }
    int c = mock_collate(a, b);
    switch (op) {
    case OP_EQ: return json_boolean(c == 0);
    case OP_NE: return json_boolean(c != 0);
    case OP_LT: return json_boolean(c < 0);
    case OP_LE: return json_boolean(c <= 0);
    case OP_GT: return json_boolean(c > 0);
    default: return json_boolean(c >= 0);
    }
}

/* SQL LIKE: '%' any run, '_' one byte; iterative with one backtrack point. */
static int like_match(const char *s, size_t ns, const char *p, size_t np)
{
    size_t i = 0, j = 0, star = (size_t)-1, mark = 0;
    while (i < ns) {
        if (j < np && (p[j] == '_' || p[j] == s[i]) && p[j] != '%') {
            i++;
            j++;
        } else if (j < np && p[j] == '%') {
            star = j++;
            mark = i;
        } else if (star != (size_t)-1) {
            j = star + 1;
            i = ++mark;
        } else {
            return 0;
        }
    }
    while (j < np && p[j] == '%') {
        j++;
    }
    return j == np;
}

static size_t utf8_len(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        c += ((unsigned char)s[i] & 0xc0) != 0x80;
    }
    return c;
}

static json_t *call(const n1ql_expr *e, json_t **args)
{
    const char *f = e->name;
    json_t *a = args[0];
    if (strcmp(f, "TYPE") == 0) {
        return json_string(n1ql_type_name(a));
    }
    if (a == NULL) {
        return NULL;
    }
    if (strcmp(f, "LOWER") == 0 || strcmp(f, "UPPER") == 0) {
        if (!json_is_string(a)) {
            return json_null();
        }
        size_t n = json_string_length(a);
        char *b = malloc(n + 1);
        if (b == NULL) {
            return NULL;
        }
        for (size_t i = 0; i < n; i++) {
            unsigned char ch = (unsigned char)json_string_value(a)[i];
            b[i] = (char)(ch < 0x80 ? (f[0] == 'L' ? tolower(ch) : toupper(ch)) : ch);
        }
        json_t *r = json_stringn_nocheck(b, n);
        free(b);
        return r;
    }
    if (strcmp(f, "LENGTH") == 0) {
        return json_is_string(a) ? json_integer((json_int_t)utf8_len(json_string_value(a), json_string_length(a)))
                                 : json_null();
    }
    if (strcmp(f, "TOSTRING") == 0) {
        if (json_is_string(a)) {
            return json_incref(a);
        }
        if (json_is_array(a) || json_is_object(a) || json_is_null(a)) {
            return json_null();
        }
        char *s = json_dumps(a, JSON_ENCODE_ANY | JSON_COMPACT);
        json_t *r = s != NULL ? json_string(s) : NULL;
        free(s);
        return r;
    }
    if (!json_is_number(a)) {
        return json_null();
    }
    if (strcmp(f, "ABS") == 0) {
        return json_is_integer(a) && json_integer_value(a) != INT64_MIN ? json_integer(llabs(json_integer_value(a)))
                                                                         : number(fabs(json_number_value(a)));
    }
    return number(round(json_number_value(a))); /* ROUND */
}

static json_t *param(const n1ql_expr *e, const n1ql_row_ctx *c, n1ql_err *err)
{
    json_t *v = NULL;
    if (e->name != NULL) {
        v = json_object_get(c->named, e->name);
        if (v == NULL) {
            err->code = 5010;
            snprintf(err->msg, sizeof(err->msg), "No value for named parameter $%s.", e->name);
        }
    } else {
        v = json_array_get(c->args, e->pos - 1);
        if (v == NULL) {
            err->code = 5010;
            snprintf(err->msg, sizeof(err->msg), "No value for positional parameter $%zu.", e->pos);
        }
    }
    return json_incref(v);
}

static json_t *eval_list(const n1ql_expr *e, const n1ql_row_ctx *c, n1ql_err *err)
{
    json_t *r = e->kind == EX_ARRAY ? json_array() : json_object();
    if (r == NULL) {
        return oom(err);
    }
    for (size_t i = 0; i < e->nitems; i++) {
        json_t *v = n1ql_eval(e->items[i], c, err);
        if (err->code != 0) {
            json_decref(r);
            return NULL;
        }
        int rc = e->kind == EX_ARRAY ? json_array_append_new(r, v != NULL ? v : json_null())
                                     : (v != NULL ? json_object_set_new(r, e->keys[i], v) : 0);
        if (rc != 0) {
            json_decref(r);
            return oom(err);
        }
    }
    return r;
}

static json_t *eval_field(const n1ql_expr *e, const n1ql_row_ctx *c, n1ql_err *err)
{
    if (c->agg_mode) {
        err->code = 4210;
        snprintf(err->msg, sizeof(err->msg), "Expression %s must depend only on group keys or aggregates.",
                 e->name);
        return NULL;
    }
    if (e->kind == EX_IDENT) {
        if (c->alias != NULL && strcmp(e->name, c->alias) == 0) {
            return json_incref(c->doc);
        }
        return json_incref(json_object_get(c->doc, e->name));
    }
    json_t *base = n1ql_eval(e->a, c, err);
    json_t *r = json_incref(json_object_get(base, e->name));
    json_decref(base);
    return r;
}

static json_t *eval_index(const n1ql_expr *e, const n1ql_row_ctx *c, n1ql_err *err)
{
    json_t *base = n1ql_eval(e->a, c, err);
    json_t *idx = err->code == 0 ? n1ql_eval(e->b, c, err) : NULL;
    json_t *r = NULL;
    if (json_is_array(base) && json_is_integer(idx)) {
        long long i = json_integer_value(idx), n = (long long)json_array_size(base);
        if (i < 0) {
            i += n;
        }
        r = i >= 0 && i < n ? json_incref(json_array_get(base, (size_t)i)) : NULL;
    } else if (json_is_object(base) && json_is_string(idx)) {
        r = json_incref(json_object_get(base, json_string_value(idx)));
    } else if (base != NULL && idx != NULL && err->code == 0) {
        r = json_null();
    }
    json_decref(base);
    json_decref(idx);
    return r;
}

static json_t *eval_logic(const n1ql_expr *e, const n1ql_row_ctx *c, n1ql_err *err)
{
    json_t *a = n1ql_eval(e->a, c, err);
    if (err->code != 0) {
        return NULL;
    }
    int ta = truth(a);
    json_decref(a);
    if (e->op == OP_AND && ta == 0) {
        return json_false();
    }
    if (e->op == OP_OR && ta == 1) {
        return json_true();
    }
    json_t *b = n1ql_eval(e->b, c, err);
    if (err->code != 0) {
        return NULL;
    }
    int tb = truth(b);
    json_decref(b);
    if (e->op == OP_AND) {
        return tb == 0 ? json_false() : from_truth(ta < tb ? ta : tb);
    }
    if (tb == 1) {
        return json_true();
    }
    return from_truth(ta < tb ? ta : tb); /* missing (-2) < null (-1) < false (0) */
}

static json_t *eval_pred(const n1ql_expr *e, const n1ql_row_ctx *c, n1ql_err *err)
{
    json_t *a = n1ql_eval(e->a, c, err);
    json_t *b = err->code == 0 && e->b != NULL ? n1ql_eval(e->b, c, err) : NULL;
    json_t *x = err->code == 0 && e->c != NULL ? n1ql_eval(e->c, c, err) : NULL;
    json_t *r = NULL;
    if (err->code != 0) {
        /* fall through with r = NULL */
    } else if (e->kind == EX_IS) {
        int t = e->is == IS_MISSING ? a == NULL
              : e->is == IS_NULL    ? (a == NULL ? -2 : json_is_null(a))
                                    : (a != NULL && !json_is_null(a));
        r = t == -2 ? NULL : json_boolean(e->negate ? !t : t);
    } else if (a == NULL || b == NULL || (e->kind == EX_BETWEEN && x == NULL)) {
        r = NULL;
    } else if (json_is_null(a) || json_is_null(b) || (x != NULL && json_is_null(x))) {
        r = json_null();
    } else if (e->kind == EX_IN) {
        int found = 0;
        for (size_t i = 0; json_is_array(b) && i < json_array_size(b) && !found; i++) {
            found = mock_collate(a, json_array_get(b, i)) == 0;
        }
        r = json_is_array(b) ? json_boolean(e->negate ? !found : found) : json_null();
    } else if (e->kind == EX_LIKE) {
        if (json_is_string(a) && json_is_string(b)) {
            int m = like_match(json_string_value(a), json_string_length(a), json_string_value(b),
                               json_string_length(b));
            r = json_boolean(e->negate ? !m : m);
        } else {
            r = json_null();
        }
    } else {
        int in = mock_collate(a, b) >= 0 && mock_collate(a, x) <= 0;
        r = json_boolean(e->negate ? !in : in);
    }
    json_decref(a);
    json_decref(b);
    json_decref(x);
    return r;
}

json_t *n1ql_eval(const n1ql_expr *e, const n1ql_row_ctx *c, n1ql_err *err)
{
    json_t *a = NULL, *b = NULL, *r = NULL;
    switch (e->kind) {
    case EX_LIT: return json_incref(e->lit);
    case EX_IDENT:
    case EX_FIELD: return eval_field(e, c, err);
    case EX_INDEX: return eval_index(e, c, err);
    case EX_PARAM: return param(e, c, err);
    case EX_META:
        if (c->agg_mode) {
            err->code = 4210;
            snprintf(err->msg, sizeof(err->msg), "META() must depend only on group keys or aggregates.");
            return NULL;
        }
        return e->name != NULL && (c->alias == NULL || strcmp(e->name, c->alias) != 0) ? NULL
                                                                                       : json_incref(c->meta);
    case EX_AGG:
        if (c->aggs == NULL) {
            err->code = 5000;
            snprintf(err->msg, sizeof(err->msg), "aggregate evaluated outside an aggregate query");
            return NULL;
        }
        return json_incref(c->aggs[e->agg_slot]);
    case EX_ARRAY:
    case EX_OBJECT: return eval_list(e, c, err);
    case EX_IS:
    case EX_IN:
    case EX_LIKE:
    case EX_BETWEEN: r = eval_pred(e, c, err); break;
    case EX_NOT:
        a = n1ql_eval(e->a, c, err);
        r = err->code != 0 ? NULL : truth(a) < 0 ? from_truth(truth(a)) : json_boolean(!truth(a));
        json_decref(a);
        return r;
    case EX_NEG:
        a = n1ql_eval(e->a, c, err);
        if (json_is_integer(a) && json_integer_value(a) != INT64_MIN) {
            r = json_integer(-json_integer_value(a));
        } else {
            r = a == NULL ? NULL : json_is_number(a) ? number(-json_number_value(a)) : json_null();
        }
        json_decref(a);
        return r;
    case EX_CALL: {
        json_t *args[1] = {NULL};
        if (e->nitems != 1) {
            err->code = 3000;
            snprintf(err->msg, sizeof(err->msg), "%s() takes exactly one argument", e->name);
            return NULL;
        }
        args[0] = n1ql_eval(e->items[0], c, err);
        r = err->code != 0 ? NULL : call(e, args);
        if (r == NULL && args[0] != NULL && err->code == 0) {
            oom(err);
        }
        json_decref(args[0]);
        return r;
    }
    case EX_BINARY:
        if (e->op == OP_AND || e->op == OP_OR) {
            return eval_logic(e, c, err);
        }
        a = n1ql_eval(e->a, c, err);
        b = err->code == 0 ? n1ql_eval(e->b, c, err) : NULL;
        if (err->code == 0) {
            r = e->op <= OP_GE ? compare(e->op, a, b) : arith(e->op, a, b);
            if (r == NULL && a != NULL && b != NULL) {
                oom(err);
            }
        }
        json_decref(a);
        json_decref(b);
        return r;
    }
    return r;
}

void n1ql_collect_aggs(const n1ql_expr *e, const n1ql_expr **aggs, size_t naggs)
{
    if (e == NULL) {
        return;
    }
    if (e->kind == EX_AGG && e->agg_slot < naggs) {
        aggs[e->agg_slot] = e;
    }
    n1ql_collect_aggs(e->a, aggs, naggs);
    n1ql_collect_aggs(e->b, aggs, naggs);
    n1ql_collect_aggs(e->c, aggs, naggs);
    for (size_t i = 0; i < e->nitems; i++) {
        n1ql_collect_aggs(e->items[i], aggs, naggs);
    }
}

int n1ql_agg_step(const n1ql_expr *agg, n1ql_agg_acc *acc, const n1ql_row_ctx *c, n1ql_err *err)
{
    if (agg->agg == AGG_COUNT_STAR) {
        acc->count++;
        return 0;
    }
    json_t *v = n1ql_eval(agg->a, c, err);
    if (err->code != 0) {
        return -1;
    }
    if (v != NULL && !json_is_null(v)) {
        acc->count++;
        if (json_is_number(v)) {
            if (acc->nnum++ == 0) {
                acc->all_int = 1;
            }
            acc->sum += json_number_value(v);
            if (json_is_integer(v) && acc->all_int && !acc->overflow) {
                acc->overflow = __builtin_add_overflow(acc->isum, json_integer_value(v), &acc->isum);
            } else {
                acc->all_int = 0;
            }
        }
        if (acc->best == NULL || (agg->agg == AGG_MIN && mock_collate(v, acc->best) < 0) ||
            (agg->agg == AGG_MAX && mock_collate(v, acc->best) > 0)) {
            json_decref(acc->best);
            acc->best = json_incref(v);
        }
    }
    json_decref(v);
    return 0;
}

json_t *n1ql_agg_final(const n1ql_expr *agg, const n1ql_agg_acc *acc)
{
    switch (agg->agg) {
    case AGG_COUNT_STAR:
    case AGG_COUNT: return json_integer(acc->count);
    case AGG_SUM:
        if (acc->nnum == 0) {
            return json_null();
        }
        return acc->all_int && !acc->overflow ? json_integer(acc->isum) : number(acc->sum);
    case AGG_AVG: return acc->nnum == 0 ? json_null() : number(acc->sum / (double)acc->nnum);
    default: return acc->best != NULL ? json_incref(acc->best) : json_null();
    }
}

void n1ql_agg_clear(n1ql_agg_acc *acc)
{
    json_decref(acc->best);
    memset(acc, 0, sizeof(*acc));
}
