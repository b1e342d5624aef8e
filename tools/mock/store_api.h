/* sofa-mock: the store API the query modules (views.c, n1ql.c, sample.c) use.
 * The contract between the KV/cluster core and the query helpers; keep it stable.
 * All functions run on the mock's single event-loop thread. */
#ifndef SOFA_TOOLS_MOCK_STORE_API_H
#define SOFA_TOOLS_MOCK_STORE_API_H

#include <stddef.h>
#include <stdint.h>

typedef struct mock_bucket mock_bucket;
typedef struct mock_cluster mock_cluster;
typedef int (*mock_doc_visit_fn)(void *arg, const char *key, size_t nkey, const char *val, size_t nval,
                                 uint32_t flags, uint64_t cas);
mock_bucket *mock_cluster_bucket(mock_cluster *c, const char *name);      /* NULL if no such bucket */
void mock_bucket_foreach(mock_bucket *b, mock_doc_visit_fn fn, void *arg); /* live docs; stop if fn != 0 */
int mock_bucket_lookup(mock_bucket *b, const char *key, size_t nkey, mock_doc_visit_fn fn, void *arg); /* 0 found, -1 not */
int mock_bucket_store(mock_bucket *b, const char *key, size_t nkey, const char *val, size_t nval, uint32_t flags); /* 0/-1 */
const char *mock_bucket_name(const mock_bucket *b);
/* HTTP streaming: the query helper's producers are PULLED by your server: when the connection's
 * write buffer is below a threshold, call produce(); it appends up to max bytes; returns 1 if more
 * remains, 0 when finished. Chunked encoding is yours. */
typedef struct mock_strbuf { char *data; size_t len, cap; } mock_strbuf;
int mock_strbuf_append(mock_strbuf *b, const void *data, size_t len); /* 0 / -1 OOM */
typedef struct mock_http_producer {
    int (*produce)(void *ctx, mock_strbuf *out, size_t max);
    void (*free)(void *ctx);
    void *ctx;
} mock_http_producer;

#endif /* SOFA_TOOLS_MOCK_STORE_API_H */
