/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/**
 * @file plugins/libev.h
 * @brief The libev 4 IOPS plugin (libsofa_libev; pkg-config sofa_libev).
 *
 * Link with -lsofa_libev to build the table yourself, or load it at run time
 * with sofa_iops_load("libev", ...), `iops=libev` or SOFA_IOPS=libev.
 * libsofa itself never links libev.
 */
#ifndef SOFA_PLUGINS_LIBEV_H
#define SOFA_PLUGINS_LIBEV_H

#include "sofa/iops.h"
#include "sofa/visibility.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ev_loop;

/**
 * Create an IOPS table on libev.
 * @param loop  NULL: the plugin creates and owns a loop (ev_loop_new with
 *              EVFLAG_AUTO); start_watching() runs it (ev_run) until
 *              stop_watching() or until nothing is watched or armed.
 *              Non-NULL: the application's loop; start_watching() returns at
 *              once, callbacks fire from the application's ev_run(), and the
 *              plugin never destroys the loop (it must outlive the table).
 * @param out   receives the table; release it with sofa_iops_free() (or its
 *              destroy member), which also stops every remaining watcher on
 *              the loop.
 * @return 0, SOFA_E_INVALID_ARGUMENT (out is NULL), SOFA_E_NO_MEMORY, or
 *         SOFA_E_PLUGIN_INIT (libev could not create a loop).
 */
SOFA_API int sofa_iops_libev_new(struct ev_loop *loop, sofa_iops **out);

#ifdef __cplusplus
}
#endif
#endif /* SOFA_PLUGINS_LIBEV_H */
