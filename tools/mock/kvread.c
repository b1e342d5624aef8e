/* sofa-mock: KV reads and locks — GET variants, GET_LOCKED/UNLOCK_KEY, GET_REPLICA, GET_META. */
#include "kvdata.h"
#include "kvproto.h"

#include <string.h>

static uint32_t ms_to_exp(int64_t ms)
{
    return ms == 0 ? 0 : (uint32_t)(ms / 1000);
}

void mock_kv_respond_get(mock_kvconn *c, const mock_req *r, const mock_item *it, uint64_t cas)
{
    unsigned char fl[4];
    mock_wr32(fl, it->flags);
    int with_key = r->opcode == OP_GETK || r->opcode == OP_GETKQ;
    uint8_t dt = mock_kv_has(c, FEAT_JSON) ? (it->datatype & DT_JSON) : 0;
    mock_kv_respond(c, r, ST_SUCCESS, fl, 4, with_key ? r->key : NULL, with_key ? r->nkey : 0, it->value,
               it->nvalue, cas, dt);
}

void mock_kv_op_get(mock_kvconn *c, const mock_req *r)
{
    if (r->extlen != 0 || r->nval != 0) {
        mock_kv_respond_status(c, r, ST_EINVAL);
        return;
    }
    mock_item *it = mock_store_find_live(c->bucket, r->key, r->nkey);
    if (it == NULL) {
        if (!mock_kv_quiet(r->opcode)) {
            if (r->opcode == OP_GETK) {
                mock_kv_respond(c, r, ST_KEY_ENOENT, NULL, 0, r->key, r->nkey, NULL, 0, 0, 0);
            } else {
                mock_kv_respond_status(c, r, ST_KEY_ENOENT);
            }
        }
        return;
    }
    /* a locked document reads with CAS -1, like the real server */
    mock_kv_respond_get(c, r, it, mock_item_locked(it, mock_now_ms()) ? UINT64_MAX : it->cas);
}

void mock_kv_op_getl(mock_kvconn *c, const mock_req *r)
{
    if ((r->extlen != 0 && r->extlen != 4) || r->nval != 0) {
        mock_kv_respond_status(c, r, ST_EINVAL);
        return;
    }
    mock_item *it = mock_store_find_live(c->bucket, r->key, r->nkey);
    int64_t now = mock_now_ms();
    if (it == NULL) {
        mock_kv_respond_status(c, r, ST_KEY_ENOENT);
        return;
    }
    if (mock_item_locked(it, now)) {
        mock_kv_respond_status(c, r, ST_LOCKED);
        return;
    }
    uint32_t secs = r->extlen == 4 ? mock_rd32(r->ext) : 0;
    if (secs == 0 || secs > MOCK_LOCK_MAX_S) {
        secs = MOCK_LOCK_DEFAULT_S;
    }
    it->cas = mock_next_cas();
    it->lock_cas = it->cas;
    it->lock_until_ms = now + (int64_t)secs * 1000;
    mock_kv_respond_get(c, r, it, it->lock_cas);
}

void mock_kv_op_unlock(mock_kvconn *c, const mock_req *r)
{
    if (r->extlen != 0 || r->nval != 0) {
        mock_kv_respond_status(c, r, ST_EINVAL);
        return;
    }
    mock_item *it = mock_store_find_live(c->bucket, r->key, r->nkey);
    if (it == NULL) {
        mock_kv_respond_status(c, r, ST_KEY_ENOENT);
    } else if (!mock_item_locked(it, mock_now_ms())) {
        mock_kv_respond_status(c, r, ST_NOT_LOCKED);
    } else if (r->cas != it->lock_cas) {
        mock_kv_respond_status(c, r, ST_LOCKED);
    } else {
        it->lock_until_ms = 0;
        mock_kv_respond(c, r, ST_SUCCESS, NULL, 0, NULL, 0, NULL, 0, it->cas, 0);
    }
}

void mock_kv_op_get_replica(mock_kvconn *c, const mock_req *r)
{
    if (r->extlen != 0 || r->nval != 0) {
        mock_kv_respond_status(c, r, ST_EINVAL);
        return;
    }
    mock_bucket *b = c->bucket;
    mock_item *it = mock_store_find_live(b, r->key, r->nkey);
    if (it != NULL && b->vbs != NULL) {
        mock_vb_progress p;
        mock_vb_progress_get(b->cluster, &b->vbs[r->vbucket], mock_mono_ms(), &p);
        if (it->seqno > p.replicated) {
            it = NULL; /* not replicated yet: this replica does not have it */
        }
    }
    if (it == NULL) {
        mock_kv_respond_status(c, r, ST_KEY_ENOENT);
        return;
    }
    mock_kv_respond_get(c, r, it, it->cas);
}

void mock_kv_op_get_meta(mock_kvconn *c, const mock_req *r)
{
    if (r->extlen > 1 || r->nval != 0) {
        mock_kv_respond_status(c, r, ST_EINVAL);
        return;
    }
    mock_item *it = mock_store_find(c->bucket, r->key, r->nkey);
    if (it == NULL) {
        mock_kv_respond_status(c, r, ST_KEY_ENOENT);
        return;
    }
    unsigned char ext[21];
    mock_wr32(ext, it->deleted ? 1 : 0);
    mock_wr32(ext + 4, it->flags);
    mock_wr32(ext + 8, ms_to_exp(it->exp_ms));
    mock_wr64(ext + 12, it->seqno);
    ext[20] = it->datatype;
    size_t n = (r->extlen == 1 && r->ext[0] == 0x02) ? 21 : 20;
    mock_kv_respond(c, r, ST_SUCCESS, ext, n, NULL, 0, NULL, 0, it->cas, 0);
}
