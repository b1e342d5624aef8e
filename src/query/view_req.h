/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* View request paths and bodies (sans-I/O). */
#ifndef SOFA_QUERY_VIEW_REQ_H
#define SOFA_QUERY_VIEW_REQ_H

#include <stddef.h>

#include "sofa/view.h"

/* Named limits. */
#define SOFA__VIEW_MAX_NAME 256u /* design document and view names */
#define SOFA__VIEW_MAX_KEYS 65535u
#define SOFA__VIEW_MAX_PATH (1024u * 1024u) /* path and query string */
#define SOFA__VIEW_DEFAULT_DOCS_CONCURRENCY 32u
#define SOFA__VIEW_MAX_DOCS_CONCURRENCY 1024u

/* The built request. Free with sofa__view_req_free(). */
typedef struct sofa__view_req {
    char *path; /* "<prefix>/_design/<ddoc>/_view/<view>?<options>" */
    char *body; /* NULL for GET; {"keys":[...]} for POST */
    size_t nbody;
} sofa__view_req;

/*
 * Build the request. @p prefix is the bucket part of the path, already encoded
 * (e.g. "/default" or the path of a couchApiBase such as "/default%2Buuid").
 * @return 0; SOFA_E_INVALID_ARGUMENT with a reason in @p err; SOFA_E_NO_MEMORY.
 */
int sofa__view_req_build(const char *prefix, const char *ddoc, const char *view,
                         const sofa_view_opts *opts, sofa__view_req *out, char *err, size_t errlen);

void sofa__view_req_free(sofa__view_req *r);

/*
 * Append @p len bytes of @p s to @p dst (capacity @p cap, current length *pos)
 * percent-encoded (everything except A-Z a-z 0-9 - . _ ~).
 * @return 0, or -1 when it does not fit (then *pos is unchanged).
 */
int sofa__url_encode(char *dst, size_t cap, size_t *pos, const char *s, size_t len);

#endif
