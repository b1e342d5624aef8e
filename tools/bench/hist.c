/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
#include "hist.h"

#include <math.h>
#include <string.h>

void hist_init(hist *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

size_t hist_index(uint64_t v)
{
    if (v < (1u << HIST_SUB_BITS)) {
        return (size_t)v;
    }
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = msb - (HIST_SUB_BITS - 1); /* >= 1; v >> shift is in [HALF, 2*HALF) */
    return (1u << HIST_SUB_BITS) + (size_t)(shift - 1) * HIST_HALF +
           (size_t)((v >> shift) - HIST_HALF);
}

uint64_t hist_bucket_high(size_t index)
{
    if (index < (1u << HIST_SUB_BITS)) {
        return index;
    }
    size_t k = index - (1u << HIST_SUB_BITS);
    unsigned shift = (unsigned)(k / HIST_HALF) + 1;
    uint64_t sub = (uint64_t)(k % HIST_HALF) + HIST_HALF;
    /* the last bucket ends at 2^64 - 1: (2*HALF) << 57 wraps to 0, minus 1 */
    return ((sub + 1) << shift) - 1;
}

void hist_record(hist *h, uint64_t v)
{
    h->counts[hist_index(v)]++;
    h->total++;
    h->sum += (long double)v;
    if (v < h->min) {
        h->min = v;
    }
    if (v > h->max) {
        h->max = v;
    }
}

void hist_merge(hist *dst, const hist *src)
{
    for (size_t i = 0; i < HIST_BUCKETS; i++) {
        dst->counts[i] += src->counts[i];
    }
    dst->total += src->total;
    dst->sum += src->sum;
    if (src->min < dst->min) {
        dst->min = src->min;
    }
    if (src->max > dst->max) {
        dst->max = src->max;
    }
}

uint64_t hist_percentile(const hist *h, double p)
{
    if (h->total == 0) {
        return 0;
    }
    double want = ceil(p / 100.0 * (double)h->total);
    uint64_t target = want < 1 ? 1 : (uint64_t)want;
    if (target > h->total) {
        target = h->total;
    }
    uint64_t seen = 0;
    for (size_t i = 0; i < HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= target) {
            uint64_t high = hist_bucket_high(i);
            return high < h->max ? high : h->max;
        }
    }
    return h->max;
}

double hist_mean(const hist *h)
{
    return h->total ? (double)(h->sum / (long double)h->total) : 0.0;
}
