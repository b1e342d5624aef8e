/* mock_strbuf_append (tools/mock/store_api.h) for the stores that stand in for the
 * mock's own: tests/mockquery/fake_store.c and the fuzz_mockq_* targets. */
#include <stdlib.h>
#include <string.h>

#include "store_api.h"

int mock_strbuf_append(mock_strbuf *b, const void *data, size_t len)
{
    if (len >= (size_t)-1 / 2 - b->len) {
        return -1; /* the doubling below could not reach it */
    }
    if (b->cap - b->len < len + 1) {
        size_t ncap = b->cap ? b->cap : 256;
        while (ncap - b->len < len + 1) {
            ncap *= 2;
        }
        char *nd = realloc(b->data, ncap);
        if (nd == NULL) {
            return -1;
        }
        b->data = nd;
        b->cap = ncap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}
