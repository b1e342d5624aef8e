/* Fuzz the cluster config parser: any bytes, with and without a $HOST value, must either
 * parse into a self-consistent config or fail cleanly. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    sofa__config *c = NULL;
    const char *host = (size & 1) ? "fd00::1" : "10.0.0.9";
    if (sofa__config_parse((const char *)data, size, host, &c, err, sizeof(err)) != 0) {
        if (c || !memchr(err, '\0', sizeof(err)))
            __builtin_trap();
        return 0;
    }
    if (c->nkv > c->nnodes)
        __builtin_trap();
    for (uint32_t vb = 0; vb < c->nvbuckets; vb++) {
        int m = sofa__config_master(c, (uint16_t)vb);
        if (m >= (int)c->nkv)
            __builtin_trap();
        for (int r = 0; r < c->nreplicas; r++)
            if (sofa__config_replica(c, (uint16_t)vb, r) >= (int)c->nkv)
                __builtin_trap();
    }
    uint16_t vb;
    int n = sofa__config_map_key(c, "foo", 3, &vb);
    if (n >= (int)c->nkv)
        __builtin_trap();
    for (size_t i = 0; i < c->nnodes; i++)
        if (!c->nodes[i].host || !c->nodes[i].host[0])
            __builtin_trap();
    sofa__config_unref(c);
    return 0;
}
