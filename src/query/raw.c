/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* Raw HTTP requests to the management, views and query services. */
#include <stdlib.h>
#include <string.h>

#include "query/view.h"
#include "sofa/status.h"

typedef struct raw_state {
    sofa_http_cb cb;
    char *method;
    char *path;
    char *content_type;
    char *body;
    size_t nbody;
} raw_state;

static raw_state *rstate(sofa_query *q)
{
    return q->kind_state;
}

static int raw_prepare_request(sofa_query *q, const sofa__endpoint *ep, sofa__http_spec *spec)
{
    raw_state *rs = rstate(q);
    spec->method = rs->method;
    spec->path = rs->path;
    spec->content_type = rs->content_type;
    spec->body = rs->body;
    spec->nbody = rs->nbody;
    return 0;
}

static void raw_on_complete(sofa_query *q)
{
    sofa__q_finish(q, 0, NULL); /* any complete response: the caller reads the status */
}

static void raw_deliver_end(sofa_query *q, int status)
{
    raw_state *rs = rstate(q);
    sofa_http_response resp;
    resp.status = q->http_status;
    resp.content_type = q->content_type;
    resp.body = q->errbody ? q->errbody : "";
    resp.nbody = q->nerrbody;
    rs->cb(q->svc->client, (sofa_status)status, &resp, q->cookie);
}

static void raw_cleanup(sofa_query *q)
{
    raw_state *rs = rstate(q);
    if (!rs) {
        return;
    }
    free(rs->method);
    free(rs->path);
    free(rs->content_type);
    free(rs->body);
    free(rs);
    q->kind_state = NULL;
}

static const sofa__qops raw_ops = {raw_prepare_request, raw_on_complete, NULL, raw_deliver_end,
                                   raw_cleanup};

static char *dup_or_null(const char *s, int *failed)
{
    if (!s) {
        return NULL;
    }
    char *d = strdup(s);
    if (!d) {
        *failed = 1;
    }
    return d;
}

/* No spaces or control characters (they would break the request line). */
static int clean(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f) {
            return 0;
        }
    }
    return 1;
}

/* 1 when @p req (and @p cb) can be sent as they are. */
static int request_ok(const sofa_http_request *req, sofa_http_cb cb)
{
    return req && cb && req->struct_size == sizeof(*req) && req->method && req->path &&
           req->path[0] == '/' && (!req->nbody || req->body) &&
           (unsigned)req->service <= SOFA_HTTP_QUERY && req->nbody <= SOFA_HTTP_MAX_BODY &&
           clean(req->method, 16) && clean(req->path, SOFA__HTTP_MAX_PATH) &&
           (!req->content_type || !strpbrk(req->content_type, "\r\n"));
}

int sofa__raw_start(sofa__svc *svc, const sofa_http_request *req, sofa_http_cb cb, void *cookie)
{
    int rc = sofa__q_check_start(svc, request_ok(req, cb), NULL);
    if (rc != 0) {
        return rc;
    }
    static const sofa__service map[] = {SOFA__SVC_MGMT, SOFA__SVC_CAPI, SOFA__SVC_N1QL};
    uint64_t timeout = req->timeout_us ? req->timeout_us : SOFA_QUERY_DEFAULT_TIMEOUT_US;
    sofa_query *q = sofa__q_new(svc, SOFA__Q_RAW, &raw_ops, map[req->service], NULL, timeout, 0,
                                sizeof(raw_state), cookie);
    if (!q) {
        return SOFA_E_NO_MEMORY;
    }
    raw_state *rs = q->kind_state;
    rs->cb = cb;
    int failed = 0;
    rs->method = dup_or_null(req->method, &failed);
    rs->path = dup_or_null(req->path, &failed);
    rs->content_type = dup_or_null(req->content_type ? req->content_type
                                   : req->nbody      ? "application/json"
                                                     : NULL,
                                   &failed);
    if (req->nbody && !failed) {
        rs->body = malloc(req->nbody);
        if (rs->body) {
            memcpy(rs->body, req->body, req->nbody);
            rs->nbody = req->nbody;
        } else {
            failed = 1;
        }
    }
    rc = failed ? SOFA_E_NO_MEMORY : sofa__q_start(q);
    if (rc != 0) {
        sofa__q_discard(q);
        return rc;
    }
    return 0;
}
