/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * Allocation-failure injection for sweep tests (fail the 1st, 2nd, ... allocation in
 * turn, curl-torture style). Link a test with sofa_test_failalloc: it adds
 * -Wl,--wrap for malloc, calloc, realloc, strdup and free, which replaces those
 * calls in the test's own objects and in static libraries (libsofa.a), not in
 * shared libraries. Every allocation is counted; a block counts as live from its
 * allocation until free().
 */
#ifndef SOFA_TESTS_SUPPORT_FAILALLOC_H
#define SOFA_TESTS_SUPPORT_FAILALLOC_H

#include <stddef.h>

/* Zeroes the counters and makes allocation number @p fail_at (0-based, counted from
 * here) fail; -1 = count only, fail nothing. */
void failalloc_start(long fail_at);

/* Stops failing allocations; the counters keep counting. */
void failalloc_stop(void);

/* Allocations attempted since failalloc_start() (failed ones included). */
long failalloc_calls(void);

/* Blocks allocated since failalloc_start() and not freed yet. */
long failalloc_live(void);

/* Allocations made to fail since failalloc_start() (0 or 1). */
long failalloc_failures(void);

/* failalloc_start(@p fail_at), fn(@p arg), failalloc_stop(): returns what fn returned. */
int failalloc_run(long fail_at, int (*fn)(void *arg), void *arg);

/* The wrapped allocator itself, for libraries with allocation hooks:
 * json_set_alloc_funcs(__wrap_malloc, __wrap_free) makes jansson's allocations count
 * (and fail) too. Call it before jansson allocates anything. */
void *__wrap_malloc(size_t n);
void __wrap_free(void *p);

#endif /* SOFA_TESTS_SUPPORT_FAILALLOC_H */
