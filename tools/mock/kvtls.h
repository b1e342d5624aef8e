/* sofa-mock: KV over TLS (kvtls.c). */
#ifndef SOFA_TOOLS_MOCK_KVTLS_H
#define SOFA_TOOLS_MOCK_KVTLS_H

#include <sys/types.h>

#include "kv.h"

/* Start a server-side session on c->fd. 0 / -1. */
int mock_kv_tls_setup(mock_kvconn *c, struct ssl_ctx_st *ctx);
void mock_kv_tls_free(mock_kvconn *c);
/* 1 done, 0 waiting for readiness (the write event is armed when needed), -1 failed. */
int mock_kv_tls_handshake(mock_kvconn *c);
/* Like recv/send: > 0 bytes, 0 = closed (recv), -1 with errno (EAGAIN = try again). */
ssize_t mock_kv_tls_recv(mock_kvconn *c, void *buf, size_t n);
ssize_t mock_kv_tls_send(mock_kvconn *c, const void *buf, size_t n);
/* Decrypted bytes waiting inside the session. */
size_t mock_kv_tls_pending(const mock_kvconn *c);

#endif /* SOFA_TOOLS_MOCK_KVTLS_H */
