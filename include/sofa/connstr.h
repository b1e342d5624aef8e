/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/**
 * @file connstr.h
 * @brief Checking a connection string without connecting.
 *
 * The grammar and every option are described in docs/connstr.md:
 * `couchbase://host1[:port][,host2...][/bucket][?key=value&...]`, `couchbases://`,
 * `http://host:8091/bucket` and `memcached://host1:11211,host2`.
 */
#ifndef SOFA_CONNSTR_H
#define SOFA_CONNSTR_H

#include <stddef.h>

#include "sofa/visibility.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Parse @p connstr the way a client would, and report the first problem.
 *
 * No I/O is done: host names are not resolved.
 *
 * @param connstr  the connection string (NUL-terminated; borrowed).
 * @param errbuf   where a one-line message naming the offending part is written (e.g.
 *                 "unknown option 'foo'"); "" on success. May be NULL if @p errlen is 0.
 *                 The message never contains the value of the `password` option.
 * @param errlen   size of @p errbuf; the message is truncated to fit.
 * @return SOFA_OK, or one of SOFA_E_CONNSTR_SCHEME, SOFA_E_CONNSTR_HOST,
 *         SOFA_E_CONNSTR_PORT, SOFA_E_CONNSTR_OPTION, SOFA_E_CONNSTR_DUPLICATE,
 *         SOFA_E_CONNSTR_VALUE, SOFA_E_CONNSTR_SYNTAX, SOFA_E_CONNSTR_BUCKET;
 *         SOFA_E_INVALID_ARGUMENT if @p connstr is NULL; SOFA_E_NO_MEMORY.
 */
SOFA_API int sofa_connstr_check(const char *connstr, char *errbuf, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif /* SOFA_CONNSTR_H */
