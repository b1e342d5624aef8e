/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* sofa-bench: a latency histogram with HDR-style logarithmic buckets. Values (ns) below
 * 2^HIST_SUB_BITS are exact; above, each power-of-two range is split into 2^(HIST_SUB_BITS-1)
 * linear buckets, so a recorded value is off by less than 1/64 (1.6 %). */
#ifndef SOFA_TOOLS_BENCH_HIST_H
#define SOFA_TOOLS_BENCH_HIST_H

#include <stddef.h>
#include <stdint.h>

#define HIST_SUB_BITS 7
#define HIST_HALF (1u << (HIST_SUB_BITS - 1))
#define HIST_BUCKETS ((1u << HIST_SUB_BITS) + (64 - HIST_SUB_BITS) * HIST_HALF)

typedef struct hist {
    uint64_t counts[HIST_BUCKETS];
    uint64_t total;
    uint64_t min, max;
    long double sum;
} hist;

void hist_init(hist *h);
void hist_record(hist *h, uint64_t value);
/* Add every count of src into dst. */
void hist_merge(hist *dst, const hist *src);
/* The value at percentile p (0 < p <= 100): the highest value of the bucket that holds
 * the ceil(p% * total)-th smallest recording, capped at the largest recording. 0 when empty. */
uint64_t hist_percentile(const hist *h, double p);
double hist_mean(const hist *h);
/* Bucket index of a value, and the highest value a bucket holds (exposed for tests). */
size_t hist_index(uint64_t value);
uint64_t hist_bucket_high(size_t index);

#endif /* SOFA_TOOLS_BENCH_HIST_H */
