/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* N1QL request bodies (sans-I/O): the JSON POSTed to /query/service. */
#ifndef SOFA_QUERY_N1QL_REQ_H
#define SOFA_QUERY_N1QL_REQ_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sofa/query.h"

/* Named limits. */
#define SOFA__N1QL_MAX_STATEMENT (1024u * 1024u)
#define SOFA__N1QL_MAX_PARAMS 65535u
#define SOFA__N1QL_MAX_TOKENS 4096u
#define SOFA__N1QL_MAX_CONTEXT_ID 256u

/* What the request does. */
typedef enum sofa__n1ql_mode {
    SOFA__N1QL_ADHOC = 0,       /* {"statement": S, params...} */
    SOFA__N1QL_PREPARE,         /* {"statement": "PREPARE S"} (classic prepare) */
    SOFA__N1QL_PREPARE_EXECUTE, /* {"statement": "PREPARE S", "auto_execute": true, params...} */
    SOFA__N1QL_EXECUTE          /* {"prepared": name, ["encoded_plan": plan,] params...} */
} sofa__n1ql_mode;

typedef struct sofa__n1ql_req {
    sofa__n1ql_mode mode;
    const char *statement;       /* ADHOC, PREPARE, PREPARE_EXECUTE */
    const char *prepared;        /* EXECUTE: the name from PREPARE */
    const char *encoded_plan;    /* EXECUTE: NULL with enhanced prepared statements */
    const char *bucket;          /* at_plus: the bucket the tokens belong to */
    const char *context_id;      /* the client_context_id to send (required) */
    uint64_t timeout_us;         /* sent as "timeout"; 0 = not sent */
    const sofa_query_opts *opts; /* NULL = defaults */
} sofa__n1ql_req;

/*
 * Build the JSON body. *out is malloc'ed and NUL-terminated (free() it).
 * @return 0; SOFA_E_INVALID_ARGUMENT with a reason in @p err (a parameter that
 *         is not JSON, at_plus without tokens or bucket, raw not an object,
 *         limits exceeded); SOFA_E_NO_MEMORY.
 */
int sofa__n1ql_body(const sofa__n1ql_req *req, char **out, size_t *outlen, char *err,
                    size_t errlen);

/* Add everything but the statement / prepared name to @p body: context id,
 * timeout, parameters, scan consistency and vectors, scan_wait, readonly, raw
 * members. Same errors as sofa__n1ql_body(). */
int sofa__n1ql_common(json_t *body, const sofa__n1ql_req *req, char *err, size_t errlen);

/* Validate the user's options once at submit time (same errors as above). */
int sofa__n1ql_check_opts(const char *statement, const sofa_query_opts *opts, char *err,
                          size_t errlen);

/* A Go duration string for @p us microseconds, e.g. "75000000us". */
void sofa__n1ql_duration(uint64_t us, char *buf, size_t len);

#endif
