/* The mock's query service: POST /query/service with a JSON body.
 *
 *   int rc = mock_n1ql_handle(q, cluster, "POST", "/query/service", body, nbody, &status, &producer);
 *
 * rc == MOCK_N1QL_HANDLED: send HTTP `status`, Content-Type application/json, and the
 *   body pulled from `producer` (chunked; results are produced while the client reads:
 *   the first bytes leave before the last row is formatted). Call producer.free when
 *   done or when the connection goes away.
 * rc == MOCK_N1QL_NOT_MINE: the path is not the query service.
 * rc == MOCK_N1QL_NOMEM: out of memory, nothing allocated; answer 500.
 *
 * The response has the real shape: requestID, clientContextID (when sent), signature,
 * results, errors (when any), status, metrics. HTTP statuses: 200 (also when an
 * execution error such as the 1080 timeout happens after streaming started), 400
 * (1000/1050/1060/1065 request errors, 3000 syntax, 4210, 5010, 5030), 404 (4040,
 * 4050, 4070 prepared-statement errors), 424 (12003 keyspace not found), 405 (not POST).
 * The supported statements are in docs/mock-query.md ("N1QL subset"). */
#ifndef SOFA_TOOLS_MOCK_N1QL_H
#define SOFA_TOOLS_MOCK_N1QL_H

#include <stddef.h>

#include "store_api.h"

#define MOCK_N1QL_MAX_PREPARED 5000 /* prepared statements kept (oldest evicted) */

typedef struct mock_n1ql mock_n1ql;

enum { MOCK_N1QL_HANDLED = 0, MOCK_N1QL_NOT_MINE = 1, MOCK_N1QL_NOMEM = -1 };

/* One query service per cluster (it holds the prepared statements). NULL = no memory. */
mock_n1ql *mock_n1ql_new(void);
/* NULL is a no-op. Producers handed out earlier stay valid (they own their data). */
void mock_n1ql_free(mock_n1ql *q);

int mock_n1ql_handle(mock_n1ql *q, mock_cluster *c, const char *method, const char *path, const char *body,
                     size_t nbody, int *http_status, mock_http_producer *out);

/* sofa-mock router hook (query_routes.c; built only into the sofa-mock binary):
 * answers /query/service after checking HTTP Basic credentials (401). Returns 1 when
 * it answered, 0 when the path is not the query service. */
struct mock_http_request;
struct mock_http_response;
int mock_http_route_n1ql(mock_cluster *c, const struct mock_http_request *req, struct mock_http_response *resp);

/* Release the views registry and query service of cluster c (also done at exit). */
void mock_query_cluster_free(mock_cluster *c);

#endif /* SOFA_TOOLS_MOCK_N1QL_H */
