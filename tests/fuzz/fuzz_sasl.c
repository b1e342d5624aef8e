/* Fuzz the SASL client with arbitrary server replies: byte 0 picks the mechanism and the
 * statuses, the rest is split at the first NUL into the first and the second server message. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/sasl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Skip inputs asking for more than 9999 PBKDF2 iterations: valid, but slow to fuzz. */
static int too_many_iterations(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (d[i] == 'i' && d[i + 1] == '=') {
            size_t j = i + 2, digits = 0;
            while (j < n && d[j] == '0')
                j++;
            while (j < n && d[j] >= '0' && d[j] <= '9') {
                j++;
                digits++;
            }
            if (digits > 4)
                return 1;
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || too_many_iterations(data, size))
        return 0;
    static const sofa__mech mechs[] = {SOFA__MECH_PLAIN, SOFA__MECH_SCRAM_SHA1,
                                       SOFA__MECH_SCRAM_SHA256, SOFA__MECH_SCRAM_SHA512};
    static const uint16_t statuses[] = {0x00, 0x21, 0x20, 0x86};
    uint8_t ctl = data[0];
    data++;
    size--;
    const uint8_t *nul = memchr(data, 0, size);
    size_t n1 = nul ? (size_t)(nul - data) : size;
    const uint8_t *second = nul ? nul + 1 : NULL;
    size_t n2 = nul ? size - n1 - 1 : 0;

    sofa__sasl *s;
    if (sofa__sasl_new(&s, mechs[ctl & 3], "user", "pencil") != 0)
        return 0;
    (void)sofa__sasl_set_nonce(s, "abc");
    const uint8_t *msg;
    size_t len;
    int done = 0;
    if (sofa__sasl_start(s, &msg, &len) == 0 &&
        sofa__sasl_step(s, statuses[(ctl >> 2) & 3], data, n1, &msg, &len, &done) == 0 && !done &&
        second) {
        if (len && !msg)
            __builtin_trap();
        if (sofa__sasl_step(s, statuses[(ctl >> 4) & 3], second, n2, &msg, &len, &done) == 0 &&
            !done)
            (void)sofa__sasl_step(s, statuses[(ctl >> 6) & 3], NULL, 0, &msg, &len, &done);
    }
    sofa__sasl_free(s);
    return 0;
}
