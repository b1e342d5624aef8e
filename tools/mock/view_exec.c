/* View query execution (see view_exec.h). */
#include "view_exec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collation.h"

static int cmp_ids(const json_t *a, const json_t *b)
{
    size_t na = json_string_length(a), nb = json_string_length(b);
    size_t n = na < nb ? na : nb;
    int c = n ? memcmp(json_string_value(a), json_string_value(b), n) : 0;
    if (c != 0) {
        return c < 0 ? -1 : 1;
    }
    return (na > nb) - (na < nb);
}

static int cmp_rows(const void *pa, const void *pb)
{
    const mock_view_row *a = pa, *b = pb;
    int c = mock_view_collate(a->key, b->key);
    if (c == 0) {
        c = cmp_ids(a->id, b->id);
    }
    if (c == 0) {
        c = (a->seq > b->seq) - (a->seq < b->seq);
    }
    return c;
}

void mock_view_sort(mock_view_rows *rows)
{
    if (rows->n > 1) {
        qsort(rows->v, rows->n, sizeof(rows->v[0]), cmp_rows);
    }
}

void mock_view_result_clear(mock_view_result *res)
{
    mock_view_rows_clear(&res->rows);
    memset(res, 0, sizeof(*res));
}

/* Compare a row against a bound (key, optional docid); <0 row before bound. */
static int cmp_bound(const mock_view_row *r, const json_t *key, const char *docid)
{
    int c = mock_view_collate(r->key, key);
    if (c == 0 && docid != NULL) {
        size_t nr = json_string_length(r->id), nd = strlen(docid);
        size_t n = nr < nd ? nr : nd;
        c = n ? memcmp(json_string_value(r->id), docid, n) : 0;
        c = c != 0 ? (c < 0 ? -1 : 1) : (nr > nd) - (nr < nd);
    }
    return c;
}

static int row_in_range(const mock_view_opts *o, const mock_view_row *r)
{
    int dir = o->descending ? -1 : 1;
    if (o->key != NULL && mock_view_collate(r->key, o->key) != 0) {
        return 0;
    }
    if (o->startkey != NULL && cmp_bound(r, o->startkey, o->startkey_docid) * dir < 0) {
        return 0;
    }
    if (o->endkey != NULL) {
        int c = cmp_bound(r, o->endkey, o->endkey_docid) * dir;
        if (c > 0 || (c == 0 && !o->inclusive_end)) {
            return 0;
        }
    }
    return 1;
}

static int push_shared(mock_view_rows *out, const mock_view_row *r)
{
    return mock_view_rows_push(out, json_incref(r->key), json_incref(r->value), json_incref(r->id));
}

/* Select the matching rows of the sorted index, in output order. */
static int select_rows(const mock_view_opts *o, const mock_view_rows *index, mock_view_rows *sel)
{
    if (o->keys != NULL) {
        size_t i;
        json_t *k;
        json_array_foreach(o->keys, i, k) {
            for (size_t j = 0; j < index->n; j++) {
                size_t at = o->descending ? index->n - 1 - j : j;
                if (mock_view_collate(index->v[at].key, k) == 0 && push_shared(sel, &index->v[at]) != 0) {
                    return -1;
                }
            }
        }
        return 0;
    }
    for (size_t j = 0; j < index->n; j++) {
        size_t at = o->descending ? index->n - 1 - j : j;
        if (row_in_range(o, &index->v[at]) && push_shared(sel, &index->v[at]) != 0) {
            return -1;
        }
    }
    return 0;
}

static json_t *group_key(const json_t *key, int group, int level)
{
    if (!group) {
        return json_null();
    }
    if (level < 0 || !json_is_array(key)) {
        return json_incref((json_t *)key);
    }
    json_t *k = json_array();
    for (size_t i = 0; k != NULL && i < json_array_size(key) && i < (size_t)level; i++) {
        if (json_array_append(k, json_array_get(key, i)) != 0) {
            json_decref(k);
            return NULL;
        }
    }
    return k;
}

static json_t *number_or_int(double v)
{
    if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        return json_integer((json_int_t)v);
    }
    return json_real(v);
}

static json_t *builtin_reduce(const char *fn, const mock_view_rows *sel, size_t from, size_t to, char *err,
                              size_t nerr)
{
    if (strcmp(fn, "_count") == 0) {
        return json_integer((json_int_t)(to - from));
    }
    double sum = 0, sumsqr = 0, min = 0, max = 0;
    for (size_t i = from; i < to; i++) {
        const json_t *v = sel->v[i].value;
        if (!json_is_number(v)) {
            char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            snprintf(err, nerr, "Builtin %s function requires map values to be numbers, got %s", fn,
                     t != NULL ? t : "?");
            free(t);
            return NULL;
        }
        double x = json_number_value(v);
        sum += x;
        sumsqr += x * x;
        min = i == from || x < min ? x : min;
        max = i == from || x > max ? x : max;
    }
    if (strcmp(fn, "_sum") == 0) {
        return number_or_int(sum);
    }
    return json_pack("{s:o, s:I, s:o, s:o, s:o}", "sum", number_or_int(sum), "count",
                     (json_int_t)(to - from), "min", number_or_int(min), "max", number_or_int(max),
                     "sumsqr", number_or_int(sumsqr));
}

static int is_builtin(const char *fn)
{
    return strcmp(fn, "_count") == 0 || strcmp(fn, "_sum") == 0 || strcmp(fn, "_stats") == 0;
}

static mock_view_exec_rc reduce_rows(const mock_view_opts *o, const mock_view_rows *sel, const char *fn,
                                     mock_view_js *js, mock_view_rows *out, char *err, size_t nerr)
{
    /* group_level=N (N > 0) implies grouping on the first N array elements;
     * group_level=0 collapses everything into one row like group=false. */
    int group = (o->group || o->group_level > 0) && o->group_level != 0;
    int level = o->group_level > 0 ? o->group_level : -1;
    size_t i = 0;
    while (i < sel->n) {
        json_t *gk = group_key(sel->v[i].key, group, level);
        if (gk == NULL) {
            return MOCK_VIEW_EXEC_NOMEM;
        }
        size_t j = i + 1;
        while (j < sel->n) {
            json_t *nk = group_key(sel->v[j].key, group, level);
            if (nk == NULL) {
                json_decref(gk);
                return MOCK_VIEW_EXEC_NOMEM;
            }
            int same = mock_view_collate(gk, nk) == 0;
            json_decref(nk);
            if (!same) {
                break;
            }
            j++;
        }
        json_t *v = is_builtin(fn) ? builtin_reduce(fn, sel, i, j, err, nerr)
                                   : mock_view_js_reduce(js, sel->v, i, j, err, nerr);
        if (v == NULL) {
            json_decref(gk);
            return err[0] != '\0' ? MOCK_VIEW_EXEC_REDUCE_ERR : MOCK_VIEW_EXEC_NOMEM;
        }
        if (mock_view_rows_push(out, gk, v, NULL) != 0) {
            return MOCK_VIEW_EXEC_NOMEM;
        }
        i = j;
    }
    return MOCK_VIEW_EXEC_OK;
}

static mock_view_exec_rc check_opts(const mock_view_opts *o, int reducing, int has_reduce, char *err,
                                    size_t nerr)
{
    if (!has_reduce && o->reduce == 1) {
        snprintf(err, nerr, "Invalid URL parameter `reduce` for map view.");
        return MOCK_VIEW_EXEC_BAD_QUERY;
    }
    if (!reducing && (o->group || o->group_level >= 0)) {
        snprintf(err, nerr, "Invalid URL parameter `group` or `group_level` for non-reduce view.");
        return MOCK_VIEW_EXEC_BAD_QUERY;
    }
    if (o->startkey != NULL && o->endkey != NULL &&
        mock_view_collate(o->startkey, o->endkey) * (o->descending ? -1 : 1) > 0) {
        snprintf(err, nerr, "No rows can match your key range, reverse your start_key and end_key or set "
                            "descending=%s", o->descending ? "false" : "true");
        return MOCK_VIEW_EXEC_BAD_QUERY;
    }
    if (reducing && o->keys != NULL && !o->group && o->group_level < 0) {
        snprintf(err, nerr, "Multi-key fetches for reduce views must use `group=true`");
        return MOCK_VIEW_EXEC_BAD_QUERY;
    }
    return MOCK_VIEW_EXEC_OK;
}

static int skip_limit(const mock_view_opts *o, mock_view_rows *rows)
{
    size_t skip = o->skip > 0 ? (size_t)o->skip : 0;
    if (skip > rows->n) {
        skip = rows->n;
    }
    size_t keep = rows->n - skip;
    if (o->limit >= 0 && (unsigned long long)o->limit < keep) {
        keep = (size_t)o->limit;
    }
    mock_view_rows tmp = {0};
    for (size_t i = skip; i < skip + keep; i++) {
        if (push_shared(&tmp, &rows->v[i]) != 0) {
            mock_view_rows_clear(&tmp);
            return -1;
        }
    }
    mock_view_rows_clear(rows);
    *rows = tmp;
    return 0;
}

mock_view_exec_rc mock_view_exec(const mock_view_opts *o, mock_view_rows *index, const char *reduce,
                                 mock_view_js *js, mock_view_result *res, char *err, size_t nerr)
{
    memset(res, 0, sizeof(*res));
    if (nerr > 0) {
        err[0] = '\0';
    }
    int has_reduce = reduce != NULL;
    int reducing = has_reduce && o->reduce != 0;
    mock_view_exec_rc rc = check_opts(o, reducing, has_reduce, err, nerr);
    if (rc != MOCK_VIEW_EXEC_OK) {
        return rc;
    }
    mock_view_sort(index);
    mock_view_rows sel = {0};
    if (select_rows(o, index, &sel) != 0) {
        mock_view_rows_clear(&sel);
        return MOCK_VIEW_EXEC_NOMEM;
    }
    res->total_rows = index->n;
    if (reducing) {
        res->reduced = 1;
        rc = reduce_rows(o, &sel, reduce, js, &res->rows, err, nerr);
        mock_view_rows_clear(&sel);
        if (rc != MOCK_VIEW_EXEC_OK) {
            mock_view_result_clear(res);
            return rc;
        }
    } else {
        res->rows = sel;
    }
    if (skip_limit(o, &res->rows) != 0) {
        mock_view_result_clear(res);
        return MOCK_VIEW_EXEC_NOMEM;
    }
    return MOCK_VIEW_EXEC_OK;
}
