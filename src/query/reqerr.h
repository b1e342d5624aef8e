/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* The request builders' (n1ql_req.c, view_req.c) rejection of bad input. */
#ifndef SOFA_QUERY_REQERR_H
#define SOFA_QUERY_REQERR_H

#include <stddef.h>

/* Format the reason into @p err (if not NULL and @p errlen > 0; truncated to fit) and
 * return SOFA_E_INVALID_ARGUMENT. */
int sofa__q_bad_arg(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif /* SOFA_QUERY_REQERR_H */
