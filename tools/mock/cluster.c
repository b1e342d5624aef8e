/* sofa-mock: cluster model — users and access rules, vbucket maps, config JSON, and the
 * topology changes (failover, rebalance, node stop/start). */
#include "mock.h"

#include <event2/event.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ auth */

static const mock_user *find_user(const mock_cluster *c, const char *name)
{
    for (int i = 0; i < c->nusers; i++) {
        if (strcmp(c->users[i].name, name) == 0) {
            return &c->users[i];
        }
    }
    return NULL;
}

int mock_cluster_user_password(mock_cluster *c, const char *user, const char **pass)
{
    const mock_user *u = find_user(c, user);
    if (u != NULL) {
        *pass = u->password;
        return 0;
    }
    mock_bucket *b = mock_cluster_bucket(c, user);
    if (b != NULL) {
        *pass = b->has_password ? b->password : "";
        return 0;
    }
    return -1;
}

int mock_cluster_auth(mock_cluster *c, const char *user, const char *pass)
{
    const char *want;
    if (user == NULL || pass == NULL || mock_cluster_user_password(c, user, &want) != 0) {
        return 0;
    }
    return strcmp(want, pass) == 0;
}

int mock_cluster_user_can_access(mock_cluster *c, const char *user, const mock_bucket *b)
{
    if (user == NULL || b == NULL) {
        return 0;
    }
    const mock_user *u = find_user(c, user);
    if (u == NULL) {
        return strcmp(user, b->name) == 0;
    }
    if (u->buckets[0] == '\0') {
        return 1;
    }
    size_t n = strlen(b->name);
    const char *p = u->buckets;
    while (*p != '\0') {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, b->name, n) == 0) {
            return 1;
        }
        p += len + (e ? 1 : 0);
    }
    return 0;
}

/* ------------------------------------------------------------------ maps */

int mock_node_role(const mock_bucket *b, int vbid, int node)
{
    if (b->vbs == NULL || vbid < 0 || vbid >= b->nvbuckets) {
        return -1;
    }
    const mock_vbucket *vb = &b->vbs[vbid];
    for (int k = 0; k <= b->cluster->nreplicas; k++) {
        if (vb->map[k] == node) {
            return k;
        }
    }
    return -1;
}

static int active_nodes(const mock_cluster *c, int *out)
{
    int n = 0;
    for (int i = 0; i < c->nnodes; i++) {
        if (!c->nodes[i].failed_over) {
            out[n++] = i;
        }
    }
    return n;
}

static void assign_maps(mock_cluster *c)
{
    int act[MOCK_MAX_NODES];
    int n = active_nodes(c, act);
    for (int bi = 0; bi < c->nbuckets; bi++) {
        mock_bucket *b = c->buckets[bi];
        if (b->vbs == NULL) {
            continue;
        }
        for (int v = 0; v < b->nvbuckets; v++) {
            for (int k = 0; k <= MOCK_MAX_REPLICAS; k++) {
                int16_t node = -1;
                if (n > 0 && k <= c->nreplicas && k < n) {
                    node = (int16_t)act[(v + c->rebalance_shift + k) % n];
                }
                b->vbs[v].map[k] = node;
            }
        }
    }
}

/* ------------------------------------------------------------------ buckets */

mock_bucket *mock_bucket_new(mock_cluster *c, const char *name, const char *password,
                             mock_bucket_type type)
{
    if (c->nbuckets >= MOCK_MAX_BUCKETS || strlen(name) > MOCK_MAX_NAME ||
        (password && strlen(password) > MOCK_MAX_PASS) || mock_cluster_bucket(c, name) != NULL) {
        return NULL;
    }
    mock_bucket *b = calloc(1, sizeof(*b));
    if (b == NULL) {
        return NULL;
    }
    b->cluster = c;
    snprintf(b->name, sizeof(b->name), "%s", name);
    if (password != NULL && password[0] != '\0') {
        snprintf(b->password, sizeof(b->password), "%s", password);
        b->has_password = 1;
    }
    b->type = type;
    snprintf(b->uuid, sizeof(b->uuid), "%016llx%016llx", (unsigned long long)mock_random64(),
             (unsigned long long)mock_random64());
    if (mock_store_init(b) != 0) {
        free(b);
        return NULL;
    }
    if (type == MOCK_BUCKET_COUCHBASE) {
        b->nvbuckets = c->nvbuckets;
        b->vbs = calloc((size_t)b->nvbuckets, sizeof(*b->vbs));
        if (b->vbs == NULL) {
            mock_store_free(b);
            free(b);
            return NULL;
        }
        for (int v = 0; v < b->nvbuckets; v++) {
            b->vbs[v].uuid = mock_random64() >> 16;
        }
    }
    c->buckets[c->nbuckets++] = b;
    assign_maps(c);
    return b;
}

/* ------------------------------------------------------------------ config JSON */

/* Builders that remember an allocation failure (jansson returns NULL / -1) so a config is
 * either complete or not produced at all. */
typedef struct jb {
    int oom;
} jb;

static void jset(jb *e, json_t *o, const char *key, json_t *v)
{
    if (v == NULL || json_object_set_new(o, key, v) != 0) {
        e->oom = 1;
    }
}

static void jpush(jb *e, json_t *a, json_t *v)
{
    if (v == NULL || json_array_append_new(a, v) != 0) {
        e->oom = 1;
    }
}

static json_t *jcheck(jb *e, json_t *v)
{
    if (v == NULL) {
        e->oom = 1;
    }
    return v;
}

static json_t *services(const mock_cluster *c, int i)
{
    const mock_node *n = &c->nodes[i];
    json_t *s = json_pack("{s:i,s:i,s:i,s:i}", "mgmt", n->http.port, "capi", n->http.port, "n1ql",
                          n->http.port, "kv", n->kv.port);
    if (s != NULL && c->tls != NULL && n->kvtls.port > 0 &&
        (json_object_set_new(s, "kvSSL", json_integer(n->kvtls.port)) != 0 ||
         json_object_set_new(s, "mgmtSSL", json_integer(n->httptls.port)) != 0 ||
         json_object_set_new(s, "capiSSL", json_integer(n->httptls.port)) != 0 ||
         json_object_set_new(s, "n1qlSSL", json_integer(n->httptls.port)) != 0)) {
        json_decref(s);
        return NULL;
    }
    return s;
}

static json_t *nodes_ext(jb *e, mock_cluster *c, const int *act, int nact, int node, int dollar_host)
{
    json_t *arr = jcheck(e, json_array());
    for (int k = 0; k < nact && arr != NULL; k++) {
        int i = act[k];
        json_t *o = jcheck(e, json_object());
        if (o == NULL) {
            break;
        }
        if (i == node) {
            jset(e, o, "thisNode", json_true());
        }
        if (i != node || !dollar_host) {
            jset(e, o, "hostname", json_string(c->host));
        }
        jset(e, o, "services", services(c, i));
        jpush(e, arr, o);
    }
    return arr;
}

static void add_cluster_caps(jb *e, json_t *root)
{
    jset(e, root, "clusterCapabilitiesVer", json_pack("[i,i]", 1, 0));
    jset(e, root, "clusterCapabilities", json_pack("{s:[s]}", "n1ql", "enhancedPreparedStatements"));
}

/* nodes[] and vBucketServerMap.serverList */
static void add_nodes(jb *e, json_t *root, mock_cluster *c, mock_bucket *b, const int *act, int nact,
                      int node, int dollar_host, json_t **servers_out)
{
    char buf[512];
    json_t *nodes = jcheck(e, json_array());
    json_t *servers = jcheck(e, json_array());
    for (int k = 0; k < nact && nodes != NULL && servers != NULL; k++) {
        int i = act[k];
        const char *h = (i == node && dollar_host) ? "$HOST" : c->host;
        json_t *o = jcheck(e, json_object());
        if (o == NULL) {
            break;
        }
        snprintf(buf, sizeof(buf), "%s:%d", h, c->nodes[i].http.port);
        jset(e, o, "hostname", json_string(buf));
        jset(e, o, "ports", json_pack("{s:i}", "direct", c->nodes[i].kv.port));
        if (b->type == MOCK_BUCKET_COUCHBASE) {
            snprintf(buf, sizeof(buf), "http://%s:%d/%s", h, c->nodes[i].http.port, b->name);
            jset(e, o, "couchApiBase", json_string(buf));
        }
        jpush(e, nodes, o);
        snprintf(buf, sizeof(buf), "%s:%d", h, c->nodes[i].kv.port);
        jpush(e, servers, json_string(buf));
    }
    jset(e, root, "nodes", nodes);
    *servers_out = servers;
}

static json_t *vbucket_map(jb *e, mock_cluster *c, mock_bucket *b, const int *index_of)
{
    json_t *map = jcheck(e, json_array());
    for (int v = 0; v < b->nvbuckets && map != NULL; v++) {
        json_t *row = jcheck(e, json_array());
        for (int k = 0; k <= c->nreplicas && row != NULL; k++) {
            int n = b->vbs[v].map[k];
            jpush(e, row, json_integer(n >= 0 ? index_of[n] : -1));
        }
        jpush(e, map, row);
    }
    return map;
}

static json_t *bucket_config(jb *e, mock_cluster *c, mock_bucket *b, int node, int dollar_host)
{
    int act[MOCK_MAX_NODES], index_of[MOCK_MAX_NODES];
    int nact = active_nodes(c, act);
    for (int i = 0; i < MOCK_MAX_NODES; i++) {
        index_of[i] = -1;
    }
    for (int k = 0; k < nact; k++) {
        index_of[act[k]] = k;
    }
    char buf[512];
    json_t *root = jcheck(e, json_object());
    if (root == NULL) {
        return NULL;
    }
    jset(e, root, "rev", json_integer(c->rev));
    jset(e, root, "revEpoch", json_integer(c->rev_epoch));
    jset(e, root, "name", json_string(b->name));
    jset(e, root, "uuid", json_string(b->uuid));
    jset(e, root, "nodeLocator", json_string(b->type == MOCK_BUCKET_COUCHBASE ? "vbucket" : "ketama"));
    snprintf(buf, sizeof(buf), "/pools/default/buckets/%s?bucket_uuid=%s", b->name, b->uuid);
    jset(e, root, "uri", json_string(buf));
    snprintf(buf, sizeof(buf), "/pools/default/bucketsStreaming/%s?bucket_uuid=%s", b->name, b->uuid);
    jset(e, root, "streamingUri", json_string(buf));
    snprintf(buf, sizeof(buf), "/pools/default/buckets/%s/ddocs", b->name);
    jset(e, root, "ddocs", json_pack("{s:s}", "uri", buf));
    json_t *servers = NULL;
    add_nodes(e, root, c, b, act, nact, node, dollar_host, &servers);
    jset(e, root, "nodesExt", nodes_ext(e, c, act, nact, node, dollar_host));
    if (b->type == MOCK_BUCKET_COUCHBASE) {
        json_t *map = vbucket_map(e, c, b, index_of);
        jset(e, root, "vBucketServerMap",
             (servers && map) ? json_pack("{s:s,s:i,s:o,s:o}", "hashAlgorithm", "CRC", "numReplicas",
                                          c->nreplicas, "serverList", servers, "vBucketMap", map)
                              : NULL);
        if (servers == NULL || map == NULL) {
            json_decref(servers);
            json_decref(map);
        }
        jset(e, root, "bucketCapabilities",
             json_pack("[s,s,s,s,s,s]", "durableWrite", "couchapi", "cbhello", "touch", "cccp",
                       "nodesExt"));
    } else {
        json_decref(servers);
        jset(e, root, "bucketCapabilities", json_pack("[s,s,s,s]", "cbhello", "touch", "cccp", "nodesExt"));
    }
    jset(e, root, "bucketCapabilitiesVer", json_string(""));
    add_cluster_caps(e, root);
    return root;
}

static char *config_json_build(mock_cluster *c, mock_bucket *b, int node, int dollar_host)
{
    jb e = {0};
    json_t *root;
    if (b != NULL) {
        root = bucket_config(&e, c, b, node, dollar_host);
    } else {
        int act[MOCK_MAX_NODES];
        int nact = active_nodes(c, act);
        root = jcheck(&e, json_object());
        if (root != NULL) {
            jset(&e, root, "rev", json_integer(c->rev));
            jset(&e, root, "revEpoch", json_integer(c->rev_epoch));
            jset(&e, root, "nodesExt", nodes_ext(&e, c, act, nact, node, dollar_host));
            add_cluster_caps(&e, root);
        }
    }
    char *s = (root != NULL && !e.oom) ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    return s;
}

char *mock_config_json(mock_cluster *c, mock_bucket *b, int node, int dollar_host)
{
    if (b == NULL || node < 0 || node >= MOCK_MAX_NODES) {
        return config_json_build(c, b, node, dollar_host);
    }
    int m = dollar_host ? 1 : 0;
    char **slot = &b->config_cache[node][m];
    if (*slot == NULL || b->config_cache_rev[node][m] != c->rev) {
        char *s = config_json_build(c, b, node, dollar_host);
        if (s == NULL) {
            return NULL;
        }
        free(*slot);
        *slot = s;
        b->config_cache_rev[node][m] = c->rev;
    }
    return strdup(*slot);
}

void mock_config_cache_free(mock_bucket *b)
{
    for (int i = 0; i < MOCK_MAX_NODES; i++) {
        for (int m = 0; m < 2; m++) {
            free(b->config_cache[i][m]);
            b->config_cache[i][m] = NULL;
        }
    }
}

/* ------------------------------------------------------------------ topology */

void mock_cluster_topology_changed(mock_cluster *c)
{
    c->rev++;
    mock_http_push_config(c);
}

/* Items of vbuckets that lost mutations on failover (seqno beyond what the promoted replica had). */
static void drop_lost(mock_bucket *b, const uint64_t *keep)
{
    for (size_t i = 0; i < b->table_size; i++) {
        mock_item *it = b->table[i];
        while (it != NULL) {
            mock_item *next = it->next;
            if (it->seqno > keep[it->vbid]) {
                mock_store_remove(b, it);
            }
            it = next;
        }
    }
}

/* A new vbucket uuid after a hard failover; mutations after `survived` are lost. Returns 1 if
 * some were lost. */
static int new_history(mock_vbucket *vb, uint64_t survived)
{
    memmove(&vb->log[1], &vb->log[0], sizeof(vb->log[0]) * (MOCK_FAILOVER_LOG - 1));
    vb->log[0].uuid = vb->uuid;
    vb->log[0].seqno = survived;
    if (vb->nlog < MOCK_FAILOVER_LOG) {
        vb->nlog++;
    }
    vb->uuid = mock_random64() >> 16;
    if (survived >= vb->high_seqno) {
        return 0;
    }
    vb->high_seqno = survived;
    if (vb->floor_seqno > survived) {
        vb->floor_seqno = survived;
    }
    while (vb->npending > 0) { /* drop lost entries from the tail */
        size_t last = (vb->pending_head + vb->npending - 1) % vb->pending_cap;
        if (vb->pending[last].seqno <= survived) {
            break;
        }
        vb->npending--;
    }
    return 1;
}

static void failover_bucket(mock_cluster *c, mock_bucket *b, int node)
{
    /* without memory for the bookkeeping, lost mutations simply stay (documented limit) */
    uint64_t *keep = malloc((size_t)b->nvbuckets * sizeof(*keep));
    int lost = 0;
    int64_t now = mock_mono_ms();
    for (int v = 0; v < b->nvbuckets; v++) {
        mock_vbucket *vb = &b->vbs[v];
        int was_master = vb->map[0] == node;
        int16_t row[MOCK_MAX_REPLICAS + 1];
        int n = 0;
        for (int k = 0; k <= c->nreplicas; k++) {
            if (vb->map[k] >= 0 && vb->map[k] != node) {
                row[n++] = vb->map[k];
            }
        }
        for (int k = 0; k <= MOCK_MAX_REPLICAS; k++) {
            vb->map[k] = k < n ? row[k] : -1; /* replicas promoted; none left: unavailable */
        }
        uint64_t survived = UINT64_MAX;
        if (was_master) {
            mock_vb_progress p;
            mock_vb_progress_get(c, vb, now, &p);
            survived = n > 0 ? p.replicated : 0; /* no copy left: everything is gone */
            if (keep != NULL && new_history(vb, survived)) {
                lost = 1;
            }
        }
        if (keep != NULL) {
            keep[v] = survived;
        }
    }
    if (lost) {
        drop_lost(b, keep);
    }
    free(keep);
}

int mock_cluster_failover(mock_cluster *c, int node, char *msg, size_t msglen)
{
    if (node < 0 || node >= c->nnodes) {
        snprintf(msg, msglen, "no node %d", node);
        return -1;
    }
    if (c->nodes[node].failed_over) {
        snprintf(msg, msglen, "node %d is already failed over", node);
        return -1;
    }
    c->nodes[node].failed_over = 1;
    for (int i = 0; i < c->nbuckets; i++) {
        if (c->buckets[i]->vbs != NULL) {
            failover_bucket(c, c->buckets[i], node);
        }
    }
    mock_cluster_topology_changed(c);
    snprintf(msg, msglen, "node %d failed over, rev %lld", node, (long long)c->rev);
    return 0;
}

int mock_cluster_rebalance(mock_cluster *c, const int *nodes, int n, char *msg, size_t msglen)
{
    if (nodes != NULL) {
        if (n <= 0) {
            snprintf(msg, msglen, "rebalance needs at least one node");
            return -1;
        }
        int in[MOCK_MAX_NODES] = {0};
        for (int k = 0; k < n; k++) {
            if (nodes[k] < 0 || nodes[k] >= c->nnodes) {
                snprintf(msg, msglen, "no node %d", nodes[k]);
                return -1;
            }
            in[nodes[k]] = 1;
        }
        for (int i = 0; i < c->nnodes; i++) {
            c->nodes[i].failed_over = !in[i];
        }
    }
    c->rebalance_shift++;
    assign_maps(c);
    mock_cluster_topology_changed(c);
    snprintf(msg, msglen, "rebalanced, rev %lld", (long long)c->rev);
    return 0;
}

/* ------------------------------------------------------------------ nodes */

static void restart_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    mock_node *n = arg;
    if (!n->running && mock_node_start(n) != 0) {
        /* e.g. the port is briefly held by another socket: keep trying */
        mock_log("node %d: restart failed, retrying in 50 ms", n->index);
        if (mock_node_schedule_restart(n, 50) != 0) {
            mock_log("node %d: cannot schedule the restart", n->index);
        }
    }
}

void mock_node_drop_connections(mock_node *n)
{
    struct mock_kvconn *k = n->kvconns;
    while (k != NULL) {
        struct mock_kvconn *next = mock_kvconn_next(k);
        mock_kvconn_close(k);
        k = next;
    }
    while (n->httpconns != NULL) {
        mock_httpconn_close(n->httpconns);
    }
}

void mock_node_stop(mock_node *n)
{
    mock_listener_close(&n->kv);
    mock_listener_close(&n->http);
    mock_listener_close(&n->kvtls);
    mock_listener_close(&n->httptls);
    mock_node_drop_connections(n);
    n->running = 0;
}

int mock_node_start(mock_node *n)
{
    mock_cluster *c = n->cluster;
    if (n->restart_timer != NULL) {
        event_del(n->restart_timer);
    }
    if (n->running) {
        return 0;
    }
    if (mock_listener_open(&n->kv, c->base, c->host) != 0 ||
        mock_listener_open(&n->http, c->base, c->host) != 0 ||
        (c->tls != NULL && (mock_listener_open(&n->kvtls, c->base, c->host) != 0 ||
                            mock_listener_open(&n->httptls, c->base, c->host) != 0))) {
        mock_listener_close(&n->kv);
        mock_listener_close(&n->http);
        mock_listener_close(&n->kvtls);
        mock_listener_close(&n->httptls);
        return -1;
    }
    n->running = 1;
    return 0;
}

int mock_node_schedule_restart(mock_node *n, int ms)
{
    if (n->restart_timer == NULL) {
        n->restart_timer = evtimer_new(n->cluster->base, restart_cb, n);
        if (n->restart_timer == NULL) {
            return -1;
        }
    }
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    return evtimer_add(n->restart_timer, &tv);
}
