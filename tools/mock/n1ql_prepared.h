/* Prepared statements of the mock's query service and their opaque encoded plans. */
#ifndef SOFA_TOOLS_MOCK_N1QL_PREPARED_H
#define SOFA_TOOLS_MOCK_N1QL_PREPARED_H

#include <stddef.h>

typedef struct n1ql_prepared_set n1ql_prepared_set;

typedef struct n1ql_prepared {
    char *name;
    char *text; /* the statement that was prepared (a SELECT) */
    char *plan; /* base64 encoded_plan */
} n1ql_prepared;

n1ql_prepared_set *n1ql_prepared_new(size_t max);
void n1ql_prepared_free(n1ql_prepared_set *s);
const n1ql_prepared *n1ql_prepared_find(n1ql_prepared_set *s, const char *name);
/* Find the prepared statement of exactly this text (anonymous PREPARE reuses it). */
const n1ql_prepared *n1ql_prepared_find_text(n1ql_prepared_set *s, const char *text, size_t ntext);
/* Add or replace; name NULL = generate one. Returns the entry or NULL (OOM). */
const n1ql_prepared *n1ql_prepared_add(n1ql_prepared_set *s, const char *name, const char *text, size_t ntext);

/* Decode an encoded_plan: 0 with new *name and *text (caller frees), -1 when it is not
 * a plan this mock produced (4070), -2 out of memory. */
int n1ql_plan_decode(const char *plan, char **name, char **text);

#endif /* SOFA_TOOLS_MOCK_N1QL_PREPARED_H */
