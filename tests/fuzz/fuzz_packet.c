/* Fuzz the response parser and every body decoder over arbitrary server bytes. */
#include <stddef.h>
#include <stdint.h>

#include "proto/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    while (off < size) {
        sofa__resp r;
        long n = sofa__resp_parse(data + off, size - off, &r);
        if (n <= 0)
            break;
        /* everything a parsed packet points at lies inside the input */
        if ((size_t)n > size - off || r.total != (size_t)n)
            __builtin_trap();
        double us;
        (void)sofa__resp_server_duration(&r, &us);
        uint64_t a, b;
        uint32_t f;
        (void)sofa__resp_mutation_token(&r, &a, &b);
        (void)sofa__resp_get_flags(&r, &f);
        (void)sofa__resp_counter_value(&r, &a);
        size_t pos = 0;
        sofa__observe_entry e;
        while (sofa__observe_next(r.value, r.nvalue, &pos, &e) == 1) {
        }
        sofa__observe_seqno o;
        (void)sofa__observe_seqno_parse(r.value, r.nvalue, &o);
        uint32_t cid;
        if (r.key)
            (void)sofa__leb128_decode(r.key, r.nkey, &cid);
        off += (size_t)n;
    }
    return 0;
}
