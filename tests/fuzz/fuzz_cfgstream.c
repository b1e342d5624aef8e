/* libFuzzer: the HTTP config stream splitter. The input is cut into chunks at bytes chosen by
 * the input itself; every config handed over must be non-empty and contain no separator. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kv/cfgstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check(void *arg, const uint8_t *json, size_t len)
{
    (void)arg;
    if (len == 0 || memmem(json, len, "\n\n\n\n", 4) != NULL)
        __builtin_trap();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sofa__cfgstream s;
    memset(&s, 0, sizeof(s));
    size_t pos = 0;
    while (pos < size) {
        size_t chunk = 1 + data[pos] % 17;
        if (chunk > size - pos)
            chunk = size - pos;
        if (sofa__cfgstream_feed(&s, data + pos, chunk, check, NULL) != 0)
            break;
        pos += chunk;
    }
    sofa__cfgstream_free(&s);
    return 0;
}
