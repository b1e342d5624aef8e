/* Sans-I/O parser for the body of POST /query/service (a JSON object). */
#ifndef SOFA_TOOLS_MOCK_N1QL_REQUEST_H
#define SOFA_TOOLS_MOCK_N1QL_REQUEST_H

#include <jansson.h>

#include "n1ql_eval.h"

#define MOCK_N1QL_MAX_BODY (4 << 20) /* bytes of a request body */

typedef struct n1ql_request {
    json_t *body;                  /* the parsed request (owned) */
    const char *statement;         /* NULL if absent */
    const json_t *args;            /* positional values (array) or NULL */
    json_t *named;                 /* named values, '$' stripped (owned object, maybe empty) */
    const json_t *prepared;        /* the raw "prepared" value or NULL */
    const char *encoded_plan;      /* NULL if absent */
    int auto_execute;
    const json_t *client_context_id; /* echoed as clientContextID, NULL if absent */
    unsigned long long timeout_ns; /* 0 = none */
    int metrics;                   /* default 1 */
} n1ql_request;

/* Parse a request body. Returns 0, or -1 with err set: 1065 unrecognized parameter,
 * 1050 neither statement nor prepared, 1060 a parameter with a bad type/value (mock's
 * choice of code), 1000 body not a JSON object, 5000 out of memory. The request is
 * always initialized; release it with n1ql_request_clear(). */
int n1ql_request_parse(n1ql_request *r, const char *body, size_t n, n1ql_err *err);
void n1ql_request_clear(n1ql_request *r);

/* Parse a Go duration ("75s", "1m30s", "1.5ms", "100us", "10ns", "2h"). 0 or -1. */
int n1ql_parse_duration(const char *s, unsigned long long *ns);

#endif /* SOFA_TOOLS_MOCK_N1QL_REQUEST_H */
