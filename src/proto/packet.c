/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* Memcached binary protocol codec: request encoding and in-place response parsing. */
#include "proto/packet.h"

#include <string.h>

#include "sofa/status.h"

/* ---------------------------------------------------------------- status mapping */

static int is_select_bucket(uint8_t opcode)
{
    return opcode == SOFA__OP_SELECT_BUCKET;
}

int sofa__status_from_server(uint16_t st, uint8_t opcode, int had_cas)
{
    switch (st) {
    case SOFA__ST_SUCCESS:
    case SOFA__ST_AUTH_CONTINUE:
    case SOFA__ST_SUBDOC_SUCCESS_DELETED:
        return SOFA_OK;
    case SOFA__ST_KEY_ENOENT:
        return is_select_bucket(opcode) ? SOFA_E_BUCKET_NOT_FOUND : SOFA_E_NOT_FOUND;
    case SOFA__ST_KEY_EEXISTS:
        return had_cas ? SOFA_E_CAS_MISMATCH : SOFA_E_EXISTS;
    case SOFA__ST_E2BIG:
        return SOFA_E_SERVER_TOO_BIG;
    case SOFA__ST_EINVAL:
    case SOFA__ST_CAS_VALUE_INVALID:
    case SOFA__ST_XATTR_EINVAL:
        return SOFA_E_SERVER_INVALID;
    case SOFA__ST_NOT_STORED:
        return SOFA_E_NOT_STORED;
    case SOFA__ST_DELTA_BADVAL:
        return SOFA_E_DELTA_BADVAL;
    case SOFA__ST_NOT_MY_VBUCKET:
        return SOFA_E_NOT_MY_VBUCKET;
    case SOFA__ST_NO_BUCKET:
        return SOFA_E_NO_BUCKET;
    case SOFA__ST_LOCKED:
        return SOFA_E_LOCKED;
    case SOFA__ST_NOT_LOCKED:
        return SOFA_E_NOT_LOCKED;
    case SOFA__ST_EWOULD_THROTTLE:
    case SOFA__ST_CONFIG_ONLY:
    case SOFA__ST_RATE_LIMITED_INGRESS:
    case SOFA__ST_RATE_LIMITED_EGRESS:
    case SOFA__ST_RATE_LIMITED_MAX_COMMANDS:
    case SOFA__ST_CANCELLED:
    case SOFA__ST_ETMPFAIL:
        return SOFA_E_TEMPORARY_FAILURE;
    case SOFA__ST_AUTH_STALE:
    case SOFA__ST_AUTH_ERROR:
        return SOFA_E_AUTH_FAILED;
    case SOFA__ST_ERANGE:
        return SOFA_E_RANGE;
    case SOFA__ST_EACCESS:
        return is_select_bucket(opcode) ? SOFA_E_BUCKET_NOT_FOUND : SOFA_E_ACCESS_DENIED;
    case SOFA__ST_NOT_INITIALIZED:
        return SOFA_E_NOT_INITIALIZED;
    case SOFA__ST_UNKNOWN_FRAME_INFO:
    case SOFA__ST_NOT_SUPPORTED:
        return SOFA_E_SERVER_NOT_SUPPORTED;
    case SOFA__ST_UNKNOWN_COMMAND:
        return SOFA_E_UNKNOWN_COMMAND;
    case SOFA__ST_ENOMEM:
        return SOFA_E_SERVER_NO_MEMORY;
    case SOFA__ST_EINTERNAL:
        return SOFA_E_SERVER_INTERNAL;
    case SOFA__ST_EBUSY:
        return SOFA_E_SERVER_BUSY;
    case SOFA__ST_DURABILITY_INVALID_LEVEL:
        return SOFA_E_DURABILITY_INVALID_LEVEL;
    case SOFA__ST_DURABILITY_IMPOSSIBLE:
        return SOFA_E_DURABILITY_IMPOSSIBLE;
    case SOFA__ST_SYNC_WRITE_IN_PROGRESS:
        return SOFA_E_SYNC_WRITE_IN_PROGRESS;
    case SOFA__ST_SYNC_WRITE_AMBIGUOUS:
        return SOFA_E_SYNC_WRITE_AMBIGUOUS;
    case SOFA__ST_SYNC_WRITE_RECOMMIT:
        return SOFA_E_SYNC_WRITE_RECOMMIT;
    default:
        return SOFA_E_SERVER_ERROR;
    }
}

/* ---------------------------------------------------------------- requests */

int sofa__req_check(const sofa__req *r)
{
    if (!r)
        return SOFA_E_INVALID_ARGUMENT;
    if ((r->nframing && !r->framing) || (r->nextras && !r->extras) || (r->nkey && !r->key) ||
        (r->nvalue && !r->value))
        return SOFA_E_INVALID_ARGUMENT;
    if (r->nframing > 0 && r->nkey > SOFA__MAX_FLEX_KEY_LEN)
        return SOFA_E_KEY_TOO_LONG;
    uint64_t body = (uint64_t)r->nframing + r->nextras + r->nkey + r->nvalue;
    if (body > UINT32_MAX)
        return SOFA_E_VALUE_TOO_LARGE;
    return SOFA_OK;
}

size_t sofa__req_head_size(const sofa__req *r)
{
    if (sofa__req_check(r) != SOFA_OK)
        return 0;
    return SOFA__HEADER_LEN + (size_t)r->nframing + r->nextras + r->nkey;
}

size_t sofa__req_size(const sofa__req *r)
{
    size_t head = sofa__req_head_size(r);
    if (head == 0)
        return 0;
    return head + r->nvalue;
}

size_t sofa__req_encode_head(const sofa__req *r, uint8_t *out)
{
    size_t head = sofa__req_head_size(r);
    if (head == 0 || !out)
        return 0;
    uint32_t body = (uint32_t)r->nframing + r->nextras + r->nkey + r->nvalue;
    sofa__req_header(out, r->opcode, r->nframing, r->nextras, r->nkey, r->datatype, r->vbucket,
                     body, r->opaque, r->cas);
    uint8_t *p = out + SOFA__HEADER_LEN;
    if (r->nframing) {
        memcpy(p, r->framing, r->nframing);
        p += r->nframing;
    }
    if (r->nextras) {
        memcpy(p, r->extras, r->nextras);
        p += r->nextras;
    }
    if (r->nkey) {
        memcpy(p, r->key, r->nkey);
        p += r->nkey;
    }
    return (size_t)(p - out);
}

size_t sofa__req_encode(const sofa__req *r, uint8_t *out)
{
    size_t head = sofa__req_encode_head(r, out);
    if (head == 0)
        return 0;
    if (r->nvalue)
        memcpy(out + head, r->value, r->nvalue);
    return head + r->nvalue;
}

void sofa__extras_store(uint8_t out[8], uint32_t flags, uint32_t expiry)
{
    sofa__put32(out, flags);
    sofa__put32(out + 4, expiry);
}

void sofa__extras_counter(uint8_t out[20], uint64_t delta, uint64_t initial, uint32_t expiry)
{
    sofa__put64(out, delta);
    sofa__put64(out + 8, initial);
    sofa__put32(out + 16, expiry);
}

void sofa__extras_expiry(uint8_t out[4], uint32_t expiry)
{
    sofa__put32(out, expiry);
}

/* Largest id or length a frame info can encode: 15 + one escape byte. */
#define FRAME_MAX_FIELD (15u + 255u)

size_t sofa__frame_encode(uint8_t *out, size_t cap, unsigned id, const void *data, size_t len)
{
    if (!out || id > FRAME_MAX_FIELD || len > FRAME_MAX_FIELD || (len && !data))
        return 0;
    size_t need = 1 + (id >= 15) + (len >= 15) + len;
    if (need > cap)
        return 0;
    size_t i = 0;
    out[i++] = (uint8_t)((id >= 15 ? 15u : id) << 4 | (len >= 15 ? 15u : (unsigned)len));
    if (id >= 15)
        out[i++] = (uint8_t)(id - 15);
    if (len >= 15)
        out[i++] = (uint8_t)(len - 15);
    if (len)
        memcpy(out + i, data, len);
    return need;
}

size_t sofa__frame_durability(uint8_t out[4], uint8_t level, uint16_t timeout_ms)
{
    uint8_t data[3] = {level, 0, 0};
    if (timeout_ms == 0)
        return sofa__frame_encode(out, SOFA__FRAME_DURABILITY_MAX, SOFA__FRAME_REQ_DURABILITY, data,
                                  1);
    if (timeout_ms == 0xffff)
        timeout_ms = 0xfffe; /* reserved by the server */
    sofa__put16(data + 1, timeout_ms);
    return sofa__frame_encode(out, SOFA__FRAME_DURABILITY_MAX, SOFA__FRAME_REQ_DURABILITY, data, 3);
}

size_t sofa__leb128_encode(uint32_t v, uint8_t out[5])
{
    size_t n = 0;
    do {
        uint8_t b = (uint8_t)(v & 0x7f);
        v >>= 7;
        out[n++] = (uint8_t)(v ? (b | 0x80) : b);
    } while (v);
    return n;
}

size_t sofa__leb128_decode(const uint8_t *in, size_t n, uint32_t *v)
{
    uint64_t acc = 0;
    for (size_t i = 0; i < n && i < SOFA__LEB128_MAX; i++) {
        acc |= (uint64_t)(in[i] & 0x7f) << (7 * i);
        if (!(in[i] & 0x80)) {
            if (acc > UINT32_MAX)
                return 0;
            *v = (uint32_t)acc;
            return i + 1;
        }
    }
    return 0;
}

size_t sofa__observe_key_encode(uint8_t *out, uint16_t vbid, const void *key, uint16_t nkey)
{
    sofa__put16(out, vbid);
    sofa__put16(out + 2, nkey);
    if (nkey)
        memcpy(out + 4, key, nkey);
    return 4u + nkey;
}

/* ---------------------------------------------------------------- responses */

long sofa__resp_parse(const uint8_t *buf, size_t len, sofa__resp *r)
{
    if (!buf || !r)
        return SOFA_E_INVALID_ARGUMENT;
    if (len == 0)
        return 0;
    uint8_t magic = buf[0];
    if (magic != SOFA__MAGIC_RES && magic != SOFA__MAGIC_RES_FLEX &&
        magic != SOFA__MAGIC_SERVER_REQ)
        return SOFA_E_PROTOCOL;
    if (len < SOFA__HEADER_LEN)
        return 0;
    uint32_t nframing, nkey;
    if (magic == SOFA__MAGIC_RES_FLEX) {
        nframing = buf[2];
        nkey = buf[3];
    } else {
        nframing = 0;
        nkey = sofa__get16(buf + 2);
    }
    uint32_t nextras = buf[4];
    uint32_t body = sofa__get32(buf + 8);
    if (body > SOFA__MAX_BODY)
        return SOFA_E_PROTOCOL;
    /* all four terms are < 2^24, so the sum cannot overflow */
    if (nframing + nextras + nkey > body)
        return SOFA_E_PROTOCOL;
    if (len - SOFA__HEADER_LEN < body)
        return 0;
    /* every field is assigned below */
    r->magic = magic;
    r->opcode = buf[1];
    r->datatype = buf[5];
    r->status = sofa__get16(buf + 6);
    r->opaque = sofa__get32(buf + 12);
    r->cas = sofa__get64(buf + 16);
    const uint8_t *p = buf + SOFA__HEADER_LEN;
    r->nframing = (uint8_t)nframing;
    r->framing = nframing ? p : NULL;
    p += nframing;
    r->nextras = (uint8_t)nextras;
    r->extras = nextras ? p : NULL;
    p += nextras;
    r->nkey = (uint16_t)nkey;
    r->key = nkey ? p : NULL;
    p += nkey;
    r->nvalue = body - nframing - nextras - nkey;
    r->value = r->nvalue ? p : NULL;
    r->total = SOFA__HEADER_LEN + (size_t)body;
    return (long)r->total;
}

int sofa__frame_next(const uint8_t *framing, size_t nframing, size_t *pos, unsigned *id,
                     const uint8_t **data, size_t *len)
{
    size_t i = *pos;
    if (i >= nframing)
        return 0;
    unsigned b = framing[i++];
    unsigned fid = b >> 4, flen = b & 0x0f;
    if (fid == 15) {
        if (i >= nframing)
            return SOFA_E_PROTOCOL;
        fid += framing[i++];
    }
    if (flen == 15) {
        if (i >= nframing)
            return SOFA_E_PROTOCOL;
        flen += framing[i++];
    }
    if (flen > nframing - i)
        return SOFA_E_PROTOCOL;
    *id = fid;
    *data = framing + i;
    *len = flen;
    *pos = i + flen;
    return 1;
}

/*
 * x^1.74 / 2 without libm: x^y = e^(y ln x), ln by the atanh series after scaling into [1, 2),
 * e^t by splitting t = k ln2 + f. Accurate to ~1e-12 relative for 1 <= x <= 65535.
 */
#define LN2 0.69314718055994530942
static double ln_pos(double x)
{
    int k = 0;
    while (x >= 2.0) {
        x /= 2.0;
        k++;
    }
    double z = (x - 1.0) / (x + 1.0), z2 = z * z, term = z, sum = 0.0;
    for (int n = 1; n < 60; n += 2) {
        sum += term / n;
        term *= z2;
    }
    return 2.0 * sum + k * LN2;
}

static double exp_pos(double t)
{
    int k = (int)(t / LN2);
    double f = t - k * LN2, term = 1.0, sum = 1.0;
    for (int n = 1; n < 30; n++) {
        term *= f / n;
        sum += term;
    }
    while (k-- > 0)
        sum *= 2.0;
    return sum;
}

int sofa__resp_server_duration(const sofa__resp *r, double *us)
{
    size_t pos = 0, len;
    unsigned id;
    const uint8_t *data;
    int rc;
    while ((rc = sofa__frame_next(r->framing, r->nframing, &pos, &id, &data, &len)) == 1) {
        if (id != SOFA__FRAME_RES_SERVER_DURATION)
            continue;
        if (len != 2)
            return SOFA_E_PROTOCOL;
        uint16_t enc = sofa__get16(data);
        *us = enc == 0 ? 0.0 : exp_pos(1.74 * ln_pos(enc)) / 2.0;
        return SOFA_OK;
    }
    return rc < 0 ? rc : SOFA_E_NOT_FOUND;
}

int sofa__resp_mutation_token(const sofa__resp *r, uint64_t *vbuuid, uint64_t *seqno)
{
    if (r->nextras != 16)
        return SOFA_E_NOT_FOUND;
    *vbuuid = sofa__get64(r->extras);
    *seqno = sofa__get64(r->extras + 8);
    return SOFA_OK;
}

int sofa__resp_get_flags(const sofa__resp *r, uint32_t *flags)
{
    if (r->nextras == 4) {
        *flags = sofa__get32(r->extras);
        return SOFA_OK;
    }
    if (r->opcode == SOFA__OP_GET_META && (r->nextras == 20 || r->nextras == 21)) {
        *flags = sofa__get32(r->extras + 4);
        return SOFA_OK;
    }
    return SOFA_E_PROTOCOL;
}

int sofa__resp_counter_value(const sofa__resp *r, uint64_t *value)
{
    if (r->nvalue != 8)
        return SOFA_E_PROTOCOL;
    *value = sofa__get64(r->value);
    return SOFA_OK;
}

int sofa__observe_next(const uint8_t *value, size_t n, size_t *pos, sofa__observe_entry *e)
{
    size_t i = *pos;
    if (i >= n)
        return 0;
    if (n - i < 4)
        return SOFA_E_PROTOCOL;
    uint16_t nkey = sofa__get16(value + i + 2);
    /* vbid(2) keylen(2) key state(1) cas(8) */
    if (n - i - 4 < (size_t)nkey + 9)
        return SOFA_E_PROTOCOL;
    e->vbid = sofa__get16(value + i);
    e->nkey = nkey;
    e->key = value + i + 4;
    e->state = value[i + 4 + nkey];
    e->cas = sofa__get64(value + i + 5 + nkey);
    *pos = i + 13 + nkey;
    return 1;
}

int sofa__observe_seqno_parse(const uint8_t *value, size_t n, sofa__observe_seqno *out)
{
    if (n < 1)
        return SOFA_E_PROTOCOL;
    int format = value[0];
    if (!((format == 0 && n == 27) || (format == 1 && n == 43)))
        return SOFA_E_PROTOCOL;
    memset(out, 0, sizeof(*out));
    out->format = format;
    out->vbid = sofa__get16(value + 1);
    out->vbuuid = sofa__get64(value + 3);
    out->persisted_seqno = sofa__get64(value + 11);
    out->current_seqno = sofa__get64(value + 19);
    if (format == 1) {
        out->old_vbuuid = sofa__get64(value + 27);
        out->last_seqno = sofa__get64(value + 35);
    }
    return SOFA_OK;
}
