/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * Key to server hashing (PROTOCOL.md §7): CRC32 vBuckets and the ketama continuum used by
 * memcached buckets.
 */
#ifndef SOFA_PROTO_HASH_H
#define SOFA_PROTO_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Standard IEEE CRC-32 (same as zlib's crc32(0, buf, len)). */
uint32_t sofa__crc32(const void *buf, size_t len);
/* vbid = ((crc32(key) >> 16) & 0x7fff) % nvbuckets; 0 if nvbuckets is 0. */
uint16_t sofa__vbucket_of(const void *key, size_t nkey, uint32_t nvbuckets);

#define SOFA__KETAMA_POINTS_PER_SERVER 160u
#define SOFA__KETAMA_MAX_SERVERS 1024u

typedef struct sofa__ketama_point {
    uint32_t point;
    uint32_t server; /* index into the server list given to sofa__ketama_build */
} sofa__ketama_point;

typedef struct sofa__ketama {
    sofa__ketama_point *points; /* sorted by point */
    size_t npoints;
    size_t nservers;
} sofa__ketama;

/*
 * Build the continuum for @p n servers given as "host:port" strings (after $HOST replacement;
 * an IPv6 host in brackets). *out is overwritten (not freed first).
 * Returns 0, SOFA_E_INVALID_ARGUMENT (n == 0, n > SOFA__KETAMA_MAX_SERVERS, NULL string),
 * SOFA_E_NO_MEMORY, or SOFA_E_INTERNAL if OpenSSL's MD5 fails.
 */
int sofa__ketama_build(const char *const *servers, size_t n, sofa__ketama *out);
/* Server index for a key (first point >= MD5 hash, wrapping). 0 for an empty continuum. */
size_t sofa__ketama_lookup(const sofa__ketama *k, const void *key, size_t nkey);
/* Free the points; leaves *k empty. NULL is a no-op. */
void sofa__ketama_free(sofa__ketama *k);

#endif /* SOFA_PROTO_HASH_H */
