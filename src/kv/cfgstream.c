/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
#include "kv/cfgstream.h"

#include <string.h>

#include "sofa/status.h"

static const char SEP[4] = {'\n', '\n', '\n', '\n'};

int sofa__cfgstream_feed(sofa__cfgstream *s, const void *data, size_t len, sofa__cfgstream_cb cb,
                         void *arg)
{
    if (len == 0)
        return 0;
    /* the buffer holds at most one partial config plus this chunk */
    if (sofa__buf_used(&s->buf) > SOFA__CFGSTREAM_MAX)
        return SOFA_E_BAD_CONFIG;
    uint8_t *p = sofa__buf_reserve(&s->buf, len, SOFA__CFGSTREAM_MAX + len);
    if (!p)
        return SOFA_E_NO_MEMORY;
    memcpy(p, data, len);
    sofa__buf_commit(&s->buf, len);
    for (;;) {
        const uint8_t *h = sofa__buf_head(&s->buf);
        size_t used = sofa__buf_used(&s->buf);
        size_t from = s->scanned;
        const uint8_t *sep = used - from >= sizeof(SEP) ? memmem(h + from, used - from, SEP,
                                                                 sizeof(SEP))
                                                        : NULL;
        if (!sep) {
            /* next time, search again from the last 3 bytes (a separator may straddle) */
            s->scanned = used >= sizeof(SEP) - 1 ? used - (sizeof(SEP) - 1) : 0;
            if (used > SOFA__CFGSTREAM_MAX)
                return SOFA_E_BAD_CONFIG;
            return 0;
        }
        size_t n = (size_t)(sep - h);
        int rc = 0;
        if (n > 0)
            rc = cb(arg, h, n);
        sofa__buf_consume(&s->buf, n + sizeof(SEP));
        s->scanned = 0;
        if (rc != 0)
            return rc;
    }
}

void sofa__cfgstream_reset(sofa__cfgstream *s)
{
    sofa__buf_consume(&s->buf, sofa__buf_used(&s->buf));
    s->scanned = 0;
}

void sofa__cfgstream_free(sofa__cfgstream *s)
{
    sofa__buf_free(&s->buf);
    s->scanned = 0;
}
