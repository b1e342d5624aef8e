/* JSON collation shared by the mock's view engine and N1QL executor. */
#ifndef SOFA_TOOLS_MOCK_COLLATION_H
#define SOFA_TOOLS_MOCK_COLLATION_H

#include <jansson.h>

/* Compare two JSON values in Couchbase view order:
 *   (missing) < null < false < true < numbers < strings < arrays < objects.
 * A NULL pointer stands for N1QL's MISSING and sorts before everything.
 * Numbers compare by value (integers exactly, otherwise as doubles).
 * Strings compare by Unicode code point (UTF-8 byte order); the real server uses
 * ICU collation, which differs for case and accents: documented in docs/mock-query.md.
 * Arrays compare element by element, a prefix sorts first. Objects compare their
 * members in stored order, key (as a string) then value; fewer members sort first
 * on a tie. Returns <0, 0 or >0. */
int mock_collate(const json_t *a, const json_t *b);

/* The same order with view string collation: an approximation of the ICU
 * collation view engines use, following the ASCII order CouchDB documents for it:
 * whitespace < punctuation and symbols < digits < letters, letters compared
 * case-insensitively first, then lowercase before uppercase ("a" < "A" < "b");
 * other code points sort after 'z' by value; a final byte comparison keeps the
 * order total. N1QL compares strings by bytes and uses mock_collate(). */
int mock_view_collate(const json_t *a, const json_t *b);

/* The view string order alone (UTF-8 input). <0, 0 (identical bytes), >0. */
int mock_view_collate_strings(const char *a, size_t na, const char *b, size_t nb);

/* The rank of a value's type in the order above (missing = 0 ... object = 7). */
int mock_collate_type_rank(const json_t *v);

#endif /* SOFA_TOOLS_MOCK_COLLATION_H */
