/* sofa-mock: KV connections (framing, faults, delays) and the command handlers. */
#ifndef SOFA_TOOLS_MOCK_KV_H
#define SOFA_TOOLS_MOCK_KV_H

#include "mock.h"
#include "mocktls.h"

typedef struct mock_req {
    uint8_t magic, opcode, extlen, datatype;
    uint16_t vbucket;
    uint32_t bodylen, opaque;
    uint64_t cas;
    const unsigned char *ext;
    const char *key;
    size_t nkey;
    const char *val;
    size_t nval;
    int dur_level;      /* 0 = none */
    int dur_timeout_ms; /* 0 = server default */
} mock_req;

typedef struct mock_delayed {
    struct mock_delayed *next;
    int64_t due_ms;
    mock_strbuf data;
} mock_delayed;

typedef struct mock_durable {
    struct mock_durable *next;
    struct mock_kvconn *conn;
    struct event *timer;
    mock_strbuf data; /* the response to send when it fires */
} mock_durable;

typedef struct mock_kvconn {
    struct mock_kvconn *next, *prev;
    mock_node *node;
    int fd;
    struct event *rev, *wev;
    mock_strbuf rbuf;
    size_t roff;
    mock_strbuf wbuf;
    size_t woff;
    mock_strbuf *out;      /* where responses go: &wbuf, or a delay/durable buffer */
    uint64_t features;     /* bit n = HELLO feature n acked (n < 64) */
    int authed;
    char user[MOCK_MAX_NAME + 1];
    mock_bucket *bucket;
    mock_sasl sasl;
    int closing;           /* close after flushing what is queued */
    int dead;              /* close now (fault or protocol error) */
    int in_dispatch;
    int want_write;
    mock_delayed *dq_head, *dq_tail;
    struct event *dq_timer;
    mock_durable *durables;
    uint64_t npackets;     /* framing diagnostics for the "bad packet" log line */
    uint8_t last_opcode;
    uint32_t last_bodylen;
    mock_tls tls; /* tls.ssl set when accepted on the TLS port (mocktls.c) */
} mock_kvconn;

static inline int mock_kv_has(const mock_kvconn *c, int feat)
{
    return (c->features >> feat) & 1u;
}

/* Append a response for r to c->out (status remapped for non-XERROR connections). */
void mock_kv_respond(mock_kvconn *c, const mock_req *r, uint16_t status, const void *ext, size_t next,
                const void *key, size_t nkey, const void *val, size_t nval, uint64_t cas,
                uint8_t datatype);
void mock_kv_respond_status(mock_kvconn *c, const mock_req *r, uint16_t status);
/* Dispatch one request (kvops.c). */
void mock_kv_dispatch(mock_kvconn *c, const mock_req *r);
/* Hold the response that mock_kv_dispatch is producing for delay_ms (durable writes). */
mock_strbuf *mock_kv_durable_begin(mock_kvconn *c, int delay_ms);
void mock_kv_flush(mock_kvconn *c);

#endif /* SOFA_TOOLS_MOCK_KV_H */
