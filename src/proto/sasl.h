/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * SASL client (PROTOCOL.md §5), sans-I/O: PLAIN and SCRAM-SHA1/256/512 (RFC 5802/7677).
 * The caller sends SASL_AUTH with the chosen mechanism name as key and sofa__sasl_start's
 * payload as value, then feeds every reply to sofa__sasl_step until it reports done.
 * Passwords and payloads are never logged.
 */
#ifndef SOFA_PROTO_SASL_H
#define SOFA_PROTO_SASL_H

#include <stddef.h>
#include <stdint.h>

typedef enum sofa__mech {
    SOFA__MECH_PLAIN,
    SOFA__MECH_SCRAM_SHA1,
    SOFA__MECH_SCRAM_SHA256,
    SOFA__MECH_SCRAM_SHA512
} sofa__mech;

#define SOFA__SASL_MAX_MECH_NAME 32u
#define SOFA__SASL_MAX_CRED 4096u /* bytes of user name or password */
#define SOFA__SASL_MAX_SERVER_MSG 4096u
#define SOFA__SASL_MAX_ITERATIONS 1000000u
#define SOFA__SASL_MAX_MECH_LIST 4096u /* bytes of a SASL_LIST_MECHS reply */

/*
 * Choose from a space-separated server list (@p len bytes; Couchbase "SCRAM-SHA512" and Cyrus
 * "SCRAM-SHA-512" spellings both recognised). Strongest SCRAM wins; PLAIN only if @p allow_plain.
 * @p forced (may be NULL/empty): exact mechanism name that must appear in the list (PLAIN is then
 * allowed even without @p allow_plain). Writes the server's exact spelling to @p name_out.
 * Returns 0, SOFA_E_AUTH_NO_MECHANISM, or SOFA_E_INVALID_ARGUMENT (name_out too small).
 */
int sofa__sasl_choose(const char *server_list, size_t len, const char *forced, int allow_plain,
                      sofa__mech *mech, char *name_out, size_t name_len);

/* Canonical name ("PLAIN", "SCRAM-SHA512", ...). */
const char *sofa__sasl_mech_name(sofa__mech mech);

typedef struct sofa__sasl sofa__sasl;

/* Copies @p user and @p pass. Returns 0, SOFA_E_INVALID_ARGUMENT (NULL, longer than
 * SOFA__SASL_MAX_CRED, unknown mechanism), SOFA_E_NO_MEMORY. No SASLprep is applied. */
int sofa__sasl_new(sofa__sasl **out, sofa__mech mech, const char *user, const char *pass);
/* For tests: fixed client nonce (printable, no ','), before sofa__sasl_start. */
int sofa__sasl_set_nonce(sofa__sasl *s, const char *nonce);
/* The SASL_AUTH value. *msg stays valid until the next call on @p s. Returns 0 or
 * SOFA_E_INTERNAL (random/crypto failure), SOFA_E_BAD_STATE if called twice. */
int sofa__sasl_start(sofa__sasl *s, const uint8_t **msg, size_t *len);
/*
 * Feed a SASL_AUTH/SASL_STEP reply (status and value). On 0x21 with server-first: produces the
 * client-final message. On 0x21 with v= (Cyrus): verifies and produces an empty SASL_STEP
 * payload. On 0x00: verifies v= (if SCRAM and not yet verified) and sets *done = 1.
 * Returns 0 (with *msg and *len the next SASL_STEP value when *done == 0), or
 * SOFA_E_AUTH_FAILED (status 0x20/0x1f, or e= from the server even with status 0x00),
 * SOFA_E_AUTH_SERVER_PROOF (missing or wrong v=), SOFA_E_PROTOCOL (malformed server message, bad
 * nonce, unexpected status), SOFA_E_BAD_STATE (step after done/failure).
 */
int sofa__sasl_step(sofa__sasl *s, uint16_t server_status, const uint8_t *data, size_t n,
                    const uint8_t **msg, size_t *len, int *done);
/* Wipes the password and keys, then frees. NULL is a no-op. */
void sofa__sasl_free(sofa__sasl *s);

#endif /* SOFA_PROTO_SASL_H */
