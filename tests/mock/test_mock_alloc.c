/* Allocation-failure sweep of the mock's KV and HTTP connection code: a scripted session
 * (handshake, every kind of data operation, NOT_MY_VBUCKET, observe, durable write, HTTP
 * config and control requests) runs with the 1st, 2nd, ... allocation failing in turn
 * (the mock's own and jansson's, through tests/support/failalloc). Every run must end
 * without a crash, and with nothing left allocated once the connection is gone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <jansson.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mock.h"
#include "support/failalloc.h"

void *__wrap_malloc(size_t n); /* tests/support/failalloc.c */
void __wrap_free(void *p);

static mock_cluster cl;
static unsigned char received[1 << 20];
static size_t received_len;
static int session_node; /* the master of "foo" */
static unsigned char kv_script[4096];
static size_t kv_len;
static const char http_script[] =
    "GET /pools/default/b/default HTTP/1.1\r\nAuthorization: Basic QWRtaW5pc3RyYXRvcjpwYXNzd29yZA==\r\n\r\n"
    "GET /mock/info HTTP/1.1\r\n\r\n"
    "POST /mock/fail?opcode=0x0a&status=0x86 HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"
    "GET /pools/default/bs/default HTTP/1.1\r\nAuthorization: Basic QWRtaW5pc3RyYXRvcjpwYXNzd29yZA==\r\n\r\n";

static void add(uint8_t op, const char *key, const void *ext, size_t next, const void *val,
                size_t nval, uint16_t vb, const unsigned char *frame, size_t nframe)
{
    unsigned char *h = kv_script + kv_len;
    size_t nkey = key ? strlen(key) : 0;
    uint32_t body = (uint32_t)(nframe + next + nkey + nval);
    memset(h, 0, 24);
    h[0] = nframe ? 0x08 : 0x80;
    h[1] = op;
    if (nframe) {
        h[2] = (unsigned char)nframe;
        h[3] = (unsigned char)nkey;
    } else {
        h[3] = (unsigned char)nkey;
    }
    h[4] = (unsigned char)next;
    h[6] = (unsigned char)(vb >> 8);
    h[7] = (unsigned char)vb;
    uint32_t be = htonl(body);
    memcpy(h + 8, &be, 4);
    h[15] = 1;
    size_t o = 24;
    if (nframe) {
        memcpy(h + o, frame, nframe);
        o += nframe;
    }
    if (next) {
        memcpy(h + o, ext, next);
        o += next;
    }
    if (nkey) {
        memcpy(h + o, key, nkey);
        o += nkey;
    }
    if (nval) {
        memcpy(h + o, val, nval);
    }
    kv_len += o + nval;
}

static void build_kv_script(void)
{
    static const unsigned char feats[] = {0, 3, 0, 4, 0, 7, 0, 8, 0, 0x0b, 0, 0x10, 0, 0x11};
    static const char plain[] = "\0Administrator\0password";
    static const unsigned char setx[8] = {0};
    static const unsigned char ctr[20] = {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5};
    static const unsigned char dur[] = {0x13, 0x01, 0x00, 0x05};
    mock_bucket *b = mock_cluster_bucket(&cl, "default");
    uint16_t vfoo = mock_vbucket_of(b, "foo", 3);
    session_node = b->vbs[vfoo].map[0];
    unsigned char obs[7] = {(unsigned char)(vfoo >> 8), (unsigned char)vfoo, 0, 3, 'f', 'o', 'o'};
    add(0x1f, "agent", NULL, 0, feats, sizeof(feats), 0, NULL, 0);
    add(0xfe, NULL, NULL, 0, "\0\2", 2, 0, NULL, 0);
    add(0x21, "PLAIN", NULL, 0, plain, sizeof(plain) - 1, 0, NULL, 0);
    add(0x21, "SCRAM-SHA256", NULL, 0, "n,,n=Administrator,r=abc", 24, 0, NULL, 0);
    add(0x21, "PLAIN", NULL, 0, plain, sizeof(plain) - 1, 0, NULL, 0);
    add(0x89, "default", NULL, 0, NULL, 0, 0, NULL, 0);
    add(0xb5, NULL, NULL, 0, NULL, 0, 0, NULL, 0);
    add(0x01, "foo", setx, 8, "{\"a\":1}", 7, vfoo, NULL, 0);
    add(0x0e, "foo", NULL, 0, "xyz", 3, vfoo, NULL, 0);
    add(0x00, "foo", NULL, 0, NULL, 0, vfoo, NULL, 0);
    add(0x00, "foo", NULL, 0, NULL, 0, (uint16_t)(vfoo + 1), NULL, 0); /* NOT_MY_VBUCKET */
    add(0x05, "foo", ctr, 20, NULL, 0, vfoo, NULL, 0);                  /* DELTA_BADVAL */
    add(0x92, NULL, NULL, 0, obs, sizeof(obs), 0, NULL, 0);
    add(0x91, NULL, NULL, 0, "\0\0\0\0\0\0\0\0", 8, vfoo, NULL, 0);
    add(0x01, "foo", setx, 8, "v", 1, vfoo, dur, sizeof(dur)); /* durable: waits 5 ms */
    add(0xa0, "foo", NULL, 0, NULL, 0, vfoo, NULL, 0);
    add(0x10, "vbucket-seqno", NULL, 0, NULL, 0, 0, NULL, 0);
    add(0x04, "foo", NULL, 0, NULL, 0, vfoo, NULL, 0);
    add(0x0a, NULL, NULL, 0, NULL, 0, 0, NULL, 0);
}

static int setup(void **state)
{
    (void)state;
    json_set_alloc_funcs(__wrap_malloc, __wrap_free);
    cl.base = event_base_new();
    snprintf(cl.host, sizeof(cl.host), "127.0.0.1");
    cl.nnodes = 2;
    cl.nreplicas = 1;
    cl.nvbuckets = 4;
    cl.rev = cl.rev_epoch = 1;
    cl.replicate_delay_ms = 2;
    cl.persist_delay_ms = 2;
    for (int i = 0; i < cl.nnodes; i++) {
        cl.nodes[i].cluster = &cl;
        cl.nodes[i].index = i;
        cl.nodes[i].running = 1;
        cl.nodes[i].kv = (mock_listener){.fd = -1, .port = 1, .on_accept = mock_kv_accept, .arg = &cl.nodes[i]};
        cl.nodes[i].http = (mock_listener){.fd = -1, .port = 2, .on_accept = mock_http_accept, .arg = &cl.nodes[i]};
    }
    snprintf(cl.users[0].name, sizeof(cl.users[0].name), "Administrator");
    snprintf(cl.users[0].password, sizeof(cl.users[0].password), "password");
    cl.nusers = 1;
    if (mock_bucket_new(&cl, "default", NULL, MOCK_BUCKET_COUCHBASE) == NULL) {
        return -1;
    }
    build_kv_script();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < cl.nbuckets; i++) {
        mock_store_free(cl.buckets[i]);
        free(cl.buckets[i]);
    }
    event_base_free(cl.base);
    return 0;
}

/* Feed one script to a fresh connection on the master of "foo", drain the answers, hang
 * up, and clean everything the session created. */
static int session(const void *script, size_t len, int http)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
        return -1;
    }
    mock_node *node = &cl.nodes[session_node];
    if (http) {
        mock_http_accept(node, sv[0]);
    } else {
        mock_kv_accept(node, sv[0]);
    }
    size_t off = 0, got = 0;
    int quiet = 0;
    for (int round = 0; round < 2000 && quiet < 8; round++) {
        if (off < len) {
            ssize_t w = send(sv[1], (const char *)script + off, len - off, MSG_NOSIGNAL);
            if (w > 0) {
                off += (size_t)w;
            }
        }
        event_base_loop(cl.base, EVLOOP_NONBLOCK);
        ssize_t r = recv(sv[1], received + got, sizeof(received) - got, 0);
        if (r == 0) {
            break;
        }
        if (r > 0) {
            got += (size_t)r;
            if (got == sizeof(received)) {
                got = 0; /* only the start matters */
            }
        }
        quiet = (r < 0 && off == len) ? quiet + 1 : 0;
        if (quiet) {
            usleep(1000); /* let the 2-5 ms timers fire */
        }
    }
    received_len = got;
    close(sv[1]);
    event_base_loop(cl.base, EVLOOP_NONBLOCK);
    mock_node_drop_connections(node);
    for (int i = 0; i < cl.nbuckets; i++) {
        mock_store_flush(cl.buckets[i]);
        mock_config_cache_free(cl.buckets[i]);
        for (int v = 0; v < cl.buckets[i]->nvbuckets; v++) {
            mock_vbucket *vb = &cl.buckets[i]->vbs[v];
            free(vb->pending);
            vb->pending = NULL;
            vb->npending = vb->pending_cap = vb->pending_head = 0;
        }
    }
    cl.nfaults = 0;
    return 0;
}

static void sweep(int http)
{
    const void *script = http ? (const void *)http_script : (const void *)kv_script;
    size_t len = http ? sizeof(http_script) - 1 : kv_len;
    long calls = 0;
    for (long i = 0;; i++) {
        failalloc_start(i);
        session(script, len, http);
        failalloc_stop();
        if (failalloc_live() != 0) {
            fail_msg("%s: failing allocation %ld leaked %ld blocks", http ? "http" : "kv", i,
                     failalloc_live());
        }
        if (failalloc_failures() == 0) {
            calls = failalloc_calls();
            break; /* this run needed no failure: every allocation was tried */
        }
    }
    print_message("%s session: %ld allocations, each failed in turn\n", http ? "http" : "kv", calls);
    assert_true(calls > 10);
}

/* Statuses of the KV responses in received[], in order. */
static int statuses(uint16_t *out, int max)
{
    int n = 0;
    size_t o = 0;
    while (o + 24 <= received_len && n < max) {
        uint32_t body;
        memcpy(&body, received + o + 8, 4);
        body = ntohl(body);
        out[n++] = (uint16_t)(received[o + 6] << 8 | received[o + 7]);
        o += 24 + body;
    }
    return n;
}

static void kv_session_survives_every_allocation_failure(void **state)
{
    (void)state;
    /* without failures the script gets its expected answers */
    session(kv_script, kv_len, 0);
    uint16_t st[64];
    int n = statuses(st, 64);
    static const uint16_t want[] = {0, 0, 0, 0x21, 0, 0, 0, 0, 0, 0, 0x07, 0x06, 0, 0, 0, 0};
    assert_true(n >= (int)(sizeof(want) / sizeof(want[0])));
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(st[i], want[i]);
    }
    sweep(0);
}

static void http_session_survives_every_allocation_failure(void **state)
{
    (void)state;
    sweep(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kv_session_survives_every_allocation_failure),
        cmocka_unit_test(http_session_survives_every_allocation_failure),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
