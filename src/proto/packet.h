/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * Sans-I/O codec for the memcached binary protocol (PROTOCOL.md §1-§3).
 *
 * Requests are described by a sofa__req (pointers borrowed from the caller) and encoded into a
 * caller-provided buffer. Responses are parsed in place: a sofa__resp points into the caller's
 * buffer and is valid as long as those bytes are. Nothing here allocates or logs.
 */
#ifndef SOFA_PROTO_PACKET_H
#define SOFA_PROTO_PACKET_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/opcodes.h"

/* ---------------------------------------------------------------- byte order helpers */
/* Stores of big-endian numbers: one byte swap and one store where the compiler knows the
 * byte order (GCC, clang), else byte by byte. */
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) &&            \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SOFA__BE16(v) __builtin_bswap16(v)
#define SOFA__BE32(v) __builtin_bswap32(v)
#define SOFA__BE64(v) __builtin_bswap64(v)
#elif defined(__GNUC__) && defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) &&             \
    __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define SOFA__BE16(v) (v)
#define SOFA__BE32(v) (v)
#define SOFA__BE64(v) (v)
#endif
#ifdef SOFA__BE16
static inline void sofa__put16(uint8_t *p, uint16_t v)
{
    v = SOFA__BE16(v);
    memcpy(p, &v, sizeof(v));
}
static inline void sofa__put32(uint8_t *p, uint32_t v)
{
    v = SOFA__BE32(v);
    memcpy(p, &v, sizeof(v));
}
static inline void sofa__put64(uint8_t *p, uint64_t v)
{
    v = SOFA__BE64(v);
    memcpy(p, &v, sizeof(v));
}
#else
static inline void sofa__put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void sofa__put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void sofa__put64(uint8_t *p, uint64_t v)
{
    sofa__put32(p, (uint32_t)(v >> 32));
    sofa__put32(p + 4, (uint32_t)v);
}
#endif
#ifdef SOFA__BE16
static inline uint16_t sofa__get16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return SOFA__BE16(v);
}
static inline uint32_t sofa__get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return SOFA__BE32(v);
}
static inline uint64_t sofa__get64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return SOFA__BE64(v);
}
#else
static inline uint16_t sofa__get16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}
static inline uint32_t sofa__get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t sofa__get64(const uint8_t *p)
{
    return (uint64_t)sofa__get32(p) << 32 | sofa__get32(p + 4);
}
#endif

/* ---------------------------------------------------------------- status mapping */
/*
 * Map a server status to a sofa_status. @p had_cas: the request carried a non-zero CAS, so
 * KEY_EEXISTS means SOFA_E_CAS_MISMATCH instead of SOFA_E_EXISTS. @p opcode refines a few
 * cases (e.g. EACCESS on SELECT_BUCKET = SOFA_E_BUCKET_NOT_FOUND). 0x00 and 0xcd map to
 * SOFA_OK, 0x21 (AUTH_CONTINUE) to SOFA_OK too (the SASL layer looks at the raw status).
 * Unknown codes map to SOFA_E_SERVER_ERROR.
 */
int sofa__status_from_server(uint16_t st, uint8_t opcode, int had_cas);

/* ---------------------------------------------------------------- requests */
typedef struct sofa__req {
    uint8_t opcode;
    uint16_t vbucket;
    uint32_t opaque;
    uint64_t cas;
    uint8_t datatype;
    const uint8_t *framing; /* frame infos; magic 0x08 is used when nframing > 0 */
    uint8_t nframing;
    const void *extras;
    uint8_t nextras;
    const void *key;
    uint16_t nkey;
    const void *value;
    uint32_t nvalue;
} sofa__req;

/*
 * 0 if @p r can be encoded, else SOFA_E_KEY_TOO_LONG (key > 255 with framing, or body
 * arithmetic would exceed the 32-bit body length) / SOFA_E_VALUE_TOO_LARGE (body length does
 * not fit 32 bits) / SOFA_E_INVALID_ARGUMENT (NULL pointer with a non-zero length).
 * It does not enforce the 250-byte key limit: callers check that against the user's key.
 */
int sofa__req_check(const sofa__req *r);
/* Bytes needed for the whole packet, or 0 if sofa__req_check() fails. */
size_t sofa__req_size(const sofa__req *r);
/* Bytes of header + framing + extras + key (everything but the value), or 0 if invalid. */
size_t sofa__req_head_size(const sofa__req *r);
/*
 * Write the 24-byte request header to @p out: magic 0x08 (alternative request) when
 * @p nframing > 0 (the caller checked nkey <= SOFA__MAX_FLEX_KEY_LEN then), else 0x80.
 * @p body is the whole body length (framing + extras + key + value). For callers that keep
 * the body laid out in one piece and copy it after the header themselves.
 */
static inline void sofa__req_header(uint8_t *out, uint8_t opcode, uint8_t nframing, uint8_t nextras,
                                    uint16_t nkey, uint8_t datatype, uint16_t vbucket,
                                    uint32_t body, uint32_t opaque, uint64_t cas)
{
    if (nframing > 0) {
        out[0] = SOFA__MAGIC_REQ_FLEX;
        out[2] = nframing;
        out[3] = (uint8_t)nkey;
    } else {
        out[0] = SOFA__MAGIC_REQ;
        sofa__put16(out + 2, nkey);
    }
    out[1] = opcode;
    out[4] = nextras;
    out[5] = datatype;
    sofa__put16(out + 6, vbucket);
    sofa__put32(out + 8, body);
    sofa__put32(out + 12, opaque);
    sofa__put64(out + 16, cas);
}
/* Write the whole packet (sofa__req_size bytes) to @p out. Returns bytes written, 0 if invalid. */
size_t sofa__req_encode(const sofa__req *r, uint8_t *out);
/* Write header + framing + extras + key (sofa__req_head_size bytes), for gather writes that
 * point at the caller's value. The header's body length includes the value. 0 if invalid. */
size_t sofa__req_encode_head(const sofa__req *r, uint8_t *out);

/* Extras builders. Each writes the fixed number of bytes named in its length constant. */
#define SOFA__EXTRAS_STORE_LEN 8u
#define SOFA__EXTRAS_COUNTER_LEN 20u
#define SOFA__EXTRAS_EXPIRY_LEN 4u
#define SOFA__COUNTER_NO_CREATE 0xffffffffu /* counter expiry: fail with NOT_FOUND if missing */
void sofa__extras_store(uint8_t out[8], uint32_t flags, uint32_t expiry);
void sofa__extras_counter(uint8_t out[20], uint64_t delta, uint64_t initial, uint32_t expiry);
/* TOUCH / GAT (expiry) and GET_LOCKED (lock seconds) */
void sofa__extras_expiry(uint8_t out[4], uint32_t expiry);

/*
 * Frame info encoder (escapes id >= 15 and len >= 15). Returns bytes written, or 0 if it does
 * not fit in @p cap bytes or id/len are beyond the encodable range (id, len <= 15 + 255).
 */
size_t sofa__frame_encode(uint8_t *out, size_t cap, unsigned id, const void *data, size_t len);
/*
 * Durability frame (id 1): level only (2 bytes, 0x11 LEVEL) when @p timeout_ms is 0, else
 * 0x13 LEVEL T_hi T_lo (4 bytes). 0xffff is reserved by the server, so it is sent as 0xfffe.
 * Returns bytes written (2 or 4); @p out must hold 4 bytes.
 */
#define SOFA__FRAME_DURABILITY_MAX 4u
size_t sofa__frame_durability(uint8_t out[4], uint8_t level, uint16_t timeout_ms);

/*
 * Unsigned LEB128 collection id prefix (§2.4). Returns bytes written (1..5).
 * Decode returns bytes consumed, or 0 if the input is truncated, longer than 5 bytes or
 * overflows 32 bits.
 */
#define SOFA__LEB128_MAX 5u
size_t sofa__leb128_encode(uint32_t v, uint8_t out[5]);
size_t sofa__leb128_decode(const uint8_t *in, size_t n, uint32_t *v);

/* OBSERVE request body entry: vbid(2) keylen(2) key. Returns 4 + nkey bytes written. */
size_t sofa__observe_key_encode(uint8_t *out, uint16_t vbid, const void *key, uint16_t nkey);

/* ---------------------------------------------------------------- responses */
typedef struct sofa__resp {
    uint8_t magic, opcode, datatype;
    uint16_t status; /* for magic 0x82 this field holds the header's vbucket bytes */
    uint32_t opaque;
    uint64_t cas;
    const uint8_t *framing;
    uint8_t nframing;
    const uint8_t *extras;
    uint8_t nextras;
    const uint8_t *key;
    uint16_t nkey;
    const uint8_t *value;
    uint32_t nvalue;
    size_t total; /* header + body bytes */
} sofa__resp;

/*
 * Parse one packet at the start of @p buf: responses (0x81, 0x18) and server requests (0x82).
 * >0: a packet of that many bytes was parsed into *r (pointers into buf);
 * 0: need more bytes (a partial header is never judged bad except by its magic byte);
 * <0: SOFA_E_PROTOCOL (bad magic, framing+extras+key > body, body > SOFA__MAX_BODY).
 */
long sofa__resp_parse(const uint8_t *buf, size_t len, sofa__resp *r);

/* Response frame infos: iterate. Returns 1 and sets id/data/len, 0 at the end, SOFA_E_PROTOCOL
 * when a frame overruns. *pos starts at 0. */
int sofa__frame_next(const uint8_t *framing, size_t nframing, size_t *pos, unsigned *id,
                     const uint8_t **data, size_t *len);
/* Server duration frame (id 0) decoded to microseconds; 0 if found, SOFA_E_NOT_FOUND if
 * absent, SOFA_E_PROTOCOL if malformed. */
int sofa__resp_server_duration(const sofa__resp *r, double *us);

/* Mutation token from 16-byte extras. 0, or SOFA_E_NOT_FOUND when extras are not 16 bytes. */
int sofa__resp_mutation_token(const sofa__resp *r, uint64_t *vbuuid, uint64_t *seqno);
/* Flags from GET-like extras (4 bytes; GET_META's 20/21 too). 0 or SOFA_E_PROTOCOL. */
int sofa__resp_get_flags(const sofa__resp *r, uint32_t *flags);
/* Counter result: value is an 8-byte big-endian number. 0 or SOFA_E_PROTOCOL. */
int sofa__resp_counter_value(const sofa__resp *r, uint64_t *value);

/* One OBSERVE response entry. */
typedef struct sofa__observe_entry {
    uint16_t vbid;
    const uint8_t *key;
    uint16_t nkey;
    uint8_t state; /* SOFA__OBS_* */
    uint64_t cas;
} sofa__observe_entry;
/* Iterate an OBSERVE response value: 1 = entry parsed, 0 = end, SOFA_E_PROTOCOL = truncated.
 * *pos starts at 0. */
int sofa__observe_next(const uint8_t *value, size_t n, size_t *pos, sofa__observe_entry *e);

typedef struct sofa__observe_seqno {
    int format; /* 0 or 1 (1 = hard failover happened) */
    uint16_t vbid;
    uint64_t vbuuid; /* current vbucket uuid */
    uint64_t persisted_seqno;
    uint64_t current_seqno;
    uint64_t old_vbuuid; /* format 1 only */
    uint64_t last_seqno; /* format 1 only: last seqno received under old_vbuuid */
} sofa__observe_seqno;
/* Parse an OBSERVE_SEQNO response value (27 or 43 bytes). 0 or SOFA_E_PROTOCOL. */
int sofa__observe_seqno_parse(const uint8_t *value, size_t n, sofa__observe_seqno *out);

#endif /* SOFA_PROTO_PACKET_H */
