/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
#include "io/buf.h"

#include <stdlib.h>
#include <string.h>

/* sofa__buf_reserve's slow path (also correct on its own) */
uint8_t *sofa__buf_grow(sofa__buf *b, size_t need, size_t limit)
{
    size_t used = b->len - b->off;
    if (need > limit || used > limit - need)
        return NULL;
    if (b->cap - b->len >= need)
        return b->data + b->len;
    if (b->off > 0) { /* compact: move live bytes to the front */
        if (used)
            memmove(b->data, b->data + b->off, used);
        b->off = 0;
        b->len = used;
        if (b->cap - b->len >= need)
            return b->data + b->len;
    }
    size_t want = b->cap ? b->cap : 4096;
    while (want - used < need) {
        if (want > limit / 2) {
            want = limit;
            break;
        }
        want *= 2;
    }
    uint8_t *p = realloc(b->data, want);
    if (!p)
        return NULL;
    b->data = p;
    b->cap = want;
    return b->data + b->len;
}

void sofa__buf_consume(sofa__buf *b, size_t n)
{
    if (n >= b->len - b->off) {
        b->off = b->len = 0;
        return;
    }
    b->off += n;
}

void sofa__buf_shrink(sofa__buf *b, size_t keep)
{
    if (b->len != b->off || b->cap <= keep)
        return;
    free(b->data);
    b->data = NULL;
    b->off = b->len = b->cap = 0;
}

void sofa__buf_free(sofa__buf *b)
{
    free(b->data);
    b->data = NULL;
    b->off = b->len = b->cap = 0;
}
