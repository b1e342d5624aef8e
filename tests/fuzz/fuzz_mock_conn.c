/* Fuzz the mock's KV and HTTP connection code (framing, every opcode handler, SASL, the
 * HTTP request parser, routes and control API) through a socketpair, in-process.
 * First input byte: bit 0 = HTTP instead of KV, bit 1 = node 1 instead of node 0, bit 2 =
 * 1 ms replication/persistence delays (durable writes wait on timers), bit 3 = 1 ms response
 * delay on the node. */
#include <errno.h>
#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mock_cluster cl;

static void setup(void)
{
    cl.base = event_base_new();
    snprintf(cl.host, sizeof(cl.host), "127.0.0.1");
    cl.nnodes = 2;
    cl.nreplicas = 1;
    cl.nvbuckets = 4;
    cl.rev = cl.rev_epoch = 1;
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
    mock_bucket_new(&cl, "default", NULL, MOCK_BUCKET_COUCHBASE);
    mock_bucket_new(&cl, "mc", NULL, MOCK_BUCKET_MEMCACHED);
    mock_bucket_new(&cl, "secure", "pw", MOCK_BUCKET_COUCHBASE);
}

/* Undo whatever the control API changed. */
static void reset(void)
{
    for (int i = 0; i < cl.nnodes; i++) {
        mock_node *n = &cl.nodes[i];
        mock_node_drop_connections(n);
        mock_listener_close(&n->kv);
        mock_listener_close(&n->http);
        if (n->restart_timer) {
            event_del(n->restart_timer);
        }
        n->running = 1;
        n->delay_ms = n->hang = 0;
    }
    int all[2] = {0, 1};
    char msg[128];
    if (cl.nodes[0].failed_over || cl.nodes[1].failed_over) {
        mock_cluster_rebalance(&cl, all, 2, msg, sizeof(msg));
    }
    cl.nfaults = 0;
    cl.persist_delay_ms = cl.replicate_delay_ms = 0;
    mock_clock_offset_ms = 0;
    for (int i = 0; i < cl.nbuckets; i++) {
        mock_store_flush(cl.buckets[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (cl.base == NULL) {
        setup();
    }
    if (size < 1) {
        return 0;
    }
    int http = data[0] & 1, node = (data[0] >> 1) & 1;
    if (data[0] & 4) {
        cl.persist_delay_ms = cl.replicate_delay_ms = 1;
    }
    if (data[0] & 8) {
        cl.nodes[node].delay_ms = 1;
    }
    data++;
    size--;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
        return 0;
    }
    if (http) {
        mock_http_accept(&cl.nodes[node], sv[0]);
    } else {
        mock_kv_accept(&cl.nodes[node], sv[0]);
    }
    size_t off = 0;
    char sink[65536];
    for (int round = 0; round < 10000; round++) {
        if (off < size) {
            ssize_t w = send(sv[1], data + off, size - off, MSG_NOSIGNAL);
            if (w > 0) {
                off += (size_t)w;
            }
            if (off == size) {
                shutdown(sv[1], SHUT_WR);
            }
        }
        event_base_loop(cl.base, EVLOOP_NONBLOCK);
        ssize_t r = recv(sv[1], sink, sizeof(sink), 0);
        if (r == 0 && off == size) {
            break; /* the mock closed its side */
        }
        if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            break;
        }
        if (off == size && r < 0 && cl.nodes[node].kvconns == NULL &&
            cl.nodes[node].httpconns == NULL) {
            break;
        }
    }
    close(sv[1]);
    event_base_loop(cl.base, EVLOOP_NONBLOCK);
    reset();
    return 0;
}
