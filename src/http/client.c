/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
#include "http/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/dlist.h"
#include "io/conn.h"
#include "sofa/status.h"

struct sofa__http_req {
    sofa__http *pool; /* not used once canceled: the pool may be gone by then */
    sofa_iops *io;
    sofa__dlink link; /* on pool->reqs */
    sofa__http_req_cbs cbs;
    void *arg;
    sofa__conn *conn;
    sofa_io_timer *timer;
    sofa__http_response resp;
    char *out; /* the request bytes, kept for one retry on a stale keep-alive connection */
    size_t nout;
    char host[SOFA__CONN_HOST_MAX];
    uint16_t port;
    uint64_t timeout_us;
    int connected; /* the connection was established (the request may have been sent) */
    int reused;    /* on a keep-alive connection from the pool */
    int retried;
    int got_bytes;
    int busy;
    int canceled;
    int finished;
};

struct sofa__http {
    sofa_iops *io;
    const sofa__logger *lg;
    char *auth; /* "Authorization: Basic ...\r\n" or NULL */
    sofa__dlist reqs; /* running requests */
    sofa__conn *idle[SOFA__HTTP_MAX_IDLE];
    size_t nidle;
    uint64_t opened;
    sofa__io_guard guard;
    sofa__conn_opts opts;        /* http_conn_opts, plus TLS when set (sofa__http_set_tls) */
    uint64_t connect_timeout_us; /* sofa__http_set_connect_timeout; 0 = none */
};

static void req_on_connected(sofa__conn *c, void *arg);
static void req_on_data(sofa__conn *c, void *arg);
static void req_on_error(sofa__conn *c, int status, void *arg);
static const sofa__conn_handler req_handler = {req_on_connected, req_on_data, req_on_error};

/* An idle keep-alive connection is connected already: on_connected never fires. */
static void idle_on_connected(sofa__conn *c, void *arg);
static void idle_on_data(sofa__conn *c, void *arg);
static void idle_on_error(sofa__conn *c, int status, void *arg);
static const sofa__conn_handler idle_handler = {idle_on_connected, idle_on_data, idle_on_error};

/* Connections of the pool: both address families, no Nagle delay, a connect timeout only
 * when the owner sets one (sofa__http_set_connect_timeout; each request also has its
 * deadline), no deadline queue (tq NULL). Responses are
 * streamed: on_body sees each read of up to 64 KiB as it arrives, so a consumer that
 * pauses stops the reading early and memory stays at one read. */
static const sofa__conn_opts http_conn_opts = {.connect_timeout_us = 0,
                                               .ipv6 = 1,
                                               .nodelay = 1,
                                               .rbuf_max = 0,
                                               .read_batch = SOFA__CONN_READ_CHUNK};

/* ------------------------------------------------------------------ pool */

void sofa__http_set_tls(sofa__http *h, struct sofa__tls_ctx *tls)
{
    h->opts.tls = tls;
}

void sofa__http_set_connect_timeout(sofa__http *h, uint64_t us)
{
    h->connect_timeout_us = us;
}

sofa__http *sofa__http_new(sofa_iops *io, const sofa__logger *lg, const char *user,
                           const char *password)
{
    sofa__http *h = calloc(1, sizeof(*h));
    if (!h) {
        return NULL;
    }
    h->opts = http_conn_opts;
    h->io = io;
    h->lg = lg;
    if (user) {
        if (!password) {
            password = "";
        }
        size_t ul = strlen(user), pl = strlen(password);
        if (ul > SOFA__HTTP_MAX_CREDENTIAL || pl > SOFA__HTTP_MAX_CREDENTIAL) {
            free(h);
            return NULL;
        }
        size_t n = ul + 1 + pl;
        unsigned char *plain = malloc(n + 1);
        size_t b64len = 4 * ((n + 2) / 3) + 1;
        const char prefix[] = "Authorization: Basic ";
        h->auth = malloc(sizeof(prefix) + b64len + 2);
        if (!plain || !h->auth) {
            free(plain);
            free(h->auth);
            free(h);
            return NULL;
        }
        memcpy(plain, user, ul);
        plain[ul] = ':';
        memcpy(plain + ul + 1, password, pl);
        memcpy(h->auth, prefix, sizeof(prefix) - 1);
        int w = EVP_EncodeBlock((unsigned char *)h->auth + sizeof(prefix) - 1, plain, (int)n);
        memcpy(h->auth + sizeof(prefix) - 1 + (size_t)w, "\r\n", 3);
        OPENSSL_cleanse(plain, n);
        free(plain);
    }
    return h;
}

void sofa__http_set_guard(sofa__http *h, void (*enter)(void *), void (*leave)(void *), void *arg)
{
    h->guard.enter = enter;
    h->guard.leave = leave;
    h->guard.arg = arg;
}

static void idle_remove(sofa__http *h, sofa__conn *c)
{
    for (size_t i = 0; i < h->nidle; i++) {
        if (h->idle[i] == c) {
            h->idle[i] = h->idle[--h->nidle];
            return;
        }
    }
}

static void idle_put(sofa__http *h, sofa__conn *c)
{
    if (h->nidle == SOFA__HTTP_MAX_IDLE) {
        sofa__conn_free(h->idle[0]); /* the oldest goes */
        memmove(h->idle, h->idle + 1, sizeof(h->idle[0]) * (h->nidle - 1));
        h->nidle--;
    }
    sofa__conn_set_handler(c, &idle_handler, h);
    h->idle[h->nidle++] = c;
}

static sofa__conn *idle_take(sofa__http *h, const char *host, uint16_t port)
{
    for (size_t i = h->nidle; i-- > 0;) { /* the most recently used first */
        sofa__conn *c = h->idle[i];
        if (c->port == port && strcmp(c->host, host) == 0 && c->state == SOFA__CONN_CONNECTED) {
            memmove(h->idle + i, h->idle + i + 1, sizeof(h->idle[0]) * (h->nidle - i - 1));
            h->nidle--;
            return c;
        }
    }
    return NULL;
}

static void idle_on_connected(sofa__conn *c, void *arg)
{
    (void)c;
    (void)arg;
}

static void idle_on_data(sofa__conn *c, void *arg)
{
    sofa__http *h = arg;
    SOFA_LOG(h->lg, SOFA_LOG_DEBUG, "http", "unexpected %zu bytes on idle connection to %s:%u",
             sofa__buf_used(&c->rbuf), c->host, (unsigned)c->port);
    idle_remove(h, c);
    sofa__conn_free(c);
}

static void idle_on_error(sofa__conn *c, int status, void *arg)
{
    sofa__http *h = arg;
    (void)status;
    idle_remove(h, c);
    sofa__conn_free(c);
}

size_t sofa__http_running(const sofa__http *h)
{
    return h->reqs.n;
}

size_t sofa__http_idle(const sofa__http *h)
{
    return h->nidle;
}

uint64_t sofa__http_opened(const sofa__http *h)
{
    return h->opened;
}

/* -------------------------------------------------------------- requests */

static void req_unlink(sofa__http_req *r)
{
    (void)sofa__dlist_unlink(&r->pool->reqs, &r->link);
}

static void req_destroy(sofa__http_req *r)
{
    if (r->timer) {
        r->io->update_timer(r->io, r->timer, SOFA_IO_CLEANUP, 0);
        r->timer = NULL;
    }
    free(r->out);
    free(r);
}

/* Detach the connection: back to the pool when it can carry another request. */
static void req_release_conn(sofa__http_req *r, int keep)
{
    sofa__conn *c = r->conn;
    r->conn = NULL;
    if (!c) {
        return;
    }
    if (keep && c->state == SOFA__CONN_CONNECTED) {
        sofa__conn_pause(c, 0);
        idle_put(r->pool, c);
    } else {
        sofa__conn_free(c);
    }
}

static void req_finish(sofa__http_req *r, int status, int sent, const char *msg)
{
    if (r->finished || r->canceled) {
        return;
    }
    r->finished = 1;
    req_release_conn(r, 0);
    if (r->timer) {
        r->io->update_timer(r->io, r->timer, SOFA_IO_UNWATCH, 0);
    }
    req_unlink(r);
    r->busy++;
    if (r->cbs.on_done) {
        r->cbs.on_done(r->arg, status, sent, msg ? msg : "");
    }
    r->busy--;
    if (!r->busy) {
        req_destroy(r);
    }
}

static int req_attach(sofa__http_req *r)
{
    sofa__http *h = r->pool;
    sofa__conn *c = idle_take(h, r->host, r->port);
    if (c) {
        r->reused = 1;
        r->connected = 1;
        sofa__conn_set_handler(c, &req_handler, r);
    } else {
        r->reused = 0;
        r->connected = 0;
        /* A TCP connect that hangs, or a TLS handshake with a port that stays silent, fails
         * after the connect timeout rather than at the request's (longer) deadline. */
        sofa__conn_opts o = h->opts;
        if (h->connect_timeout_us && (!r->timeout_us || h->connect_timeout_us < r->timeout_us)) {
            o.connect_timeout_us = h->connect_timeout_us;
        }
        int rc = sofa__conn_new(&c, h->io, NULL, h->lg, r->host, r->port, &o, &req_handler, r);
        if (rc != 0) {
            return rc;
        }
        h->opened++;
        sofa__conn_set_guard(c, &h->guard);
    }
    r->conn = c;
    return sofa__conn_write(c, r->out, r->nout);
}

static void req_on_connected(sofa__conn *c, void *arg)
{
    sofa__http_req *r = arg;
    (void)c;
    r->connected = 1;
}

static void req_on_data(sofa__conn *c, void *arg)
{
    sofa__http_req *r = arg;
    const char *data = (const char *)sofa__buf_head(&c->rbuf);
    size_t len = sofa__buf_used(&c->rbuf);
    r->got_bytes = 1;
    size_t used = 0;
    r->busy++;
    int rc = sofa__http_response_feed(&r->resp, data, len, &used);
    r->busy--;
    /* The parser took what it needed (bytes after a complete response end the keep-alive
     * below); the connection stays allocated until this dispatch ends. */
    sofa__buf_consume(&c->rbuf, len);
    if (r->canceled) {
        if (!r->busy) {
            req_destroy(r);
        }
        return;
    }
    if (rc == SOFA__HTTP_DONE) {
        int keep = sofa__http_response_keep_alive(&r->resp) && used == len;
        req_release_conn(r, keep);
        req_finish(r, 0, 1, NULL);
    } else if (rc < 0) {
        req_finish(r, rc, 1, sofa__http_response_error(&r->resp));
    }
}

static void req_on_error(sofa__conn *c, int status, void *arg)
{
    sofa__http_req *r = arg;
    char msg[SOFA__CONN_HOST_MAX + 200];
    snprintf(msg, sizeof(msg), "%s:%u: %s", c->host, (unsigned)c->port, c->errmsg);
    if (r->got_bytes) {
        r->busy++;
        int rc = sofa__http_response_eof(&r->resp); /* a body that ends with the connection */
        r->busy--;
        if (r->canceled) {
            if (!r->busy) {
                req_destroy(r);
            }
            return;
        }
        if (rc == SOFA__HTTP_DONE) {
            req_finish(r, 0, 1, NULL);
        } else {
            char full[sizeof(msg) + 160];
            snprintf(full, sizeof(full), "%s (%s)", sofa__http_response_error(&r->resp), msg);
            req_finish(r, status, 1, full); /* the network status says what happened */
        }
        return;
    }
    if (r->reused && !r->retried) {
        /* The server closed a keep-alive connection before answering: once more. */
        SOFA_LOG(r->pool->lg, SOFA_LOG_DEBUG, "http", "stale keep-alive connection (%s), retrying",
                 msg);
        r->retried = 1;
        req_release_conn(r, 0);
        int rc = req_attach(r);
        if (rc != 0) {
            req_finish(r, rc, 0, "cannot reconnect");
        }
        return;
    }
    req_finish(r, status, r->connected, msg);
}

static void req_on_timer(sofa_io_timer *t, void *arg)
{
    sofa__http_req *r = arg;
    sofa__io_guard g = r->pool->guard;
    sofa__guard_enter(&g);
    char msg[96];
    snprintf(msg, sizeof(msg), "no complete response within %llu ms",
             (unsigned long long)(r->timeout_us / 1000));
    req_finish(r, SOFA_E_QUERY_TIMEOUT, r->connected, msg);
    sofa__guard_leave(g); /* may free everything */
}

static int valid_token(const char *s, size_t max, int allow_space)
{
    if (!s || !*s || strlen(s) > max) {
        return 0;
    }
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x21 || ch == 0x7f) {
            if (!(allow_space && ch == ' ')) {
                return 0;
            }
        }
    }
    return 1;
}

/* The request text: head and body. */
static int build_request(const sofa__http *h, const sofa__http_spec *s, char **out, size_t *nout)
{
    int v6 = strchr(s->host, ':') != NULL;
    size_t need = strlen(s->method) + strlen(s->path) + strlen(s->host) + 256 +
                  (h->auth && !s->no_auth ? strlen(h->auth) : 0) +
                  (s->content_type ? strlen(s->content_type) : 0);
    if (s->nbody > SIZE_MAX - need) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    char *buf = malloc(need + s->nbody);
    if (!buf) {
        return SOFA_E_NO_MEMORY;
    }
    int n = snprintf(buf, need,
                     "%s %s HTTP/1.1\r\nHost: %s%s%s:%u\r\nUser-Agent: sofa/0.1\r\n"
                     "Accept: application/json\r\n%s",
                     s->method, s->path, v6 ? "[" : "", s->host, v6 ? "]" : "", (unsigned)s->port,
                     h->auth && !s->no_auth ? h->auth : "");
    size_t len = (size_t)n;
    if (s->content_type) {
        len += (size_t)snprintf(buf + len, need - len, "Content-Type: %s\r\n", s->content_type);
    }
    if (s->nbody || strcmp(s->method, "POST") == 0 || strcmp(s->method, "PUT") == 0) {
        len += (size_t)snprintf(buf + len, need - len, "Content-Length: %zu\r\n", s->nbody);
    }
    len += (size_t)snprintf(buf + len, need - len, "\r\n");
    if (s->nbody) {
        memcpy(buf + len, s->body, s->nbody);
        len += s->nbody;
    }
    *out = buf;
    *nout = len;
    return 0;
}

int sofa__http_start(sofa__http *h, const sofa__http_spec *spec, const sofa__http_req_cbs *cbs,
                     void *arg, sofa__http_req **out)
{
    if (out) {
        *out = NULL;
    }
    if (!h || !spec || !cbs || !valid_token(spec->method, 16, 0) ||
        !valid_token(spec->host, SOFA__CONN_HOST_MAX - 1, 0) || spec->port == 0 ||
        !valid_token(spec->path, SOFA__HTTP_MAX_PATH, 0) || spec->path[0] != '/' ||
        (spec->content_type && !valid_token(spec->content_type, 256, 1)) ||
        (spec->nbody && !spec->body)) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    sofa__http_req *r = calloc(1, sizeof(*r));
    if (!r) {
        return SOFA_E_NO_MEMORY;
    }
    r->pool = h;
    r->io = h->io;
    r->cbs = *cbs;
    r->arg = arg;
    strcpy(r->host, spec->host);
    r->port = spec->port;
    r->timeout_us = spec->timeout_us;
    sofa__http_response_cbs rcbs = {cbs->on_head, cbs->on_body, arg};
    sofa__http_response_init(&r->resp, &rcbs, strcmp(spec->method, "HEAD") == 0);
    int rc = build_request(h, spec, &r->out, &r->nout);
    if (rc != 0) {
        free(r);
        return rc;
    }
    r->timer = h->io->timer_new(h->io, req_on_timer, r);
    if (!r->timer) {
        free(r->out);
        free(r);
        return SOFA_E_NO_MEMORY;
    }
    if (spec->timeout_us &&
        h->io->update_timer(h->io, r->timer, SOFA_IO_WATCH, spec->timeout_us) != 0) {
        req_destroy(r);
        return SOFA_E_IO;
    }
    sofa__dlist_push(&h->reqs, &r->link);
    rc = req_attach(r);
    if (rc != 0) {
        req_release_conn(r, 0);
        req_unlink(r);
        req_destroy(r);
        return rc;
    }
    if (out) {
        *out = r;
    }
    return 0;
}

void sofa__http_pause(sofa__http_req *r, int paused)
{
    if (r && r->conn) {
        sofa__conn_pause(r->conn, paused);
    }
}

void sofa__http_cancel(sofa__http_req *r)
{
    if (!r || r->finished || r->canceled) {
        return;
    }
    r->canceled = 1;
    req_release_conn(r, 0); /* its state is unknown: never reused */
    req_unlink(r);
    if (!r->busy) {
        req_destroy(r);
    } else if (r->timer) {
        r->io->update_timer(r->io, r->timer, SOFA_IO_UNWATCH, 0);
    }
}

void sofa__http_free(sofa__http *h)
{
    if (!h) {
        return;
    }
    while (h->reqs.head) {
        req_finish(SOFA__DLIST_ENTRY(h->reqs.head, sofa__http_req, link), SOFA_E_CANCELED, 1,
                   "canceled: the client is being destroyed");
    }
    for (size_t i = 0; i < h->nidle; i++) {
        sofa__conn_free(h->idle[i]);
    }
    if (h->auth) {
        OPENSSL_cleanse(h->auth, strlen(h->auth));
    }
    free(h->auth);
    free(h);
}
