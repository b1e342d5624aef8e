/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * TLS for the connection layer (OpenSSL). Only io/conn.c and the code that builds a
 * client's context include this; nothing else sees OpenSSL types.
 *
 *   sofa__tls_ctx_new()   one per client: trust store (a PEM CA file, or the system
 *                         store), TLS 1.2 minimum, peer verification on unless no_verify.
 *   sofa__tls_new()       one per connection, after the TCP connect: SNI (names only,
 *                         without a trailing dot) and host name / IP address verification
 *                         against the certificate (an IPv6 zone is not part of the IP).
 *   handshake/read/write  non-blocking; SOFA__TLS_WANT_READ / _WANT_WRITE say which
 *                         readiness to wait for before calling the same function again.
 *
 * Failures carry a specific status (SOFA_E_TLS, SOFA_E_TLS_VERIFY, or a network status
 * for a reset) and OpenSSL's reason text in the caller's message buffer.
 */
#ifndef SOFA_IO_TLS_H
#define SOFA_IO_TLS_H

#include <stddef.h>

#define SOFA__TLS_HOST_MAX 255u /* bytes of a host name (the SNI limit) */

typedef struct sofa__tls_ctx sofa__tls_ctx;
typedef struct sofa__tls sofa__tls;

typedef struct sofa__tls_opts {
    const char *ca_file; /* PEM file of trusted CAs; NULL = the system store */
    int no_verify;       /* 1: accept any certificate (unsafe; tests and debugging only) */
} sofa__tls_opts;

/* Results of handshake/read/write (>= 0) besides a negative sofa_status. */
enum {
    SOFA__TLS_OK = 0,
    SOFA__TLS_WANT_READ = 1,
    SOFA__TLS_WANT_WRITE = 2,
    SOFA__TLS_CLOSED = 3 /* the peer closed the connection (close_notify or EOF) */
};

/* 0, SOFA_E_NO_MEMORY, or SOFA_E_TLS (bad CA file, ...) with the reason in errbuf. */
int sofa__tls_ctx_new(sofa__tls_ctx **out, const sofa__tls_opts *opts, char *errbuf, size_t errlen);
/* NULL is a no-op. Sessions made from it keep what they need alive (a reference each):
 * the context may go before them. */
void sofa__tls_ctx_free(sofa__tls_ctx *ctx);
/* 1 if the context verifies peers. */
int sofa__tls_ctx_verifies(const sofa__tls_ctx *ctx);

/* A client-side TLS session on the connected socket @p fd for @p host (a name or an IP
 * literal without brackets; at most SOFA__TLS_HOST_MAX bytes). 0, SOFA_E_INVALID_ARGUMENT
 * (host empty or too long) or SOFA_E_NO_MEMORY (message in errbuf). */
int sofa__tls_new(sofa__tls **out, sofa__tls_ctx *ctx, int fd, const char *host, char *errbuf,
                  size_t errlen);
/* NULL is a no-op. Sends no close_notify (the socket is closed right after). */
void sofa__tls_free(sofa__tls *t);

/* Drive the handshake: SOFA__TLS_OK when done, WANT_READ/WANT_WRITE, or a negative
 * status with the reason in errbuf: SOFA_E_TLS_VERIFY when the certificate was refused,
 * else SOFA_E_TLS (also for an EOF or a reset during the handshake: typically a port
 * that does not speak TLS; errbuf then says which). */
int sofa__tls_handshake(sofa__tls *t, char *errbuf, size_t errlen);
/* Read up to @p n bytes: SOFA__TLS_OK with *got > 0, WANT_READ/WANT_WRITE (*got = 0),
 * SOFA__TLS_CLOSED, or a negative status with the reason in errbuf. */
int sofa__tls_read(sofa__tls *t, void *buf, size_t n, size_t *got, char *errbuf, size_t errlen);
/* Write @p n bytes (all of them: SOFA__TLS_OK with *put = n). After WANT_READ/WANT_WRITE
 * call again with the same bytes at the start of @p buf and n at least as large (the
 * buffer may have moved or grown at its end). Negative status on failure. */
int sofa__tls_write(sofa__tls *t, const void *buf, size_t n, size_t *put, char *errbuf,
                    size_t errlen);
/* Decrypted bytes buffered inside the session (read them before waiting for the socket). */
size_t sofa__tls_pending(const sofa__tls *t);

#endif
