/* sofa-mock: KV connections — accept, batched reads, packet framing, one write buffer per
 * connection, response delays, hung nodes, injected faults, deferred (durable) responses. */
#include "kv.h"
#include "kvproto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_CHUNK (256u * 1024u)
#define WRITE_HIGH_WATER (8u * 1024u * 1024u)

static void kv_read_cb(evutil_socket_t fd, short what, void *arg);
static void kv_write_cb(evutil_socket_t fd, short what, void *arg);
static void process(mock_kvconn *c);

/* Without UnorderedExecution a pending durable write blocks the connection, like the real
 * server: later requests wait (unread or unprocessed) until it is answered. */
static int blocked(const mock_kvconn *c)
{
    return c->durables != NULL && !mock_kv_has(c, FEAT_UNORDERED);
}

static void put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint16_t get16(const unsigned char *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const unsigned char *p)
{
    return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* Without XERROR the server maps newer codes to old ones, or disconnects (-1). */
static int remap_status(const mock_kvconn *c, const mock_req *r, uint16_t st)
{
    if (mock_kv_has(c, FEAT_XERROR)) {
        return st;
    }
    switch (st) {
    case ST_LOCKED:
        return (r->opcode == OP_GETL || r->opcode == OP_UNLOCK) ? ST_ETMPFAIL : ST_KEY_EEXISTS;
    case ST_NOT_LOCKED:
    case ST_SYNC_WRITE_IN_PROGRESS:
        return ST_ETMPFAIL;
    case ST_EACCESS:
    case ST_NO_BUCKET:
    case ST_DURABILITY_INVALID_LEVEL:
    case ST_DURABILITY_IMPOSSIBLE:
    case ST_SYNC_WRITE_AMBIGUOUS:
        return -1;
    default:
        return st;
    }
}

void mock_kv_respond(mock_kvconn *c, const mock_req *r, uint16_t status, const void *ext, size_t next,
                const void *key, size_t nkey, const void *val, size_t nval, uint64_t cas,
                uint8_t datatype)
{
    int st = remap_status(c, r, status);
    if (st < 0) {
        c->closing = 1; /* the real server disconnects instead */
        return;
    }
    size_t body = next + nkey + nval;
    if (body > UINT32_MAX || mock_strbuf_reserve(c->out, MC_HEADER + body) != 0) {
        c->dead = 1;
        return;
    }
    unsigned char *h = (unsigned char *)c->out->data + c->out->len;
    h[0] = MC_RES;
    h[1] = r->opcode;
    put16(h + 2, (uint16_t)nkey);
    h[4] = (unsigned char)next;
    h[5] = datatype;
    put16(h + 6, (uint16_t)st);
    put32(h + 8, (uint32_t)body);
    memcpy(h + 12, &r->opaque, 4); /* echoed as received (raw bytes) */
    put32(h + 16, (uint32_t)(cas >> 32));
    put32(h + 20, (uint32_t)cas);
    unsigned char *p = h + MC_HEADER;
    if (next) {
        memcpy(p, ext, next);
        p += next;
    }
    if (nkey) {
        memcpy(p, key, nkey);
        p += nkey;
    }
    if (nval) {
        memcpy(p, val, nval);
    }
    c->out->len += MC_HEADER + body;
}

void mock_kv_respond_status(mock_kvconn *c, const mock_req *r, uint16_t status)
{
    mock_kv_respond(c, r, status, NULL, 0, NULL, 0, NULL, 0, 0, 0);
}

/* ------------------------------------------------------------------ close / flush */

static void free_conn(mock_kvconn *c)
{
    mock_node *n = c->node;
    if (c->prev) {
        c->prev->next = c->next;
    } else if (n->kvconns == c) {
        n->kvconns = c->next;
    }
    if (c->next) {
        c->next->prev = c->prev;
    }
    if (c->rev) {
        event_free(c->rev);
    }
    if (c->wev) {
        event_free(c->wev);
    }
    if (c->dq_timer) {
        event_free(c->dq_timer);
    }
    while (c->dq_head) {
        mock_delayed *d = c->dq_head;
        c->dq_head = d->next;
        mock_strbuf_free(&d->data);
        free(d);
    }
    while (c->durables) {
        mock_durable *d = c->durables;
        c->durables = d->next;
        event_free(d->timer);
        mock_strbuf_free(&d->data);
        free(d);
    }
    mock_tls_free(&c->tls);
    if (c->fd >= 0) {
        close(c->fd);
    }
    mock_strbuf_free(&c->rbuf);
    mock_strbuf_free(&c->wbuf);
    free(c);
}

mock_kvconn *mock_kvconn_next(mock_kvconn *c)
{
    return c->next;
}

void mock_kvconn_close(mock_kvconn *c)
{
    if (c->in_dispatch) {
        c->dead = 1;
        return;
    }
    free_conn(c);
}

/* Write what is queued; returns -1 if the connection was freed. */
static int do_flush(mock_kvconn *c)
{
    while (c->woff < c->wbuf.len) {
        ssize_t w = c->tls.ssl
                        ? mock_tls_send(&c->tls, c->wbuf.data + c->woff, c->wbuf.len - c->woff)
                        : send(c->fd, c->wbuf.data + c->woff, c->wbuf.len - c->woff, MSG_NOSIGNAL);
        if (w > 0) {
            c->woff += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        }
        free_conn(c);
        return -1;
    }
    if (c->woff > 0 && c->woff < c->wbuf.len && c->woff >= c->wbuf.len / 2) {
        /* keep the buffer from growing while the peer never quite catches up */
        mock_strbuf_consume(&c->wbuf, c->woff);
        c->woff = 0;
    }
    if (c->woff == c->wbuf.len) {
        c->wbuf.len = 0;
        c->woff = 0;
        if (c->want_write) {
            event_del(c->wev);
            c->want_write = 0;
        }
        if (c->closing) {
            free_conn(c);
            return -1;
        }
    } else if (!c->want_write) {
        event_add(c->wev, NULL);
        c->want_write = 1;
    }
    /* backpressure: stop reading while the peer does not read its responses, or while a
     * blocked connection has plenty of requests waiting */
    if (c->wbuf.len - c->woff > WRITE_HIGH_WATER ||
        (blocked(c) && c->rbuf.len - c->roff > WRITE_HIGH_WATER)) {
        event_del(c->rev);
    } else if (!c->closing) {
        event_add(c->rev, NULL);
    }
    return 0;
}

void mock_kv_flush(mock_kvconn *c)
{
    if (c->dead) {
        free_conn(c);
        return;
    }
    (void)do_flush(c);
}

static void kv_write_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    mock_kvconn *c = arg;
    int r = mock_tls_write_ready(&c->tls, c->want_write);
    if (r < 0) {
        free_conn(c);
    } else if (r == 0) {
        mock_kv_flush(c);
    }
}

/* ------------------------------------------------------------------ delays / durables */

static void dq_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    mock_kvconn *c = arg;
    int64_t now = mock_mono_ms();
    while (c->dq_head && c->dq_head->due_ms <= now) {
        mock_delayed *d = c->dq_head;
        c->dq_head = d->next;
        if (c->dq_head == NULL) {
            c->dq_tail = NULL;
        }
        if (mock_strbuf_append(&c->wbuf, d->data.data, d->data.len) != 0) {
            c->dead = 1;
        }
        mock_strbuf_free(&d->data);
        free(d);
    }
    if (c->dq_head) {
        int64_t ms = c->dq_head->due_ms - now;
        struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
        evtimer_add(c->dq_timer, &tv);
    }
    mock_kv_flush(c);
}

static void delay_output(mock_kvconn *c, mock_strbuf *buf, int delay_ms)
{
    mock_delayed *d = calloc(1, sizeof(*d));
    if (d == NULL || (c->dq_timer == NULL &&
                      (c->dq_timer = evtimer_new(c->node->cluster->base, dq_cb, c)) == NULL)) {
        free(d);
        mock_strbuf_free(buf);
        c->dead = 1;
        return;
    }
    d->data = *buf;
    memset(buf, 0, sizeof(*buf));
    d->due_ms = mock_mono_ms() + delay_ms;
    if (c->dq_tail) {
        c->dq_tail->next = d;
    } else {
        c->dq_head = d;
    }
    c->dq_tail = d;
    if (c->dq_head == d) {
        struct timeval tv = {delay_ms / 1000, (delay_ms % 1000) * 1000};
        evtimer_add(c->dq_timer, &tv);
    }
}

static void durable_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    mock_durable *d = arg;
    mock_kvconn *c = d->conn;
    mock_durable **pp = &c->durables;
    while (*pp && *pp != d) {
        pp = &(*pp)->next;
    }
    if (*pp) {
        *pp = d->next;
    }
    int delay = c->node->delay_ms;
    if (c->node->hang) {
        /* a hung node never answers */
    } else if (delay > 0) {
        delay_output(c, &d->data, delay);
    } else if (mock_strbuf_append(&c->wbuf, d->data.data, d->data.len) != 0) {
        c->dead = 1;
    }
    event_free(d->timer);
    mock_strbuf_free(&d->data);
    free(d);
    if (!c->dead && !blocked(c)) {
        process(c); /* requests that waited behind the durable write */
    }
    mock_kv_flush(c);
}

mock_strbuf *mock_kv_durable_begin(mock_kvconn *c, int delay_ms)
{
    mock_durable *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        return NULL;
    }
    d->timer = evtimer_new(c->node->cluster->base, durable_cb, d);
    if (d->timer == NULL) {
        free(d);
        return NULL;
    }
    d->conn = c;
    d->next = c->durables;
    c->durables = d;
    struct timeval tv = {delay_ms / 1000, (delay_ms % 1000) * 1000};
    evtimer_add(d->timer, &tv);
    return &d->data;
}

/* ------------------------------------------------------------------ faults */

static int setup_opcode(int op)
{
    return op == OP_HELLO || op == OP_SASL_LIST || op == OP_SASL_AUTH || op == OP_SASL_STEP ||
           op == OP_SELECT_BUCKET || op == OP_GET_ERROR_MAP;
}

/* Returns 1 if a fault consumed the request. */
static int apply_fault(mock_kvconn *c, const mock_req *r)
{
    mock_cluster *cl = c->node->cluster;
    for (int i = 0; i < cl->nfaults; i++) {
        mock_fault *f = &cl->faults[i];
        if (f->remaining <= 0 || (f->node >= 0 && f->node != c->node->index) ||
            (f->opcode >= 0 && f->opcode != r->opcode) || (f->opcode < 0 && setup_opcode(r->opcode))) {
            continue;
        }
        f->remaining--;
        if (f->kind == MOCK_FAULT_STATUS) {
            mock_req copy = *r;
            /* injected statuses are sent as given, even to non-XERROR connections */
            uint64_t saved = c->features;
            c->features |= 1u << FEAT_XERROR;
            mock_kv_respond_status(c, &copy, (uint16_t)f->status);
            c->features = saved;
        } else if (f->kind == MOCK_FAULT_TRUNCATE) {
            unsigned char h[12] = {MC_RES, r->opcode, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
            if (mock_strbuf_append(c->out, h, sizeof(h)) != 0) {
                c->dead = 1;
            }
            c->closing = 1;
        } else {
            unsigned char g[24];
            for (size_t k = 0; k < sizeof(g); k++) {
                g[k] = (unsigned char)(0xde + k * 37);
            }
            g[0] = 0x42; /* not a valid magic */
            if (mock_strbuf_append(c->out, g, sizeof(g)) != 0) {
                c->dead = 1;
            }
        }
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ framing */

/* Parse flexible framing extras: durability (id 1). Returns 0 or a status. */
static int parse_frame_infos(mock_req *r, const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned id = p[i] >> 4, len = p[i] & 0x0f;
        i++;
        if (id == 15) {
            if (i >= n) {
                return ST_EINVAL;
            }
            id = 15u + p[i++];
        }
        if (len == 15) {
            if (i >= n) {
                return ST_EINVAL;
            }
            len = 15u + p[i++];
        }
        if (len > n - i) {
            return ST_EINVAL;
        }
        if (id == 1) {
            if (len != 1 && len != 3) {
                return ST_EINVAL;
            }
            r->dur_level = p[i];
            if (len == 3) {
                r->dur_timeout_ms = get16(p + i + 1);
                if (r->dur_timeout_ms == 0 || r->dur_timeout_ms == 0xffff) {
                    return ST_EINVAL;
                }
            }
        } else if (id != 0 && id != 5) { /* barrier and preserve-TTL are accepted */
            return ST_UNKNOWN_FRAME;
        }
        i += len;
    }
    return 0;
}

/* --verbose: one line per request with the status of its (first) response. */
static void log_request(const mock_kvconn *c, const mock_req *r, const mock_strbuf *out, size_t before)
{
    char key[64];
    size_t n = r->nkey < sizeof(key) - 1 ? r->nkey : sizeof(key) - 1;
    for (size_t i = 0; i < n; i++) {
        char ch = r->key[i];
        key[i] = (ch >= 0x20 && ch < 0x7f) ? ch : '.';
    }
    key[n] = '\0';
    if (out != NULL && out->len >= before + MC_HEADER) {
        const unsigned char *h = (const unsigned char *)out->data + before;
        mock_log("node %d kv: op 0x%02x key '%s' vb %u opaque 0x%08x -> status 0x%02x",
                 c->node->index, r->opcode, key, r->vbucket, ntohl(r->opaque), get16(h + 6));
    } else {
        mock_log("node %d kv: op 0x%02x key '%s' vb %u opaque 0x%08x -> %s", c->node->index,
                 r->opcode, key, r->vbucket, ntohl(r->opaque),
                 c->durables ? "pending or no answer" : "no answer");
    }
}

/* Decode the packet at h (complete: header + bodylen bytes). Returns 0, or a status to
 * answer with (the framing was fine, so the connection can go on), or -1 when the lengths do
 * not add up (answer EINVAL and close). */
static int decode(mock_kvconn *c, const unsigned char *h, mock_req *r)
{
    memset(r, 0, sizeof(*r));
    r->magic = h[0];
    r->opcode = h[1];
    size_t nfe = 0;
    if (r->magic == MC_ALT_REQ) {
        nfe = h[2];
        r->nkey = h[3];
    } else {
        r->nkey = get16(h + 2);
    }
    r->extlen = h[4];
    r->datatype = h[5];
    r->vbucket = get16(h + 6);
    r->bodylen = get32(h + 8);
    memcpy(&r->opaque, h + 12, 4);
    r->cas = get64(h + 16);
    const unsigned char *body = h + MC_HEADER;
    if (nfe + r->extlen + r->nkey > r->bodylen) {
        return -1;
    }
    r->ext = body + nfe;
    r->key = (const char *)body + nfe + r->extlen;
    r->val = r->key + r->nkey;
    r->nval = r->bodylen - nfe - r->extlen - r->nkey;
    if (r->magic == MC_ALT_REQ && !mock_kv_has(c, FEAT_ALT_REQUEST)) {
        return ST_EINVAL;
    }
    if (nfe > 0) {
        int st = parse_frame_infos(r, body, nfe);
        if (st != 0) {
            return st;
        }
    }
    if ((r->datatype & ~DT_JSON) || (r->datatype && !mock_kv_has(c, FEAT_JSON))) {
        return ST_EINVAL;
    }
    return 0;
}

/* Process every complete packet in the read buffer. */
static void process(mock_kvconn *c)
{
    mock_node *node = c->node;
    int delay = node->delay_ms;
    mock_strbuf delayed = {0};
    c->in_dispatch = 1;
    while (!c->dead && !c->closing && !blocked(c) && c->rbuf.len - c->roff >= MC_HEADER) {
        const unsigned char *h = (const unsigned char *)c->rbuf.data + c->roff;
        uint32_t bodylen = get32(h + 8);
        if ((h[0] != MC_REQ && h[0] != MC_ALT_REQ) || bodylen > MOCK_MAX_BODY) {
            mock_log("node %d: bad packet (magic 0x%02x, body %u) after %llu good ones (last: "
                     "opcode 0x%02x, body %u), closing",
                     node->index, h[0], bodylen, (unsigned long long)c->npackets, c->last_opcode,
                     c->last_bodylen);
            c->dead = 1;
            break;
        }
        if (c->rbuf.len - c->roff < MC_HEADER + (size_t)bodylen) {
            break;
        }
        c->roff += MC_HEADER + (size_t)bodylen;
        c->npackets++;
        c->last_opcode = h[1];
        c->last_bodylen = bodylen;
        if (node->hang) {
            continue; /* swallowed */
        }
        c->out = delay > 0 ? &delayed : &c->wbuf;
        mock_req r;
        int st = decode(c, h, &r);
        if (st < 0) {
            mock_kv_respond_status(c, &r, ST_EINVAL);
            c->closing = 1;
        } else if (st > 0) {
            mock_kv_respond_status(c, &r, (uint16_t)st);
        } else {
            size_t before = c->out->len;
            if (!apply_fault(c, &r)) {
                mock_kv_dispatch(c, &r);
            }
            if (mock_verbose) {
                log_request(c, &r, c->out, before);
            }
        }
        c->out = &c->wbuf;
    }
    c->in_dispatch = 0;
    if (delayed.len > 0) {
        delay_output(c, &delayed, delay);
    }
    mock_strbuf_free(&delayed);
    /* compact the read buffer */
    if (c->roff == c->rbuf.len) {
        c->rbuf.len = c->roff = 0;
    } else if (c->roff > c->rbuf.cap / 2) {
        mock_strbuf_consume(&c->rbuf, c->roff);
        c->roff = 0;
    }
}

static void kv_read_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    mock_kvconn *c = arg;
    int h = mock_tls_read_ready(&c->tls);
    if (h < 0) {
        free_conn(c);
    }
    if (h <= 0) {
        return;
    }
    int got = 0;
    do { /* TLS: also what is already decrypted inside the session (no readiness for it) */
        if (mock_strbuf_reserve(&c->rbuf, READ_CHUNK) != 0) {
            free_conn(c);
            return;
        }
        ssize_t r = c->tls.ssl ? mock_tls_recv(&c->tls, c->rbuf.data + c->rbuf.len,
                                               c->rbuf.cap - c->rbuf.len)
                               : recv(fd, c->rbuf.data + c->rbuf.len, c->rbuf.cap - c->rbuf.len, 0);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            free_conn(c);
            return;
        }
        if (r < 0) {
            break;
        }
        c->rbuf.len += (size_t)r;
        got = 1;
    } while (c->tls.ssl != NULL && mock_tls_pending(&c->tls) > 0);
    if (!got) {
        return;
    }
    process(c);
    mock_kv_flush(c);
}

static mock_kvconn *accept_conn(mock_node *n, int fd);

void mock_kv_accept(void *node, int fd)
{
    (void)accept_conn(node, fd);
}

void mock_kv_tls_accept(void *node, int fd)
{
    mock_node *n = node;
    mock_kvconn *c = accept_conn(n, fd);
    if (c != NULL &&
        (n->cluster->tls == NULL || mock_tls_setup(&c->tls, n->cluster->tls, c->fd, c->wev) != 0)) {
        free_conn(c);
    }
}

static mock_kvconn *accept_conn(mock_node *n, int fd)
{
    mock_kvconn *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        close(fd);
        return NULL;
    }
    c->fd = fd;
    c->node = n;
    c->out = &c->wbuf;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->rev = event_new(n->cluster->base, fd, EV_READ | EV_PERSIST, kv_read_cb, c);
    c->wev = event_new(n->cluster->base, fd, EV_WRITE | EV_PERSIST, kv_write_cb, c);
    c->next = n->kvconns;
    if (n->kvconns) {
        n->kvconns->prev = c;
    }
    n->kvconns = c;
    if (c->rev == NULL || c->wev == NULL) {
        free_conn(c);
        return NULL;
    }
    /* Legacy behaviour: a password-less bucket named "default" serves unauthenticated clients. */
    mock_bucket *def = mock_cluster_bucket(n->cluster, "default");
    if (def != NULL && !def->has_password) {
        c->bucket = def;
    }
    event_add(c->rev, NULL);
    return c;
}
