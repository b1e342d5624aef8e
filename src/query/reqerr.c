/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
#include "query/reqerr.h"

#include <stdarg.h>
#include <stdio.h>

#include "sofa/status.h"

int sofa__q_bad_arg(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return SOFA_E_INVALID_ARGUMENT;
}
