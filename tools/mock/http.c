/* sofa-mock: a small HTTP/1.1 server on the event loop — keep-alive, Content-Length
 * request bodies, chunked responses pulled from producers, and config streams. */
#include "http.h"
#include "mocktls.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct mock_httpconn {
    struct mock_httpconn *next, *prev;
    struct mock_httpconn **list; /* node->httpconns or cluster->ctlconns */
    mock_cluster *cluster;
    mock_node *node;             /* NULL on the control port */
    int fd;
    struct event *rev, *wev;
    struct event *delay_timer;   /* node response delay: the next request waits for it */
    int delay_done;              /* the delay for the request at the front has passed */
    int continue_sent;           /* "100 Continue" sent for the request at the front */
    int head_only;               /* the request being answered is a HEAD */
    mock_strbuf rbuf, wbuf;
    size_t woff;
    int want_write;
    int keepalive;
    int closing;
    int busy;                    /* a streamed response is in progress */
    int resume;                  /* a streamed response ended: parse queued requests */
    int stream;                  /* MOCK_STREAM_* subscription */
    mock_bucket *stream_bucket;
    mock_http_producer producer;
    mock_tls tls; /* tls.ssl set on a node's HTTPS port */
} mock_httpconn;

static void http_read_cb(evutil_socket_t fd, short what, void *arg);
static void http_write_cb(evutil_socket_t fd, short what, void *arg);

static void free_conn(mock_httpconn *c)
{
    if (c->prev) {
        c->prev->next = c->next;
    } else if (*c->list == c) {
        *c->list = c->next;
    }
    if (c->next) {
        c->next->prev = c->prev;
    }
    if (c->producer.free) {
        c->producer.free(c->producer.ctx);
    }
    if (c->rev) {
        event_free(c->rev);
    }
    if (c->wev) {
        event_free(c->wev);
    }
    if (c->delay_timer) {
        event_free(c->delay_timer);
    }
    mock_tls_free(&c->tls);
    close(c->fd);
    mock_strbuf_free(&c->rbuf);
    mock_strbuf_free(&c->wbuf);
    free(c);
}

void mock_httpconn_close(mock_httpconn *c)
{
    free_conn(c);
}

/* ------------------------------------------------------------------ output */

static int append_chunk(mock_strbuf *w, const char *data, size_t n)
{
    if (n == 0) {
        return 0;
    }
    return mock_strbuf_printf(w, "%zx\r\n", n) || mock_strbuf_append(w, data, n) ||
           mock_strbuf_append(w, "\r\n", 2);
}

static void flush(mock_httpconn *c);

/* Pull from the producer while the write buffer is small. */
static void pump(mock_httpconn *c)
{
    while (c->producer.produce != NULL && c->wbuf.len - c->woff < MOCK_HTTP_PRODUCE_CHUNK) {
        mock_strbuf tmp = {0};
        int more = c->producer.produce(c->producer.ctx, &tmp, MOCK_HTTP_PRODUCE_CHUNK);
        int err = append_chunk(&c->wbuf, tmp.data, tmp.len);
        mock_strbuf_free(&tmp);
        if (err) {
            c->closing = 1;
            more = 0;
        }
        if (more <= 0) {
            if (c->producer.free) {
                c->producer.free(c->producer.ctx);
            }
            memset(&c->producer, 0, sizeof(c->producer));
            mock_strbuf_append(&c->wbuf, "0\r\n\r\n", 5);
            c->busy = 0;
            c->resume = 1;
            if (more < 0 || !c->keepalive) {
                c->closing = 1;
            }
        }
    }
}

static void process(mock_httpconn *c);

static void flush(mock_httpconn *c)
{
    for (;;) {
        while (c->woff < c->wbuf.len) {
            size_t left = c->wbuf.len - c->woff;
            ssize_t w = c->tls.ssl ? mock_tls_send(&c->tls, c->wbuf.data + c->woff, left)
                                   : send(c->fd, c->wbuf.data + c->woff, left, MSG_NOSIGNAL);
            if (w > 0) {
                c->woff += (size_t)w;
            } else if (w < 0 && errno == EINTR) {
                continue;
            } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                break;
            } else {
                free_conn(c);
                return;
            }
        }
        if (c->woff == c->wbuf.len) {
            c->wbuf.len = c->woff = 0;
        } else if (c->woff > 1024 * 1024) {
            mock_strbuf_consume(&c->wbuf, c->woff);
            c->woff = 0;
        }
        if (c->producer.produce != NULL && c->wbuf.len - c->woff < MOCK_HTTP_PRODUCE_CHUNK) {
            size_t before = c->wbuf.len;
            pump(c);
            if (c->wbuf.len != before) {
                continue;
            }
        }
        break;
    }
    if (c->wbuf.len > c->woff) {
        if (!c->want_write) {
            event_add(c->wev, NULL);
            c->want_write = 1;
        }
        return;
    }
    if (c->want_write) {
        event_del(c->wev);
        c->want_write = 0;
    }
    if (c->closing && !c->busy) {
        free_conn(c);
        return;
    }
    if (c->resume) {
        c->resume = 0;
        process(c); /* pipelined requests waited for the streamed response */
    }
}

/* ------------------------------------------------------------------ requests */

static void send_response(mock_httpconn *c, mock_http_response *resp)
{
    const char *ct = resp->content_type ? resp->content_type : "application/json";
    int chunked = resp->producer.produce != NULL || resp->stream != MOCK_STREAM_NONE;
    if (c->head_only && chunked) {
        /* HEAD of a streamed resource: headers only, nothing to stream */
        if (resp->producer.free) {
            resp->producer.free(resp->producer.ctx);
        }
        memset(&resp->producer, 0, sizeof(resp->producer));
        resp->stream = MOCK_STREAM_NONE;
        chunked = 0;
    }
    int err = mock_strbuf_printf(&c->wbuf, "HTTP/1.1 %d %s\r\nServer: sofa-mock\r\nContent-Type: %s\r\n",
                                 resp->status, mock_http_reason(resp->status), ct);
    if (resp->status == 401) {
        err |= mock_strbuf_printf(&c->wbuf, "WWW-Authenticate: Basic realm=\"Couchbase Server\"\r\n");
    }
    if (!c->keepalive) {
        err |= mock_strbuf_printf(&c->wbuf, "Connection: close\r\n");
    }
    if (chunked) {
        err |= mock_strbuf_printf(&c->wbuf, "Transfer-Encoding: chunked\r\n\r\n");
        err |= append_chunk(&c->wbuf, resp->body.data, resp->body.len);
        c->busy = 1;
        if (resp->stream != MOCK_STREAM_NONE) {
            c->stream = resp->stream;
            c->stream_bucket = resp->stream_bucket;
        } else {
            c->producer = resp->producer;
            memset(&resp->producer, 0, sizeof(resp->producer));
        }
    } else {
        err |= mock_strbuf_printf(&c->wbuf, "Content-Length: %zu\r\n\r\n", resp->body.len);
        if (!c->head_only) {
            err |= mock_strbuf_append(&c->wbuf, resp->body.data, resp->body.len);
        }
        if (!c->keepalive) {
            c->closing = 1;
        }
    }
    if (err) {
        /* out of memory: what was queued goes out, then the connection closes */
        mock_log("HTTP response for %d incomplete (out of memory); closing", resp->status);
        if (c->producer.free) {
            c->producer.free(c->producer.ctx);
        }
        memset(&c->producer, 0, sizeof(c->producer));
        c->stream = MOCK_STREAM_NONE;
        c->busy = 0;
        c->keepalive = 0;
        c->closing = 1;
    }
}

typedef struct head_info {
    char method[16];
    char target[4096];
    char user[256], pass[256];
    int have_auth;
    int keepalive;
    size_t clen;
    int expect_continue;
    const char *error; /* set with the returned status when the head is unusable */
} head_info;

/* Parse the request line and the headers we use. 0, or an HTTP error status. */
static int parse_head(const char *head, head_info *h)
{
    char version[16], val[1024];
    const char *sp1 = strchr(head, ' ');
    const char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    const char *eol = strstr(head, "\r\n");
    h->keepalive = 0;
    if (sp1 == NULL || sp2 == NULL || sp2 > eol || (size_t)(sp1 - head) >= sizeof(h->method) ||
        (size_t)(sp2 - sp1 - 1) >= sizeof(h->target) || (size_t)(eol - sp2 - 1) >= sizeof(version)) {
        h->error = "bad request line";
        return 400;
    }
    memcpy(h->method, head, (size_t)(sp1 - head));
    h->method[sp1 - head] = '\0';
    memcpy(h->target, sp1 + 1, (size_t)(sp2 - sp1 - 1));
    h->target[sp2 - sp1 - 1] = '\0';
    memcpy(version, sp2 + 1, (size_t)(eol - sp2 - 1));
    version[eol - sp2 - 1] = '\0';
    h->keepalive = strcmp(version, "HTTP/1.1") == 0;
    if (mock_http_header(head, "Connection", val, sizeof(val)) == 0) {
        if (strcasecmp(val, "close") == 0) {
            h->keepalive = 0;
        } else if (strcasecmp(val, "keep-alive") == 0) {
            h->keepalive = 1;
        }
    }
    if (mock_http_header(head, "Transfer-Encoding", val, sizeof(val)) == 0) {
        h->keepalive = 0;
        h->error = "chunked request bodies are not supported";
        return 501;
    }
    h->clen = 0;
    if (mock_http_header(head, "Content-Length", val, sizeof(val)) == 0) {
        char *e;
        unsigned long long v = strtoull(val, &e, 10);
        if (*e != '\0' || val[0] == '\0' || v > MOCK_HTTP_MAX_BODY) {
            h->keepalive = 0;
            h->error = "bad or too large Content-Length";
            return 413;
        }
        h->clen = (size_t)v;
    }
    h->expect_continue = mock_http_header(head, "Expect", val, sizeof(val)) == 0 &&
                         strcasecmp(val, "100-continue") == 0;
    h->have_auth = 0;
    if (mock_http_header(head, "Authorization", val, sizeof(val)) == 0) {
        mock_http_parse_basic(val, h->user, sizeof(h->user), h->pass, sizeof(h->pass), &h->have_auth);
        if (!h->have_auth) {
            h->error = "bad Authorization header";
            return 401;
        }
    }
    return 0;
}

static void route(mock_httpconn *c, head_info *h, const char *body, mock_http_response *resp)
{
    char *q = strchr(h->target, '?');
    if (q != NULL) {
        *q++ = '\0';
    }
    mock_http_request req = {h->method, h->target, q ? q : "", body, h->clen,
                             h->have_auth ? h->user : NULL, h->have_auth ? h->pass : NULL,
                             c->node ? c->node->index : -1};
    if (mock_verbose) {
        mock_log("node %d http: %s %s%s%s (%zu body bytes)", req.node, h->method, h->target,
                 q ? "?" : "", q ? q : "", h->clen);
    }
    if (strncmp(h->target, "/mock/", 6) == 0 || strcmp(h->target, "/mock") == 0) {
        mock_control_route(c->cluster, &req, resp);
    } else if (c->node == NULL) {
        mock_http_error(resp, 404, "the control port serves /mock/ only");
    } else {
        mock_http_route(c->cluster, &req, resp);
    }
}

/* Handle one complete request at the front of rbuf; returns bytes consumed, 0 = need more,
 * -1 = fatal (error response queued, close after it). */
static long handle_one(mock_httpconn *c)
{
    char *data = c->rbuf.data;
    char *end = c->rbuf.len >= 4 ? memmem(data, c->rbuf.len, "\r\n\r\n", 4) : NULL;
    mock_http_response resp;
    memset(&resp, 0, sizeof(resp));
    head_info *h = NULL;
    char *head = NULL, *body = NULL;
    long consumed = -1;
    c->head_only = 0;
    if (end == NULL) {
        if (c->rbuf.len <= MOCK_HTTP_MAX_HEAD) {
            return 0;
        }
        mock_http_error(&resp, 413, "request head too large");
        goto respond;
    }
    size_t headlen = (size_t)(end - data) + 4;
    h = calloc(1, sizeof(*h));
    head = malloc(headlen + 1);
    if (h == NULL || head == NULL) {
        goto respond;
    }
    memcpy(head, data, headlen);
    head[headlen] = '\0';
    int st = parse_head(head, h);
    c->keepalive = h->keepalive;
    c->head_only = strcmp(h->method, "HEAD") == 0;
    if (st != 0) {
        mock_http_error(&resp, st, h->error);
        if (st == 401 && c->rbuf.len - headlen >= h->clen) {
            consumed = (long)(headlen + h->clen); /* the stream is still in sync */
        }
        goto respond;
    }
    if (c->rbuf.len - headlen < h->clen) {
        if (h->expect_continue && !c->continue_sent) {
            c->continue_sent = 1;
            if (mock_strbuf_append(&c->wbuf, "HTTP/1.1 100 Continue\r\n\r\n", 25) != 0) {
                c->closing = 1;
            }
        }
        free(head);
        free(h);
        return 0;
    }
    c->continue_sent = 0;
    body = malloc(h->clen + 1);
    if (body == NULL) {
        goto respond;
    }
    memcpy(body, data + headlen, h->clen);
    body[h->clen] = '\0';
    route(c, h, body, &resp);
    consumed = (long)(headlen + h->clen);
respond:
    free(body);
    free(head);
    free(h);
    if (resp.status == 0) {
        mock_http_error(&resp, 500, "internal error");
    }
    if (consumed < 0) {
        c->keepalive = 0;
    }
    send_response(c, &resp);
    mock_strbuf_free(&resp.body);
    if (resp.producer.free) {
        resp.producer.free(resp.producer.ctx);
    }
    if (consumed < 0) {
        c->closing = 1;
    }
    return consumed;
}

/* Control requests are exempt from a node's hang and delay faults. */
static int is_control_request(const mock_httpconn *c)
{
    const char *sp = memchr(c->rbuf.data, ' ', c->rbuf.len < 16 ? c->rbuf.len : 16);
    size_t rest = sp ? c->rbuf.len - (size_t)(sp + 1 - c->rbuf.data) : 0;
    return sp != NULL && rest >= 5 && memcmp(sp + 1, "/mock", 5) == 0;
}

static void delay_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    mock_httpconn *c = arg;
    c->delay_done = 1;
    process(c);
}

/* Node faults: 1 if the request at the front must not be handled now. */
static int held_by_fault(mock_httpconn *c)
{
    if (c->node == NULL || is_control_request(c)) {
        return 0;
    }
    if (c->node->hang) {
        c->rbuf.len = 0; /* swallowed, never answered */
        return 1;
    }
    if (c->node->delay_ms <= 0 || c->delay_done) {
        return 0;
    }
    if (c->delay_timer == NULL) {
        c->delay_timer = evtimer_new(c->cluster->base, delay_cb, c);
        if (c->delay_timer == NULL) {
            return 0;
        }
    }
    if (!evtimer_pending(c->delay_timer, NULL)) {
        int ms = c->node->delay_ms;
        struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
        evtimer_add(c->delay_timer, &tv);
    }
    return 1;
}

static void process(mock_httpconn *c)
{
    while (!c->busy && !c->closing && c->rbuf.len > 0) {
        if (held_by_fault(c)) {
            break;
        }
        long n = handle_one(c);
        if (n != 0) {
            c->delay_done = 0;
        }
        if (n == 0) {
            break;
        }
        if (n < 0) {
            c->rbuf.len = 0;
            break;
        }
        mock_strbuf_consume(&c->rbuf, (size_t)n);
    }
    flush(c);
}

static void http_read_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    mock_httpconn *c = arg;
    int h = mock_tls_read_ready(&c->tls);
    if (h < 0) {
        free_conn(c);
    }
    if (h <= 0) {
        return;
    }
    int got = 0;
    do { /* TLS: also what is already decrypted inside the session */
        if (mock_strbuf_reserve(&c->rbuf, 65536) != 0) {
            free_conn(c);
            return;
        }
        size_t room = c->rbuf.cap - c->rbuf.len - 1;
        ssize_t r = c->tls.ssl ? mock_tls_recv(&c->tls, c->rbuf.data + c->rbuf.len, room)
                               : recv(fd, c->rbuf.data + c->rbuf.len, room, 0);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            free_conn(c);
            return;
        }
        if (r < 0) {
            break;
        }
        c->rbuf.len += (size_t)r;
        got = 1;
        if (c->rbuf.len > MOCK_HTTP_MAX_HEAD + MOCK_HTTP_MAX_BODY) {
            free_conn(c);
            return;
        }
    } while (c->tls.ssl != NULL && mock_tls_pending(&c->tls) > 0);
    if (!got) {
        return;
    }
    if (c->busy) {
        return; /* requests wait until the streamed response ends (config streams never do) */
    }
    process(c);
}

static void http_write_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    mock_httpconn *c = arg;
    int r = mock_tls_write_ready(&c->tls, c->want_write);
    if (r < 0) {
        free_conn(c);
    } else if (r == 0) {
        flush(c);
    }
}

static mock_httpconn *accept_conn(mock_cluster *cl, mock_node *n, mock_httpconn **list, int fd)
{
    mock_httpconn *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        close(fd);
        return NULL;
    }
    c->fd = fd;
    c->cluster = cl;
    c->node = n;
    c->list = list;
    c->next = *list;
    if (*list) {
        (*list)->prev = c;
    }
    *list = c;
    c->rev = event_new(cl->base, fd, EV_READ | EV_PERSIST, http_read_cb, c);
    c->wev = event_new(cl->base, fd, EV_WRITE | EV_PERSIST, http_write_cb, c);
    if (c->rev == NULL || c->wev == NULL || event_add(c->rev, NULL) != 0) {
        free_conn(c);
        return NULL;
    }
    return c;
}

void mock_http_accept(void *node, int fd)
{
    mock_node *n = node;
    (void)accept_conn(n->cluster, n, &n->httpconns, fd);
}

void mock_https_accept(void *node, int fd)
{
    mock_node *n = node;
    mock_httpconn *c = accept_conn(n->cluster, n, &n->httpconns, fd);
    if (c != NULL &&
        (n->cluster->tls == NULL || mock_tls_setup(&c->tls, n->cluster->tls, c->fd, c->wev) != 0)) {
        free_conn(c);
    }
}

void mock_http_ctl_accept(void *cluster, int fd)
{
    mock_cluster *c = cluster;
    (void)accept_conn(c, NULL, &c->ctlconns, fd);
}

static void push_one(mock_httpconn *h)
{
    char *js = mock_config_json(h->cluster, h->stream_bucket, h->node->index,
                                h->stream != MOCK_STREAM_VERBOSE);
    if (js == NULL) {
        return;
    }
    size_t n = strlen(js);
    if (append_chunk(&h->wbuf, js, n) == 0) {
        append_chunk(&h->wbuf, "\n\n\n\n", 4);
    }
    free(js);
}

void mock_http_push_config(mock_cluster *c)
{
    for (int i = 0; i < c->nnodes; i++) {
        mock_httpconn *h = c->nodes[i].httpconns;
        while (h != NULL) {
            mock_httpconn *next = h->next;
            if (h->stream != MOCK_STREAM_NONE) {
                push_one(h);
                flush(h); /* may free h */
            }
            h = next;
        }
    }
}
