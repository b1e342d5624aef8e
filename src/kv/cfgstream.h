/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * The HTTP config stream splitter, sans-I/O: the cluster manager's streaming config
 * endpoint sends JSON configs separated by "\n\n\n\n", with chunk boundaries anywhere.
 * Feed it bytes; it hands over each complete config and buffers only the partial one
 * (at most SOFA__CFGSTREAM_MAX bytes).
 */
#ifndef SOFA_KV_CFGSTREAM_H
#define SOFA_KV_CFGSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "io/buf.h"

#define SOFA__CFGSTREAM_MAX (16u * 1024u * 1024u) /* one config's bytes */

typedef struct sofa__cfgstream {
    sofa__buf buf;
    size_t scanned; /* bytes of buf already searched for a separator (minus 3) */
} sofa__cfgstream;

/* Called with each complete config (not NUL-terminated, never empty); return 0 to go on or
 * a negative status to stop (sofa__cfgstream_feed then returns it). */
typedef int (*sofa__cfgstream_cb)(void *arg, const uint8_t *json, size_t len);

/* Feed @p len bytes. Returns 0, SOFA_E_BAD_CONFIG (a config over the limit; the stream is
 * unusable afterwards), SOFA_E_NO_MEMORY, or the callback's status. */
int sofa__cfgstream_feed(sofa__cfgstream *s, const void *data, size_t len, sofa__cfgstream_cb cb,
                         void *arg);
/* Drop buffered bytes (a new stream starts). */
void sofa__cfgstream_reset(sofa__cfgstream *s);
void sofa__cfgstream_free(sofa__cfgstream *s);

#endif
