/* View query execution over emitted rows: collation sort, key/range filters,
 * built-in and JS reduce, grouping, skip/limit. Pure computation, no I/O. */
#ifndef SOFA_TOOLS_MOCK_VIEW_EXEC_H
#define SOFA_TOOLS_MOCK_VIEW_EXEC_H

#include <jansson.h>

#include "view_js.h"
#include "view_query.h"

typedef struct mock_view_result {
    int reduced;         /* 1: rows are {"key","value"}; 0: {"id","key","value"} */
    size_t total_rows;   /* rows in the index (map queries only) */
    mock_view_rows rows; /* the result rows, in output order (reduced rows have id NULL) */
} mock_view_result;

typedef enum mock_view_exec_rc {
    MOCK_VIEW_EXEC_OK = 0,
    MOCK_VIEW_EXEC_BAD_QUERY = -1, /* 400 query_parse_error, err = reason */
    MOCK_VIEW_EXEC_REDUCE_ERR = -2, /* 500 reduce function failed, err = reason */
    MOCK_VIEW_EXEC_NOMEM = -3
} mock_view_exec_rc;

/* Execute a query. `index` holds every emitted row (sorted in place by this call;
 * its references are shared with, not moved to, the result). `reduce` is the view's
 * reduce source or NULL ("_count", "_sum", "_stats" are built in; anything else is
 * JS run through js). On success res is filled and must be released with
 * mock_view_result_clear(). */
mock_view_exec_rc mock_view_exec(const mock_view_opts *o, mock_view_rows *index, const char *reduce,
                                 mock_view_js *js, mock_view_result *res, char *err, size_t nerr);
void mock_view_result_clear(mock_view_result *res);

/* Sort rows by (key collation, id bytes, emission order). */
void mock_view_sort(mock_view_rows *rows);

#endif /* SOFA_TOOLS_MOCK_VIEW_EXEC_H */
