/* sofa-mock: TLS on accepted sockets (mocktls.c) — the server context, and a session per
 * connection that the KV and HTTP servers use instead of recv/send when the connection
 * came in on a TLS port. */
#ifndef SOFA_TOOLS_MOCK_MOCKTLS_H
#define SOFA_TOOLS_MOCK_MOCKTLS_H

#include <stddef.h>
#include <sys/types.h>

struct event;
struct ssl_st;
struct ssl_ctx_st;

typedef struct mock_tls {
    struct ssl_st *ssl; /* NULL: plain TCP */
    int hs;             /* handshake still running */
    struct event *wev;  /* the connection's write event (armed when the handshake must write) */
} mock_tls;

/* Start a server-side session on @p fd. 0 / -1. */
int mock_tls_setup(mock_tls *t, struct ssl_ctx_st *ctx, int fd, struct event *wev);
void mock_tls_free(mock_tls *t);
/* 1 done, 0 waiting for readiness (the write event is armed when needed), -1 failed. */
int mock_tls_handshake(mock_tls *t);
/* Readiness on a connection that may still be in its handshake (also fine on plain TCP).
 * read: 1 go on reading, 0 the handshake waits for more, -1 failed (free the connection).
 * write: 0 no handshake running (flush), 1 the event was the handshake's (the write event
 * is dropped once it is done unless @p want_write), -1 failed (free the connection). */
int mock_tls_read_ready(mock_tls *t);
int mock_tls_write_ready(mock_tls *t, int want_write);
/* Like recv/send: > 0 bytes, 0 = closed (recv), -1 with errno (EAGAIN = try again). */
ssize_t mock_tls_recv(mock_tls *t, void *buf, size_t n);
ssize_t mock_tls_send(mock_tls *t, const void *buf, size_t n);
/* Decrypted bytes waiting inside the session (no readiness event announces them). */
size_t mock_tls_pending(const mock_tls *t);

#endif /* SOFA_TOOLS_MOCK_MOCKTLS_H */
