/* Fuzz a whole query response without I/O: HTTP reader -> row splitter ->
 * metadata -> N1QL and view error classification, fed in pieces. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http/response.h"
#include "http/rowsplit.h"
#include "query/qcore.h"
#include "sofa/status.h"

typedef struct pipe_state {
    sofa__rowsplit rs;
    int status;
    size_t rows;
} pipe_state;

static int on_row(void *arg, const char *row, size_t len)
{
    pipe_state *p = arg;
    p->rows++;
    return len == 0 ? SOFA_E_INTERNAL : 0; /* a row is never empty */
}

static int on_head(void *arg, const sofa__http_head *h)
{
    pipe_state *p = arg;
    p->status = h->status;
    return 0;
}

static int on_body(void *arg, const char *data, size_t len)
{
    pipe_state *p = arg;
    return sofa__rowsplit_feed(&p->rs, data, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }
    size_t step = (size_t)data[0] % 31 + 1;
    const char *key = data[1] & 1 ? "rows" : "results";
    data += 2;
    size -= 2;
    pipe_state p;
    memset(&p, 0, sizeof(p));
    if (sofa__rowsplit_init(&p.rs, key, 4096, on_row, &p) != 0) {
        __builtin_trap();
    }
    sofa__http_response_cbs cbs = {on_head, on_body, &p};
    sofa__http_response r;
    sofa__http_response_init(&r, &cbs, 0);
    int rc = SOFA__HTTP_READING;
    for (size_t off = 0; off < size && rc == SOFA__HTTP_READING; off += step) {
        size_t n = size - off < step ? size - off : step;
        size_t used = 0;
        rc = sofa__http_response_feed(&r, (const char *)data + off, n, &used);
    }
    if (rc == SOFA__HTTP_READING) {
        rc = sofa__http_response_eof(&r);
    }
    if (rc == SOFA__HTTP_DONE) {
        json_t *meta = NULL;
        if (sofa__rowsplit_finish(&p.rs, &meta) == 0) {
            int64_t code;
            const char *msg;
            int st = sofa__n1ql_classify(p.status, meta, &code, &msg);
            if (st > 0 || !msg) {
                __builtin_trap();
            }
            st = sofa__view_classify(p.status, meta, &msg);
            if (st > 0 || !msg) {
                __builtin_trap();
            }
            json_decref(meta);
        }
    }
    sofa__rowsplit_free(&p.rs);
    return 0;
}
