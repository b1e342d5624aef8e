/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* CRC32 vBucket hashing and the ketama continuum (PROTOCOL.md §7). */
#include "proto/hash.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sofa/status.h"

/* CRC-32 (reflected polynomial 0xEDB88320) four bits at a time. */
static const uint32_t crc_nibble[16] = {
    0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
    0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c};

uint32_t sofa__crc32(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        c ^= p[i];
        c = (c >> 4) ^ crc_nibble[c & 0x0f];
        c = (c >> 4) ^ crc_nibble[c & 0x0f];
    }
    return c ^ 0xffffffffu;
}

uint16_t sofa__vbucket_of(const void *key, size_t nkey, uint32_t nvbuckets)
{
    if (nvbuckets == 0)
        return 0;
    uint32_t h = (sofa__crc32(key, nkey) >> 16) & 0x7fff;
    return (uint16_t)(h % nvbuckets);
}

/* ---------------------------------------------------------------- ketama */

#define KETAMA_STRINGS_PER_SERVER (SOFA__KETAMA_POINTS_PER_SERVER / 4u)
#define KETAMA_MAX_SERVER_NAME 1100u /* "host:port" */

static int md5(const void *data, size_t len, unsigned char out[16])
{
    unsigned int n = 0;
    if (EVP_Digest(data, len, out, &n, EVP_md5(), NULL) != 1 || n != 16)
        return SOFA_E_INTERNAL;
    return SOFA_OK;
}

static int point_cmp(const void *a, const void *b)
{
    const sofa__ketama_point *x = a, *y = b;
    if (x->point != y->point)
        return x->point < y->point ? -1 : 1;
    return x->server < y->server ? -1 : (x->server > y->server);
}

static uint32_t le32(const unsigned char *d)
{
    return (uint32_t)d[3] << 24 | (uint32_t)d[2] << 16 | (uint32_t)d[1] << 8 | d[0];
}

int sofa__ketama_build(const char *const *servers, size_t n, sofa__ketama *out)
{
    if (!out)
        return SOFA_E_INVALID_ARGUMENT;
    memset(out, 0, sizeof(*out));
    if (!servers || n == 0 || n > SOFA__KETAMA_MAX_SERVERS)
        return SOFA_E_INVALID_ARGUMENT;
    for (size_t i = 0; i < n; i++)
        if (!servers[i] || strlen(servers[i]) > KETAMA_MAX_SERVER_NAME)
            return SOFA_E_INVALID_ARGUMENT;

    size_t npoints = n * SOFA__KETAMA_POINTS_PER_SERVER;
    sofa__ketama_point *pts = calloc(npoints, sizeof(*pts));
    if (!pts)
        return SOFA_E_NO_MEMORY;
    size_t k = 0;
    char name[KETAMA_MAX_SERVER_NAME + 16];
    for (size_t s = 0; s < n; s++) {
        for (unsigned i = 0; i < KETAMA_STRINGS_PER_SERVER; i++) {
            int len = snprintf(name, sizeof(name), "%s-%u", servers[s], i);
            unsigned char d[16];
            if (len < 0 || (size_t)len >= sizeof(name) || md5(name, (size_t)len, d) != SOFA_OK) {
                free(pts);
                return SOFA_E_INTERNAL;
            }
            for (unsigned j = 0; j < 4; j++) {
                pts[k].point = le32(d + 4 * j);
                pts[k].server = (uint32_t)s;
                k++;
            }
        }
    }
    qsort(pts, npoints, sizeof(*pts), point_cmp);
    out->points = pts;
    out->npoints = npoints;
    out->nservers = n;
    return SOFA_OK;
}

size_t sofa__ketama_lookup(const sofa__ketama *k, const void *key, size_t nkey)
{
    if (!k || k->npoints == 0)
        return 0;
    unsigned char d[16];
    if (md5(key, nkey, d) != SOFA_OK)
        return k->points[0].server;
    uint32_t h = le32(d);
    /* first point >= h */
    size_t lo = 0, hi = k->npoints;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (k->points[mid].point < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == k->npoints)
        lo = 0;
    return k->points[lo].server;
}

void sofa__ketama_free(sofa__ketama *k)
{
    if (!k)
        return;
    free(k->points);
    k->points = NULL;
    k->npoints = 0;
    k->nservers = 0;
}
