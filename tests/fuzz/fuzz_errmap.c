/* Fuzz the error map parser; a parsed map must be sorted and every entry findable. */
#include <stddef.h>
#include <stdint.h>

#include "proto/errmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sofa__errmap *m = NULL;
    char err[128];
    if (sofa__errmap_parse((const char *)data, size, &m, err, sizeof(err)) != 0) {
        if (m)
            __builtin_trap();
        return 0;
    }
    for (size_t i = 0; i < m->nentries; i++) {
        if (i && m->entries[i - 1].code >= m->entries[i].code)
            __builtin_trap();
        if (sofa__errmap_lookup(m, m->entries[i].code) != &m->entries[i])
            __builtin_trap();
        if (!m->entries[i].name || !m->entries[i].desc)
            __builtin_trap();
    }
    sofa__errmap_free(m);
    return 0;
}
