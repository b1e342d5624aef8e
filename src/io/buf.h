/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * A growable byte buffer with a read offset: bytes [off, len) are live. Used for a
 * connection's read buffer (data appended by recv, consumed by the parser) and write
 * buffer (requests encoded at the end, consumed by send). Growth is capped by the
 * caller's limit so a misbehaving peer cannot make it grow without bound.
 */
#ifndef SOFA_IO_BUF_H
#define SOFA_IO_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct sofa__buf {
    uint8_t *data;
    size_t off; /* first live byte */
    size_t len; /* end of live bytes */
    size_t cap; /* allocated */
} sofa__buf;

/* Live bytes. */
static inline size_t sofa__buf_used(const sofa__buf *b)
{
    return b->len - b->off;
}
static inline uint8_t *sofa__buf_head(const sofa__buf *b)
{
    return b->data + b->off;
}

/* Make room for @p need more bytes at the end (compacting first when needed), never growing beyond
 * @p limit bytes in total. Returns a pointer to the free space, or NULL (out of memory or
 * over the limit; the buffer is unchanged). */
uint8_t *sofa__buf_grow(sofa__buf *b, size_t need, size_t limit);
static inline uint8_t *sofa__buf_reserve(sofa__buf *b, size_t need, size_t limit)
{
    if (need <= limit && b->len - b->off <= limit - need && b->cap - b->len >= need)
        return b->data + b->len; /* fits as it is (the common case) */
    return sofa__buf_grow(b, need, limit);
}
/* Mark @p n bytes after len as written (after sofa__buf_reserve). */
static inline void sofa__buf_commit(sofa__buf *b, size_t n)
{
    b->len += n;
}
/* Drop @p n live bytes from the front; resets to empty when everything is consumed. */
void sofa__buf_consume(sofa__buf *b, size_t n);
/* Give memory back when a large buffer is empty (keeps up to @p keep bytes allocated). */
void sofa__buf_shrink(sofa__buf *b, size_t keep);
void sofa__buf_free(sofa__buf *b);

#endif
