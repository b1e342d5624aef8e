/* Deterministic sample datasets for sofa-mock (--sample NAME).
 *
 *   beers    300 brewery and ~2,600 beer JSON documents (see docs/mock-query.md) and the
 *            design document "beers" with views by_name, by_abv (_stats),
 *            count_by_type (_count) and by_brewery.
 *   rows:N   N small documents "row::00000000".."row::N-1" {"type":"row","n":i,...}
 *            (1 <= N <= MOCK_SAMPLE_MAX_ROWS) and the design document "rows" with the
 *            view by_n (_count): for large view and N1QL results.
 *
 * The same name always produces byte-identical documents. */
#ifndef SOFA_TOOLS_MOCK_SAMPLE_H
#define SOFA_TOOLS_MOCK_SAMPLE_H

#include "store_api.h"
#include "views.h"

#define MOCK_SAMPLE_MAX_ROWS 10000000
#define MOCK_SAMPLE_JSON_FLAGS 0x02000000u /* common flags: JSON */

/* Load dataset `name` into bucket b and its design document into v (may be NULL:
 * documents only). Returns the number of documents stored (> 0), -1 for an unknown
 * name or a bad N, -2 when the store or memory fails. */
long mock_sample_load_into(mock_bucket *b, mock_views *v, const char *name);

#endif /* SOFA_TOOLS_MOCK_SAMPLE_H */
