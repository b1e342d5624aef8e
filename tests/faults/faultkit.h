/* Fault tests: a load driver that keeps many mixed KV operations in flight through the
 * public API only, counts every callback per operation (zero lost, zero doubled), checks
 * every status against an expected set and injects mock faults at chosen points of the run
 * (from inside a callback, so they hit while operations are on the wire). */
#ifndef SOFA_TESTS_FAULTS_FAULTKIT_H
#define SOFA_TESTS_FAULTS_FAULTKIT_H

#include <stddef.h>
#include <stdint.h>

#include "sofa/sofa.h"
#include "support/mockproc.h"

enum { FK_MAX_FAULTS = 8, FK_MULTI_KEYS = 5, FK_STATUS_SLOTS = 64 };

/* A mock control call made once the run has completed @at operations. */
typedef struct fk_fault {
    int at;
    const char *path; /* "/mock/...", or an argument for fk_load.fault_fn */
    int done;
    int http_status;  /* what the control API answered */
} fk_fault;

typedef struct fk_load fk_load;

/* One scheduled operation: its callback count is checked at the end. */
typedef struct fk_slot {
    fk_load *load;
    unsigned calls;
    int kind;
    int status;
} fk_slot;

struct fk_load {
    sofa_client *c;
    sofa_test_mock *mock;     /* for the faults; may be NULL */
    int budget;               /* operations to schedule in all */
    int inflight;             /* operations kept in flight */
    int nkeys;                /* key space */
    unsigned seed;            /* xorshift state */
    int scheduled, completed;
    int ok, item, failed;     /* OK; item statuses (not found...); error statuses */
    int unexpected;           /* statuses outside the expected set */
    int submit_errors;        /* submit calls that returned != 0 */
    int late;                 /* callbacks after the client was freed */
    int freed;                /* set by the test right before a sofa_client_free() */
    /* free the client from inside the callback that completes this many operations
     * (0 = never): later callbacks must all be SOFA_E_CANCELED, none after on_destroyed */
    int free_at;
    int freeing;              /* sofa_client_free() was called from a callback */
    int not_canceled;         /* callbacks after that with another status */
    int destroyed;            /* on_destroyed calls */
    int strict;               /* 1: only OK / item statuses are expected (recovery) */
    int fired_once_more;      /* a slot fired twice */
    fk_slot *slots;
    fk_fault faults[FK_MAX_FAULTS];
    int nfaults;
    /* statuses seen, for the report: status -> count (small open table) */
    int st_code[FK_STATUS_SLOTS];
    int st_count[FK_STATUS_SLOTS];
    /* when set, faults call this instead of the mock's control API; returns an HTTP-like
     * status (200 = done) */
    int (*fault_fn)(fk_load *l, const char *what);
    void *fault_arg;
    /* called when the last operation completed (application-loop mode breaks its loop) */
    void (*on_done)(fk_load *l);
    void *loop_arg;
    int done;
};

/* Prepare @l (zeroes it, allocates the slots). Returns 0 or -1. */
int fk_load_init(fk_load *l, sofa_client *c, sofa_test_mock *mock, int budget, int inflight,
                 unsigned seed);
void fk_load_add_fault(fk_load *l, int at, const char *path);
/* Schedule the first window of operations (the callbacks schedule the rest). */
void fk_load_start(fk_load *l);
/* Print the status histogram and counters to stderr, prefixed by @tag. */
void fk_load_report(const fk_load *l, const char *tag);
/* 1 when every slot fired exactly once, no status was unexpected, nothing fired late. */
int fk_load_clean(const fk_load *l);
void fk_load_free(fk_load *l);

/* The status set the load accepts while faults are active. */
int fk_status_expected(int kind, sofa_status st, int strict);

/* A client for the mock with operation_timeout=500ms unless @extra sets it; @extra (options
 * "k=v&k=v", may be "") is appended. */
sofa_client *fk_client(const sofa_test_mock *m, const char *extra, sofa_iops *io);
/* Connect with sofa_client_wait; returns the connect status. */
int fk_connect_wait(sofa_client *c);

/* Run a strict load (no faults) of @n operations repeatedly (each round via @run) until a
 * round is all OK/item statuses or @max_ms passed. Returns 1 when the client recovered. */
int fk_recover(sofa_client *c, void (*run)(fk_load *l), int n, int max_ms);

void fk_sleep_ms(int ms);
int64_t fk_now_ms(void);

#endif /* SOFA_TESTS_FAULTS_FAULTKIT_H */
