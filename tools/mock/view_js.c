/* View map/reduce functions run in duktape (see view_js.h). Every call into the
 * engine goes through duk_safe_call/duk_pcall so a throwing function, a bad value
 * or an engine allocation failure becomes an error return, never a fatal error. */
#include "view_js.h"

#include <duktape.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every engine allocation carries this header and sits on a list, so a heap whose
 * creation fails half-way (duktape does not release everything then) is still
 * freed completely, and a runaway map function meets MOCK_VIEW_JS_MAX_HEAP. */
typedef union js_block {
    struct {
        union js_block *prev, *next;
        size_t size;
    } h;
    max_align_t align;
} js_block;

struct mock_view_js {
    js_block blocks; /* list sentinel */
    size_t heap_bytes;
    duk_context *ctx;
    int has_reduce;
    mock_view_rows *rows; /* target of emit() during a map run */
    json_t *cur_id;       /* id of the document being mapped */
    int oom;
    /* arguments of the current safe call */
    const char *src, *src2;
    const char *doc;
    size_t ndoc;
    uint32_t flags;
    uint64_t cas;
    const char *json_arg1, *json_arg2;
    json_t *result;
};

int mock_view_rows_push(mock_view_rows *r, json_t *key, json_t *value, json_t *id)
{
    if (r->n == r->cap) {
        size_t ncap = r->cap ? r->cap * 2 : 64;
        mock_view_row *nv = r->n >= MOCK_VIEW_MAX_ROWS ? NULL : realloc(r->v, ncap * sizeof(*nv));
        if (nv == NULL) {
            json_decref(key);
            json_decref(value);
            json_decref(id);
            return -1;
        }
        r->v = nv;
        r->cap = ncap;
    }
    r->v[r->n].key = key;
    r->v[r->n].value = value;
    r->v[r->n].id = id;
    r->v[r->n].seq = r->n;
    r->n++;
    return 0;
}

void mock_view_rows_clear(mock_view_rows *r)
{
    for (size_t i = 0; i < r->n; i++) {
        json_decref(r->v[i].key);
        json_decref(r->v[i].value);
        json_decref(r->v[i].id);
    }
    free(r->v);
    r->v = NULL;
    r->n = r->cap = 0;
}

static void block_link(mock_view_js *js, js_block *b)
{
    b->h.prev = &js->blocks;
    b->h.next = js->blocks.h.next;
    js->blocks.h.next->h.prev = b;
    js->blocks.h.next = b;
    js->heap_bytes += b->h.size;
}

static void block_unlink(mock_view_js *js, js_block *b)
{
    b->h.prev->h.next = b->h.next;
    b->h.next->h.prev = b->h.prev;
    js->heap_bytes -= b->h.size;
}

static void *js_alloc(void *udata, duk_size_t n)
{
    mock_view_js *js = udata;
    if (n > MOCK_VIEW_JS_MAX_HEAP - js->heap_bytes || n > MOCK_VIEW_JS_MAX_HEAP) {
        return NULL;
    }
    js_block *b = malloc(sizeof(js_block) + n);
    if (b == NULL) {
        return NULL;
    }
    b->h.size = n;
    block_link(js, b);
    return b + 1;
}

static void js_release(void *udata, void *ptr)
{
    if (ptr != NULL) {
        js_block *b = (js_block *)ptr - 1;
        block_unlink(udata, b);
        free(b);
    }
}

static void *js_realloc(void *udata, void *ptr, duk_size_t n)
{
    mock_view_js *js = udata;
    if (ptr == NULL) {
        return js_alloc(udata, n);
    }
    if (n == 0) {
        js_release(udata, ptr);
        return NULL;
    }
    js_block *b = (js_block *)ptr - 1;
    size_t old = b->h.size;
    if (n > old && (n - old > MOCK_VIEW_JS_MAX_HEAP - js->heap_bytes || n > MOCK_VIEW_JS_MAX_HEAP)) {
        return NULL;
    }
    block_unlink(js, b);
    js_block *nb = realloc(b, sizeof(js_block) + n);
    if (nb == NULL) {
        block_link(js, b); /* unchanged */
        return NULL;
    }
    nb->h.size = n;
    block_link(js, nb);
    return nb + 1;
}

static void release_all_blocks(mock_view_js *js)
{
    while (js->blocks.h.next != &js->blocks) {
        js_block *b = js->blocks.h.next;
        block_unlink(js, b);
        free(b);
    }
}

static mock_view_js *js_of(duk_context *ctx)
{
    duk_memory_functions f;
    duk_get_memory_functions(ctx, &f);
    return f.udata;
}

/* Push the JSON text of the value at idx (undefined for undefined and functions).
 * May throw (a throwing toJSON); allocates nothing outside the engine. */
static void push_json_text(duk_context *ctx, duk_idx_t idx)
{
    duk_dup(ctx, idx);
    if (!duk_is_undefined(ctx, -1)) {
        duk_json_encode(ctx, -1);
    }
}

/* The value of JSON text at idx as a new reference; null for undefined or text
 * jansson rejects (say, lone surrogates). Never throws. */
static json_t *json_of_text(duk_context *ctx, duk_idx_t idx)
{
    const char *s = duk_is_string(ctx, idx) ? duk_get_string(ctx, idx) : NULL;
    json_t *j = s != NULL ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
    return j != NULL ? j : json_null();
}

/* The value at idx as a new jansson reference (see the two helpers above). */
static json_t *to_json(duk_context *ctx, duk_idx_t idx)
{
    push_json_text(ctx, idx);
    json_t *j = json_of_text(ctx, -1);
    duk_pop(ctx);
    return j;
}

static duk_ret_t emit_fn(duk_context *ctx)
{
    mock_view_js *js = js_of(ctx);
    if (js->rows == NULL || js->cur_id == NULL) {
        return duk_error(ctx, DUK_ERR_ERROR, "emit() called outside a map function");
    }
    push_json_text(ctx, 0); /* both texts first: nothing to leak if either throws */
    push_json_text(ctx, 1);
    json_t *key = json_of_text(ctx, -2);
    json_t *value = json_of_text(ctx, -1);
    if (mock_view_rows_push(js->rows, key, value, json_incref(js->cur_id)) != 0) {
        js->oom = 1;
        return duk_error(ctx, DUK_ERR_ERROR, "out of memory or too many rows");
    }
    return 0;
}

static const char *const wrapper_src =
    "(function(map){return function(s,id,cas,flags){var doc,t='json';"
    "try{doc=JSON.parse(s);}catch(e){doc=Duktape.enc('base64',s);t='base64';}"
    "map(doc,{id:id,cas:cas,flags:flags,expiration:0,type:t});};})";

static duk_ret_t setup(duk_context *ctx, void *udata)
{
    mock_view_js *js = udata;
    duk_push_c_function(ctx, emit_fn, 2);
    duk_put_global_string(ctx, "emit");
    duk_push_string(ctx, wrapper_src);
    duk_push_string(ctx, "wrapper");
    duk_compile(ctx, DUK_COMPILE_EVAL);
    duk_call(ctx, 0); /* -> the wrapper factory */
    duk_push_string(ctx, js->src);
    duk_push_string(ctx, "map");
    duk_compile(ctx, DUK_COMPILE_FUNCTION);
    duk_call(ctx, 1); /* factory(map) -> runner */
    duk_put_global_string(ctx, "__sofa_run");
    if (js->src2 != NULL) {
        duk_push_string(ctx, js->src2);
        duk_push_string(ctx, "reduce");
        duk_compile(ctx, DUK_COMPILE_FUNCTION);
        duk_put_global_string(ctx, "__sofa_reduce");
    }
    return 0;
}

static void error_text(duk_context *ctx, char *err, size_t nerr)
{
    const char *m = duk_safe_to_string(ctx, -1);
    snprintf(err, nerr, "%s", m != NULL ? m : "unknown error");
}

mock_view_js *mock_view_js_new(const char *map_src, const char *reduce_src, char *err, size_t nerr,
                               int *nomem)
{
    *nomem = 1;
    mock_view_js *js = calloc(1, sizeof(*js));
    if (js == NULL) {
        snprintf(err, nerr, "out of memory");
        return NULL;
    }
    js->blocks.h.prev = js->blocks.h.next = &js->blocks;
    js->ctx = duk_create_heap(js_alloc, js_realloc, js_release, js, NULL);
    if (js->ctx == NULL) {
        release_all_blocks(js);
        free(js);
        snprintf(err, nerr, "out of memory");
        return NULL;
    }
    js->src = map_src;
    js->src2 = reduce_src;
    js->has_reduce = reduce_src != NULL;
    if (duk_safe_call(js->ctx, setup, js, 0, 1) != DUK_EXEC_SUCCESS) {
        error_text(js->ctx, err, nerr);
        *nomem = 0;
        mock_view_js_free(js);
        return NULL;
    }
    duk_pop(js->ctx);
    js->src = js->src2 = NULL;
    *nomem = 0;
    return js;
}

void mock_view_js_free(mock_view_js *js)
{
    if (js != NULL) {
        duk_destroy_heap(js->ctx);
        release_all_blocks(js);
        free(js);
    }
}

static duk_ret_t run_doc(duk_context *ctx, void *udata)
{
    mock_view_js *js = udata;
    duk_get_global_string(ctx, "__sofa_run");
    duk_push_lstring(ctx, js->doc, js->ndoc);
    duk_push_string(ctx, json_string_value(js->cur_id));
    duk_push_number(ctx, (double)js->cas);
    duk_push_number(ctx, (double)js->flags);
    duk_call(ctx, 4);
    return 0;
}

typedef struct map_run {
    mock_view_js *js;
    size_t nerrors;
} map_run;

static int map_visit(void *arg, const char *key, size_t nkey, const char *val, size_t nval, uint32_t flags,
                     uint64_t cas)
{
    map_run *m = arg;
    mock_view_js *js = m->js;
    js->cur_id = json_stringn(key, nkey);
    if (js->cur_id == NULL) {
        m->nerrors++; /* not valid UTF-8 (or no memory): cannot be a JSON row id */
        return 0;
    }
    js->doc = val;
    js->ndoc = nval;
    js->flags = flags;
    js->cas = cas;
    if (duk_safe_call(js->ctx, run_doc, js, 0, 1) != DUK_EXEC_SUCCESS) {
        m->nerrors++;
    }
    duk_pop(js->ctx);
    json_decref(js->cur_id);
    js->cur_id = NULL;
    return js->oom ? 1 : 0;
}

int mock_view_js_map(mock_view_js *js, mock_bucket *b, mock_view_rows *out, size_t *nerrors, char *err,
                     size_t nerr)
{
    map_run m = {js, 0};
    js->rows = out;
    js->oom = 0;
    mock_bucket_foreach(b, map_visit, &m);
    js->rows = NULL;
    if (nerrors != NULL) {
        *nerrors = m.nerrors;
    }
    if (js->oom) {
        snprintf(err, nerr, "out of memory or more than %u rows emitted", MOCK_VIEW_MAX_ROWS);
        return -1;
    }
    return 0;
}

static duk_ret_t run_reduce(duk_context *ctx, void *udata)
{
    mock_view_js *js = udata;
    duk_get_global_string(ctx, "__sofa_reduce");
    duk_push_string(ctx, js->json_arg1);
    duk_json_decode(ctx, -1);
    duk_push_string(ctx, js->json_arg2);
    duk_json_decode(ctx, -1);
    duk_push_false(ctx);
    duk_call(ctx, 3);
    js->result = to_json(ctx, -1);
    return 0;
}

json_t *mock_view_js_reduce(mock_view_js *js, const mock_view_row *rows, size_t from, size_t to, char *err,
                            size_t nerr)
{
    if (!js->has_reduce) {
        snprintf(err, nerr, "no reduce function");
        return NULL;
    }
    json_t *keys = json_array(), *values = json_array();
    int ok = keys != NULL && values != NULL;
    for (size_t i = from; ok && i < to; i++) {
        ok = json_array_append_new(keys, json_pack("[OO]", rows[i].key, rows[i].id)) == 0 &&
             json_array_append(values, rows[i].value) == 0;
    }
    char *k = ok ? json_dumps(keys, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    char *v = k != NULL ? json_dumps(values, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(keys);
    json_decref(values);
    json_t *res = NULL;
    if (v == NULL) {
        snprintf(err, nerr, "out of memory");
    } else {
        js->json_arg1 = k;
        js->json_arg2 = v;
        js->result = NULL;
        if (duk_safe_call(js->ctx, run_reduce, js, 0, 1) != DUK_EXEC_SUCCESS) {
            error_text(js->ctx, err, nerr);
            json_decref(js->result);
        } else {
            res = js->result;
        }
        duk_pop(js->ctx);
        js->result = NULL;
    }
    free(k);
    free(v);
    return res;
}
