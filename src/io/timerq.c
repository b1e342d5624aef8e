/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
#include "io/timerq.h"

#include <stdlib.h>
#include <time.h>

#include "sofa/status.h"

uint64_t sofa__mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void proxy_fire(sofa__tentry *e, void *arg);

void sofa__timerq_init(sofa__timerq *q, sofa_iops *io)
{
    q->heap = NULL;
    q->n = q->cap = 0;
    q->io = io;
    q->timer = NULL;
    q->armed_for = 0;
    q->running = 0;
    q->lhead = q->ltail = NULL;
    q->firing_list = 0;
    sofa__tentry_init(&q->proxy, proxy_fire, q);
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
    n += 1; /* always room for the list's proxy: inserting it never allocates */
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

static void heap_remove(sofa__timerq *q, sofa__tentry *e)
{
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
}

/* Insert or move a heap entry. Moving never allocates. */
static int heap_set(sofa__timerq *q, sofa__tentry *e, uint64_t when, int is_proxy)
{
    if (e->idx != SOFA__TENTRY_IDLE) {
        uint64_t old = e->when;
        e->when = when;
        if (when < old)
            sift_up(q, e->idx);
        else
            sift_down(q, e->idx);
        return 0;
    }
    if (!is_proxy && q->n + 1 >= q->cap && sofa__timerq_reserve(q, q->n + 1) != 0)
        return SOFA_E_NO_MEMORY;
    e->when = when;
    place(q, q->n++, e);
    sift_up(q, e->idx);
    return 0;
}

/*
 * The proxy's time is never later than the list head's (proxy_lag): when the head leaves
 * the list (an operation answered, the common case) the proxy keeps its time instead of
 * moving down the heap for every operation. An early proxy is harmless: when it fires,
 * proxy_fire finds the head not due yet and puts the proxy back at the head's time; and
 * sofa__timerq_arm / sofa__timerq_top bring it up to date first, so the IOPS timer is
 * armed for the real earliest entry and never wakes up early because of it.
 */
static int proxy_lag(const sofa__timerq *q)
{
    return q->heap && q->n && q->heap[0] == &q->proxy && q->lhead &&
           q->proxy.when < q->lhead->when && !q->firing_list;
}

/* Put the proxy at the list head's time (or out of the heap when the list is empty). */
static void proxy_sync(sofa__timerq *q)
{
    if (q->firing_list)
        return; /* the proxy's callback re-syncs when it ends */
    if (!q->lhead) {
        if (q->proxy.idx != SOFA__TENTRY_IDLE)
            heap_remove(q, &q->proxy);
        return;
    }
    (void)heap_set(q, &q->proxy, q->lhead->when, 1); /* room is always reserved */
}

static void list_unlink(sofa__timerq *q, sofa__tentry *e)
{
    if (e->lprev)
        e->lprev->lnext = e->lnext;
    else
        q->lhead = e->lnext;
    if (e->lnext)
        e->lnext->lprev = e->lprev;
    else
        q->ltail = e->lprev;
    e->lnext = e->lprev = NULL;
    e->idx = SOFA__TENTRY_IDLE;
}

static void maybe_arm(sofa__timerq *q, uint64_t when)
{
    if (!q->running && (q->armed_for == 0 || when < q->armed_for))
        sofa__timerq_arm(q);
}

/* Out of memory for the heap: put a moved entry into the list at its sorted place instead
 * (a walk from the tail; only on this rare path), so that moving never fails. */
static void list_insert_sorted(sofa__timerq *q, sofa__tentry *e, uint64_t when)
{
    sofa__tentry *after = q->ltail;
    while (after && after->when > when)
        after = after->lprev;
    e->when = when;
    e->idx = SOFA__TENTRY_LISTED;
    e->lprev = after;
    e->lnext = after ? after->lnext : q->lhead;
    if (e->lnext)
        e->lnext->lprev = e;
    else
        q->ltail = e;
    if (after)
        after->lnext = e;
    else
        q->lhead = e;
    if (q->lhead == e)
        proxy_sync(q);
}

int sofa__timerq_add(sofa__timerq *q, sofa__tentry *e, uint64_t when)
{
    int moved = e->idx != SOFA__TENTRY_IDLE;
    if (e->idx == SOFA__TENTRY_LISTED) {
        list_unlink(q, e);
        if (!q->lhead) /* a later head keeps the proxy's earlier time: see proxy_lag */
            proxy_sync(q);
    }
    if (e->idx == SOFA__TENTRY_IDLE && (!q->ltail || when >= q->ltail->when)) {
        if (q->proxy.idx == SOFA__TENTRY_IDLE && !q->firing_list && q->n + 1 > q->cap &&
            sofa__timerq_reserve(q, q->n) != 0)
            return SOFA_E_NO_MEMORY;
        e->when = when;
        e->idx = SOFA__TENTRY_LISTED;
        e->lnext = NULL;
        e->lprev = q->ltail;
        if (q->ltail)
            q->ltail->lnext = e;
        else
            q->lhead = e;
        q->ltail = e;
        if (q->lhead == e)
            proxy_sync(q);
    } else if (heap_set(q, e, when, 0) != 0) {
        if (!moved)
            return SOFA_E_NO_MEMORY;
        list_insert_sorted(q, e, when); /* a queued entry stays queued */
    }
    maybe_arm(q, when);
    return 0;
}

void sofa__timerq_remove(sofa__timerq *q, sofa__tentry *e)
{
    if (e->idx == SOFA__TENTRY_IDLE)
        return;
    if (e->idx == SOFA__TENTRY_LISTED) {
        list_unlink(q, e);
        if (!q->lhead) /* a later head keeps the proxy's earlier time: see proxy_lag */
            proxy_sync(q);
        return;
    }
    heap_remove(q, e);
    /* The IOPS timer may now fire early for nothing; run() then re-arms. Cheaper than
     * re-arming on every removal. */
}

sofa__tentry *sofa__timerq_top(const sofa__timerq *q)
{
    if (!q->n)
        return NULL;
    if (q->heap[0] != &q->proxy)
        return q->heap[0];
    /* the proxy may be early (proxy_lag): the earliest is the list head or the smaller of
     * the root's children */
    sofa__tentry *best = q->lhead;
    for (size_t i = 1; i <= 2 && i < q->n; i++)
        if (!best || q->heap[i]->when < best->when)
            best = q->heap[i];
    return best;
}

/* The list's head is due: fire list entries in order while they are due. */
static void proxy_fire(sofa__tentry *e, void *arg)
{
    sofa__timerq *q = arg;
    (void)e;
    q->firing_list = 1;
    while (q->lhead && q->lhead->when <= q->run_now && !(q->run_stop && *q->run_stop)) {
        if (q->n && q->heap[0]->when < q->lhead->when)
            break; /* a heap entry comes first: back to the run loop (keeps time order) */
        sofa__tentry *x = q->lhead;
        list_unlink(q, x);
        x->cb(x, x->arg);
    }
    q->firing_list = 0;
    proxy_sync(q);
}

void sofa__timerq_run(sofa__timerq *q, uint64_t now, const int *stop)
{
    q->running = 1;
    q->armed_for = 0;
    q->run_now = now;
    q->run_stop = stop;
    /* the stop flag is checked before every entry, the first included: a run that starts
     * with it already set (the client was freed by an earlier event of the same loop turn)
     * fires nothing */
    while (q->n && q->heap[0]->when <= now && !(stop && *stop)) {
        sofa__tentry *e = q->heap[0];
        heap_remove(q, e);
        e->cb(e, e->arg);
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
    if (proxy_lag(q))
        proxy_sync(q); /* arm for the real earliest time */
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
    while (q->lhead)
        list_unlink(q, q->lhead);
    free(q->heap);
    q->heap = NULL;
    q->n = q->cap = 0;
}
