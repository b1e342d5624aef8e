/* libFuzzer target: the endure decisions over untrusted server answers. The input is
 * split into an OBSERVE response value and an OBSERVE_SEQNO response value (first byte =
 * length of the OBSERVE part); every entry is judged as endure.c judges it, and the
 * verdicts must stay in range. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "durability/endure.h"
#include "sofa/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t nobs = data[0];
    int flags = data[1];
    data += 2;
    size -= 2;
    if (nobs > size)
        nobs = size;
    uint8_t have[SOFA__DUR_COPIES] = {0};
    size_t pos = 0, ncopy = 0;
    sofa__observe_entry e;
    int rc;
    while ((rc = sofa__observe_next(data, nobs, &pos, &e)) == 1) {
        int mm = 0;
        int h = sofa__endure_observe_have(e.state, e.cas, flags & 1 ? e.cas ^ 1u : 0, ncopy == 0,
                                          flags & 2, &mm);
        if (h < SOFA__HAVE_NONE || h > SOFA__HAVE_DISK || (mm != 0 && mm != 1))
            __builtin_trap();
        if (e.nkey && !e.key)
            __builtin_trap();
        have[ncopy % SOFA__DUR_COPIES] = (uint8_t)h;
        ncopy++;
        if (pos > nobs)
            __builtin_trap();
    }
    if (rc != 0 && rc != SOFA_E_PROTOCOL)
        __builtin_trap();
    sofa__observe_seqno os;
    if (sofa__observe_seqno_parse(data + nobs, size - nobs, &os) == 0) {
        uint64_t seqno = 0;
        for (size_t i = 0; i < 8 && i < nobs; i++)
            seqno = seqno << 8 | data[i];
        int h = sofa__endure_seqno_have(&os, os.format ? os.old_vbuuid : os.vbuuid, seqno);
        if (h != SOFA_E_MUTATION_LOST && (h < SOFA__HAVE_NONE || h > SOFA__HAVE_DISK))
            __builtin_trap();
        have[0] = h > 0 ? (uint8_t)h : 0;
    }
    unsigned np = 0, nr = 0;
    size_t n = ncopy < SOFA__DUR_COPIES ? (ncopy ? ncopy : 1) : SOFA__DUR_COPIES;
    int met = sofa__endure_met(have, n, flags >> 2 & 7, flags >> 5 & 3, &np, &nr);
    if (met < 0 || met > 1 || np > n || nr + 1 > n)
        __builtin_trap();
    sofa__config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.nkv = (size_t)(flags & 7);
    cfg.nreplicas = flags >> 3 & 3;
    cfg.nvbuckets = 64;
    int p = 0, r = 0;
    rc = sofa__endure_resolve(&cfg, size > 0 ? (int)(int8_t)data[0] : 0,
                              size > 1 ? (int)(int8_t)data[1] : 0, &p, &r);
    if (rc == 0 && (p < 0 || r < 0 || p > cfg.nreplicas + 1 || r > cfg.nreplicas))
        __builtin_trap();
    return 0;
}
