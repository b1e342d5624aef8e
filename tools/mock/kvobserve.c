/* sofa-mock: OBSERVE (0x92) and OBSERVE_SEQNO (0x91), answered from the simulated
 * replication/persistence progress of each vbucket. */
#include "kv.h"
#include "kvproto.h"

#include <stdlib.h>
#include <string.h>

static void wr16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void wr64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)v;
        v >>= 8;
    }
}

static uint64_t rd64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

static void nmvb(mock_kvconn *c, const mock_req *r)
{
    char *js = mock_config_json(c->node->cluster, c->bucket, c->node->index, 1);
    mock_kv_respond(c, r, ST_NOT_MY_VBUCKET, NULL, 0, NULL, 0, js, js ? strlen(js) : 0, 0,
               (js && mock_kv_has(c, FEAT_JSON)) ? DT_JSON : 0);
    free(js);
}

/* State of one key as seen by this node (role 0 = master, > 0 = replica). */
static uint8_t key_state(mock_kvconn *c, int role, const char *key, size_t nkey, uint16_t vbid,
                         uint64_t *cas)
{
    mock_bucket *b = c->bucket;
    mock_item *it = mock_store_find(b, key, nkey);
    *cas = 0;
    if (it == NULL) {
        return 0x80;
    }
    mock_vb_progress p;
    mock_vb_progress_get(b->cluster, &b->vbs[vbid], mock_mono_ms(), &p);
    uint64_t have = role == 0 ? p.high : p.replicated;
    uint64_t disk = role == 0 ? p.persisted_master : p.persisted_replica;
    if (it->seqno > have) {
        /* a replica that has not received this mutation yet */
        return it->deleted ? 0x01 : 0x80;
    }
    int persisted = it->seqno <= disk;
    if (it->deleted) {
        return persisted ? 0x80 : 0x81;
    }
    *cas = it->cas;
    return persisted ? 0x01 : 0x00;
}

void mock_kv_observe(mock_kvconn *c, const mock_req *r);
void mock_kv_observe(mock_kvconn *c, const mock_req *r)
{
    mock_bucket *b = c->bucket;
    if (b == NULL) {
        mock_kv_respond_status(c, r, ST_NO_BUCKET);
        return;
    }
    if (b->vbs == NULL) {
        mock_kv_respond_status(c, r, ST_NOT_SUPPORTED);
        return;
    }
    if (r->extlen != 0 || r->nkey != 0 || r->nval == 0) {
        mock_kv_respond_status(c, r, ST_EINVAL);
        return;
    }
    const unsigned char *v = (const unsigned char *)r->val;
    /* validate and check ownership first */
    for (size_t i = 0; i < r->nval;) {
        if (r->nval - i < 4) {
            mock_kv_respond_status(c, r, ST_EINVAL);
            return;
        }
        uint16_t vbid = (uint16_t)((v[i] << 8) | v[i + 1]);
        size_t klen = (size_t)((v[i + 2] << 8) | v[i + 3]);
        if (klen == 0 || klen > MOCK_MAX_KEY || klen > r->nval - i - 4) {
            mock_kv_respond_status(c, r, ST_EINVAL);
            return;
        }
        if (mock_node_role(b, vbid, c->node->index) < 0) {
            nmvb(c, r);
            return;
        }
        i += 4 + klen;
    }
    mock_strbuf out = {0};
    for (size_t i = 0; i < r->nval;) {
        uint16_t vbid = (uint16_t)((v[i] << 8) | v[i + 1]);
        size_t klen = (size_t)((v[i + 2] << 8) | v[i + 3]);
        const char *key = (const char *)v + i + 4;
        uint64_t cas;
        uint8_t st = key_state(c, mock_node_role(b, vbid, c->node->index), key, klen, vbid, &cas);
        unsigned char hdr[4], tail[9];
        wr16(hdr, vbid);
        wr16(hdr + 2, (uint16_t)klen);
        tail[0] = st;
        wr64(tail + 1, cas);
        if (mock_strbuf_append(&out, hdr, 4) != 0 || mock_strbuf_append(&out, key, klen) != 0 ||
            mock_strbuf_append(&out, tail, 9) != 0) {
            mock_strbuf_free(&out);
            mock_kv_respond_status(c, r, ST_ENOMEM);
            return;
        }
        i += 4 + klen;
    }
    uint64_t ttp = (uint64_t)(b->cluster->persist_delay_ms > 0 ? b->cluster->persist_delay_ms : 0);
    mock_kv_respond(c, r, ST_SUCCESS, NULL, 0, NULL, 0, out.data, out.len, ttp << 32, 0);
    mock_strbuf_free(&out);
}

void mock_kv_observe_seqno(mock_kvconn *c, const mock_req *r);
void mock_kv_observe_seqno(mock_kvconn *c, const mock_req *r)
{
    mock_bucket *b = c->bucket;
    if (b == NULL) {
        mock_kv_respond_status(c, r, ST_NO_BUCKET);
        return;
    }
    if (b->vbs == NULL) {
        mock_kv_respond_status(c, r, ST_NOT_SUPPORTED);
        return;
    }
    if (r->extlen != 0 || r->nkey != 0 || r->nval != 8) {
        mock_kv_respond_status(c, r, ST_EINVAL);
        return;
    }
    int role = mock_node_role(b, r->vbucket, c->node->index);
    if (role < 0) {
        nmvb(c, r);
        return;
    }
    mock_vbucket *vb = &b->vbs[r->vbucket];
    mock_vb_progress p;
    mock_vb_progress_get(b->cluster, vb, mock_mono_ms(), &p);
    uint64_t cur = role == 0 ? p.high : p.replicated;
    uint64_t disk = role == 0 ? p.persisted_master : p.persisted_replica;
    uint64_t uuid = rd64((const unsigned char *)r->val);
    unsigned char out[43];
    wr16(out + 1, r->vbucket);
    wr64(out + 3, vb->uuid);
    wr64(out + 11, disk);
    wr64(out + 19, cur);
    if (uuid == vb->uuid) {
        out[0] = 0;
        mock_kv_respond(c, r, ST_SUCCESS, NULL, 0, NULL, 0, out, 27, 0, 0);
        return;
    }
    /* hard failover happened since the token: report what survived under the old uuid */
    uint64_t old_seqno = 0;
    for (int i = 0; i < vb->nlog; i++) {
        if (vb->log[i].uuid == uuid) {
            old_seqno = vb->log[i].seqno;
            break;
        }
    }
    out[0] = 1;
    wr64(out + 27, uuid);
    wr64(out + 35, old_seqno);
    mock_kv_respond(c, r, ST_SUCCESS, NULL, 0, NULL, 0, out, 43, 0, 0);
}
