/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * The deadline queue: timer entries driven by ONE armed IOPS timer. Every deadline of a
 * client (operation timeouts, retry backoffs, connect timeouts, config polling, deferred
 * callbacks) is an entry here; the IOPS timer is armed for the earliest one. Nothing ever
 * scans all pending operations.
 *
 * Two structures hold the entries: a sorted list to which an entry is appended when its
 * time is not earlier than the list's last (the common case: operations submitted one
 * after another with the same timeout), O(1) to add and to remove; and a binary min-heap
 * (O(log n)) for the rest. The list takes part in the heap through one proxy entry for
 * its head.
 *
 * Entries are intrusive (embedded in the owner's struct) and never allocated here.
 * The owner creates the IOPS timer, and from its callback calls sofa__timerq_run()
 * (which fires every due entry) and then sofa__timerq_arm().
 */
#ifndef SOFA_IO_TIMERQ_H
#define SOFA_IO_TIMERQ_H

#include <stddef.h>
#include <stdint.h>

#include "sofa/iops.h"

#define SOFA__TENTRY_IDLE ((size_t)-1)
#define SOFA__TENTRY_LISTED ((size_t)-2) /* in the sorted list */

typedef struct sofa__tentry sofa__tentry;
typedef void (*sofa__tentry_cb)(sofa__tentry *e, void *arg);

struct sofa__tentry {
    uint64_t when; /* absolute, microseconds on the queue's clock */
    size_t idx;    /* position in the heap, SOFA__TENTRY_LISTED, or SOFA__TENTRY_IDLE */
    sofa__tentry_cb cb;
    void *arg;
    sofa__tentry *lnext, *lprev; /* sorted list links */
};

typedef struct sofa__timerq {
    sofa__tentry **heap;
    size_t n, cap;
    sofa_iops *io;
    sofa_io_timer *timer; /* set by the owner */
    uint64_t armed_for;   /* absolute time the IOPS timer was armed for; 0 = not armed */
    int running;          /* inside sofa__timerq_run: arm once at the end */
    sofa__tentry *lhead, *ltail; /* the sorted list */
    sofa__tentry proxy;          /* the list's head in the heap */
    int firing_list;             /* inside the proxy's callback */
    uint64_t run_now;            /* the current sofa__timerq_run's time and stop flag */
    const int *run_stop;
} sofa__timerq;

/* CLOCK_MONOTONIC in microseconds. */
uint64_t sofa__mono_us(void);
/* Monotonic microseconds: io->now when the plugin provides it, else CLOCK_MONOTONIC. */
static inline uint64_t sofa__now(const sofa_iops *io)
{
    if (io && io->struct_size >= offsetof(sofa_iops, now) + sizeof(io->now) && io->now)
        return io->now((sofa_iops *)io);
    return sofa__mono_us();
}

static inline void sofa__tentry_init(sofa__tentry *e, sofa__tentry_cb cb, void *arg)
{
    e->when = 0;
    e->idx = SOFA__TENTRY_IDLE;
    e->cb = cb;
    e->arg = arg;
    e->lnext = e->lprev = NULL;
}
static inline int sofa__tentry_queued(const sofa__tentry *e)
{
    return e->idx != SOFA__TENTRY_IDLE;
}

void sofa__timerq_init(sofa__timerq *q, sofa_iops *io);
/* Queue (or move) @p e to fire at @p when. 0, or SOFA_E_NO_MEMORY (only when @p e was not
 * queued; it stays unqueued). Moving an entry that is queued never fails. */
int sofa__timerq_add(sofa__timerq *q, sofa__tentry *e, uint64_t when);
/* Unqueue @p e; no-op when it is not queued. */
void sofa__timerq_remove(sofa__timerq *q, sofa__tentry *e);
/* Pre-size the heap for @p n entries: 0 or SOFA_E_NO_MEMORY. */
int sofa__timerq_reserve(sofa__timerq *q, size_t n);
/* Fire every entry due at @p now (each is unqueued before its callback, which may add or
 * remove entries). @p stop, when not NULL, is checked before each callback: non-zero ends
 * the run early, or fires nothing when already set (the client was asked to go away). */
void sofa__timerq_run(sofa__timerq *q, uint64_t now, const int *stop);
/* Arm the IOPS timer for the earliest entry (or leave it unarmed when empty). */
void sofa__timerq_arm(sofa__timerq *q);
/* The earliest entry or NULL. */
sofa__tentry *sofa__timerq_top(const sofa__timerq *q);
/* Release the heap (entries are the owners'); does not touch the IOPS timer. */
void sofa__timerq_free(sofa__timerq *q);

#endif
