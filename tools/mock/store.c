/* sofa-mock: the document store of a bucket (one logical copy; replicas and persistence are
 * simulated per vbucket), vbucket hashing, and the store API for the query modules. */
#include "mock.h"

#include <stdlib.h>
#include <string.h>

#define TABLE_INITIAL 1024u

static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        crc_table[i] = c;
    }
}

static uint32_t crc32_of(const char *p, size_t n)
{
    if (crc_table[1] == 0) {
        crc_init();
    }
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c = crc_table[(c ^ (unsigned char)p[i]) & 0xff] ^ (c >> 8);
    }
    return c ^ 0xFFFFFFFFu;
}

uint16_t mock_vbucket_of(const mock_bucket *b, const char *key, size_t nkey)
{
    if (b->nvbuckets <= 0) {
        return 0;
    }
    return (uint16_t)(((crc32_of(key, nkey) >> 16) & 0x7fff) % (uint32_t)b->nvbuckets);
}

static uint32_t key_hash(const char *p, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    }
    return h;
}

static uint64_t last_cas;

uint64_t mock_next_cas(void)
{
    uint64_t now = (uint64_t)mock_now_ms() * 1000000u;
    last_cas = now > last_cas ? now : last_cas + 1;
    return last_cas;
}

int mock_item_locked(const mock_item *it, int64_t now)
{
    return it->lock_until_ms != 0 && it->lock_until_ms > now;
}

int mock_store_init(mock_bucket *b)
{
    b->table = calloc(TABLE_INITIAL, sizeof(*b->table));
    if (b->table == NULL) {
        return -1;
    }
    b->table_size = TABLE_INITIAL;
    b->nitems = 0;
    return 0;
}

static void grow(mock_bucket *b)
{
    size_t nsize = b->table_size * 2;
    mock_item **nt = calloc(nsize, sizeof(*nt));
    if (nt == NULL) {
        return; /* keep the old table: longer chains, still correct */
    }
    for (size_t i = 0; i < b->table_size; i++) {
        mock_item *it = b->table[i];
        while (it != NULL) {
            mock_item *next = it->next;
            size_t slot = it->hash & (nsize - 1);
            it->next = nt[slot];
            nt[slot] = it;
            it = next;
        }
    }
    free(b->table);
    b->table = nt;
    b->table_size = nsize;
}

static void unlink_item(mock_bucket *b, mock_item *it)
{
    mock_item **pp = &b->table[it->hash & (b->table_size - 1)];
    while (*pp != NULL && *pp != it) {
        pp = &(*pp)->next;
    }
    if (*pp == it) {
        *pp = it->next;
        b->nitems--;
    }
}

void mock_store_remove(mock_bucket *b, mock_item *it)
{
    unlink_item(b, it);
    b->nbytes -= it->nvalue;
    free(it->value);
    free(it);
}

mock_item *mock_store_find(mock_bucket *b, const char *key, size_t nkey)
{
    uint32_t h = key_hash(key, nkey);
    mock_item *it = b->table[h & (b->table_size - 1)];
    while (it != NULL) {
        if (it->hash == h && it->nkey == nkey && memcmp(it->key, key, nkey) == 0) {
            break;
        }
        it = it->next;
    }
    if (it != NULL && !it->deleted && it->exp_ms != 0 && it->exp_ms <= mock_now_ms()) {
        mock_store_remove(b, it); /* expired: gone (the mock does not keep expiry tombstones) */
        return NULL;
    }
    return it;
}

mock_item *mock_store_find_live(mock_bucket *b, const char *key, size_t nkey)
{
    mock_item *it = mock_store_find(b, key, nkey);
    return (it != NULL && !it->deleted) ? it : NULL;
}

/* Append a pending (not yet replicated/persisted) mutation to the vbucket's FIFO. */
static void vb_mutation(mock_bucket *b, mock_item *it)
{
    it->cas = mock_next_cas();
    if (b->vbs == NULL) {
        it->seqno = 0;
        return;
    }
    mock_vbucket *vb = &b->vbs[it->vbid];
    it->seqno = ++vb->high_seqno;
    mock_cluster *c = b->cluster;
    if (c->replicate_delay_ms <= 0 && c->persist_delay_ms <= 0) {
        if (vb->npending == 0) {
            vb->floor_seqno = vb->high_seqno;
            return;
        }
    }
    if (vb->npending == vb->pending_cap) {
        size_t ncap = vb->pending_cap ? vb->pending_cap * 2 : 16;
        mock_pending *np = malloc(ncap * sizeof(*np));
        if (np == NULL) {
            vb->floor_seqno = vb->high_seqno; /* degrade: treat as done at once */
            return;
        }
        for (size_t i = 0; i < vb->npending; i++) {
            np[i] = vb->pending[(vb->pending_head + i) % vb->pending_cap];
        }
        free(vb->pending);
        vb->pending = np;
        vb->pending_head = 0;
        vb->pending_cap = ncap;
    }
    size_t slot = (vb->pending_head + vb->npending) % vb->pending_cap;
    vb->pending[slot].seqno = it->seqno;
    vb->pending[slot].at_ms = mock_mono_ms();
    vb->npending++;
}

static uint64_t done_by(const mock_vbucket *vb, int64_t delay, int64_t now)
{
    uint64_t s = vb->floor_seqno;
    for (size_t i = 0; i < vb->npending; i++) {
        const mock_pending *p = &vb->pending[(vb->pending_head + i) % vb->pending_cap];
        if (p->at_ms + delay > now) {
            break;
        }
        s = p->seqno;
    }
    return s;
}

void mock_vb_progress_get(mock_cluster *c, mock_vbucket *vb, int64_t now, mock_vb_progress *p)
{
    int64_t rd = c->replicate_delay_ms > 0 ? c->replicate_delay_ms : 0;
    int64_t pd = c->persist_delay_ms > 0 ? c->persist_delay_ms : 0;
    /* drop entries that are done everywhere */
    while (vb->npending > 0) {
        mock_pending *h = &vb->pending[vb->pending_head];
        if (h->at_ms + rd + pd > now) {
            break;
        }
        vb->floor_seqno = h->seqno;
        vb->pending_head = (vb->pending_head + 1) % vb->pending_cap;
        vb->npending--;
    }
    if (vb->npending == 0) {
        vb->floor_seqno = vb->high_seqno;
    }
    p->high = vb->high_seqno;
    p->persisted_master = done_by(vb, pd, now);
    p->replicated = done_by(vb, rd, now);
    p->persisted_replica = done_by(vb, rd + pd, now);
}

static mock_item *new_item(mock_bucket *b, const char *key, size_t nkey)
{
    mock_item *it = calloc(1, sizeof(*it) + nkey);
    if (it == NULL) {
        return NULL;
    }
    memcpy(it->key, key, nkey);
    it->nkey = (uint16_t)nkey;
    it->hash = key_hash(key, nkey);
    if (b->nitems >= b->table_size) {
        grow(b);
    }
    size_t slot = it->hash & (b->table_size - 1);
    it->next = b->table[slot];
    b->table[slot] = it;
    b->nitems++;
    return it;
}

mock_item *mock_store_put_at(mock_bucket *b, mock_item *it, const char *key, size_t nkey,
                             const char *val, size_t nval, uint32_t flags, int64_t exp_ms,
                             uint8_t datatype, uint16_t vbid)
{
    if (nkey > MOCK_MAX_KEY || nval > MOCK_MAX_VALUE) {
        return NULL;
    }
    if (it == NULL) {
        it = mock_store_find(b, key, nkey);
    }
    char *buf = NULL;
    /* reuse the value buffer when it fits and is not far too large */
    if (it != NULL && it->value != NULL && nval <= it->value_cap && it->value_cap <= 2 * nval + 64) {
        buf = it->value;
    } else {
        buf = malloc(nval ? nval : 1);
        if (buf == NULL) {
            return NULL;
        }
    }
    if (nval > 0) {
        memmove(buf, val, nval); /* val may point into the old value (APPEND/PREPEND use a copy) */
    }
    if (it == NULL && (it = new_item(b, key, nkey)) == NULL) {
        free(buf);
        return NULL;
    }
    if (buf != it->value) {
        free(it->value);
        it->value_cap = (uint32_t)(nval ? nval : 1);
    }
    b->nbytes = b->nbytes - it->nvalue + nval;
    it->value = buf;
    it->nvalue = (uint32_t)nval;
    it->flags = flags;
    it->exp_ms = exp_ms;
    it->datatype = datatype;
    it->deleted = 0;
    it->lock_until_ms = 0;
    it->lock_cas = 0;
    it->vbid = vbid;
    vb_mutation(b, it);
    return it;
}

mock_item *mock_store_put(mock_bucket *b, const char *key, size_t nkey, const char *val, size_t nval,
                          uint32_t flags, int64_t exp_ms, uint8_t datatype, uint16_t vbid)
{
    return mock_store_put_at(b, NULL, key, nkey, val, nval, flags, exp_ms, datatype, vbid);
}

void mock_store_touch_item(mock_bucket *b, mock_item *it)
{
    it->lock_until_ms = 0;
    vb_mutation(b, it);
}

void mock_store_delete(mock_bucket *b, mock_item *it)
{
    b->nbytes -= it->nvalue;
    free(it->value);
    it->value = NULL;
    it->nvalue = 0;
    it->value_cap = 0;
    it->deleted = 1;
    it->flags = 0;
    it->exp_ms = 0;
    it->datatype = 0;
    it->lock_until_ms = 0;
    vb_mutation(b, it);
}

void mock_store_flush(mock_bucket *b)
{
    for (size_t i = 0; i < b->table_size; i++) {
        mock_item *it = b->table[i];
        while (it != NULL) {
            mock_item *next = it->next;
            free(it->value);
            free(it);
            it = next;
        }
        b->table[i] = NULL;
    }
    b->nitems = 0;
    b->nbytes = 0;
}

void mock_store_free(mock_bucket *b)
{
    mock_config_cache_free(b);
    if (b->table != NULL) {
        mock_store_flush(b);
        free(b->table);
        b->table = NULL;
    }
    if (b->vbs != NULL) {
        for (int i = 0; i < b->nvbuckets; i++) {
            free(b->vbs[i].pending);
        }
        free(b->vbs);
        b->vbs = NULL;
    }
}

/* ------------------------------------------------------------------ store API */

mock_bucket *mock_cluster_bucket(mock_cluster *c, const char *name)
{
    if (c == NULL || name == NULL) {
        return NULL;
    }
    for (int i = 0; i < c->nbuckets; i++) {
        if (strcmp(c->buckets[i]->name, name) == 0) {
            return c->buckets[i];
        }
    }
    return NULL;
}

const char *mock_bucket_name(const mock_bucket *b)
{
    return b->name;
}

void mock_bucket_foreach(mock_bucket *b, mock_doc_visit_fn fn, void *arg)
{
    int64_t now = mock_now_ms();
    for (size_t i = 0; i < b->table_size; i++) {
        for (mock_item *it = b->table[i]; it != NULL; it = it->next) {
            if (it->deleted || (it->exp_ms != 0 && it->exp_ms <= now)) {
                continue;
            }
            if (fn(arg, it->key, it->nkey, it->value, it->nvalue, it->flags, it->cas) != 0) {
                return;
            }
        }
    }
}

int mock_bucket_lookup(mock_bucket *b, const char *key, size_t nkey, mock_doc_visit_fn fn, void *arg)
{
    mock_item *it = mock_store_find_live(b, key, nkey);
    if (it == NULL) {
        return -1;
    }
    if (fn != NULL) {
        fn(arg, it->key, it->nkey, it->value, it->nvalue, it->flags, it->cas);
    }
    return 0;
}

static int looks_json(const char *v, size_t n)
{
    size_t i = 0;
    while (i < n && (v[i] == ' ' || v[i] == '\n' || v[i] == '\t' || v[i] == '\r')) {
        i++;
    }
    return i < n && (v[i] == '{' || v[i] == '[');
}

int mock_bucket_store(mock_bucket *b, const char *key, size_t nkey, const char *val, size_t nval,
                      uint32_t flags)
{
    if (nkey == 0 || nkey > MOCK_MAX_KEY) {
        return -1;
    }
    uint16_t vb = b->type == MOCK_BUCKET_COUCHBASE ? mock_vbucket_of(b, key, nkey) : 0;
    return mock_store_put(b, key, nkey, val, nval, flags, 0, looks_json(val, nval) ? 0x01 : 0, vb)
               ? 0
               : -1;
}
