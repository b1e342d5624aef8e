/* A tiny fixed in-memory store implementing tools/mock/store_api.h for the
 * fuzz_mockq_* targets (include from exactly one file per target);
 * mock_strbuf_append comes from tests/mockquery/fake_strbuf.c. */
#ifndef SOFA_TESTS_FUZZ_MOCKQ_FUZZ_STORE_H
#define SOFA_TESTS_FUZZ_MOCKQ_FUZZ_STORE_H

#include <stdlib.h>
#include <string.h>

#include "store_api.h"

struct mock_bucket {
    const char *name;
};
struct mock_cluster {
    mock_bucket b;
};

static const char *const fuzz_docs[][2] = {
    {"u1", "{\"type\":\"user\",\"name\":\"alice\",\"age\":30,\"tags\":[\"a\",\"b\"],\"addr\":{\"city\":\"Oslo\"}}"},
    {"u2", "{\"type\":\"user\",\"name\":\"bob\",\"age\":25,\"email\":null}"},
    {"a1", "{\"type\":\"admin\",\"name\":\"carol\",\"age\":50.5,\"k\":[1,[2,{\"x\":true}]]}"},
    {"n1", "42"},
    {"bin", "\x01\x02 not json"},
};

mock_bucket *mock_cluster_bucket(mock_cluster *c, const char *name)
{
    return strcmp(name, c->b.name) == 0 ? &c->b : NULL;
}

const char *mock_bucket_name(const mock_bucket *b)
{
    return b->name;
}

void mock_bucket_foreach(mock_bucket *b, mock_doc_visit_fn fn, void *arg)
{
    (void)b;
    for (size_t i = 0; i < sizeof(fuzz_docs) / sizeof(fuzz_docs[0]); i++) {
        if (fn(arg, fuzz_docs[i][0], strlen(fuzz_docs[i][0]), fuzz_docs[i][1], strlen(fuzz_docs[i][1]), 0,
               1000 + i) != 0) {
            return;
        }
    }
}

int mock_bucket_lookup(mock_bucket *b, const char *key, size_t nkey, mock_doc_visit_fn fn, void *arg)
{
    (void)b;
    for (size_t i = 0; i < sizeof(fuzz_docs) / sizeof(fuzz_docs[0]); i++) {
        if (strlen(fuzz_docs[i][0]) == nkey && memcmp(fuzz_docs[i][0], key, nkey) == 0) {
            fn(arg, key, nkey, fuzz_docs[i][1], strlen(fuzz_docs[i][1]), 0, 1000 + i);
            return 0;
        }
    }
    return -1;
}

int mock_bucket_store(mock_bucket *b, const char *key, size_t nkey, const char *val, size_t nval, uint32_t flags)
{
    (void)b, (void)key, (void)nkey, (void)val, (void)nval, (void)flags;
    return -1; /* read-only */
}

/* Pull a producer to the end in small pieces, then free it. */
static void fuzz_drain(mock_http_producer *p)
{
    mock_strbuf out = {0};
    int rc;
    do {
        out.len = 0;
        rc = p->produce(p->ctx, &out, 64);
    } while (rc == 1);
    free(out.data);
    p->free(p->ctx);
}

#endif
