/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* Shared helpers of the conformance scenarios (private to tools/iops-check). */
#ifndef SOFA_TOOLS_IOPS_CHECK_HARNESS_H
#define SOFA_TOOLS_IOPS_CHECK_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "conformance.h"

/* The longest any single scenario waits for its callbacks. */
#define HARNESS_WATCHDOG_MS 10000
/* Socket pairs one scenario may open with harness_open_pair(). */
#define HARNESS_MAX_PAIRS 4

typedef struct evrec evrec;
typedef struct tmrec tmrec;

typedef struct harness {
    const iopscheck_factory *f;
    sofa_iops *io;
    char *err;
    size_t errlen;
    int failed;
    int done;      /* the scenario's callbacks reached their goal */
    int timed_out; /* the watchdog fired */
    int seq;       /* order of timer firings */
    sofa_io_timer *watchdog;
    evrec *evs; /* every record ev_open()ed, for harness_end() */
    tmrec *tms; /* every record tm_open()ed, for harness_end() */
    int *pairs[HARNESS_MAX_PAIRS]; /* from harness_open_pair(), closed by harness_end() */
    int npairs;
} harness;

struct evrec {
    harness *h;
    sofa_io_event *ev;
    int fd;
    int watched;    /* flags of the last WATCH, 0 when not watched */
    int count;      /* deliveries */
    int last_fired; /* flags of the last delivery */
    int bad;        /* delivered while not watched, or flags outside the watched set */
    int expect;     /* scenario-specific */
    void (*on_fire)(evrec *r, int fired);
    evrec *other;
    evrec *next_open; /* harness.evs */
};

struct tmrec {
    harness *h;
    sofa_io_timer *t;
    int armed;
    uint64_t armed_at_ns; /* CLOCK_MONOTONIC just before the WATCH call */
    uint64_t delay_us;
    int count;
    int order; /* h->seq at the last firing */
    int early; /* firings before delay_us had passed */
    int bad;   /* fired while not armed */
    int expect;
    void (*on_fire)(tmrec *r);
    tmrec *other;
    tmrec *next_open; /* harness.tms */
};

#define CHECK(h, cond, ...)                                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            harness_fail((h), __LINE__, __VA_ARGS__);                                              \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

uint64_t harness_now_ns(void);
void harness_fail(harness *h, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Create the plugin; 0, or -1 with the message set. */
int harness_begin(harness *h, const iopscheck_factory *f, char *err, size_t errlen);
/* Release everything: CLEANUP of every event and timer record opened with
 * ev_open()/tm_open() and not cleaned up yet (the records must still exist),
 * the watchdog, the plugin, then the pairs of harness_open_pair(). Returns 0 if
 * the scenario passed. */
int harness_end(harness *h);
/* Drive the loop until h->done or the watchdog (ms). 0 = done. */
int harness_run(harness *h, unsigned ms);
/* Drive the loop for exactly about @p ms (nothing sets done). 0 or -1. */
int harness_run_for(harness *h, unsigned ms);
/* Mark the scenario done and stop the loop. */
void harness_done(harness *h);

/* A non-blocking AF_UNIX stream pair. 0 or -1. */
int harness_pair(int fds[2]);
void harness_close_pair(int fds[2]);
/* The usual start of a socket scenario: a pair into @p fds (closed by harness_end()),
 * a byte sent from fds[1] to fds[0] if @p data, an event @p a on fds[0] and one
 * @p b on fds[1] (each if not NULL). 0, or -1 with the failure recorded. */
int harness_open_pair(harness *h, int fds[2], int data, evrec *a, evrec *b);
int harness_send_byte(int fd);

/* Create an event for @p fd into @p r (which is reset); harness_end() cleans it up. */
int ev_open(harness *h, evrec *r, int fd);
int ev_watch(evrec *r, int flags);
int ev_unwatch(evrec *r);
int ev_cleanup(evrec *r);

/* Create a timer into @p r (which is reset); harness_end() cleans it up. */
int tm_open(harness *h, tmrec *r);
int tm_arm(tmrec *r, uint64_t usecs);
int tm_cancel(tmrec *r);
int tm_cleanup(tmrec *r);

/* The scenario tables of each file. */
extern const iopscheck_scenario iopscheck_io_scenarios[];
extern const size_t iopscheck_io_count;
extern const iopscheck_scenario iopscheck_timer_scenarios[];
extern const size_t iopscheck_timer_count;

#endif /* SOFA_TOOLS_IOPS_CHECK_HARNESS_H */
