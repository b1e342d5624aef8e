/* Fuzz the IOPS plugin spec parser (iops= / SOFA_IOPS): no crash, and every
 * accepted spec round-trips (name, then ":" and the symbol if any). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sofa__iops_spec sp;
    if (sofa__iops_parse_spec((const char *)data, size, &sp) != 0) {
        return 0;
    }
    size_t n = strlen(sp.name);
    size_t s = strlen(sp.symbol);
    if (n == 0 || n > size) {
        abort();
    }
    switch (sp.kind) {
    case SOFA__IOPS_SPEC_BUILTIN:
    case SOFA__IOPS_SPEC_NAME:
        if (s != 0 || n != size || memcmp(sp.name, data, n) != 0 || strchr(sp.name, '/')) {
            abort();
        }
        break;
    case SOFA__IOPS_SPEC_PATH:
        if (strchr(sp.name, '/') == NULL || n + (s ? s + 1 : 0) != size ||
            memcmp(sp.name, data, n) != 0 || (s && (data[n] != ':' ||
                                                    memcmp(sp.symbol, data + n + 1, s) != 0))) {
            abort();
        }
        break;
    default:
        abort();
    }
    return 0;
}
