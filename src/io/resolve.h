/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* Asynchronous name resolution on the IOPS loop.
 *
 * sofa__resolve_numeric() resolves a numeric address at once (no I/O, never blocks).
 * sofa__resolve_start() runs getaddrinfo() on a detached worker thread; completion is
 * signalled through a pipe watched with a one-shot IOPS read event, and the callback
 * runs on the loop thread. sofa__resolve_cancel() may be called at any time before the
 * callback fires: nothing is delivered afterwards and the worker frees its result. */
#ifndef SOFA_IO_RESOLVE_H
#define SOFA_IO_RESOLVE_H

#include <netdb.h>

#include "sofa/iops.h"

typedef struct sofa__resolve sofa__resolve;

/* Called once on the loop thread. @p gai_rc is 0 (then @p res is the caller's to
 * freeaddrinfo()) or a getaddrinfo error code (res is NULL). The request is already
 * released when this runs. */
typedef void (*sofa__resolve_cb)(int gai_rc, struct addrinfo *res, void *arg);

/* Host name and service length limits (longer names are refused). */
#define SOFA__RESOLVE_HOST_MAX 1025
#define SOFA__RESOLVE_SERV_MAX 32

/* getaddrinfo() with AI_NUMERICHOST added: 0 and *res set, or a getaddrinfo error
 * (EAI_NONAME when @p host is not a numeric address). */
int sofa__resolve_numeric(const char *host, const char *serv, const struct addrinfo *hints,
                          struct addrinfo **res);

/* Start resolving @p host/@p serv with @p hints (ai_family, ai_socktype, ai_protocol and
 * ai_flags are used). Returns 0 (*out set; @p cb fires later unless cancelled),
 * SOFA_E_INVALID_ARGUMENT (name too long) or SOFA_E_NO_MEMORY (allocation, pipe, event
 * or thread creation failed; nothing fires). */
int sofa__resolve_start(sofa__resolve **out, sofa_iops *io, const char *host, const char *serv,
                        const struct addrinfo *hints, sofa__resolve_cb cb, void *arg);

/* Cancel a request whose callback has not fired. NULL is a no-op. */
void sofa__resolve_cancel(sofa__resolve *r);

/* Worker threads still running (for tests that must wait for them before exit). */
int sofa__resolve_active(void);

#endif
