/* sofa-mock: clocks, logging, growable buffers, random numbers, base64. */
#include "mock.h"

#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t mock_clock_offset_ms = 0;
int mock_verbose = 0;

int64_t mock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + mock_clock_offset_ms;
}

int64_t mock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void mock_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("sofa-mock: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int mock_strbuf_reserve(mock_strbuf *b, size_t extra)
{
    if (extra > SIZE_MAX / 2 - b->len) {
        return -1;
    }
    size_t need = b->len + extra;
    if (need <= b->cap) {
        return 0;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        cap *= 2;
    }
    char *d = realloc(b->data, cap);
    if (d == NULL) {
        return -1;
    }
    b->data = d;
    b->cap = cap;
    return 0;
}

int mock_strbuf_append(mock_strbuf *b, const void *data, size_t len)
{
    if (mock_strbuf_reserve(b, len + 1) != 0) {
        return -1;
    }
    if (len > 0) {
        memcpy(b->data + b->len, data, len);
    }
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int mock_strbuf_printf(mock_strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[512];
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return -1;
    }
    if ((size_t)n < sizeof(tmp)) {
        return mock_strbuf_append(b, tmp, (size_t)n);
    }
    if (mock_strbuf_reserve(b, (size_t)n + 1) != 0) {
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void mock_strbuf_consume(mock_strbuf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

void mock_strbuf_free(mock_strbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

uint64_t mock_random64(void)
{
    uint64_t v = 0;
    if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1) {
        v = (uint64_t)mock_mono_ms() * 6364136223846793005ULL + 1442695040888963407ULL;
    }
    return v;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t mock_base64_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n) {
            v |= (uint32_t)in[i + 1] << 8;
        }
        if (i + 2 < n) {
            v |= in[i + 2];
        }
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    out[o] = '\0';
    return o;
}

static int b64val(char c)
{
    const char *p = strchr(b64, c);
    return (c != '\0' && p != NULL) ? (int)(p - b64) : -1;
}

int mock_base64_decode(const char *in, size_t n, unsigned char *out, size_t cap, size_t *outlen)
{
    if (n % 4 != 0) {
        return -1;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            if (in[i + k] == '=' && i + 4 == n && k >= 2) {
                v[k] = 0;
                pad++;
            } else if (pad > 0 || (v[k] = b64val(in[i + k])) < 0) {
                return -1;
            }
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        unsigned char bytes[3] = {(unsigned char)(w >> 16), (unsigned char)(w >> 8), (unsigned char)w};
        for (int k = 0; k < 3 - pad; k++) {
            if (o >= cap) {
                return -1;
            }
            out[o++] = bytes[k];
        }
    }
    *outlen = o;
    return 0;
}
