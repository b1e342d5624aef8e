/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * Sans-I/O HTTP/1.1 response reader on Debian's http-parser.
 *
 * Feed it the bytes read from a socket, in pieces of any size. It reports the
 * head (status and the few headers sofa needs) once, then hands body bytes to a
 * callback as they arrive, with chunked transfer encoding already removed. It
 * never buffers the body; it keeps only a bounded copy of the header it is
 * currently reading.
 */
#ifndef SOFA_HTTP_RESPONSE_H
#define SOFA_HTTP_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include <http_parser.h>

/* Limits. A response whose head is larger than SOFA__HTTP_MAX_HEAD_BYTES fails
 * with SOFA_E_HTTP; header names and values longer than the per-field limits
 * are only kept when sofa needs them (and then they must fit). */
#define SOFA__HTTP_MAX_HEAD_BYTES (64u * 1024u)
#define SOFA__HTTP_MAX_FIELD_NAME 64u
#define SOFA__HTTP_MAX_CONTENT_TYPE 256u

/* What the reader knows once the head is complete. */
typedef struct sofa__http_head {
    int status; /* e.g. 200 */
    int http_major, http_minor;
    int64_t content_length;   /* -1 when absent */
    int chunked;              /* Transfer-Encoding: chunked */
    int keep_alive;           /* the connection may be reused after this response */
    const char *content_type; /* NUL-terminated; "" when absent */
} sofa__http_head;

/* Callbacks. Each returns 0 to go on or a negative sofa_status to stop the
 * reader: sofa__http_response_feed() then returns that status. */
typedef struct sofa__http_response_cbs {
    int (*on_head)(void *arg, const sofa__http_head *head);
    int (*on_body)(void *arg, const char *data, size_t len);
    void *arg;
} sofa__http_response_cbs;

typedef enum sofa__http_state {
    SOFA__HTTP_READING = 0, /* needs more bytes */
    SOFA__HTTP_DONE = 1     /* the whole response has been read */
} sofa__http_state;

typedef struct sofa__http_response {
    http_parser parser;
    sofa__http_response_cbs cbs;
    sofa__http_head head;
    int no_body; /* response to HEAD: no body whatever the headers say */
    int done;
    int started;       /* the first byte of a response arrived */
    int failed;        /* sticky error status (negative) */
    int cb_status;     /* status returned by a callback */
    size_t head_bytes; /* bytes of status line and headers seen */
    /* header being read */
    char field[SOFA__HTTP_MAX_FIELD_NAME + 1];
    size_t field_len;
    int field_overflow;
    int in_value;
    int want_value; /* the current field is Content-Type */
    size_t ct_len;
    char content_type[SOFA__HTTP_MAX_CONTENT_TYPE + 1];
    char errmsg[160];
} sofa__http_response;

/* Prepare @p r for one response. @p no_body: the request was HEAD. */
void sofa__http_response_init(sofa__http_response *r, const sofa__http_response_cbs *cbs,
                              int no_body);

/*
 * Feed @p len bytes. Sets *consumed to the bytes used (less than @p len only
 * when the response ended inside the buffer: the rest belongs to no response).
 * @return SOFA__HTTP_READING, SOFA__HTTP_DONE, SOFA_E_HTTP on malformed input
 *         (see sofa__http_response_error()), or the negative status a callback
 *         returned. After an error every further call returns the same error.
 */
int sofa__http_response_feed(sofa__http_response *r, const char *data, size_t len,
                             size_t *consumed);

/*
 * The peer closed the connection. Completes a response whose body runs to the
 * end of the connection.
 * @return SOFA__HTTP_DONE, or SOFA_E_HTTP if the response was cut short
 *         (SOFA_E_CONNECTION_CLOSED if not a single byte had arrived).
 */
int sofa__http_response_eof(sofa__http_response *r);

/* Whether the connection may carry another request (valid once DONE). */
int sofa__http_response_keep_alive(const sofa__http_response *r);

/* The head, or NULL before the head is complete. */
const sofa__http_head *sofa__http_response_head(const sofa__http_response *r);

/* A message for the last SOFA_E_HTTP; "" if none. */
const char *sofa__http_response_error(const sofa__http_response *r);

#endif
