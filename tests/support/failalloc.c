/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* The allocator wrappers behind failalloc.h (linked with -Wl,--wrap=...). */
#include "support/failalloc.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
void __wrap_free(void *p);

static long fail_at = -1; /* index of the allocation to fail; -1 = none */
static long calls;        /* allocations attempted since failalloc_start() */
static long live;         /* blocks not freed yet */
static long failures;     /* allocations failed on purpose */

static int should_fail(void)
{
    long i = calls++;
    if (fail_at >= 0 && i == fail_at) {
        failures++;
        return 1;
    }
    return 0;
}

void *__wrap_malloc(size_t n)
{
    if (should_fail()) {
        return NULL;
    }
    void *p = __real_malloc(n);
    live += p != NULL;
    return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
    if (should_fail()) {
        return NULL;
    }
    void *p = __real_calloc(n, size);
    live += p != NULL;
    return p;
}

void *__wrap_realloc(void *p, size_t n)
{
    if (should_fail()) {
        return NULL;
    }
    void *q = __real_realloc(p, n);
    live += p == NULL && q != NULL;
    return q;
}

char *__wrap_strdup(const char *s)
{
    if (should_fail()) {
        return NULL;
    }
    char *p = __real_strdup(s);
    live += p != NULL;
    return p;
}

void __wrap_free(void *p)
{
    live -= p != NULL;
    __real_free(p);
}

void failalloc_start(long n)
{
    calls = 0;
    live = 0;
    failures = 0;
    fail_at = n >= 0 ? n : -1;
}

void failalloc_stop(void)
{
    fail_at = -1;
}

long failalloc_calls(void)
{
    return calls;
}

long failalloc_live(void)
{
    return live;
}

long failalloc_failures(void)
{
    return failures;
}

int failalloc_run(long n, int (*fn)(void *arg), void *arg)
{
    failalloc_start(n);
    int rc = fn(arg);
    failalloc_stop();
    return rc;
}
