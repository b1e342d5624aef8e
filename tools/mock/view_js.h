/* Running view map / reduce functions with Debian's duktape. */
#ifndef SOFA_TOOLS_MOCK_VIEW_JS_H
#define SOFA_TOOLS_MOCK_VIEW_JS_H

#include <jansson.h>
#include <stddef.h>

#include "store_api.h"

/* One emitted row: key and value are owned references (never NULL: undefined
 * becomes null); id is a shared reference to the document id string; seq is the
 * emission order (the last tie-breaker, for a stable sort). */
typedef struct mock_view_row {
    json_t *key;
    json_t *value;
    json_t *id;
    size_t seq;
} mock_view_row;

typedef struct mock_view_rows {
    mock_view_row *v;
    size_t n, cap;
} mock_view_rows;

#define MOCK_VIEW_MAX_ROWS 5000000u /* emitted rows per query before giving up */
#define MOCK_VIEW_JS_MAX_HEAP ((size_t)256 << 20) /* bytes one JS engine may allocate */

/* Append a row taking over the three references (released on failure). 0 / -1 OOM. */
int mock_view_rows_push(mock_view_rows *r, json_t *key, json_t *value, json_t *id);
void mock_view_rows_clear(mock_view_rows *r);

typedef struct mock_view_js mock_view_js;

/* Compile a map function source ("function(doc, meta){...}") and an optional JS
 * reduce function source ("function(keys, values, rereduce){...}"; pass NULL for none
 * or for a built-in "_count"/"_sum"/"_stats"). Returns NULL with a message in err
 * when a source does not compile (*nomem = 0) or when out of memory (*nomem = 1). */
mock_view_js *mock_view_js_new(const char *map_src, const char *reduce_src, char *err, size_t nerr,
                               int *nomem);
void mock_view_js_free(mock_view_js *js);

/* Run the map function over every live document of b, appending rows to out.
 * A document that makes the map function throw is skipped (counted in *nerrors).
 * Documents that are not JSON are passed as base64 strings with meta.type "base64".
 * Returns 0, or -1 when out of memory / over MOCK_VIEW_MAX_ROWS (err says which). */
int mock_view_js_map(mock_view_js *js, mock_bucket *b, mock_view_rows *out, size_t *nerrors, char *err,
                     size_t nerr);

/* Call the JS reduce function on rows[from, to) (rereduce = false). Returns a new
 * reference, or NULL with err set when the function throws or memory runs out. */
json_t *mock_view_js_reduce(mock_view_js *js, const mock_view_row *rows, size_t from, size_t to, char *err,
                            size_t nerr);

#endif /* SOFA_TOOLS_MOCK_VIEW_JS_H */
