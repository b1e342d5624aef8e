/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/**
 * @file plugins/libevent.h
 * @brief The libevent 2.1 IOPS plugin (libsofa_libevent; pkg-config sofa_libevent).
 *
 * Link with -lsofa_libevent to build the table yourself, or load it at run time
 * with sofa_iops_load("libevent", ...), `iops=libevent` or SOFA_IOPS=libevent.
 * libsofa itself never links libevent.
 */
#ifndef SOFA_PLUGINS_LIBEVENT_H
#define SOFA_PLUGINS_LIBEVENT_H

#include "sofa/iops.h"
#include "sofa/visibility.h"

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;

/**
 * Create an IOPS table on libevent.
 * @param base  NULL: the plugin creates and owns an event_base (with
 *              EVENT_BASE_FLAG_PRECISE_TIMER); start_watching() runs it until
 *              stop_watching() or until nothing is watched or armed.
 *              Non-NULL: the application's base; start_watching() returns at
 *              once, callbacks fire from the application's event_base_dispatch(),
 *              and the plugin never frees the base (it must outlive the table).
 * @param out   receives the table; release it with sofa_iops_free() (or its
 *              destroy member), which also removes every remaining event from
 *              the base.
 * @return 0, SOFA_E_INVALID_ARGUMENT (out is NULL), SOFA_E_NO_MEMORY, or
 *         SOFA_E_PLUGIN_INIT (libevent could not create a base).
 */
SOFA_API int sofa_iops_libevent_new(struct event_base *base, sofa_iops **out);

#ifdef __cplusplus
}
#endif
#endif /* SOFA_PLUGINS_LIBEVENT_H */
