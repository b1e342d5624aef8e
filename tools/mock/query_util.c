/* Helpers shared by the mock's query engines (see query_util.h). */
#include "query_util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int dump_cb(const char *buffer, size_t size, void *data)
{
    return mock_strbuf_append(data, buffer, size) == 0 ? 0 : -1;
}

int mock_q_append_json(mock_strbuf *b, const json_t *v)
{
    if (v == NULL) {
        return mock_q_append_str(b, "null");
    }
    return json_dump_callback(v, dump_cb, b, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
}

int mock_q_append_str(mock_strbuf *b, const char *s)
{
    return mock_strbuf_append(b, s, strlen(s));
}

typedef struct fixed_body {
    char *data;
    size_t len, off;
} fixed_body;

static int fixed_produce(void *ctx, mock_strbuf *out, size_t max)
{
    fixed_body *f = ctx;
    size_t n = f->len - f->off;
    if (max == 0) {
        max = 1;
    }
    if (n > max) {
        n = max;
    }
    if (n > 0 && mock_strbuf_append(out, f->data + f->off, n) != 0) {
        return -1;
    }
    f->off += n;
    return f->off < f->len ? 1 : 0;
}

static void fixed_free(void *ctx)
{
    fixed_body *f = ctx;
    if (f != NULL) {
        free(f->data);
        free(f);
    }
}

int mock_q_fixed_producer(mock_http_producer *out, const char *body, size_t n)
{
    fixed_body *f = calloc(1, sizeof(*f));
    if (f == NULL) {
        return -1;
    }
    f->data = malloc(n + 1);
    if (f->data == NULL) {
        free(f);
        return -1;
    }
    if (n > 0) {
        memcpy(f->data, body, n);
    }
    f->data[n] = '\0';
    f->len = n;
    out->produce = fixed_produce;
    out->free = fixed_free;
    out->ctx = f;
    return 0;
}

int mock_q_json_producer(mock_http_producer *out, json_t *json)
{
    if (json == NULL) {
        return -1;
    }
    char *s = json_dumps(json, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    json_decref(json);
    if (s == NULL) {
        return -1;
    }
    int rc = mock_q_fixed_producer(out, s, strlen(s));
    free(s);
    return rc;
}

int mock_q_error_producer(mock_http_producer *out, const char *error, const char *reason)
{
    return mock_q_json_producer(out, json_pack("{s:s, s:s}", "error", error, "reason", reason));
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

char *mock_q_url_decode(const char *s, size_t n, size_t *outlen, int *bad)
{
    *bad = 0;
    char *r = malloc(n + 1);
    if (r == NULL) {
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = n - i >= 3 ? hexval(s[i + 1]) : -1;
            int lo = n - i >= 3 ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                free(r);
                *bad = 1;
                return NULL;
            }
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0') {
            free(r);
            *bad = 1;
            return NULL;
        }
        r[o++] = c;
    }
    r[o] = '\0';
    if (outlen != NULL) {
        *outlen = o;
    }
    return r;
}

unsigned long long mock_q_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *mock_q_base64_encode(const void *data, size_t n)
{
    const unsigned char *in = data;
    if (n > ((size_t)1 << 30)) {
        return NULL;
    }
    char *out = malloc((n + 2) / 3 * 4 + 1);
    size_t o = 0;
    if (out == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        out[o++] = b64chars[(v >> 18) & 63];
        out[o++] = b64chars[(v >> 12) & 63];
        out[o++] = i + 1 < n ? b64chars[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? b64chars[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

static int b64val(char c)
{
    const char *p = c != '\0' ? strchr(b64chars, c) : NULL;
    return p != NULL ? (int)(p - b64chars) : -1;
}

unsigned char *mock_q_base64_decode(const char *s, size_t n, size_t *outlen, int *bad)
{
    *bad = 1;
    if (n % 4 != 0) {
        return NULL;
    }
    *bad = 0;
    unsigned char *out = malloc(n / 4 * 3 + 1);
    if (out == NULL) {
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        int last = i + 4 == n;
        for (int k = 0; k < 4; k++) {
            v[k] = b64val(s[i + k]);
            if (v[k] < 0 && !(last && k >= 2 && s[i + k] == '=' && (k == 3 || s[i + 3] == '='))) {
                free(out);
                *bad = 1;
                return NULL;
            }
        }
        unsigned x = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)(v[2] < 0 ? 0 : v[2]) << 6 |
                     (unsigned)(v[3] < 0 ? 0 : v[3]);
        out[o++] = (unsigned char)(x >> 16);
        if (v[2] >= 0) {
            out[o++] = (unsigned char)(x >> 8);
        }
        if (v[3] >= 0) {
            out[o++] = (unsigned char)x;
        }
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}
