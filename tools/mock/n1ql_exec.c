/* Incremental N1QL SELECT execution (see n1ql_exec.h). */
#include "n1ql_exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collation.h"
#include "query_util.h"

#define MAX_USE_KEYS 100000

typedef struct key_ref {
    char *key;
    size_t nkey;
} key_ref;

typedef struct mat_row {
    json_t *doc, *meta;
    json_t **sort; /* norder values (NULL = missing) */
    size_t seq;
} mat_row;

struct n1ql_exec {
    const n1ql_select *s;
    mock_bucket *b;
    json_t *args, *named;
    unsigned long long deadline;
    const n1ql_expr **order_exprs;
    key_ref *keys;
    size_t nkeys, next_key, nkeys_cap;
    long long offset, limit; /* limit -1 = none */
    long long skipped, emitted;
    int materialize, materialized, no_from_done;
    mat_row *rows;
    size_t nrows, rows_cap, next_row;
    const n1ql_expr **aggs;
    n1ql_agg_acc *accs;
    json_t **agg_vals;
    size_t result_count, result_size;
};

/* ---------------------------------------------------------------- setup */

static int key_push(n1ql_exec *x, const char *k, size_t n)
{
    if (x->nkeys == x->nkeys_cap) {
        size_t ncap = x->nkeys_cap ? x->nkeys_cap * 2 : 256;
        key_ref *nk = realloc(x->keys, ncap * sizeof(*nk));
        if (nk == NULL) {
            return -1;
        }
        x->keys = nk;
        x->nkeys_cap = ncap;
    }
    char *c = malloc(n + 1);
    if (c == NULL) {
        return -1;
    }
    memcpy(c, k, n);
    c[n] = '\0';
    x->keys[x->nkeys].key = c;
    x->keys[x->nkeys].nkey = n;
    x->nkeys++;
    return 0;
}

static int collect_key(void *arg, const char *key, size_t nkey, const char *val, size_t nval, uint32_t flags,
                       uint64_t cas)
{
    return key_push(arg, key, nkey) != 0 ? 1 : 0;
}

static int cmp_keys(const void *pa, const void *pb)
{
    const key_ref *a = pa, *b = pb;
    size_t n = a->nkey < b->nkey ? a->nkey : b->nkey;
    int c = n ? memcmp(a->key, b->key, n) : 0;
    return c != 0 ? c : (a->nkey > b->nkey) - (a->nkey < b->nkey);
}

static void *set_err(n1ql_err *err, int code, const char *msg)
{
    err->code = code;
    snprintf(err->msg, sizeof(err->msg), "%s", msg);
    return NULL;
}

static int eval_count(const n1ql_expr *e, const n1ql_row_ctx *c, long long *dst, const char *what, n1ql_err *err)
{
    json_t *v = n1ql_eval(e, c, err);
    if (err->code != 0) {
        return -1;
    }
    int ok = json_is_integer(v) && json_integer_value(v) >= 0;
    if (ok) {
        *dst = json_integer_value(v);
    }
    json_decref(v);
    if (!ok) {
        err->code = 5030;
        snprintf(err->msg, sizeof(err->msg), "Invalid %s value: must be a non-negative integer.", what);
        return -1;
    }
    return 0;
}

static int use_keys(n1ql_exec *x, const n1ql_row_ctx *c, n1ql_err *err)
{
    json_t *v = n1ql_eval(x->s->use_keys, c, err);
    if (err->code != 0) {
        return -1;
    }
    int rc = 0;
    if (json_is_string(v)) {
        rc = key_push(x, json_string_value(v), json_string_length(v));
    } else if (json_is_array(v) && json_array_size(v) <= MAX_USE_KEYS) {
        size_t i;
        json_t *k;
        json_array_foreach(v, i, k) {
            if (json_is_string(k) && key_push(x, json_string_value(k), json_string_length(k)) != 0) {
                rc = -1;
                break;
            }
        }
    } else if (v != NULL && !json_is_null(v)) {
        json_decref(v);
        set_err(err, 5030, "USE KEYS takes a string or an array of strings.");
        return -1;
    }
    json_decref(v);
    if (rc != 0) {
        set_err(err, 5000, "out of memory");
    }
    return rc;
}

/* ORDER BY may name a projection alias: use that projection's expression. */
static const n1ql_expr *resolve_order(const n1ql_select *s, const n1ql_expr *e)
{
    if (e->kind == EX_IDENT && (s->alias == NULL || strcmp(e->name, s->alias) != 0)) {
        for (size_t i = 0; i < s->nproj; i++) {
            const n1ql_proj *p = &s->projs[i];
            if (!p->star && p->as != NULL && strcmp(p->as, e->name) == 0 && p->e->kind != EX_AGG) {
                return p->e;
            }
        }
    }
    return e;
}

static int setup_aggs(n1ql_exec *x)
{
    size_t n = x->s->naggs;
    x->aggs = calloc(n, sizeof(*x->aggs));
    x->accs = calloc(n, sizeof(*x->accs));
    x->agg_vals = calloc(n, sizeof(*x->agg_vals));
    if (x->aggs == NULL || x->accs == NULL || x->agg_vals == NULL) {
        return -1;
    }
    for (size_t i = 0; i < x->s->nproj; i++) {
        n1ql_collect_aggs(x->s->projs[i].e, x->aggs, n);
    }
    return 0;
}

n1ql_exec *n1ql_exec_new(const n1ql_select *s, mock_cluster *c, const json_t *args, const json_t *named,
                         unsigned long long deadline_ns, n1ql_err *err)
{
    err->code = 0;
    n1ql_exec *x = calloc(1, sizeof(*x));
    if (x == NULL) {
        return set_err(err, 5000, "out of memory");
    }
    x->s = s;
    x->args = json_incref((json_t *)args);
    x->named = json_incref((json_t *)named);
    x->deadline = deadline_ns;
    x->limit = -1;
    n1ql_row_ctx ctx = {.args = args, .named = named};
    if ((s->limit != NULL && eval_count(s->limit, &ctx, &x->limit, "LIMIT", err) != 0) ||
        (s->offset != NULL && eval_count(s->offset, &ctx, &x->offset, "OFFSET", err) != 0)) {
        n1ql_exec_free(x);
        return NULL;
    }
    x->materialize = s->norder > 0 || s->naggs > 0;
    if ((s->naggs > 0 && setup_aggs(x) != 0) ||
        (s->norder > 0 && (x->order_exprs = calloc(s->norder, sizeof(*x->order_exprs))) == NULL)) {
        n1ql_exec_free(x);
        return set_err(err, 5000, "out of memory");
    }
    for (size_t i = 0; i < s->norder; i++) {
        x->order_exprs[i] = resolve_order(s, s->orders[i].e);
    }
    if (s->keyspace == NULL) {
        return x;
    }
    x->b = mock_cluster_bucket(c, s->keyspace);
    if (x->b == NULL) {
        err->code = 12003;
        snprintf(err->msg, sizeof(err->msg), "Keyspace not found in CB datastore: default:%s", s->keyspace);
        n1ql_exec_free(x);
        return NULL;
    }
    if (s->use_keys != NULL) {
        if (use_keys(x, &ctx, err) != 0) {
            n1ql_exec_free(x);
            return NULL;
        }
        return x;
    }
    mock_bucket_foreach(x->b, collect_key, x);
    if (x->nkeys > 1) {
        qsort(x->keys, x->nkeys, sizeof(*x->keys), cmp_keys); /* primary index order */
    }
    return x;
}

void n1ql_exec_free(n1ql_exec *x)
{
    if (x == NULL) {
        return;
    }
    for (size_t i = 0; i < x->nkeys; i++) {
        free(x->keys[i].key);
    }
    free(x->keys);
    for (size_t i = 0; i < x->nrows; i++) {
        json_decref(x->rows[i].doc);
        json_decref(x->rows[i].meta);
        for (size_t k = 0; x->rows[i].sort != NULL && k < x->s->norder; k++) {
            json_decref(x->rows[i].sort[k]);
        }
        free(x->rows[i].sort);
    }
    free(x->rows);
    for (size_t i = 0; i < x->s->naggs; i++) {
        if (x->accs != NULL) {
            n1ql_agg_clear(&x->accs[i]);
        }
        if (x->agg_vals != NULL) {
            json_decref(x->agg_vals[i]);
        }
    }
    free(x->aggs);
    free(x->accs);
    free(x->agg_vals);
    free(x->order_exprs);
    json_decref(x->args);
    json_decref(x->named);
    free(x);
}

size_t n1ql_exec_result_count(const n1ql_exec *x)
{
    return x->result_count;
}

size_t n1ql_exec_result_size(const n1ql_exec *x)
{
    return x->result_size;
}

/* ---------------------------------------------------------------- rows */

typedef struct fetched {
    json_t *doc, *meta;
    int oom;
} fetched;

static int fetch_visit(void *arg, const char *key, size_t nkey, const char *val, size_t nval, uint32_t flags,
                       uint64_t cas)
{
    fetched *f = arg;
    f->doc = json_loadb(val, nval, JSON_DECODE_ANY, NULL);
    if (f->doc == NULL) {
        return 0; /* not JSON: invisible to N1QL in this mock */
    }
    f->meta = json_pack("{s:s%, s:I, s:I, s:i, s:s}", "id", key, nkey, "cas", (json_int_t)cas, "flags",
                        (json_int_t)flags, "expiration", 0, "type", "json");
    if (f->meta == NULL) {
        json_decref(f->doc);
        f->doc = NULL;
        json_t *probe = json_stringn(key, nkey); /* a non-UTF-8 key is skipped, not an error */
        f->oom = probe != NULL;
        json_decref(probe);
    }
    return 0;
}

static json_t *project(n1ql_exec *x, const n1ql_row_ctx *c, n1ql_err *err)
{
    const n1ql_select *s = x->s;
    if (s->raw) {
        return n1ql_eval(s->projs[0].e, c, err);
    }
    json_t *o = json_object();
    if (o == NULL) {
        return set_err(err, 5000, "out of memory");
    }
    for (size_t i = 0; i < s->nproj && err->code == 0; i++) {
        const n1ql_proj *p = &s->projs[i];
        int rc = 0;
        if (p->star && p->e == NULL) {
            if (c->doc != NULL && s->alias != NULL) {
                rc = json_object_set(o, s->alias, c->doc);
            }
        } else {
            json_t *v = n1ql_eval(p->e, c, err);
            if (p->star) {
                rc = json_is_object(v) ? json_object_update(o, v) : 0;
                json_decref(v);
            } else if (v != NULL) {
                rc = json_object_set_new(o, p->as, v);
            }
        }
        if (rc != 0) {
            set_err(err, 5000, "out of memory");
        }
    }
    if (err->code != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int emit_row(n1ql_exec *x, const n1ql_row_ctx *c, mock_strbuf *out, n1ql_err *err)
{
    if (x->skipped < x->offset) {
        x->skipped++;
        return 0;
    }
    json_t *v = project(x, c, err);
    if (err->code != 0) {
        return -1;
    }
    if (v == NULL) {
        return 0; /* RAW MISSING: no row */
    }
    size_t before = out->len;
    int rc = (x->result_count > 0 ? mock_strbuf_append(out, ",", 1) : 0) | mock_q_append_json(out, v);
    json_decref(v);
    if (rc != 0) {
        set_err(err, 5000, "out of memory");
        return -1;
    }
    x->result_size += out->len - before - (x->result_count > 0);
    x->result_count++;
    x->emitted++;
    return 0;
}

static int limit_reached(const n1ql_exec *x)
{
    return x->limit >= 0 && x->emitted >= x->limit;
}

static int timed_out(const n1ql_exec *x, n1ql_err *err)
{
    if (x->deadline != 0 && mock_q_now_ns() > x->deadline) {
        set_err(err, 1080, "Timeout exceeded");
        return 1;
    }
    return 0;
}

/* Fetch the next key's document passing WHERE. 1 found, 0 no more keys, -1 error. */
static int next_match(n1ql_exec *x, n1ql_row_ctx *c, n1ql_err *err)
{
    while (x->next_key < x->nkeys) {
        if (timed_out(x, err)) {
            return -1;
        }
        key_ref *k = &x->keys[x->next_key++];
        fetched f = {0};
        if (mock_bucket_lookup(x->b, k->key, k->nkey, fetch_visit, &f) != 0 || f.doc == NULL) {
            if (f.oom) {
                set_err(err, 5000, "out of memory");
                return -1;
            }
            continue; /* deleted since the scan, or not JSON */
        }
        c->doc = f.doc;
        c->meta = f.meta;
        if (x->s->where == NULL) {
            return 1;
        }
        json_t *w = n1ql_eval(x->s->where, c, err);
        int pass = n1ql_is_true(w);
        json_decref(w);
        if (err->code != 0 || !pass) {
            json_decref(c->doc);
            json_decref(c->meta);
            c->doc = c->meta = NULL;
            if (err->code != 0) {
                return -1;
            }
            continue;
        }
        return 1;
    }
    return 0;
}

static int cmp_mat(const void *pa, const void *pb, void *arg)
{
    const mat_row *a = pa, *b = pb;
    const n1ql_select *s = arg;
    for (size_t i = 0; i < s->norder; i++) {
        int c = mock_collate(a->sort[i], b->sort[i]);
        if (c != 0) {
            return s->orders[i].desc ? -c : c;
        }
    }
    return (a->seq > b->seq) - (a->seq < b->seq);
}

static int keep_row(n1ql_exec *x, n1ql_row_ctx *c, n1ql_err *err)
{
    if (x->nrows == x->rows_cap) {
        size_t ncap = x->rows_cap ? x->rows_cap * 2 : 256;
        mat_row *nr = realloc(x->rows, ncap * sizeof(*nr));
        if (nr == NULL) {
            set_err(err, 5000, "out of memory");
            return -1;
        }
        x->rows = nr;
        x->rows_cap = ncap;
    }
    mat_row *r = &x->rows[x->nrows];
    r->sort = calloc(x->s->norder, sizeof(*r->sort));
    if (r->sort == NULL) {
        set_err(err, 5000, "out of memory");
        return -1;
    }
    r->doc = c->doc;
    r->meta = c->meta;
    r->seq = x->nrows;
    x->nrows++;
    c->doc = c->meta = NULL; /* ownership moved */
    for (size_t i = 0; i < x->s->norder; i++) {
        r->sort[i] = n1ql_eval(x->order_exprs[i], &(n1ql_row_ctx){.alias = x->s->alias, .doc = r->doc,
                                                                   .meta = r->meta, .args = x->args,
                                                                   .named = x->named}, err);
        if (err->code != 0) {
            return -1;
        }
    }
    return 0;
}

/* Collect every match (ORDER BY) or fold them into the aggregates. */
static int materialize(n1ql_exec *x, n1ql_err *err)
{
    n1ql_row_ctx c = {.alias = x->s->alias, .args = x->args, .named = x->named};
    int rc;
    while ((rc = next_match(x, &c, err)) == 1) {
        if (x->s->naggs > 0) {
            for (size_t i = 0; i < x->s->naggs && rc == 1; i++) {
                rc = x->aggs[i] == NULL || n1ql_agg_step(x->aggs[i], &x->accs[i], &c, err) == 0 ? 1 : -1;
            }
            json_decref(c.doc);
            json_decref(c.meta);
            c.doc = c.meta = NULL;
        } else {
            rc = keep_row(x, &c, err) == 0 ? 1 : -1;
            json_decref(c.doc);
            json_decref(c.meta);
            c.doc = c.meta = NULL;
        }
        if (rc != 1) {
            return -1;
        }
    }
    if (rc < 0) {
        return -1;
    }
    if (x->nrows > 1) {
        qsort_r(x->rows, x->nrows, sizeof(*x->rows), cmp_mat, (void *)x->s);
    }
    for (size_t i = 0; i < x->s->naggs; i++) {
        if (x->aggs[i] != NULL && (x->agg_vals[i] = n1ql_agg_final(x->aggs[i], &x->accs[i])) == NULL) {
            set_err(err, 5000, "out of memory");
            return -1;
        }
    }
    x->materialized = 1;
    return 0;
}

static int next_materialized(n1ql_exec *x, mock_strbuf *out, size_t start, size_t max, n1ql_err *err)
{
    if (x->s->naggs > 0) { /* one row, no GROUP BY */
        if (x->next_row++ == 0 && !limit_reached(x)) {
            n1ql_row_ctx c = {.alias = x->s->alias, .args = x->args, .named = x->named, .aggs = x->agg_vals,
                              .agg_mode = 1};
            if (emit_row(x, &c, out, err) != 0) {
                return -1;
            }
        }
        return 0;
    }
    while (x->next_row < x->nrows && !limit_reached(x) && out->len - start < max) {
        mat_row *r = &x->rows[x->next_row++];
        n1ql_row_ctx c = {.alias = x->s->alias, .doc = r->doc, .meta = r->meta, .args = x->args,
                          .named = x->named};
        if (emit_row(x, &c, out, err) != 0) {
            return -1;
        }
    }
    return x->next_row < x->nrows && !limit_reached(x) ? 1 : 0;
}

int n1ql_exec_next(n1ql_exec *x, mock_strbuf *out, size_t max, n1ql_err *err)
{
    size_t start = out->len;
    err->code = 0;
    if (x->s->keyspace == NULL && x->s->naggs == 0) { /* SELECT without FROM: one row */
        if (!x->no_from_done && !limit_reached(x)) {
            x->no_from_done = 1;
            n1ql_row_ctx c = {.args = x->args, .named = x->named};
            return emit_row(x, &c, out, err) != 0 ? -1 : 0;
        }
        return 0;
    }
    if (x->materialize) {
        if (!x->materialized && materialize(x, err) != 0) {
            return -1;
        }
        return next_materialized(x, out, start, max, err);
    }
    n1ql_row_ctx c = {.alias = x->s->alias, .args = x->args, .named = x->named};
    while (!limit_reached(x) && out->len - start < max) {
        int rc = next_match(x, &c, err);
        if (rc <= 0) {
            return rc;
        }
        rc = emit_row(x, &c, out, err);
        json_decref(c.doc);
        json_decref(c.meta);
        c.doc = c.meta = NULL;
        if (rc != 0) {
            return -1;
        }
    }
    return limit_reached(x) || x->next_key >= x->nkeys ? 0 : 1;
}

/* ---------------------------------------------------------------- signature */

static const char *sig_type(const n1ql_expr *e)
{
    if (e->kind == EX_AGG && (e->agg == AGG_COUNT || e->agg == AGG_COUNT_STAR)) {
        return "number";
    }
    if (e->kind == EX_LIT && e->lit != NULL) {
        return json_is_number(e->lit) ? "number" : json_is_string(e->lit) ? "string" : "json";
    }
    return "json";
}

json_t *n1ql_signature(const n1ql_select *s)
{
    if (s->raw) {
        return json_string(sig_type(s->projs[0].e));
    }
    json_t *o = json_object();
    for (size_t i = 0; o != NULL && i < s->nproj; i++) {
        const n1ql_proj *p = &s->projs[i];
        int rc = p->star ? json_object_set_new(o, "*", json_string("*"))
                         : json_object_set_new(o, p->as, json_string(sig_type(p->e)));
        if (rc != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}
