/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* Helpers shared by the connection-string parser's files (connstr.c, connstr_opts.c). */
#ifndef SOFA_CORE_CONNSTR_UTIL_H
#define SOFA_CORE_CONNSTR_UTIL_H

#include <stddef.h>

#include "core/connstr.h"

/* How much of a user-supplied piece is quoted in an error message. */
#define SOFA__CONNSTR_QUOTE_MAX 48

typedef struct sofa__cs_ctx {
    sofa__connstr *cs;
    char *errbuf;
    size_t errlen;
    unsigned long seen; /* bit per option already given */
    int bucket_in_path;
    int bootstrap_given; /* bootstrap_on was in the string */
} sofa__cs_ctx;

/* Writes the formatted message to ctx->errbuf and returns @code. */
int sofa__cs_fail(sofa__cs_ctx *ctx, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Copies at most SOFA__CONNSTR_QUOTE_MAX bytes of s[0..n) into dst (size dstlen),
 * replacing non-printable bytes by '?' and appending "..." when cut. */
void sofa__cs_quote(char *dst, size_t dstlen, const char *s, size_t n);

/* Percent-decodes s[0..n) into a new NUL-terminated string (*out, freed by the caller).
 * Returns 0, SOFA_E_CONNSTR_SYNTAX (bad %XX or a decoded NUL) or SOFA_E_NO_MEMORY;
 * on error a message naming @what is written. */
int sofa__cs_decode(sofa__cs_ctx *ctx, const char *s, size_t n, const char *what, char **out);

/* Checks a decoded bucket name (1..100 bytes of A-Z a-z 0-9 . _ - %). */
int sofa__cs_check_bucket(sofa__cs_ctx *ctx, const char *bucket);

/* Applies one "key=value" option (raw, still percent-encoded). */
int sofa__cs_option(sofa__cs_ctx *ctx, const char *kv, size_t n);

/* Sets every option to its default. */
void sofa__cs_defaults(sofa__connstr *cs);

#endif /* SOFA_CORE_CONNSTR_UTIL_H */
