/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/**
 * @file iops.h
 * @brief The I/O operations table (IOPS): how sofa's engine talks to an event loop.
 *
 * The engine never blocks and never owns the loop. It does its own non-blocking
 * socket I/O and asks a plugin, through this table, to tell it when a socket is
 * ready and to fire timers. A plugin binds the table to a real loop (select,
 * libevent, libev) or to a language binding's own loop.
 *
 * ## The contract (docs/iops.md gives the reason for each rule)
 *
 * 1. Objects. The plugin allocates every event and timer (event_new / timer_new)
 *    and may embed the public struct as the first member of a larger object of its
 *    own. The engine fills in nothing but what the constructors take.
 * 2. Events are one-shot. update_event(WATCH, flags) asks for one delivery of
 *    readiness for any of @c flags (SOFA_IO_READ, SOFA_IO_WRITE or both). When the
 *    plugin delivers (calls ev->cb(ev, fired, ev->arg)), the event is no longer
 *    watched until the engine asks again. WATCH on an event that is already
 *    watched replaces its flags.
 * 3. UNWATCH stops watching; nothing is delivered for that event afterwards,
 *    even if readiness was already seen in the current loop iteration. CLEANUP
 *    also releases the event; the engine never touches it again, and the plugin
 *    defers the actual free if it is inside that event's dispatch. The engine
 *    UNWATCHes or CLEANs UP an event before it closes the socket (epoll forgets
 *    closed descriptors silently; select reports EBADF).
 * 4. Timers are one-shot: update_timer(WATCH, usecs) fires timer->cb once, never
 *    earlier than @c usecs microseconds after the call (0 = on the next loop
 *    iteration, after pending I/O). WATCH on an armed timer re-arms it. UNWATCH
 *    cancels; CLEANUP cancels and releases.
 * 5. Re-entrancy. From inside any event or timer callback the engine may WATCH,
 *    UNWATCH or CLEANUP any event or timer (including the one being delivered),
 *    create new ones, and call stop_watching. The plugin must cope.
 * 6. start_watching() either runs the loop until stop_watching() is called
 *    (a plugin that owns its loop) or returns at once (a loop that the
 *    application runs: then callbacks fire from the application's loop).
 *    stop_watching() makes a running start_watching() return after the current
 *    callback. Calling stop_watching() when not running is a no-op. An owned
 *    loop also returns when nothing is watched and no timer is armed (no
 *    callback could ever stop it). start_watching() called from inside a
 *    callback of the same plugin returns at once.
 * 7. Loop ownership. A plugin created around a loop the application passed in
 *    never frees that loop. destroy() releases the plugin; the engine calls it
 *    only after CLEANUP of every event and timer it created. Plugins still free
 *    (and remove from the loop) whatever is left, and defer the release when
 *    destroy() is called from inside one of their callbacks.
 * 8. Errors. update_event/update_timer return 0 or a negative sofa_status
 *    (e.g. SOFA_E_FD_TOO_LARGE from the select plugin); they never abort.
 *
 * ## ABI
 * The table only grows, by appending fields. struct_size is set by the plugin
 * to sizeof(sofa_iops) as it was compiled; the engine reads a field only when
 * struct_size covers it. No unions, no versioned sub-tables.
 */
#ifndef SOFA_IOPS_H
#define SOFA_IOPS_H

#include <stddef.h>
#include <stdint.h>

#include "sofa/visibility.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Readiness flags. */
enum {
    SOFA_IO_READ = 1, /**< the socket is readable (data, EOF or an error) */
    SOFA_IO_WRITE = 2 /**< the socket is writable */
};

/** Actions for update_event and update_timer. */
typedef enum sofa_io_action {
    SOFA_IO_WATCH = 1,   /**< arm (again): one delivery, then it is unwatched */
    SOFA_IO_UNWATCH = 2, /**< disarm; nothing is delivered afterwards */
    SOFA_IO_CLEANUP = 3  /**< disarm and free; the pointer is invalid afterwards */
} sofa_io_action;

/** A plugin's function table (struct sofa_iops). */
typedef struct sofa_iops sofa_iops;
/** A socket watcher (struct sofa_io_event). */
typedef struct sofa_io_event sofa_io_event;
/** A one-shot timer (struct sofa_io_timer). */
typedef struct sofa_io_timer sofa_io_timer;

/** Readiness callback: @p fired is the subset of the watched flags that is ready. */
typedef void (*sofa_io_event_cb)(sofa_io_event *ev, int fired, void *arg);
/** Timer callback. */
typedef void (*sofa_io_timer_cb)(sofa_io_timer *timer, void *arg);

/** A socket watcher. Plugins embed it as the first member of their own object. */
struct sofa_io_event {
    int fd;              /**< the socket; set at creation, never changes */
    sofa_io_event_cb cb; /**< the engine's handler */
    void *arg;           /**< the engine's argument for cb */
};

/** A one-shot timer. Plugins embed it as the first member of their own object. */
struct sofa_io_timer {
    sofa_io_timer_cb cb; /**< the engine's handler */
    void *arg;           /**< the engine's argument for cb */
};

/** The table. See the contract above. */
struct sofa_iops {
    size_t struct_size; /**< sizeof(sofa_iops) as the plugin was compiled */
    const char *name;   /**< short plugin name, e.g. "libevent" (static storage) */
    void *data;         /**< the plugin's own state */

    /** Create an event for @p fd with handler @p cb; NULL when out of memory. */
    sofa_io_event *(*event_new)(sofa_iops *io, int fd, sofa_io_event_cb cb, void *arg);
    /** WATCH/UNWATCH/CLEANUP an event. @return 0 or a negative sofa_status. */
    int (*update_event)(sofa_iops *io, sofa_io_event *ev, sofa_io_action action, int flags);

    /** Create a timer with handler @p cb; NULL when out of memory. */
    sofa_io_timer *(*timer_new)(sofa_iops *io, sofa_io_timer_cb cb, void *arg);
    /** WATCH (arm @p usecs from now)/UNWATCH/CLEANUP a timer. @return 0 or a negative sofa_status. */
    int (*update_timer)(sofa_iops *io, sofa_io_timer *timer, sofa_io_action action,
                        uint64_t usecs);

    /** Run the loop until stop_watching(), or return at once for an external loop. */
    void (*start_watching)(sofa_iops *io);
    /** Make a running start_watching() return. */
    void (*stop_watching)(sofa_iops *io);

    /** Release the plugin (never a loop the application passed in). */
    void (*destroy)(sofa_iops *io);

    /** Optional (may be NULL): monotonic clock in microseconds. Used by test
     *  plugins with a manual clock; the engine uses CLOCK_MONOTONIC otherwise. */
    uint64_t (*now)(sofa_iops *io);
};

/**
 * The entry point every loadable plugin exports, under the name
 * SOFA_IOPS_ENTRY_SYMBOL ("sofa_iops_plugin_create").
 * @param loop   an application loop to wrap (struct event_base *, struct ev_loop *,
 *               ...), or NULL for the plugin to create and own its own loop.
 * @param out    receives the table.
 * @return 0 or a negative sofa_status.
 */
typedef int (*sofa_iops_create_fn)(void *loop, sofa_iops **out);
#define SOFA_IOPS_ENTRY_SYMBOL "sofa_iops_plugin_create"

/**
 * The built-in select(2) plugin (blocking; owns its loop). It refuses to WATCH a
 * descriptor >= FD_SETSIZE with SOFA_E_FD_TOO_LARGE.
 * @param out  receives the table; release it with sofa_iops_free() (or its destroy).
 * @return 0, SOFA_E_INVALID_ARGUMENT (@p out is NULL) or SOFA_E_NO_MEMORY.
 */
SOFA_API int sofa_iops_select_new(sofa_iops **out);

/**
 * Load a plugin at run time.
 * @param name    a short name ("select", "libevent", "libev"; 1..64 of A-Z a-z
 *                0-9 _ -): opens libsofa_<name>.so from each directory in the
 *                environment variable SOFA_PLUGIN_PATH (colon-separated), then
 *                from sofa's install libdir, then through the dynamic loader's
 *                own search (LD_LIBRARY_PATH, ld.so.cache). A missing file is
 *                skipped; a file that exists but fails to load ends the search.
 *                Or a path containing '/' to a third-party library, opened as given.
 * @param symbol  the entry symbol (a C identifier), or NULL for SOFA_IOPS_ENTRY_SYMBOL.
 * @param loop    passed to the entry point (NULL: the plugin owns its loop).
 * @param out     receives the table (NULL on error); release it with sofa_iops_free().
 * @param errbuf  if not NULL, receives a message naming each file tried and the
 *                loader's error (dlerror()); truncated to @p errlen.
 * @return 0; SOFA_E_INVALID_ARGUMENT (NULL name/out, malformed name or symbol);
 *         SOFA_E_PLUGIN_NOT_FOUND (no file could be loaded); SOFA_E_PLUGIN_SYMBOL
 *         (no entry symbol); SOFA_E_PLUGIN_INIT (the entry point failed or a
 *         required member is NULL); SOFA_E_PLUGIN_VERSION (struct_size too small);
 *         SOFA_E_NO_MEMORY. Never falls back silently to another plugin.
 */
SOFA_API int sofa_iops_load(const char *name, const char *symbol, void *loop, sofa_iops **out,
                            char *errbuf, size_t errlen);

/** Destroy a plugin table obtained from sofa_iops_select_new() or sofa_iops_load()
 *  (also closes the library it came from). NULL is a no-op. */
SOFA_API void sofa_iops_free(sofa_iops *io);

#ifdef __cplusplus
}
#endif
#endif /* SOFA_IOPS_H */
