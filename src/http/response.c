/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
#include "http/response.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sofa/status.h"

static sofa__http_response *from_parser(http_parser *p)
{
    return (sofa__http_response *)p->data;
}

/* Count head bytes against the limit; returns nonzero (stop) when exceeded. */
static int count_head(sofa__http_response *r, size_t len)
{
    if (len > SOFA__HTTP_MAX_HEAD_BYTES - r->head_bytes) {
        snprintf(r->errmsg, sizeof(r->errmsg), "response head larger than %u bytes",
                 SOFA__HTTP_MAX_HEAD_BYTES);
        r->cb_status = SOFA_E_HTTP;
        return -1;
    }
    r->head_bytes += len;
    return 0;
}

static int on_message_begin(http_parser *p)
{
    sofa__http_response *r = from_parser(p);
    r->started = 1;
    r->field_len = 0;
    r->field_overflow = 0;
    r->in_value = 0;
    r->want_value = 0;
    r->ct_len = 0;
    r->content_type[0] = '\0';
    return 0;
}

static int on_status(http_parser *p, const char *at, size_t len)
{
    return count_head(from_parser(p), len);
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    sofa__http_response *r = from_parser(p);
    if (count_head(r, len) != 0) {
        return -1;
    }
    if (r->in_value) { /* a new header starts */
        r->in_value = 0;
        r->field_len = 0;
        r->field_overflow = 0;
    }
    if (len > SOFA__HTTP_MAX_FIELD_NAME - r->field_len) {
        r->field_overflow = 1; /* not a header sofa looks at */
        return 0;
    }
    memcpy(r->field + r->field_len, at, len);
    r->field_len += len;
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    sofa__http_response *r = from_parser(p);
    if (count_head(r, len) != 0) {
        return -1;
    }
    if (!r->in_value) { /* first piece of this value */
        r->in_value = 1;
        r->field[r->field_len] = '\0';
        r->want_value = !r->field_overflow && strcasecmp(r->field, "content-type") == 0;
        if (r->want_value) {
            r->ct_len = 0; /* the last Content-Type wins */
        }
    }
    if (r->want_value) {
        if (len > SOFA__HTTP_MAX_CONTENT_TYPE - r->ct_len) {
            snprintf(r->errmsg, sizeof(r->errmsg), "Content-Type longer than %u bytes",
                     SOFA__HTTP_MAX_CONTENT_TYPE);
            r->cb_status = SOFA_E_HTTP;
            return -1;
        }
        memcpy(r->content_type + r->ct_len, at, len);
        r->ct_len += len;
        r->content_type[r->ct_len] = '\0';
    }
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    sofa__http_response *r = from_parser(p);
    if (p->status_code >= 100 && p->status_code < 200) {
        return 0; /* interim response (100 Continue): wait for the real one */
    }
    if (p->http_major != 1) {
        snprintf(r->errmsg, sizeof(r->errmsg), "malformed HTTP response: version %u.%u",
                 (unsigned)p->http_major, (unsigned)p->http_minor);
        r->cb_status = SOFA_E_HTTP;
        return -1;
    }
    sofa__http_head *h = &r->head;
    h->status = (int)p->status_code;
    h->http_major = p->http_major;
    h->http_minor = p->http_minor;
    h->content_length = (p->content_length == UINT64_MAX || p->content_length > INT64_MAX)
                            ? -1
                            : (int64_t)p->content_length;
    h->chunked = (p->flags & F_CHUNKED) != 0;
    h->keep_alive = http_should_keep_alive(p) != 0;
    h->content_type = r->content_type;
    if (r->cbs.on_head) {
        int rc = r->cbs.on_head(r->cbs.arg, h);
        if (rc != 0) {
            r->cb_status = rc < 0 ? rc : SOFA_E_INTERNAL;
            return -1;
        }
    }
    return r->no_body ? 1 : 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    sofa__http_response *r = from_parser(p);
    if (r->cbs.on_body && len > 0) {
        int rc = r->cbs.on_body(r->cbs.arg, at, len);
        if (rc != 0) {
            r->cb_status = rc < 0 ? rc : SOFA_E_INTERNAL;
            return -1;
        }
    }
    return 0;
}

static int on_message_complete(http_parser *p)
{
    sofa__http_response *r = from_parser(p);
    if (p->status_code >= 100 && p->status_code < 200) {
        r->head_bytes = 0;
        return 0;
    }
    r->done = 1;
    r->head.keep_alive = http_should_keep_alive(p) != 0;
    http_parser_pause(p, 1); /* leave whatever follows unread */
    return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_status = on_status,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void sofa__http_response_init(sofa__http_response *r, const sofa__http_response_cbs *cbs,
                              int no_body)
{
    memset(r, 0, sizeof(*r));
    http_parser_init(&r->parser, HTTP_RESPONSE);
    r->parser.data = r;
    if (cbs) {
        r->cbs = *cbs;
    }
    r->no_body = no_body;
    r->head.content_length = -1;
    r->head.content_type = r->content_type;
}

static int fail(sofa__http_response *r)
{
    if (r->cb_status != 0) {
        r->failed = r->cb_status;
    } else {
        enum http_errno e = HTTP_PARSER_ERRNO(&r->parser);
        snprintf(r->errmsg, sizeof(r->errmsg), "malformed HTTP response: %s",
                 http_errno_description(e));
        r->failed = SOFA_E_HTTP;
    }
    return r->failed;
}

int sofa__http_response_feed(sofa__http_response *r, const char *data, size_t len, size_t *consumed)
{
    *consumed = 0;
    if (r->failed) {
        return r->failed;
    }
    if (r->done) {
        return SOFA__HTTP_DONE;
    }
    if (len == 0) {
        return SOFA__HTTP_READING;
    }
    size_t n = http_parser_execute(&r->parser, &settings, data, len);
    *consumed = n;
    enum http_errno e = HTTP_PARSER_ERRNO(&r->parser);
    if (r->done) {
        return SOFA__HTTP_DONE;
    }
    if (e != HPE_OK || n != len) {
        return fail(r);
    }
    return SOFA__HTTP_READING;
}

int sofa__http_response_eof(sofa__http_response *r)
{
    if (r->failed) {
        return r->failed;
    }
    if (r->done) {
        return SOFA__HTTP_DONE;
    }
    if (!r->started) {
        snprintf(r->errmsg, sizeof(r->errmsg), "connection closed before any response");
        r->failed = SOFA_E_CONNECTION_CLOSED;
        return r->failed;
    }
    http_parser_execute(&r->parser, &settings, NULL, 0);
    if (r->done) {
        return SOFA__HTTP_DONE;
    }
    if (r->cb_status != 0) {
        return fail(r);
    }
    snprintf(r->errmsg, sizeof(r->errmsg), "connection closed in the middle of the response");
    r->failed = SOFA_E_HTTP;
    return r->failed;
}

int sofa__http_response_keep_alive(const sofa__http_response *r)
{
    return r->done && !r->failed && r->head.keep_alive;
}

const sofa__http_head *sofa__http_response_head(const sofa__http_response *r)
{
    return r->head.status != 0 ? &r->head : NULL;
}

const char *sofa__http_response_error(const sofa__http_response *r)
{
    return r->errmsg;
}
