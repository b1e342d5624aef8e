/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * The loop guard: an owner's pair of functions called around every callback that a
 * connection (or a request on it) receives from the event loop, outermost first and last.
 * The owner uses it to defer its own destruction while sofa code is on the stack: leave()
 * may free everything, so the caller copies the guard before enter() and touches nothing
 * after leave().
 */
#ifndef SOFA_IO_GUARD_H
#define SOFA_IO_GUARD_H

typedef struct sofa__io_guard {
    void (*enter)(void *arg);
    void (*leave)(void *arg);
    void *arg;
} sofa__io_guard;

static inline void sofa__guard_enter(const sofa__io_guard *g)
{
    if (g && g->enter) {
        g->enter(g->arg);
    }
}

static inline void sofa__guard_leave(sofa__io_guard g)
{
    if (g.leave) {
        g.leave(g.arg);
    }
}

#endif
