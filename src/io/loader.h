/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * Choosing and loading an IOPS plugin (internal side of sofa_iops_load()).
 *
 * Where the loader looks for a plugin named NAME (no '/'), in this order:
 *   1. every directory in the environment variable SOFA_PLUGIN_PATH
 *      (colon-separated; used by the test suite to find plugins in the build
 *      tree, and by users who install plugins elsewhere): DIR/libsofa_NAME.so
 *   2. sofa's install libdir (SOFA_PLUGIN_DIR): LIBDIR/libsofa_NAME.so
 *   3. the dynamic loader's own search (LD_LIBRARY_PATH, ld.so.cache): libsofa_NAME.so
 * A file that does not exist is skipped; a file that exists but fails to load
 * stops the search with that error (never a silent fallback to another file).
 * A NAME containing '/' is a path and is opened as given.
 */
#ifndef SOFA_IO_LOADER_H
#define SOFA_IO_LOADER_H

#include <stddef.h>

#include "sofa/iops.h"

/** Longest plugin short name ("libevent"); longer names are SOFA_E_INVALID_ARGUMENT. */
#define SOFA__IOPS_NAME_MAX 64
/** Longest plugin path or spec accepted. */
#define SOFA__IOPS_SPEC_MAX 4096
/** The environment variables the loader reads. */
#define SOFA__IOPS_ENV "SOFA_IOPS"
#define SOFA__IOPS_PATH_ENV "SOFA_PLUGIN_PATH"

/**
 * Pick the IOPS table for a client. The first of these that applies wins:
 *   1. an explicit table: *out is non-NULL on entry (the application built or
 *      loaded it). It is checked (struct_size, required members) and kept;
 *      *owned = 0: the client must never destroy it.
 *   2. @p connstr_iops, the value of the connection string option `iops=`, when
 *      non-NULL and non-empty;
 *   3. the environment variable SOFA_IOPS when set and non-empty;
 *   4. the built-in select plugin.
 * A spec (2 or 3) is "select" or "default" (the built-in select plugin, no file
 * needed), a short name ("libevent", "libev": loaded by sofa_iops_load()), or a
 * path containing '/' optionally followed by ":SYMBOL" for a third-party entry
 * symbol (e.g. "/opt/x/libmyio.so:my_iops_create"). Loaded plugins own their
 * loop (sofa_iops_load with loop = NULL).
 *
 * @param connstr_iops  the `iops=` option or NULL.
 * @param out           in: an explicit table or NULL; out: the table to use.
 * @param owned         receives 1 when the caller must release *out with
 *                      sofa_iops_free(), 0 for an explicit table.
 * @param errbuf        if not NULL, receives a message naming where the spec came
 *                      from (connection string or SOFA_IOPS) and every file tried.
 * @return 0; SOFA_E_INVALID_ARGUMENT (NULL out/owned, malformed spec);
 *         SOFA_E_PLUGIN_NOT_FOUND, SOFA_E_PLUGIN_SYMBOL, SOFA_E_PLUGIN_VERSION,
 *         SOFA_E_PLUGIN_INIT from loading (never falls back to select);
 *         SOFA_E_PLUGIN_VERSION or SOFA_E_PLUGIN_INIT for a bad explicit table;
 *         SOFA_E_NO_MEMORY.
 * The caller should log io->name at debug level so the choice is visible.
 */
int sofa__iops_choose(const char *connstr_iops, sofa_iops **out, int *owned, char *errbuf,
                      size_t errlen);

/** What an `iops=` / SOFA_IOPS spec names. */
typedef enum sofa__iops_spec_kind {
    SOFA__IOPS_SPEC_BUILTIN = 1, /**< "select" or "default": the built-in select plugin */
    SOFA__IOPS_SPEC_NAME = 2,    /**< a short name: libsofa_NAME.so on the search path */
    SOFA__IOPS_SPEC_PATH = 3     /**< a path (contains '/'), optionally with :SYMBOL */
} sofa__iops_spec_kind;

typedef struct sofa__iops_spec {
    sofa__iops_spec_kind kind;
    char name[SOFA__IOPS_SPEC_MAX + 1];     /**< the short name or the path */
    char symbol[SOFA__IOPS_NAME_MAX * 2 + 1]; /**< the entry symbol; "" = the default */
} sofa__iops_spec;

/**
 * Parse a spec (sans-I/O: no file is touched). "select"/"default" is the
 * built-in plugin; a string without '/' must be a short name (1..64 of A-Z a-z
 * 0-9 _ -); a string with '/' is a path, and a ":SYMBOL" after its last '/' is
 * split off when SYMBOL is a C identifier (at most 128 characters).
 * @param spec  @p len bytes, not necessarily NUL-terminated; a NUL inside is invalid.
 * @return 0, or SOFA_E_INVALID_ARGUMENT (empty, too long, bad characters).
 */
int sofa__iops_parse_spec(const char *spec, size_t len, sofa__iops_spec *out);

/**
 * Check that a table can be used: struct_size covers every required member
 * (through destroy) and none of them is NULL.
 * @return 0, SOFA_E_INVALID_ARGUMENT (NULL), SOFA_E_PLUGIN_VERSION (struct_size too
 *         small) or SOFA_E_PLUGIN_INIT (a required member is NULL).
 */
int sofa__iops_check(const sofa_iops *io, char *errbuf, size_t errlen);

/** Whether @p io provides the optional now() member (struct_size covers it, non-NULL). */
static inline int sofa__iops_has_now(const sofa_iops *io)
{
    return io->struct_size >= offsetof(sofa_iops, now) + sizeof(io->now) && io->now != NULL;
}

#endif /* SOFA_IO_LOADER_H */
