/* sofa-mock: connection-level KV commands (HELLO, SASL, SELECT_BUCKET, GET_CLUSTER_CONFIG,
 * GET_ERROR_MAP, STAT, NOOP, VERSION, QUIT, FLUSH) and the opcode dispatch table. */
#include "kv.h"
#include "kvdata.h"
#include "kvproto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MOCK_VERSION "7.2.0-sofa-mock"

static int feature_supported(int f)
{
    switch (f) {
    case FEAT_TCPNODELAY:
    case FEAT_MUTATION_SEQNO:
    case FEAT_XERROR:
    case FEAT_SELECT_BUCKET:
    case FEAT_JSON:
    case FEAT_UNORDERED:
    case FEAT_ALT_REQUEST:
    case FEAT_SYNC_REPLICATION:
    case FEAT_CONFIG_KNOWN_VERSION:
        return 1;
    default:
        return 0;
    }
}

static void op_hello(mock_kvconn *c, const mock_req *r)
{
    if (r->extlen != 0 || r->nval % 2 != 0) {
        mock_kv_respond_status(c, r, ST_EINVAL);
        return;
    }
    unsigned char acked[128];
    size_t n = 0;
    uint64_t feats = 0;
    const unsigned char *v = (const unsigned char *)r->val;
    for (size_t i = 0; i + 1 < r->nval && n + 2 <= sizeof(acked); i += 2) {
        int f = (v[i] << 8) | v[i + 1];
        if (f == FEAT_SYNC_REPLICATION && c->node->cluster->no_sync_replication) {
            continue; /* --sync-replication 0: like a server without synchronous replication */
        }
        if (feature_supported(f) && !((feats >> f) & 1u)) {
            feats |= (uint64_t)1 << f;
            acked[n++] = v[i];
            acked[n++] = v[i + 1];
        }
    }
    c->features = feats;
    mock_kv_respond(c, r, ST_SUCCESS, NULL, 0, NULL, 0, acked, n, 0, 0);
}

static void op_sasl(mock_kvconn *c, const mock_req *r)
{
    if (r->opcode == OP_SASL_LIST) {
        const char *m =
            c->node->cluster->sasl_mechs[0] ? c->node->cluster->sasl_mechs : mock_sasl_mechs();
        mock_kv_respond(c, r, ST_SUCCESS, NULL, 0, NULL, 0, m, strlen(m), 0, 0);
        return;
    }
    mock_strbuf out = {0};
    char user[MOCK_MAX_NAME + 1] = "";
    int st = mock_sasl_handle(c->node->cluster, &c->sasl, r->opcode == OP_SASL_STEP, r->key, r->nkey,
                              r->val, r->nval, &out, user, sizeof(user));
    if (st == ST_SUCCESS) {
        c->authed = 1;
        snprintf(c->user, sizeof(c->user), "%s", user);
        c->bucket = NULL;
        /* like the real server: a bucket with the user's name is selected automatically */
        mock_bucket *b = mock_cluster_bucket(c->node->cluster, user);
        if (b != NULL && mock_cluster_user_can_access(c->node->cluster, user, b)) {
            c->bucket = b;
        }
    } else if (st == ST_AUTH_ERROR) {
        c->authed = 0;
        c->bucket = NULL;
    }
    mock_kv_respond(c, r, (uint16_t)st, NULL, 0, NULL, 0, out.data, out.len, 0, 0);
    mock_strbuf_free(&out);
}

static void op_select_bucket(mock_kvconn *c, const mock_req *r)
{
    char name[MOCK_MAX_NAME + 1];
    if (r->nkey == 0 || r->nkey > MOCK_MAX_NAME || r->extlen || r->nval) {
        mock_kv_respond_status(c, r, ST_EINVAL);
        return;
    }
    memcpy(name, r->key, r->nkey);
    name[r->nkey] = '\0';
    mock_bucket *b = mock_cluster_bucket(c->node->cluster, name);
    if (!c->authed || b == NULL || !mock_cluster_user_can_access(c->node->cluster, c->user, b)) {
        mock_kv_respond_status(c, r, ST_EACCESS);
        return;
    }
    c->bucket = b;
    mock_kv_respond_status(c, r, ST_SUCCESS);
}

static int64_t get_i64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = v << 8 | p[i];
    }
    return (int64_t)v;
}

static void op_get_cluster_config(mock_kvconn *c, const mock_req *r)
{
    mock_cluster *cl = c->node->cluster;
    if (r->nkey || r->nval || (r->extlen != 0 && r->extlen != 16) ||
        (r->extlen == 16 && !mock_kv_has(c, FEAT_CONFIG_KNOWN_VERSION))) {
        mock_kv_respond_status(c, r, ST_EINVAL);
        return;
    }
    if (c->bucket == NULL && !c->authed) {
        mock_kv_respond_status(c, r, ST_NO_BUCKET);
        return;
    }
    if (r->extlen == 16) {
        int64_t epoch = get_i64(r->ext), rev = get_i64(r->ext + 8);
        if (epoch > cl->rev_epoch || (epoch == cl->rev_epoch && rev >= cl->rev)) {
            mock_kv_respond_status(c, r, ST_SUCCESS); /* the client's config is current */
            return;
        }
    }
    char *js = mock_config_json(cl, c->bucket, c->node->index, 1);
    if (js == NULL) {
        mock_kv_respond_status(c, r, ST_ENOMEM);
        return;
    }
    mock_kv_respond(c, r, ST_SUCCESS, NULL, 0, NULL, 0, js, strlen(js), 0,
               mock_kv_has(c, FEAT_JSON) ? DT_JSON : 0);
    free(js);
}

static void op_error_map(mock_kvconn *c, const mock_req *r)
{
    if (r->nval != 2 || r->nkey || r->extlen) {
        mock_kv_respond_status(c, r, ST_EINVAL);
        return;
    }
    int ver = ((unsigned char)r->val[0] << 8) | (unsigned char)r->val[1];
    if (ver == 0) {
        mock_kv_respond_status(c, r, ST_EINVAL);
        return;
    }
    const char *m = mock_errmap_json(ver >= 2 ? 2 : 1);
    mock_kv_respond(c, r, ST_SUCCESS, NULL, 0, NULL, 0, m, strlen(m), 0, 0);
}

static void stat1(mock_kvconn *c, const mock_req *r, const char *k, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void stat1(mock_kvconn *c, const mock_req *r, const char *k, const char *fmt, ...)
{
    char v[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(v, sizeof(v), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    mock_kv_respond(c, r, ST_SUCCESS, NULL, 0, k, strlen(k), v, strlen(v), 0, 0);
}

static void op_stat(mock_kvconn *c, const mock_req *r)
{
    static int64_t started;
    if (started == 0) {
        started = mock_mono_ms();
    }
    mock_cluster *cl = c->node->cluster;
    mock_bucket *b = c->bucket;
    char k[64];
    if (r->nkey == 0) {
        stat1(c, r, "pid", "%ld", (long)getpid());
        stat1(c, r, "uptime", "%lld", (long long)((mock_mono_ms() - started) / 1000));
        stat1(c, r, "time", "%lld", (long long)(mock_now_ms() / 1000));
        stat1(c, r, "version", "%s", MOCK_VERSION);
        stat1(c, r, "curr_items", "%zu", b ? b->nitems : (size_t)0);
        stat1(c, r, "bytes", "%zu", b ? b->nbytes : (size_t)0);
        stat1(c, r, "ep_num_vbuckets", "%d", b ? b->nvbuckets : 0);
        if (b != NULL) {
            size_t longest = 0;
            for (size_t i = 0; i < b->table_size; i++) {
                size_t n = 0;
                for (mock_item *it = b->table[i]; it != NULL; it = it->next) {
                    n++;
                }
                longest = n > longest ? n : longest;
            }
            stat1(c, r, "mock_hash_buckets", "%zu", b->table_size);
            stat1(c, r, "mock_hash_longest_chain", "%zu", longest);
        }
    } else if (r->nkey == 13 && memcmp(r->key, "vbucket-seqno", 13) == 0) {
        if (b == NULL || b->vbs == NULL) {
            mock_kv_respond_status(c, r, b ? ST_NOT_SUPPORTED : ST_NO_BUCKET);
            return;
        }
        int64_t now = mock_mono_ms();
        for (int v = 0; v < b->nvbuckets; v++) {
            int role = mock_node_role(b, v, c->node->index);
            if (role < 0) {
                continue;
            }
            mock_vb_progress p;
            mock_vb_progress_get(cl, &b->vbs[v], now, &p);
            snprintf(k, sizeof(k), "vb_%d:high_seqno", v);
            stat1(c, r, k, "%llu", (unsigned long long)(role == 0 ? p.high : p.replicated));
            snprintf(k, sizeof(k), "vb_%d:uuid", v);
            stat1(c, r, k, "%llu", (unsigned long long)b->vbs[v].uuid);
        }
    } else if (r->nkey == 7 && memcmp(r->key, "vbucket", 7) == 0) {
        if (b == NULL || b->vbs == NULL) {
            mock_kv_respond_status(c, r, b ? ST_NOT_SUPPORTED : ST_NO_BUCKET);
            return;
        }
        for (int v = 0; v < b->nvbuckets; v++) {
            int role = mock_node_role(b, v, c->node->index);
            snprintf(k, sizeof(k), "vb_%d", v);
            stat1(c, r, k, "%s", role == 0 ? "active" : role > 0 ? "replica" : "dead");
        }
    } else {
        mock_kv_respond_status(c, r, ST_KEY_ENOENT);
        return;
    }
    mock_kv_respond_status(c, r, ST_SUCCESS); /* terminator: empty key and value */
}

static void op_flush(mock_kvconn *c, const mock_req *r, int quiet)
{
    if (c->bucket == NULL) {
        mock_kv_respond_status(c, r, ST_NO_BUCKET);
    } else if (c->bucket->type != MOCK_BUCKET_MEMCACHED) {
        mock_kv_respond_status(c, r, ST_NOT_SUPPORTED);
    } else {
        mock_store_flush(c->bucket);
        if (!quiet) {
            mock_kv_respond_status(c, r, ST_SUCCESS);
        }
    }
}

void mock_kv_dispatch(mock_kvconn *c, const mock_req *r)
{
    switch (r->opcode) {
    case OP_HELLO:
        op_hello(c, r);
        return;
    case OP_SASL_LIST:
    case OP_SASL_AUTH:
    case OP_SASL_STEP:
        op_sasl(c, r);
        return;
    case OP_SELECT_BUCKET:
        op_select_bucket(c, r);
        return;
    case OP_GET_CLUSTER_CONFIG:
        op_get_cluster_config(c, r);
        return;
    case OP_GET_ERROR_MAP:
        op_error_map(c, r);
        return;
    case OP_NOOP:
        mock_kv_respond_status(c, r, ST_SUCCESS);
        return;
    case OP_VERSION:
        mock_kv_respond(c, r, ST_SUCCESS, NULL, 0, NULL, 0, MOCK_VERSION, strlen(MOCK_VERSION), 0, 0);
        return;
    case OP_VERBOSITY:
        mock_kv_respond_status(c, r, ST_SUCCESS);
        return;
    case OP_QUIT:
        mock_kv_respond_status(c, r, ST_SUCCESS);
        c->closing = 1;
        return;
    case OP_QUITQ:
        c->closing = 1;
        return;
    case OP_FLUSH:
    case OP_FLUSHQ:
        op_flush(c, r, r->opcode == OP_FLUSHQ);
        return;
    case OP_STAT:
        op_stat(c, r);
        return;
    default:
        if (!mock_kv_data_dispatch(c, r)) {
            mock_kv_respond_status(c, r, ST_UNKNOWN_COMMAND);
        }
        return;
    }
}
