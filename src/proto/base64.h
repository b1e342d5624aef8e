/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* Standard base64 with padding (RFC 4648 §4). Also used for HTTP Basic auth. */
#ifndef SOFA_PROTO_BASE64_H
#define SOFA_PROTO_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Encoded length of @p n bytes, without the terminating NUL. */
#define SOFA__BASE64_LEN(n) ((((n) + 2u) / 3u) * 4u)

/* Write the encoding of @p n bytes plus a NUL to @p out (SOFA__BASE64_LEN(n) + 1 bytes).
 * Returns the length without the NUL. */
size_t sofa__base64_encode(const uint8_t *in, size_t n, char *out);
/* Strict decode (length a multiple of 4, padding only at the end, no whitespace, canonical).
 * Returns bytes written, or -1 if the input is invalid or does not fit in @p cap bytes. */
long sofa__base64_decode(const char *in, size_t n, uint8_t *out, size_t cap);

#endif /* SOFA_PROTO_BASE64_H */
