/* In-memory store for the query-engine tests (see fake_store.h). */
#include "fake_store.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

typedef struct fake_doc {
    char *key, *val;
    size_t nkey, nval;
    uint32_t flags;
    uint64_t cas;
} fake_doc;

struct mock_bucket {
    char *name;
    fake_doc *docs;
    size_t n, cap;
    size_t *slots; /* open addressing: index + 1, 0 = empty */
    size_t nslots;
};

static size_t hash_key(const char *k, size_t n)
{
    size_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ (unsigned char)k[i]) * 1099511628211ull;
    }
    return h;
}

static void index_insert(mock_bucket *b, size_t idx)
{
    size_t m = b->nslots - 1, h = hash_key(b->docs[idx].key, b->docs[idx].nkey) & m;
    while (b->slots[h] != 0) {
        h = (h + 1) & m;
    }
    b->slots[h] = idx + 1;
}

static void index_grow(mock_bucket *b)
{
    if ((b->n + 1) * 2 <= b->nslots) {
        return;
    }
    free(b->slots);
    b->nslots = b->nslots ? b->nslots * 2 : 64;
    while ((b->n + 1) * 2 > b->nslots) {
        b->nslots *= 2;
    }
    b->slots = calloc(b->nslots, sizeof(*b->slots));
    assert_non_null(b->slots);
    for (size_t i = 0; i < b->n; i++) {
        index_insert(b, i);
    }
}

struct mock_cluster {
    mock_bucket *b;
    size_t n;
    uint64_t cas;
};

mock_cluster *fake_cluster_new(const char *const *names)
{
    mock_cluster *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    while (names[c->n] != NULL) {
        c->n++;
    }
    c->b = calloc(c->n, sizeof(*c->b));
    assert_non_null(c->b);
    for (size_t i = 0; i < c->n; i++) {
        c->b[i].name = strdup(names[i]);
        assert_non_null(c->b[i].name);
    }
    return c;
}

void fake_cluster_free(mock_cluster *c)
{
    for (size_t i = 0; i < c->n; i++) {
        for (size_t j = 0; j < c->b[i].n; j++) {
            free(c->b[i].docs[j].key);
            free(c->b[i].docs[j].val);
        }
        free(c->b[i].docs);
        free(c->b[i].slots);
        free(c->b[i].name);
    }
    free(c->b);
    free(c);
}

mock_bucket *mock_cluster_bucket(mock_cluster *c, const char *name)
{
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->b[i].name, name) == 0) {
            return &c->b[i];
        }
    }
    return NULL;
}

const char *mock_bucket_name(const mock_bucket *b)
{
    return b->name;
}

static fake_doc *find(mock_bucket *b, const char *key, size_t nkey)
{
    if (b->nslots == 0) {
        return NULL;
    }
    size_t m = b->nslots - 1, h = hash_key(key, nkey) & m;
    while (b->slots[h] != 0) {
        fake_doc *d = &b->docs[b->slots[h] - 1];
        if (d->nkey == nkey && memcmp(d->key, key, nkey) == 0) {
            return d;
        }
        h = (h + 1) & m;
    }
    return NULL;
}

static uint64_t next_cas = 1000;

static char *copy_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* 0, or -1 when out of memory (the allocation-failure sweeps reach this too):
 * then the bucket is unchanged. */
int mock_bucket_store(mock_bucket *b, const char *key, size_t nkey, const char *val, size_t nval, uint32_t flags)
{
    char *v = copy_n(val, nval);
    if (v == NULL) {
        return -1;
    }
    fake_doc *d = find(b, key, nkey);
    if (d == NULL) {
        char *k = copy_n(key, nkey);
        if (k == NULL) {
            free(v);
            return -1;
        }
        if (b->n == b->cap) {
            size_t ncap = b->cap ? b->cap * 2 : 16;
            fake_doc *nd = realloc(b->docs, ncap * sizeof(*nd));
            if (nd == NULL) {
                free(k);
                free(v);
                return -1;
            }
            b->docs = nd;
            b->cap = ncap;
        }
        index_grow(b);
        d = &b->docs[b->n++];
        d->key = k;
        d->nkey = nkey;
        d->val = NULL;
        index_insert(b, b->n - 1);
    }
    free(d->val);
    d->val = v;
    d->nval = nval;
    d->flags = flags;
    d->cas = next_cas++;
    return 0;
}

void mock_bucket_foreach(mock_bucket *b, mock_doc_visit_fn fn, void *arg)
{
    for (size_t i = 0; i < b->n; i++) {
        fake_doc *d = &b->docs[i];
        if (fn(arg, d->key, d->nkey, d->val, d->nval, d->flags, d->cas) != 0) {
            return;
        }
    }
}

int mock_bucket_lookup(mock_bucket *b, const char *key, size_t nkey, mock_doc_visit_fn fn, void *arg)
{
    fake_doc *d = find(b, key, nkey);
    if (d == NULL) {
        return -1;
    }
    fn(arg, d->key, d->nkey, d->val, d->nval, d->flags, d->cas);
    return 0;
}

void fake_put(mock_cluster *c, const char *bucket, const char *key, const char *json)
{
    mock_bucket *b = mock_cluster_bucket(c, bucket);
    assert_non_null(b);
    assert_int_equal(mock_bucket_store(b, key, strlen(key), json, strlen(json), 0), 0);
}

size_t fake_count(mock_cluster *c, const char *bucket)
{
    mock_bucket *b = mock_cluster_bucket(c, bucket);
    return b != NULL ? b->n : 0;
}

char *fake_drain(mock_http_producer *p, size_t max, size_t *calls)
{
    mock_strbuf all = {0};
    size_t n = 0;
    int rc;
    assert_int_equal(mock_strbuf_append(&all, "", 0), 0);
    do {
        mock_strbuf piece = {0};
        rc = p->produce(p->ctx, &piece, max);
        assert_true(rc == 0 || rc == 1);
        if (piece.len > 0) {
            assert_int_equal(mock_strbuf_append(&all, piece.data, piece.len), 0);
        }
        free(piece.data);
        n++;
        assert_true(n < 10000000);
    } while (rc == 1);
    p->free(p->ctx);
    if (calls != NULL) {
        *calls = n;
    }
    return all.data;
}
