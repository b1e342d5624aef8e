/* sofa-mock: KV data operations on the vbucket master (GET, mutations, counters, touch,
 * mutation tokens and server-side durability; dispatch of every data opcode. Reads and
 * locks are in kvread.c. */
#include "kvdata.h"
#include "kvproto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RELATIVE_EXPIRY_MAX 2592000u /* 30 days: larger values are absolute Unix times */

static int64_t exp_to_ms(uint32_t exp)
{
    if (exp == 0) {
        return 0;
    }
    if (exp <= RELATIVE_EXPIRY_MAX) {
        return mock_now_ms() + (int64_t)exp * 1000;
    }
    int64_t abs_ms = (int64_t)exp * 1000;
    return abs_ms > 0 ? abs_ms : 1;
}

static void respond_nmvb(mock_kvconn *c, const mock_req *r)
{
    char *js = mock_config_json(c->node->cluster, c->bucket, c->node->index, 1);
    mock_kv_respond(c, r, ST_NOT_MY_VBUCKET, NULL, 0, NULL, 0, js, js ? strlen(js) : 0, 0,
               (js && mock_kv_has(c, FEAT_JSON)) ? DT_JSON : 0);
    free(js);
}

/* Common checks. role: 0 = master needed, 1 = replica needed. Returns 1 to go on. */
int mock_kv_prelude(mock_kvconn *c, const mock_req *r, int role)
{
    if (c->bucket == NULL) {
        mock_kv_respond_status(c, r, ST_NO_BUCKET);
        return 0;
    }
    if (r->nkey == 0 || r->nkey > MOCK_MAX_KEY) {
        mock_kv_respond_status(c, r, ST_EINVAL);
        return 0;
    }
    if (r->nval > MOCK_MAX_VALUE) {
        mock_kv_respond_status(c, r, ST_E2BIG);
        return 0;
    }
    mock_bucket *b = c->bucket;
    if (b->type != MOCK_BUCKET_COUCHBASE) {
        return 1;
    }
    int have = mock_node_role(b, r->vbucket, c->node->index);
    if (have < 0 || (role == 0 && have != 0) || (role == 1 && have == 0)) {
        respond_nmvb(c, r);
        return 0;
    }
    return 1;
}

int mock_kv_quiet(uint8_t op)
{
    return (op >= OP_SETQ && op <= OP_PREPENDQ) || op == OP_GETQ || op == OP_GETKQ || op == OP_GATQ;
}

/* Response for a successful mutation: Tok16 extras when negotiated. */
static void respond_mutation(mock_kvconn *c, const mock_req *r, const mock_item *it)
{
    if (mock_kv_quiet(r->opcode)) {
        return;
    }
    unsigned char tok[16];
    size_t ntok = 0;
    if (mock_kv_has(c, FEAT_MUTATION_SEQNO) && c->bucket->vbs != NULL) {
        mock_wr64(tok, c->bucket->vbs[it->vbid].uuid);
        mock_wr64(tok + 8, it->seqno);
        ntok = 16;
    }
    mock_kv_respond(c, r, ST_SUCCESS, tok, ntok, NULL, 0, NULL, 0, it->cas, 0);
}

/* Durability: validate before the mutation. Returns 0 to go on, or a status. */
static int durability_check(mock_kvconn *c, const mock_req *r, const mock_item *it)
{
    if (r->dur_level == 0) {
        return 0;
    }
    mock_bucket *b = c->bucket;
    if (!mock_kv_has(c, FEAT_SYNC_REPLICATION) || b->vbs == NULL || r->dur_level < 1 || r->dur_level > 3) {
        return ST_DURABILITY_INVALID_LEVEL;
    }
    mock_cluster *cl = b->cluster;
    int copies = cl->nreplicas + 1;
    int majority = copies / 2 + 1;
    int avail = 0;
    for (int k = 0; k < copies; k++) {
        int n = b->vbs[r->vbucket].map[k];
        if (n >= 0 && cl->nodes[n].running) {
            avail++;
        }
    }
    if (avail < majority) {
        return ST_DURABILITY_IMPOSSIBLE;
    }
    if (it != NULL && it->sync_until_ms > mock_mono_ms()) {
        return ST_SYNC_WRITE_IN_PROGRESS;
    }
    return 0;
}

/* After a durable mutation: hold its response until the level is met (or time out). */
static void durability_defer(mock_kvconn *c, const mock_req *r, mock_item *it)
{
    if (r->dur_level == 0) {
        return;
    }
    mock_cluster *cl = c->bucket->cluster;
    int majority = (cl->nreplicas + 1) / 2 + 1;
    int rd = cl->replicate_delay_ms, pd = cl->persist_delay_ms;
    int need = majority > 1 ? rd : 0;
    if (r->dur_level == 2 && pd > need) {
        need = pd;
    } else if (r->dur_level == 3) {
        need = majority > 1 ? rd + pd : pd;
    }
    int timeout = r->dur_timeout_ms ? r->dur_timeout_ms : MOCK_DURABILITY_DEFAULT_MS;
    if (need == 0) {
        return;
    }
    int wait = need <= timeout ? need : timeout;
    it->sync_until_ms = mock_mono_ms() + wait;
    mock_strbuf *out = mock_kv_durable_begin(c, wait);
    if (out == NULL) {
        return; /* answer at once rather than never */
    }
    c->out = out;
    if (need > timeout) {
        mock_kv_respond_status(c, r, ST_SYNC_WRITE_AMBIGUOUS);
        c->out = NULL; /* suppress the success response that follows */
    }
}

/* CAS and lock rules shared by the mutations. Returns 0 to go on, or a status. */
static int cas_check(const mock_req *r, mock_item *it)
{
    int64_t now = mock_now_ms();
    if (it != NULL && mock_item_locked(it, now)) {
        return r->cas == it->lock_cas ? 0 : ST_LOCKED;
    }
    if (r->cas != 0) {
        if (it == NULL) {
            return ST_KEY_ENOENT;
        }
        if (r->cas != it->cas) {
            return ST_KEY_EEXISTS;
        }
    }
    return 0;
}

static void finish_mutation(mock_kvconn *c, const mock_req *r, mock_item *it)
{
    if (r->dur_level != 0) {
        durability_defer(c, r, it);
        if (c->out == NULL) {
            c->out = &c->wbuf;
            return;
        }
    }
    respond_mutation(c, r, it);
}

static void op_store(mock_kvconn *c, const mock_req *r, uint8_t op)
{
    if (r->extlen != 8) {
        mock_kv_respond_status(c, r, ST_EINVAL);
        return;
    }
    mock_bucket *b = c->bucket;
    mock_item *it = mock_store_find_live(b, r->key, r->nkey);
    int st = durability_check(c, r, it);
    if (st == 0 && op == OP_ADD) {
        st = it != NULL ? ST_KEY_EEXISTS : (r->cas ? ST_EINVAL : 0);
    } else if (st == 0 && op == OP_REPLACE && it == NULL) {
        st = ST_KEY_ENOENT;
    }
    if (st == 0) {
        st = cas_check(r, it);
    }
    if (st != 0) {
        mock_kv_respond_status(c, r, (uint16_t)st);
        return;
    }
    uint8_t dt = r->datatype & DT_JSON;
    it = mock_store_put_at(b, it, r->key, r->nkey, r->val, r->nval, mock_rd32(r->ext),
                           exp_to_ms(mock_rd32(r->ext + 4)), dt, r->vbucket);
    if (it == NULL) {
        mock_kv_respond_status(c, r, ST_ENOMEM);
        return;
    }
    finish_mutation(c, r, it);
}

static void op_concat(mock_kvconn *c, const mock_req *r, uint8_t op)
{
    if (r->extlen != 0) {
        mock_kv_respond_status(c, r, ST_EINVAL);
        return;
    }
    mock_bucket *b = c->bucket;
    mock_item *it = mock_store_find_live(b, r->key, r->nkey);
    int st = it == NULL ? ST_NOT_STORED : durability_check(c, r, it);
    if (st == 0) {
        st = cas_check(r, it);
    }
    if (st == 0 && (size_t)it->nvalue + r->nval > MOCK_MAX_VALUE) {
        st = ST_E2BIG;
    }
    if (st != 0) {
        mock_kv_respond_status(c, r, (uint16_t)st);
        return;
    }
    size_t n = (size_t)it->nvalue + r->nval;
    char *v = malloc(n ? n : 1);
    if (v == NULL) {
        mock_kv_respond_status(c, r, ST_ENOMEM);
        return;
    }
    if (op == OP_APPEND) {
        memcpy(v, it->value, it->nvalue);
        memcpy(v + it->nvalue, r->val, r->nval);
    } else {
        memcpy(v, r->val, r->nval);
        memcpy(v + r->nval, it->value, it->nvalue);
    }
    it = mock_store_put_at(b, it, r->key, r->nkey, v, n, it->flags, it->exp_ms, 0, r->vbucket);
    free(v);
    if (it == NULL) {
        mock_kv_respond_status(c, r, ST_ENOMEM);
        return;
    }
    finish_mutation(c, r, it);
}

static void op_delete(mock_kvconn *c, const mock_req *r)
{
    if (r->extlen != 0 || r->nval != 0) {
        mock_kv_respond_status(c, r, ST_EINVAL);
        return;
    }
    mock_item *it = mock_store_find_live(c->bucket, r->key, r->nkey);
    int st = it == NULL ? ST_KEY_ENOENT : durability_check(c, r, it);
    if (st == 0) {
        st = cas_check(r, it);
    }
    if (st != 0) {
        mock_kv_respond_status(c, r, (uint16_t)st);
        return;
    }
    mock_store_delete(c->bucket, it);
    finish_mutation(c, r, it);
}

/* Parse a stored counter: ASCII decimal uint64. */
static int parse_counter(const mock_item *it, uint64_t *out)
{
    if (it->nvalue == 0 || it->nvalue > 20) {
        return -1;
    }
    uint64_t v = 0;
    for (uint32_t i = 0; i < it->nvalue; i++) {
        char ch = it->value[i];
        if (ch < '0' || ch > '9') {
            return -1;
        }
        uint64_t d = (uint64_t)(ch - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return -1;
        }
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static void op_counter(mock_kvconn *c, const mock_req *r, uint8_t op)
{
    if (r->extlen != 20 || r->nval != 0) {
        mock_kv_respond_status(c, r, ST_EINVAL);
        return;
    }
    uint64_t delta = mock_rd64(r->ext), initial = mock_rd64(r->ext + 8);
    uint32_t exp = mock_rd32(r->ext + 16);
    mock_bucket *b = c->bucket;
    mock_item *it = mock_store_find_live(b, r->key, r->nkey);
    int st = durability_check(c, r, it);
    if (st == 0) {
        st = cas_check(r, it);
    }
    if (st == 0 && it == NULL && exp == 0xffffffffu) {
        st = ST_KEY_ENOENT;
    }
    uint64_t val = initial;
    if (st == 0 && it != NULL) {
        if (parse_counter(it, &val) != 0) {
            st = ST_DELTA_BADVAL;
        } else if (op == OP_INCR) {
            val += delta; /* wraps at 2^64 */
        } else {
            val = delta > val ? 0 : val - delta;
        }
    }
    if (st != 0) {
        mock_kv_respond_status(c, r, (uint16_t)st);
        return;
    }
    char num[24];
    int n = snprintf(num, sizeof(num), "%llu", (unsigned long long)val);
    if (it != NULL) {
        it = mock_store_put_at(b, it, r->key, r->nkey, num, (size_t)n, it->flags, it->exp_ms, 0,
                               r->vbucket);
    } else {
        it = mock_store_put(b, r->key, r->nkey, num, (size_t)n, 0, exp_to_ms(exp), 0, r->vbucket);
    }
    if (it == NULL) {
        mock_kv_respond_status(c, r, ST_ENOMEM);
        return;
    }
    if (r->dur_level != 0) {
        durability_defer(c, r, it);
        if (c->out == NULL) {
            c->out = &c->wbuf;
            return;
        }
    }
    if (mock_kv_quiet(r->opcode)) {
        return;
    }
    unsigned char tok[16], v8[8];
    size_t ntok = 0;
    if (mock_kv_has(c, FEAT_MUTATION_SEQNO) && b->vbs != NULL) {
        mock_wr64(tok, b->vbs[it->vbid].uuid);
        mock_wr64(tok + 8, it->seqno);
        ntok = 16;
    }
    mock_wr64(v8, val);
    mock_kv_respond(c, r, ST_SUCCESS, tok, ntok, NULL, 0, v8, 8, it->cas, 0);
}

static void op_touch(mock_kvconn *c, const mock_req *r)
{
    if (r->extlen != 4 || r->nval != 0) {
        mock_kv_respond_status(c, r, ST_EINVAL);
        return;
    }
    mock_item *it = mock_store_find_live(c->bucket, r->key, r->nkey);
    int st = it == NULL ? ST_KEY_ENOENT : durability_check(c, r, it);
    if (st == 0 && mock_item_locked(it, mock_now_ms())) {
        st = ST_LOCKED;
    }
    if (st != 0) {
        if (!(st == ST_KEY_ENOENT && r->opcode == OP_GATQ)) {
            mock_kv_respond_status(c, r, (uint16_t)st);
        }
        return;
    }
    it->exp_ms = exp_to_ms(mock_rd32(r->ext));
    mock_store_touch_item(c->bucket, it);
    if (r->dur_level != 0) {
        durability_defer(c, r, it);
        if (c->out == NULL) {
            c->out = &c->wbuf;
            return;
        }
    }
    if (r->opcode == OP_TOUCH) {
        mock_kv_respond(c, r, ST_SUCCESS, NULL, 0, NULL, 0, NULL, 0, it->cas, 0);
    } else {
        mock_kv_respond_get(c, r, it, it->cas);
    }
}

int mock_kv_data_dispatch(mock_kvconn *c, const mock_req *r)
{
    uint8_t op = r->opcode;
    switch (op) {
    case OP_OBSERVE:
        c->node->nobserve++;
        mock_kv_observe(c, r);
        return 1;
    case OP_OBSERVE_SEQNO:
        c->node->nobserve_seqno++;
        mock_kv_observe_seqno(c, r);
        return 1;
    case OP_GET_REPLICA:
        if (mock_kv_prelude(c, r, 1)) {
            mock_kv_op_get_replica(c, r);
        }
        return 1;
    default:
        break;
    }
    uint8_t base = op;
    if (op >= OP_SETQ && op <= OP_DECRQ) {
        base = (uint8_t)(op - 0x10);
    } else if (op == OP_APPENDQ) {
        base = OP_APPEND;
    } else if (op == OP_PREPENDQ) {
        base = OP_PREPEND;
    } else if (op == OP_GETQ || op == OP_GETK || op == OP_GETKQ) {
        base = OP_GET;
    } else if (op == OP_GATQ) {
        base = OP_GAT;
    }
    switch (base) {
    case OP_GET:
    case OP_SET:
    case OP_ADD:
    case OP_REPLACE:
    case OP_DELETE:
    case OP_INCR:
    case OP_DECR:
    case OP_APPEND:
    case OP_PREPEND:
    case OP_TOUCH:
    case OP_GAT:
    case OP_GETL:
    case OP_UNLOCK:
    case OP_GET_META:
        break;
    default:
        return 0;
    }
    if (!mock_kv_prelude(c, r, 0)) {
        return 1;
    }
    switch (base) {
    case OP_GET:
        mock_kv_op_get(c, r);
        break;
    case OP_SET:
    case OP_ADD:
    case OP_REPLACE:
        op_store(c, r, base);
        break;
    case OP_DELETE:
        op_delete(c, r);
        break;
    case OP_INCR:
    case OP_DECR:
        op_counter(c, r, base);
        break;
    case OP_APPEND:
    case OP_PREPEND:
        op_concat(c, r, base);
        break;
    case OP_TOUCH:
    case OP_GAT:
        op_touch(c, r);
        break;
    case OP_GETL:
        mock_kv_op_getl(c, r);
        break;
    case OP_UNLOCK:
        mock_kv_op_unlock(c, r);
        break;
    default:
        mock_kv_op_get_meta(c, r);
        break;
    }
    return 1;
}
