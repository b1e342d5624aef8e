/* The mock's view engine (capi service): design documents per bucket and view queries.
 *
 * Called by the mock's HTTP server for every request on a node's view port:
 *
 *   int rc = mock_views_handle(views, cluster, "GET", "/beer-sample/_design/beers/_view/by_name",
 *                              "limit=10&descending=true", NULL, 0, &status, &producer);
 *
 * rc == MOCK_VIEWS_HANDLED: send HTTP `status` with Content-Type application/json and
 *   a body pulled from `producer` (chunked transfer encoding; call producer.free once
 *   the response is done or the connection goes away).
 * rc == MOCK_VIEWS_NOT_MINE: the path is not /BUCKET/_design/...; route elsewhere.
 * rc == MOCK_VIEWS_NOMEM: out of memory; nothing was allocated; answer 500.
 *
 * Authentication and bucket access checks are the HTTP server's job (done before). */
#ifndef SOFA_TOOLS_MOCK_VIEWS_H
#define SOFA_TOOLS_MOCK_VIEWS_H

#include <stddef.h>

#include "store_api.h"

#define MOCK_VIEWS_MAX_DDOCS 256           /* design documents per bucket */
#define MOCK_VIEWS_MAX_DDOC_SIZE (1 << 20) /* bytes of one design document */

typedef struct mock_views mock_views;

enum { MOCK_VIEWS_HANDLED = 0, MOCK_VIEWS_NOT_MINE = 1, MOCK_VIEWS_NOMEM = -1 };

/* A design-document registry (one per cluster). NULL when out of memory. */
mock_views *mock_views_new(void);
/* Frees the registry and every design document; NULL is a no-op. */
void mock_views_free(mock_views *v);

/* Route and answer one request (see the file comment). method: "GET", "POST", "PUT",
 * "DELETE", "HEAD"; path: URL path without the query; query: text after '?' or NULL;
 * body/nbody: the request body (POST keys / PUT design document). Responses:
 *   PUT    /B/_design/D          201 {"ok":true,"id":"_design/D"}; 400 invalid_design_document
 *   GET    /B/_design/D          200 the design document; 404 not_found/missing
 *   DELETE /B/_design/D          200 {"ok":true,"id":"_design/D"}; 404 not_found/missing
 *   GET|POST /B/_design/D/_view/V 200 {"total_rows":N,"rows":[..]} (rows streamed);
 *          404 not_found/missing (no ddoc) or missing_named_view; 400 query_parse_error;
 *          500 reduce errors. Unknown bucket: 404 not_found/no_such_bucket. */
int mock_views_handle(mock_views *v, mock_cluster *c, const char *method, const char *path, const char *query,
                      const char *body, size_t nbody, int *http_status, mock_http_producer *out);

/* Store (or replace) design document `name` (without "_design/") of `bucket`, as PUT
 * does. Returns 0, -1 when the document is invalid (reason in err), -2 out of memory. */
int mock_views_put_ddoc(mock_views *v, const char *bucket, const char *name, const char *json, size_t njson,
                        char *err, size_t nerr);

/* sofa-mock router hook (query_routes.c; built only into the sofa-mock binary):
 * answers /BUCKET/_design/... after checking HTTP Basic credentials (401) and bucket
 * access (403). Returns 1 when it answered, 0 when the path is not a view path. */
struct mock_http_request;
struct mock_http_response;
int mock_http_route_views(mock_cluster *c, const struct mock_http_request *req, struct mock_http_response *resp);

#endif /* SOFA_TOOLS_MOCK_VIEWS_H */
