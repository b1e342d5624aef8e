/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
#include "io/timerq.h"

#include <stdlib.h>
#include <time.h>

#include "sofa/status.h"

uint64_t sofa__now(const sofa_iops *io)
{
    if (io && io->struct_size >= offsetof(sofa_iops, now) + sizeof(io->now) && io->now)
        return io->now((sofa_iops *)io);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void sofa__timerq_init(sofa__timerq *q, sofa_iops *io)
{
    q->heap = NULL;
    q->n = q->cap = 0;
    q->io = io;
    q->timer = NULL;
    q->armed_for = 0;
    q->running = 0;
}

static void place(sofa__timerq *q, size_t i, sofa__tentry *e)
{
    q->heap[i] = e;
    e->idx = i;
}

static void sift_up(sofa__timerq *q, size_t i)
{
    sofa__tentry *e = q->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (q->heap[parent]->when <= e->when)
            break;
        place(q, i, q->heap[parent]);
        i = parent;
    }
    place(q, i, e);
}

static void sift_down(sofa__timerq *q, size_t i)
{
    sofa__tentry *e = q->heap[i];
    for (;;) {
        size_t l = 2 * i + 1, best = i;
        uint64_t bw = e->when;
        if (l < q->n && q->heap[l]->when < bw) {
            best = l;
            bw = q->heap[l]->when;
        }
        if (l + 1 < q->n && q->heap[l + 1]->when < bw)
            best = l + 1;
        if (best == i)
            break;
        place(q, i, q->heap[best]);
        i = best;
    }
    place(q, i, e);
}

int sofa__timerq_reserve(sofa__timerq *q, size_t n)
{
    if (n <= q->cap)
        return 0;
    size_t ncap = q->cap ? q->cap : 64;
    while (ncap < n) {
        if (ncap > ((size_t)-1) / (2 * sizeof(*q->heap)))
            return SOFA_E_NO_MEMORY;
        ncap *= 2;
    }
    sofa__tentry **h = realloc(q->heap, ncap * sizeof(*h));
    if (!h)
        return SOFA_E_NO_MEMORY;
    q->heap = h;
    q->cap = ncap;
    return 0;
}

int sofa__timerq_add(sofa__timerq *q, sofa__tentry *e, uint64_t when)
{
    if (sofa__tentry_queued(e)) {
        uint64_t old = e->when;
        e->when = when;
        if (when < old)
            sift_up(q, e->idx);
        else
            sift_down(q, e->idx);
    } else {
        if (q->n == q->cap && sofa__timerq_reserve(q, q->n + 1) != 0)
            return SOFA_E_NO_MEMORY;
        e->when = when;
        place(q, q->n++, e);
        sift_up(q, e->idx);
    }
    if (!q->running && (q->armed_for == 0 || when < q->armed_for))
        sofa__timerq_arm(q);
    return 0;
}

void sofa__timerq_remove(sofa__timerq *q, sofa__tentry *e)
{
    if (!sofa__tentry_queued(e))
        return;
    size_t i = e->idx;
    e->idx = SOFA__TENTRY_IDLE;
    q->n--;
    if (i == q->n)
        return;
    sofa__tentry *last = q->heap[q->n];
    place(q, i, last);
    if (i > 0 && q->heap[(i - 1) / 2]->when > last->when)
        sift_up(q, i);
    else
        sift_down(q, i);
    /* The IOPS timer may now fire early for nothing; run() then re-arms. Cheaper than
     * re-arming on every removal. */
}

void sofa__timerq_run(sofa__timerq *q, uint64_t now, const int *stop)
{
    q->running = 1;
    q->armed_for = 0;
    while (q->n && q->heap[0]->when <= now) {
        sofa__tentry *e = q->heap[0];
        sofa__timerq_remove(q, e);
        e->cb(e, e->arg);
        if (stop && *stop)
            break;
    }
    q->running = 0;
}

void sofa__timerq_arm(sofa__timerq *q)
{
    if (!q->timer || !q->io)
        return;
    if (q->n == 0) {
        if (q->armed_for) {
            q->io->update_timer(q->io, q->timer, SOFA_IO_UNWATCH, 0);
            q->armed_for = 0;
        }
        return;
    }
    uint64_t when = q->heap[0]->when;
    if (q->armed_for && q->armed_for == when)
        return;
    uint64_t now = sofa__now(q->io);
    uint64_t delay = when > now ? when - now : 0;
    if (q->io->update_timer(q->io, q->timer, SOFA_IO_WATCH, delay) == 0)
        q->armed_for = when ? when : 1;
}

void sofa__timerq_free(sofa__timerq *q)
{
    for (size_t i = 0; i < q->n; i++)
        q->heap[i]->idx = SOFA__TENTRY_IDLE;
    free(q->heap);
    q->heap = NULL;
    q->n = q->cap = 0;
}
