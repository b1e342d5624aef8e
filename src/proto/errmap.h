/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * Server error map (GET_ERROR_MAP, versions 1 and 2; PROTOCOL.md §3): which attributes the
 * server gives each status code, so a client can act on codes newer than itself.
 */
#ifndef SOFA_PROTO_ERRMAP_H
#define SOFA_PROTO_ERRMAP_H

#include <stddef.h>
#include <stdint.h>

#define SOFA__ERRMAP_MAX_JSON (1024u * 1024u)
#define SOFA__ERRMAP_MAX_TEXT 1024u /* bytes of a name or description */

/* Attributes. Unknown attribute names are ignored. */
enum {
    SOFA__ERRATTR_SUCCESS = 1u << 0,
    SOFA__ERRATTR_ITEM_ONLY = 1u << 1,
    SOFA__ERRATTR_INVALID_INPUT = 1u << 2,
    SOFA__ERRATTR_FETCH_CONFIG = 1u << 3,
    SOFA__ERRATTR_CONN_STATE_INVALIDATED = 1u << 4,
    SOFA__ERRATTR_AUTH = 1u << 5,
    SOFA__ERRATTR_SPECIAL_HANDLING = 1u << 6,
    SOFA__ERRATTR_SUPPORT = 1u << 7,
    SOFA__ERRATTR_TEMP = 1u << 8,
    SOFA__ERRATTR_INTERNAL = 1u << 9,
    SOFA__ERRATTR_RETRY_NOW = 1u << 10,
    SOFA__ERRATTR_RETRY_LATER = 1u << 11,
    SOFA__ERRATTR_NO_RETRY = 1u << 12,
    SOFA__ERRATTR_SUBDOC = 1u << 13,
    SOFA__ERRATTR_DCP = 1u << 14,
    SOFA__ERRATTR_RATE_LIMIT = 1u << 15,
    SOFA__ERRATTR_SYSTEM_CONSTRAINT = 1u << 16,
    SOFA__ERRATTR_ITEM_LOCKED = 1u << 17,
    SOFA__ERRATTR_ITEM_DELETED = 1u << 18
};

typedef enum sofa__retry_strategy {
    SOFA__RETRY_NONE = 0, /* no "retry" object */
    SOFA__RETRY_CONSTANT,
    SOFA__RETRY_LINEAR,
    SOFA__RETRY_EXPONENTIAL
} sofa__retry_strategy;

typedef struct sofa__errmap_retry {
    sofa__retry_strategy strategy;
    uint32_t interval_ms, after_ms, ceil_ms, max_duration_ms; /* 0 when absent */
} sofa__errmap_retry;

typedef struct sofa__errmap_entry {
    uint16_t code;
    unsigned attrs; /* SOFA__ERRATTR_* */
    char *name;     /* never NULL ("" when absent) */
    char *desc;     /* never NULL */
    sofa__errmap_retry retry;
} sofa__errmap_entry;

typedef struct sofa__errmap {
    int version;
    int64_t revision;
    sofa__errmap_entry *entries; /* sorted by code */
    size_t nentries;
} sofa__errmap;

/*
 * Parse an error map. Returns 0, SOFA_E_BAD_CONFIG (malformed; message names the field in
 * @p errbuf, if given) or SOFA_E_NO_MEMORY. Versions other than 1 and 2 are rejected.
 */
int sofa__errmap_parse(const char *json, size_t len, sofa__errmap **out, char *errbuf,
                       size_t errlen);
/* The entry for @p code, or NULL. */
const sofa__errmap_entry *sofa__errmap_lookup(const sofa__errmap *m, uint16_t code);
/* 1 if @p cand should replace @p cur (cur is NULL or cand has a higher revision), else 0. */
int sofa__errmap_newer(const sofa__errmap *cur, const sofa__errmap *cand);
void sofa__errmap_free(sofa__errmap *m); /* NULL is a no-op */

#endif /* SOFA_PROTO_ERRMAP_H */
