/* Small helpers shared by the mock's query engines (views, N1QL): JSON output into a
 * mock_strbuf, fixed-body producers, URL decoding. */
#ifndef SOFA_TOOLS_MOCK_QUERY_UTIL_H
#define SOFA_TOOLS_MOCK_QUERY_UTIL_H

#include <jansson.h>
#include <stddef.h>

#include "store_api.h"

/* Append the compact JSON text of v (any type). 0 or -1 (out of memory). */
int mock_q_append_json(mock_strbuf *b, const json_t *v);
/* Append a NUL-terminated string. 0 or -1. */
int mock_q_append_str(mock_strbuf *b, const char *s);

/* Fill *out with a producer that sends a copy of body[0..n) in pieces of at most
 * `max` bytes. 0 or -1 (out of memory; *out untouched). */
int mock_q_fixed_producer(mock_http_producer *out, const char *body, size_t n);
/* Same, taking ownership of json (the serialized object is sent; json is freed). */
int mock_q_json_producer(mock_http_producer *out, json_t *json);
/* Producer for {"error":E,"reason":R} (the view / cluster-manager error shape). */
int mock_q_error_producer(mock_http_producer *out, const char *error, const char *reason);

/* Decode a URL-encoded component ('%XX' and '+' = space) of n bytes into a new
 * NUL-terminated string; *outlen gets its length. Returns NULL on a bad escape or an
 * embedded NUL (*bad = 1) or when out of memory (*bad = 0). */
char *mock_q_url_decode(const char *s, size_t n, size_t *outlen, int *bad);

/* Monotonic clock in nanoseconds. */
unsigned long long mock_q_now_ns(void);



/* Standard base64 (with padding). encode: new NUL-terminated string or NULL (OOM).
 * decode: new buffer (NUL-terminated, length in *outlen) or NULL when the input is
 * not valid base64 (*bad = 1) or out of memory (*bad = 0). */
char *mock_q_base64_encode(const void *data, size_t n);
unsigned char *mock_q_base64_decode(const char *s, size_t n, size_t *outlen, int *bad);
#endif /* SOFA_TOOLS_MOCK_QUERY_UTIL_H */
