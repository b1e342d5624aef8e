/* sofa-mock: the per-node HTTP/1.1 server (config endpoints, control API, query hook). */
#ifndef SOFA_TOOLS_MOCK_HTTP_H
#define SOFA_TOOLS_MOCK_HTTP_H

#include "mock.h"

#define MOCK_HTTP_MAX_HEAD (64u * 1024u)
#define MOCK_HTTP_MAX_BODY (20u * 1024u * 1024u)
#define MOCK_HTTP_PRODUCE_CHUNK (64u * 1024u)

/* One parsed request, valid during the handler. */
typedef struct mock_http_request {
    const char *method;
    const char *path;   /* URL path without the query string (not decoded) */
    const char *query;  /* text after '?', "" if none */
    const char *body;
    size_t nbody;
    const char *user;     /* Basic auth, NULL if no Authorization header */
    const char *password;
    int node;             /* serving node index; -1 on the control port */
} mock_http_request;

enum {
    MOCK_STREAM_NONE,
    MOCK_STREAM_TERSE,    /* /pools/default/bs/NAME: terse configs with $HOST */
    MOCK_STREAM_VERBOSE,  /* /pools/default/bucketsStreaming/NAME: real host names */
    MOCK_STREAM_SERVICES, /* /pools/default/nodeServicesStreaming: bucketless configs */
};

/* What a handler answers: a fixed body, or a producer pulled as the socket drains
 * (chunked), or a config stream (chunked, never ends). */
typedef struct mock_http_response {
    int status;
    const char *content_type;
    mock_strbuf body;
    mock_http_producer producer;  /* produce != NULL: streamed after body */
    int stream;                   /* MOCK_STREAM_*: a config stream that never ends */
    mock_bucket *stream_bucket;   /* its bucket (NULL for the node services stream) */
} mock_http_response;

/* Route hook for other services on the node's HTTP port (views, N1QL: query_routes.c).
 * Returns 1 when it answered the request (resp filled), 0 when the path is not its own.
 * Hooks run in registration order after the built-in /pools routes. */
typedef int (*mock_http_hook)(mock_cluster *c, const struct mock_http_request *req,
                              struct mock_http_response *resp);
int mock_http_add_hook(mock_http_hook fn); /* 0, -1 when full */

/* Handlers (httproutes.c, control.c). */
void mock_http_route(mock_cluster *c, const mock_http_request *req, mock_http_response *resp);
void mock_control_route(mock_cluster *c, const mock_http_request *req, mock_http_response *resp);
/* A JSON body {"error": msg} with the given status. */
void mock_http_error(mock_http_response *resp, int status, const char *msg);
/* Get query parameter `name` into out (URL-decoded, truncated to outlen-1). 0 found, -1 not. */
int mock_http_query_param(const char *query, const char *name, char *out, size_t outlen);
/* Reason phrase for a status code. */
const char *mock_http_reason(int status);
/* Value of header `name` (case-insensitive) in a request head ("...\r\n\r\n"), copied
 * into out (truncated). 0 found, -1 not. */
int mock_http_header(const char *head, const char *name, char *out, size_t outlen);
/* Decode "Basic base64(user:pass)"; *ok = 1 when it was well-formed and fits. */
void mock_http_parse_basic(const char *auth, char *user, size_t ulen, char *pass, size_t plen, int *ok);

#endif /* SOFA_TOOLS_MOCK_HTTP_H */
