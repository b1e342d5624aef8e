/* Incremental execution of a parsed N1QL SELECT against the mock's store. Rows are
 * produced on demand, so the HTTP response can stream a large result: without
 * ORDER BY or aggregates a document is fetched, filtered and formatted only when
 * the next chunk is requested; with them, matching documents are collected on the
 * first request and formatted chunk by chunk. */
#ifndef SOFA_TOOLS_MOCK_N1QL_EXEC_H
#define SOFA_TOOLS_MOCK_N1QL_EXEC_H

#include "n1ql_eval.h"
#include "store_api.h"

typedef struct n1ql_exec n1ql_exec;

/* Start executing s (borrowed; must outlive the executor). args/named: positional
 * and named parameter values (borrowed, may be NULL). deadline_ns: mock_q_now_ns()
 * value after which execution stops with 1080, 0 = none. Returns NULL with err set:
 * 12003 unknown keyspace, 5010 missing parameter, 5030 bad LIMIT/OFFSET/USE KEYS
 * value, 5000 out of memory. */
n1ql_exec *n1ql_exec_new(const n1ql_select *s, mock_cluster *c, const json_t *args, const json_t *named,
                         unsigned long long deadline_ns, n1ql_err *err);

/* Append the next result rows, comma separated, until out has grown by about `max`
 * bytes. Returns 1 (more rows may follow), 0 (done) or -1 (execution failed, err
 * set, e.g. 1080 timeout or 4210; rows already appended stay valid). */
int n1ql_exec_next(n1ql_exec *x, mock_strbuf *out, size_t max, n1ql_err *err);

size_t n1ql_exec_result_count(const n1ql_exec *x);
size_t n1ql_exec_result_size(const n1ql_exec *x);
void n1ql_exec_free(n1ql_exec *x);

/* The "signature" object of a SELECT (new reference, NULL when out of memory). */
json_t *n1ql_signature(const n1ql_select *s);

#endif /* SOFA_TOOLS_MOCK_N1QL_EXEC_H */
