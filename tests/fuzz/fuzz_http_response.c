/* Fuzz the HTTP response reader: any bytes, split at a point chosen by the input. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http/response.h"

static int on_head(void *arg, const sofa__http_head *h)
{
    size_t *n = arg;
    *n += strlen(h->content_type);
    return 0;
}

static int on_body(void *arg, const char *data, size_t len)
{
    size_t *n = arg;
    for (size_t i = 0; i < len; i++) {
        *n += (unsigned char)data[i];
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }
    size_t step = (size_t)data[0] + 1; /* feed in pieces of this size */
    int no_body = data[1] & 1;
    data += 2;
    size -= 2;
    size_t sum = 0;
    sofa__http_response_cbs cbs = {on_head, on_body, &sum};
    sofa__http_response r;
    sofa__http_response_init(&r, &cbs, no_body);
    size_t off = 0;
    int rc = SOFA__HTTP_READING;
    while (off < size && rc == SOFA__HTTP_READING) {
        size_t n = size - off < step ? size - off : step;
        size_t used = 0;
        rc = sofa__http_response_feed(&r, (const char *)data + off, n, &used);
        if (used > n) {
            __builtin_trap();
        }
        off += n;
    }
    if (rc == SOFA__HTTP_READING) {
        rc = sofa__http_response_eof(&r);
    }
    (void)sofa__http_response_keep_alive(&r);
    (void)sofa__http_response_error(&r);
    return 0;
}
