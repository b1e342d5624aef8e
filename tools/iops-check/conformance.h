/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * The IOPS conformance scenarios: one set of checks of the contract in
 * include/sofa/iops.h, run by the cmocka suite (tests/io/) against every plugin
 * sofa ships and by sofa-iops-check against any third-party plugin. Uses only
 * the public headers.
 */
#ifndef SOFA_TOOLS_IOPS_CHECK_CONFORMANCE_H
#define SOFA_TOOLS_IOPS_CHECK_CONFORMANCE_H

#include <stddef.h>

#include "sofa/iops.h"

/** How a scenario gets a fresh plugin table and drives it. */
typedef struct iopscheck_factory {
    const char *name;
    /** Create a fresh table (a new loop each time). 0 or a negative sofa_status. */
    int (*create)(void *ctx, sofa_iops **out);
    /** Release a table from create() (and the application loop, if any). */
    void (*destroy)(void *ctx, sofa_iops *io);
    /** External-loop mode: run the application's loop once, blocking until at
     *  least one callback fired (event_base_loop(EVLOOP_ONCE), ev_run(EVRUN_ONCE)).
     *  NULL: the plugin owns its loop and start_watching() blocks. */
    void (*run_once)(void *ctx, sofa_iops *io);
    void *ctx;
} iopscheck_factory;

/** One scenario: 0 = passed, otherwise failed with a message in @p err. */
typedef int (*iopscheck_fn)(const iopscheck_factory *f, char *err, size_t errlen);

typedef struct iopscheck_scenario {
    const char *name;
    iopscheck_fn run;
} iopscheck_scenario;

/** Every scenario, in a fixed order; *count receives the number. */
const iopscheck_scenario *iopscheck_scenarios(size_t *count);

/** Raise RLIMIT_NOFILE so that @p want descriptors can be open. 0 or -1. */
int iopscheck_raise_nofile(size_t want);

#endif /* SOFA_TOOLS_IOPS_CHECK_CONFORMANCE_H */
