/* Fuzz the row splitter: feeding the input whole and in pieces must agree. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http/rowsplit.h"
#include "sofa/status.h"

typedef struct digest {
    uint64_t hash;
    uint64_t rows;
} digest;

static int on_row(void *arg, const char *row, size_t len)
{
    digest *d = arg;
    for (size_t i = 0; i < len; i++) {
        d->hash = (d->hash ^ (unsigned char)row[i]) * 1099511628211ull;
    }
    d->hash ^= len;
    d->rows++;
    return 0;
}

static int run(const uint8_t *data, size_t size, size_t step, digest *d, size_t max_row)
{
    sofa__rowsplit rs;
    memset(d, 0, sizeof(*d));
    if (sofa__rowsplit_init(&rs, "results", max_row, on_row, d) != 0) {
        __builtin_trap();
    }
    int rc = 0;
    for (size_t off = 0; off < size && rc == 0; off += step) {
        size_t n = size - off < step ? size - off : step;
        rc = sofa__rowsplit_feed(&rs, (const char *)data + off, n);
    }
    json_t *meta = NULL;
    if (rc == 0) {
        rc = sofa__rowsplit_finish(&rs, &meta);
        if ((rc == 0) != (meta != NULL)) {
            __builtin_trap();
        }
    }
    json_decref(meta);
    sofa__rowsplit_free(&rs);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    size_t step = (size_t)data[0] % 17 + 1;
    data++;
    size--;
    digest whole, pieces;
    int a = run(data, size, size ? size : 1, &whole, 64);
    int b = run(data, size, step, &pieces, 64);
    /* A too-large row is noticed earlier when it arrives in pieces, so it may
     * mask a later syntax error in the same row; everything else must agree. */
    int rc_differs = a != b && a != SOFA_E_ROW_TOO_LARGE && b != SOFA_E_ROW_TOO_LARGE;
    if (rc_differs || whole.rows != pieces.rows || whole.hash != pieces.hash) {
        __builtin_trap();
    }
    return 0;
}
