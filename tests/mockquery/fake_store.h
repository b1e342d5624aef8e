/* An in-memory implementation of tools/mock/store_api.h for the query-engine tests. */
#ifndef SOFA_TESTS_MOCKQUERY_FAKE_STORE_H
#define SOFA_TESTS_MOCKQUERY_FAKE_STORE_H

#include "store_api.h"

/* A cluster with the given bucket names (NULL-terminated list). */
mock_cluster *fake_cluster_new(const char *const *bucket_names);
void fake_cluster_free(mock_cluster *c);
/* Store a NUL-terminated JSON document; asserts on failure. */
void fake_put(mock_cluster *c, const char *bucket, const char *key, const char *json);
size_t fake_count(mock_cluster *c, const char *bucket);
/* Drain a producer with pieces of at most `max` bytes; returns the NUL-terminated
 * body (caller frees) and the number of produce() calls in *calls. Frees the producer. */
char *fake_drain(mock_http_producer *p, size_t max, size_t *calls);

#endif
