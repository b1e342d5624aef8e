/* sofa-mock: the fault-injection / control API under /mock/ (on every node's HTTP port and
 * on the control port). Parameters come in the query string; see docs/mock.md. */
#include "http.h"

#include <event2/event.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DEFER_STOP, DEFER_DROP };

typedef struct deferred {
    mock_cluster *c;
    int action, node, for_ms;
} deferred;

static void deferred_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    deferred *d = arg;
    mock_cluster *c = d->c;
    for (int i = 0; i < c->nnodes; i++) {
        if (d->node >= 0 && d->node != i) {
            continue;
        }
        if (d->action == DEFER_STOP) {
            mock_node_stop(&c->nodes[i]);
            if (d->for_ms > 0) {
                mock_node_schedule_restart(&c->nodes[i], d->for_ms);
            }
        } else {
            mock_node_drop_connections(&c->nodes[i]);
        }
    }
    free(d);
}

/* Run after the current response went out (the handler's own connection may be closed). */
static int defer(mock_cluster *c, int action, int node, int for_ms)
{
    deferred *d = malloc(sizeof(*d));
    if (d == NULL) {
        return -1;
    }
    *d = (deferred){c, action, node, for_ms};
    struct timeval tv = {0, 1000};
    if (event_base_once(c->base, -1, EV_TIMEOUT, deferred_cb, d, &tv) != 0) {
        free(d);
        return -1;
    }
    return 0;
}

static int param_int(const mock_http_request *req, const char *name, long long *out)
{
    char v[64];
    if (mock_http_query_param(req->query, name, v, sizeof(v)) != 0 || v[0] == '\0') {
        return -1;
    }
    char *e;
    long long x = strtoll(v, &e, 0);
    if (*e != '\0') {
        return -2;
    }
    *out = x;
    return 0;
}

static void ok(mock_http_response *resp, const char *msg)
{
    json_t *js = json_pack("{s:b,s:s}", "ok", 1, "message", msg);
    char *s = js ? json_dumps(js, JSON_COMPACT) : NULL;
    json_decref(js);
    if (s == NULL || mock_strbuf_append(&resp->body, s, strlen(s)) != 0) {
        free(s);
        mock_http_error(resp, 500, "out of memory (the command was applied)");
        return;
    }
    free(s);
    resp->status = 200;
    resp->content_type = "application/json";
}

static json_t *info_json(mock_cluster *c)
{
    json_t *nodes = json_array(), *buckets = json_array(), *faults = json_array();
    int oom = 0;
    for (int i = 0; i < c->nnodes; i++) {
        mock_node *n = &c->nodes[i];
        oom |= json_array_append_new(nodes, json_pack("{s:i,s:i,s:i,s:b,s:b,s:i,s:b,s:I,s:I}",
                                                      "index", i, "kv", n->kv.port, "http",
                                                      n->http.port, "running", n->running,
                                                      "failed_over", n->failed_over, "delay_ms",
                                                      n->delay_ms, "hang", n->hang, "observe",
                                                      (json_int_t)n->nobserve, "observe_seqno",
                                                      (json_int_t)n->nobserve_seqno));
    }
    for (int i = 0; i < c->nbuckets; i++) {
        mock_bucket *b = c->buckets[i];
        oom |= json_array_append_new(buckets, json_pack("{s:s,s:s,s:I,s:i}", "name", b->name, "type",
                                                 b->type == MOCK_BUCKET_COUCHBASE ? "couchbase"
                                                                                  : "memcached",
                                                 "items", (json_int_t)b->nitems, "vbuckets",
                                                 b->nvbuckets));
    }
    for (int i = 0; i < c->nfaults; i++) {
        mock_fault *f = &c->faults[i];
        if (f->remaining <= 0) {
            continue;
        }
        static const char *kinds[] = {"status", "truncate", "garbage"};
        oom |= json_array_append_new(faults, json_pack("{s:s,s:i,s:i,s:i,s:i}", "kind", kinds[f->kind],
                                                "node", f->node, "opcode", f->opcode, "status",
                                                f->status, "remaining", f->remaining));
    }
    if (oom) {
        json_decref(nodes);
        json_decref(buckets);
        json_decref(faults);
        return NULL;
    }
    return json_pack("{s:I,s:I,s:o,s:o,s:o,s:I,s:i,s:i,s:I}", "rev", (json_int_t)c->rev, "revEpoch",
                     (json_int_t)c->rev_epoch, "nodes", nodes, "buckets", buckets, "faults", faults,
                     "clock_offset_ms", (json_int_t)mock_clock_offset_ms, "persist_delay_ms",
                     c->persist_delay_ms, "replicate_delay_ms", c->replicate_delay_ms, "now_ms",
                     (json_int_t)mock_now_ms());
}

/* node=N (required when need != 0; -1 = all when absent and allowed). */
static int get_node(mock_cluster *c, const mock_http_request *req, mock_http_response *resp, int need,
                    int *node)
{
    long long v;
    int r = param_int(req, "node", &v);
    if (r == -1 && !need) {
        *node = -1;
        return 0;
    }
    if (r != 0 || v < 0 || v >= c->nnodes) {
        mock_http_error(resp, 400, "node=N (0-based index of an existing node) required");
        return -1;
    }
    *node = (int)v;
    return 0;
}

static int add_fault(mock_cluster *c, const mock_http_request *req, mock_http_response *resp,
                     mock_fault_kind kind)
{
    long long opcode = -1, status = 0, count = 1;
    char v[32];
    if (mock_http_query_param(req->query, "opcode", v, sizeof(v)) == 0 && strcmp(v, "any") != 0) {
        if (param_int(req, "opcode", &opcode) != 0 || opcode < 0 || opcode > 255) {
            mock_http_error(resp, 400, "opcode must be 0..255 or any");
            return -1;
        }
    }
    if (kind == MOCK_FAULT_STATUS &&
        (param_int(req, "status", &status) != 0 || status < 0 || status > 0xffff)) {
        mock_http_error(resp, 400, "status=0xNN required");
        return -1;
    }
    int r = param_int(req, "count", &count);
    if (r == -2 || count < 1 || count > 1000000) {
        mock_http_error(resp, 400, "count must be 1..1000000");
        return -1;
    }
    int node;
    if (get_node(c, req, resp, 0, &node) != 0) {
        return -1;
    }
    int slot = -1;
    for (int i = 0; i < c->nfaults; i++) {
        if (c->faults[i].remaining <= 0) {
            slot = i;
            break;
        }
    }
    if (slot < 0) {
        if (c->nfaults >= MOCK_MAX_FAULTS) {
            mock_http_error(resp, 400, "too many pending faults (clear them with /mock/reset)");
            return -1;
        }
        slot = c->nfaults++;
    }
    c->faults[slot] = (mock_fault){kind, node, (int)opcode, (int)status, (int)count};
    return 0;
}

static int parse_node_list(const char *s, int *out, int max)
{
    int n = 0;
    while (*s) {
        char *e;
        long v = strtol(s, &e, 10);
        if (e == s || n >= max) {
            return -1;
        }
        out[n++] = (int)v;
        s = e;
        if (*s == ',') {
            s++;
        } else if (*s != '\0') {
            return -1;
        }
    }
    return n;
}

typedef void (*cmd_fn)(mock_cluster *c, const mock_http_request *req, mock_http_response *resp);

static void cmd_info(mock_cluster *c, const mock_http_request *req, mock_http_response *resp)
{
    (void)req;
    json_t *js = info_json(c);
    char *s = js ? json_dumps(js, JSON_COMPACT) : NULL;
    json_decref(js);
    if (s == NULL) {
        mock_http_error(resp, 500, "out of memory");
        return;
    }
    resp->status = 200;
    resp->content_type = "application/json";
    mock_strbuf_append(&resp->body, s, strlen(s));
    free(s);
}

static void cmd_failover(mock_cluster *c, const mock_http_request *req, mock_http_response *resp)
{
    char msg[256];
    int node;
    if (get_node(c, req, resp, 1, &node) != 0) {
        return;
    }
    if (mock_cluster_failover(c, node, msg, sizeof(msg)) != 0) {
        mock_http_error(resp, 400, msg);
        return;
    }
    ok(resp, msg);
}

static void cmd_rebalance(mock_cluster *c, const mock_http_request *req, mock_http_response *resp)
{
    char list[256], msg[256];
    int nodes[MOCK_MAX_NODES];
    int n = -1;
    if (mock_http_query_param(req->query, "nodes", list, sizeof(list)) == 0 &&
        (n = parse_node_list(list, nodes, MOCK_MAX_NODES)) < 0) {
        mock_http_error(resp, 400, "nodes=0,1,... expected");
        return;
    }
    if (mock_cluster_rebalance(c, n >= 0 ? nodes : NULL, n, msg, sizeof(msg)) != 0) {
        mock_http_error(resp, 400, msg);
        return;
    }
    ok(resp, msg);
}

static void cmd_stop(mock_cluster *c, const mock_http_request *req, mock_http_response *resp)
{
    char msg[256];
    long long for_ms = 0;
    int node;
    if (get_node(c, req, resp, 1, &node) != 0) {
        return;
    }
    if (param_int(req, "for_ms", &for_ms) == -2 || for_ms < 0 || for_ms > 3600000) {
        mock_http_error(resp, 400, "for_ms must be 0..3600000");
        return;
    }
    if (defer(c, DEFER_STOP, node, (int)for_ms) != 0) {
        mock_http_error(resp, 500, "out of memory");
        return;
    }
    snprintf(msg, sizeof(msg), "node %d stopping%s", node, for_ms ? " (restart scheduled)" : "");
    ok(resp, msg);
}

static void cmd_start(mock_cluster *c, const mock_http_request *req, mock_http_response *resp)
{
    char msg[64];
    int node;
    if (get_node(c, req, resp, 1, &node) != 0) {
        return;
    }
    if (mock_node_start(&c->nodes[node]) != 0) {
        mock_http_error(resp, 500, "could not reopen the node's ports");
        return;
    }
    snprintf(msg, sizeof(msg), "node %d running", node);
    ok(resp, msg);
}

static void set_node_knob(mock_cluster *c, const mock_http_request *req, mock_http_response *resp,
                          int is_delay)
{
    int node;
    long long v;
    if (get_node(c, req, resp, 0, &node) != 0) {
        return;
    }
    if (param_int(req, is_delay ? "ms" : "on", &v) != 0 || v < 0 || v > 600000) {
        mock_http_error(resp, 400, is_delay ? "ms=0..600000 required" : "on=0|1 required");
        return;
    }
    for (int i = 0; i < c->nnodes; i++) {
        if (node < 0 || node == i) {
            if (is_delay) {
                c->nodes[i].delay_ms = (int)v;
            } else {
                c->nodes[i].hang = v != 0;
            }
        }
    }
    ok(resp, is_delay ? "delay set" : "hang set");
}

static void cmd_delay(mock_cluster *c, const mock_http_request *req, mock_http_response *resp)
{
    set_node_knob(c, req, resp, 1);
}

static void cmd_hang(mock_cluster *c, const mock_http_request *req, mock_http_response *resp)
{
    set_node_knob(c, req, resp, 0);
}

static void cmd_drop(mock_cluster *c, const mock_http_request *req, mock_http_response *resp)
{
    int node;
    if (get_node(c, req, resp, 0, &node) != 0) {
        return;
    }
    if (defer(c, DEFER_DROP, node, 0) != 0) {
        mock_http_error(resp, 500, "out of memory");
        return;
    }
    ok(resp, "dropping connections");
}

static void cmd_fail(mock_cluster *c, const mock_http_request *req, mock_http_response *resp)
{
    if (add_fault(c, req, resp, MOCK_FAULT_STATUS) == 0) {
        ok(resp, "fault armed");
    }
}

static void cmd_corrupt(mock_cluster *c, const mock_http_request *req, mock_http_response *resp)
{
    char mode[32] = "";
    mock_http_query_param(req->query, "mode", mode, sizeof(mode));
    mock_fault_kind k = strcmp(mode, "truncate") == 0  ? MOCK_FAULT_TRUNCATE
                        : strcmp(mode, "garbage") == 0 ? MOCK_FAULT_GARBAGE
                                                       : MOCK_FAULT_STATUS;
    if (k == MOCK_FAULT_STATUS) {
        mock_http_error(resp, 400, "mode=truncate|garbage required");
        return;
    }
    if (add_fault(c, req, resp, k) == 0) {
        ok(resp, "fault armed");
    }
}

#define MAX_ADVANCE_S (100LL * 365 * 86400)

static void cmd_clock(mock_cluster *c, const mock_http_request *req, mock_http_response *resp)
{
    (void)c;
    char msg[128];
    long long ms = 0, s = 0;
    int r1 = param_int(req, "advance_ms", &ms), r2 = param_int(req, "advance", &s);
    if (r1 == -2 || r2 == -2 || (r1 != 0 && r2 != 0) || ms < 0 || s < 0 || ms > MAX_ADVANCE_S * 1000 ||
        s > MAX_ADVANCE_S) {
        mock_http_error(resp, 400, "advance=SECONDS or advance_ms=MS (>= 0) required");
        return;
    }
    mock_clock_offset_ms += ms + s * 1000;
    snprintf(msg, sizeof(msg), "clock offset %lld ms", (long long)mock_clock_offset_ms);
    ok(resp, msg);
}

static void cmd_delays(mock_cluster *c, const mock_http_request *req, mock_http_response *resp)
{
    long long p = c->persist_delay_ms, r = c->replicate_delay_ms;
    int e1 = param_int(req, "persist_ms", &p), e2 = param_int(req, "replicate_ms", &r);
    if (e1 == -2 || e2 == -2 || p < 0 || r < 0 || p > 600000 || r > 600000) {
        mock_http_error(resp, 400, "persist_ms / replicate_ms must be 0..600000");
        return;
    }
    c->persist_delay_ms = (int)p;
    c->replicate_delay_ms = (int)r;
    ok(resp, "delays set");
}

static void cmd_reset(mock_cluster *c, const mock_http_request *req, mock_http_response *resp)
{
    (void)req;
    c->nfaults = 0;
    for (int i = 0; i < c->nnodes; i++) {
        c->nodes[i].delay_ms = 0;
        c->nodes[i].hang = 0;
    }
    ok(resp, "faults, delays and hangs cleared");
}

static const struct {
    const char *name;
    cmd_fn fn;
} commands[] = {
    {"info", cmd_info},         {"", cmd_info},           {"failover", cmd_failover},
    {"rebalance", cmd_rebalance}, {"stop", cmd_stop},       {"start", cmd_start},
    {"delay", cmd_delay},       {"hang", cmd_hang},       {"drop", cmd_drop},
    {"fail", cmd_fail},         {"corrupt", cmd_corrupt}, {"clock", cmd_clock},
    {"delays", cmd_delays},     {"reset", cmd_reset},
};

void mock_control_route(mock_cluster *c, const mock_http_request *req, mock_http_response *resp)
{
    const char *cmd = req->path + (strncmp(req->path, "/mock/", 6) == 0 ? 6 : 5);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(cmd, commands[i].name) == 0) {
            commands[i].fn(c, req, resp);
            return;
        }
    }
    mock_http_error(resp, 404, "unknown control command (see docs/mock.md)");
}
