/* Sans-I/O parser for the mock's N1QL subset (grammar in docs/mock-query.md). */
#ifndef SOFA_TOOLS_MOCK_N1QL_PARSE_H
#define SOFA_TOOLS_MOCK_N1QL_PARSE_H

#include "n1ql_ast.h"

/* Parse one statement (an optional trailing ';' is allowed). The tree lives in `a`
 * except the literal JSON values, owned by (*out)->literals: release them with
 * n1ql_stmt_release() before freeing the arena.
 * Returns 0; -1 for a syntax error (N1QL code 3000, message in err); -2 out of memory. */
int n1ql_parse(n1ql_arena *a, const char *text, size_t n, n1ql_stmt **out, char *err, size_t nerr);
void n1ql_stmt_release(n1ql_stmt *s);

#endif /* SOFA_TOOLS_MOCK_N1QL_PARSE_H */
