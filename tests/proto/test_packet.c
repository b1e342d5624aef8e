/* The binary packet codec: byte-exact requests from PROTOCOL.md §1, response parsing of
 * complete, partial and malformed packets, frame infos, LEB128 and body decoders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/packet.h"
#include "sofa/status.h"

static void encodes_get_foo_exactly(void **state)
{
    (void)state;
    static const uint8_t want[] = {0x80, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x73, 0x00,
                                   0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0,    0,
                                   0,    0,    0,    0,    0,    0,    'f',  'o',  'o'};
    sofa__req r = {.opcode = SOFA__OP_GET, .vbucket = 115, .opaque = 1, .key = "foo", .nkey = 3};
    assert_int_equal(sofa__req_size(&r), sizeof(want));
    uint8_t out[64];
    assert_int_equal(sofa__req_encode(&r, out), sizeof(want));
    assert_memory_equal(out, want, sizeof(want));
}

static void encodes_set_foo_with_flags_exactly(void **state)
{
    (void)state;
    static const uint8_t want[] = {0x80, 0x01, 0x00, 0x03, 0x08, 0x00, 0x00, 0x73, 0x00, 0x00,
                                   0x00, 0x0e, 0x00, 0x00, 0x00, 0x02, 0,    0,    0,    0,
                                   0,    0,    0,    0,    0xde, 0xad, 0xbe, 0xef, 0,    0,
                                   0,    0,    'f',  'o',  'o',  'b',  'a',  'r'};
    uint8_t ext[SOFA__EXTRAS_STORE_LEN];
    sofa__extras_store(ext, 0xdeadbeef, 0);
    sofa__req r = {.opcode = SOFA__OP_SET,
                   .vbucket = 115,
                   .opaque = 2,
                   .extras = ext,
                   .nextras = sizeof(ext),
                   .key = "foo",
                   .nkey = 3,
                   .value = "bar",
                   .nvalue = 3};
    uint8_t out[64];
    assert_int_equal(sofa__req_encode(&r, out), sizeof(want));
    assert_memory_equal(out, want, sizeof(want));

    /* the head alone + the value gives the same bytes (gather write) */
    uint8_t head[64];
    size_t nh = sofa__req_encode_head(&r, head);
    assert_int_equal(nh, sizeof(want) - 3);
    assert_int_equal(sofa__req_head_size(&r), nh);
    assert_memory_equal(head, want, nh);
}

static void encodes_durable_set_with_flexible_framing(void **state)
{
    (void)state;
    static const uint8_t want[] = {0x08, 0x01, 0x04, 0x03, 0x08, 0x01, 0x00, 0x73, 0x00, 0x00, 0x00,
                                   0x11, 0x00, 0x00, 0x00, 0x03, 0,    0,    0,    0,    0,    0,
                                   0,    0,    0x13, 0x01, 0x27, 0x10, 0,    0,    0,    0,    0,
                                   0,    0,    0,    'f',  'o',  'o',  '{',  '}'};
    uint8_t fr[SOFA__FRAME_DURABILITY_MAX], ext[SOFA__EXTRAS_STORE_LEN];
    size_t nfr = sofa__frame_durability(fr, SOFA__DURABILITY_MAJORITY, 10000);
    assert_int_equal(nfr, 4);
    sofa__extras_store(ext, 0, 0);
    sofa__req r = {.opcode = SOFA__OP_SET,
                   .vbucket = 115,
                   .opaque = 3,
                   .datatype = SOFA__DT_JSON,
                   .framing = fr,
                   .nframing = (uint8_t)nfr,
                   .extras = ext,
                   .nextras = 8,
                   .key = "foo",
                   .nkey = 3,
                   .value = "{}",
                   .nvalue = 2};
    uint8_t out[64];
    assert_int_equal(sofa__req_encode(&r, out), sizeof(want));
    assert_memory_equal(out, want, sizeof(want));
}

static void durability_frame_without_timeout_is_two_bytes(void **state)
{
    (void)state;
    uint8_t fr[4];
    assert_int_equal(sofa__frame_durability(fr, 2, 0), 2);
    assert_int_equal(fr[0], 0x11);
    assert_int_equal(fr[1], 2);
    assert_int_equal(sofa__frame_durability(fr, 3, 0xffff), 4);
    assert_int_equal(fr[2], 0xff);
    assert_int_equal(fr[3], 0xfe); /* 0xffff is reserved */
}

static void frame_encoding_escapes_large_ids_and_lengths(void **state)
{
    (void)state;
    uint8_t data[40], out[64];
    memset(data, 0xab, sizeof(data));
    size_t n = sofa__frame_encode(out, sizeof(out), 20, data, 30);
    assert_int_equal(n, 1 + 1 + 1 + 30);
    assert_int_equal(out[0], 0xff);
    assert_int_equal(out[1], 5);
    assert_int_equal(out[2], 15);
    size_t pos = 0, len = 0;
    unsigned id = 0;
    const uint8_t *d = NULL;
    assert_int_equal(sofa__frame_next(out, n, &pos, &id, &d, &len), 1);
    assert_int_equal(id, 20);
    assert_int_equal(len, 30);
    assert_ptr_equal(d, out + 3);
    assert_int_equal(sofa__frame_next(out, n, &pos, &id, &d, &len), 0);
    /* does not fit / out of range */
    assert_int_equal(sofa__frame_encode(out, 10, 20, data, 30), 0);
    assert_int_equal(sofa__frame_encode(out, sizeof(out), 15 + 256, NULL, 0), 0);
    /* a truncated frame is a protocol error */
    pos = 0;
    assert_int_equal(sofa__frame_next(out, 20, &pos, &id, &d, &len), SOFA_E_PROTOCOL);
    uint8_t esc_only[] = {0xf0};
    pos = 0;
    assert_int_equal(sofa__frame_next(esc_only, 1, &pos, &id, &d, &len), SOFA_E_PROTOCOL);
}

static void rejects_unencodable_requests(void **state)
{
    (void)state;
    char key[300];
    memset(key, 'k', sizeof(key));
    uint8_t fr[2] = {0x10, 0x01};
    sofa__req r = {.opcode = SOFA__OP_GET, .key = key, .nkey = 256, .framing = fr, .nframing = 2};
    assert_int_equal(sofa__req_check(&r), SOFA_E_KEY_TOO_LONG);
    assert_int_equal(sofa__req_size(&r), 0);
    uint8_t out[512];
    assert_int_equal(sofa__req_encode(&r, out), 0);
    r.nframing = 0; /* without framing the key length is 16 bits */
    assert_int_equal(sofa__req_check(&r), SOFA_OK);
    sofa__req bad = {.opcode = SOFA__OP_SET, .nvalue = 5};
    assert_int_equal(sofa__req_check(&bad), SOFA_E_INVALID_ARGUMENT);
    sofa__req big = {
        .opcode = SOFA__OP_SET, .key = "k", .nkey = 1, .value = key, .nvalue = UINT32_MAX};
    assert_int_equal(sofa__req_check(&big), SOFA_E_VALUE_TOO_LARGE);
    assert_int_equal(sofa__req_check(NULL), SOFA_E_INVALID_ARGUMENT);
}

static void extras_builders_write_big_endian(void **state)
{
    (void)state;
    uint8_t c[SOFA__EXTRAS_COUNTER_LEN];
    sofa__extras_counter(c, 5, 0x0102030405060708ull, SOFA__COUNTER_NO_CREATE);
    assert_int_equal(sofa__get64(c), 5);
    assert_true(sofa__get64(c + 8) == 0x0102030405060708ull);
    assert_int_equal(sofa__get32(c + 16), 0xffffffffu);
    uint8_t e[4];
    sofa__extras_expiry(e, 300);
    assert_int_equal(e[2], 1);
    assert_int_equal(e[3], 44);
}

static void status_mapping_covers_the_table(void **state)
{
    (void)state;
    static const struct {
        uint16_t st;
        uint8_t op;
        int cas;
        int want;
    } t[] = {
        {0x00, SOFA__OP_GET, 0, SOFA_OK},
        {0x01, SOFA__OP_GET, 0, SOFA_E_NOT_FOUND},
        {0x02, SOFA__OP_ADD, 0, SOFA_E_EXISTS},
        {0x02, SOFA__OP_REPLACE, 1, SOFA_E_CAS_MISMATCH},
        {0x03, SOFA__OP_SET, 0, SOFA_E_SERVER_TOO_BIG},
        {0x04, SOFA__OP_SET, 0, SOFA_E_SERVER_INVALID},
        {0x05, SOFA__OP_APPEND, 0, SOFA_E_NOT_STORED},
        {0x06, SOFA__OP_INCREMENT, 0, SOFA_E_DELTA_BADVAL},
        {0x07, SOFA__OP_GET, 0, SOFA_E_NOT_MY_VBUCKET},
        {0x08, SOFA__OP_GET, 0, SOFA_E_NO_BUCKET},
        {0x09, SOFA__OP_GET_LOCKED, 0, SOFA_E_LOCKED},
        {0x0e, SOFA__OP_UNLOCK_KEY, 1, SOFA_E_NOT_LOCKED},
        {0x20, SOFA__OP_SASL_AUTH, 0, SOFA_E_AUTH_FAILED},
        {0x22, SOFA__OP_INCREMENT, 0, SOFA_E_RANGE},
        {0x24, SOFA__OP_GET, 0, SOFA_E_ACCESS_DENIED},
        {0x24, SOFA__OP_SELECT_BUCKET, 0, SOFA_E_BUCKET_NOT_FOUND},
        {0x01, SOFA__OP_SELECT_BUCKET, 0, SOFA_E_BUCKET_NOT_FOUND},
        {0x25, SOFA__OP_GET, 0, SOFA_E_NOT_INITIALIZED},
        {0x81, SOFA__OP_HELLO, 0, SOFA_E_UNKNOWN_COMMAND},
        {0x82, SOFA__OP_SET, 0, SOFA_E_SERVER_NO_MEMORY},
        {0x83, SOFA__OP_FLUSH, 0, SOFA_E_SERVER_NOT_SUPPORTED},
        {0x84, SOFA__OP_GET, 0, SOFA_E_SERVER_INTERNAL},
        {0x85, SOFA__OP_GET, 0, SOFA_E_SERVER_BUSY},
        {0x86, SOFA__OP_GET, 0, SOFA_E_TEMPORARY_FAILURE},
        {0xa0, SOFA__OP_SET, 0, SOFA_E_DURABILITY_INVALID_LEVEL},
        {0xa1, SOFA__OP_SET, 0, SOFA_E_DURABILITY_IMPOSSIBLE},
        {0xa2, SOFA__OP_SET, 0, SOFA_E_SYNC_WRITE_IN_PROGRESS},
        {0xa3, SOFA__OP_SET, 0, SOFA_E_SYNC_WRITE_AMBIGUOUS},
        {0xa4, SOFA__OP_SET, 0, SOFA_E_SYNC_WRITE_RECOMMIT},
        {0xcd, SOFA__OP_SUBDOC_MULTI_LOOKUP, 0, SOFA_OK},
        {0x77, SOFA__OP_GET, 0, SOFA_E_SERVER_ERROR},
        {0xffff, SOFA__OP_GET, 0, SOFA_E_SERVER_ERROR},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        int got = sofa__status_from_server(t[i].st, t[i].op, t[i].cas);
        if (got != t[i].want)
            fail_msg("status 0x%02x op 0x%02x: got %s want %s", t[i].st, t[i].op,
                     sofa_status_name(got), sofa_status_name(t[i].want));
    }
}

/* A GET response: flags 0x01020304, key "", value "hello", cas 0x1122334455667788. */
static size_t make_get_response(uint8_t *out, uint32_t opaque)
{
    static const uint8_t hdr[] = {0x81, 0x00, 0x00, 0x00, 0x04, 0x01, 0x00, 0x00,
                                  0x00, 0x00, 0x00, 0x09, 0,    0,    0,    0,
                                  0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
    memcpy(out, hdr, sizeof(hdr));
    sofa__put32(out + 12, opaque);
    memcpy(out + 24, "\x01\x02\x03\x04hello", 9);
    return 33;
}

static void parses_a_get_response_in_place(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t n = make_get_response(buf, 0xcafe);
    sofa__resp r;
    assert_int_equal(sofa__resp_parse(buf, n, &r), (long)n);
    assert_int_equal(r.magic, 0x81);
    assert_int_equal(r.opcode, SOFA__OP_GET);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.datatype, SOFA__DT_JSON);
    assert_int_equal(r.opaque, 0xcafe);
    assert_true(r.cas == 0x1122334455667788ull);
    assert_int_equal(r.nextras, 4);
    assert_ptr_equal(r.extras, buf + 24);
    assert_int_equal(r.nkey, 0);
    assert_null(r.key);
    assert_int_equal(r.nvalue, 5);
    assert_memory_equal(r.value, "hello", 5);
    assert_int_equal(r.total, n);
    uint32_t flags = 0;
    assert_int_equal(sofa__resp_get_flags(&r, &flags), 0);
    assert_int_equal(flags, 0x01020304);
    uint64_t v, s;
    assert_int_equal(sofa__resp_mutation_token(&r, &v, &s), SOFA_E_NOT_FOUND);
    assert_int_equal(sofa__resp_counter_value(&r, &v), SOFA_E_PROTOCOL);
}

static void every_prefix_of_a_packet_needs_more(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t n = make_get_response(buf, 7);
    sofa__resp r;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(sofa__resp_parse(buf, i, &r), 0);
    /* two packets back to back: the first parses alone, then the second */
    uint8_t two[128];
    size_t n1 = make_get_response(two, 1);
    size_t n2 = make_get_response(two + n1, 2);
    assert_int_equal(sofa__resp_parse(two, n1 + n2, &r), (long)n1);
    assert_int_equal(r.opaque, 1);
    assert_int_equal(sofa__resp_parse(two + n1, n2, &r), (long)n2);
    assert_int_equal(r.opaque, 2);
}

static void rejects_garbage_and_inconsistent_lengths(void **state)
{
    (void)state;
    uint8_t buf[64];
    sofa__resp r;
    size_t n = make_get_response(buf, 7);
    buf[0] = 0x80; /* a request magic is not a response */
    assert_int_equal(sofa__resp_parse(buf, n, &r), SOFA_E_PROTOCOL);
    assert_int_equal(sofa__resp_parse(buf, 1, &r), SOFA_E_PROTOCOL);
    buf[0] = 'H'; /* e.g. an HTTP reply on the KV port */
    assert_int_equal(sofa__resp_parse(buf, 4, &r), SOFA_E_PROTOCOL);

    make_get_response(buf, 7);
    buf[4] = 10; /* extras 10 > body 9 */
    assert_int_equal(sofa__resp_parse(buf, n, &r), SOFA_E_PROTOCOL);
    make_get_response(buf, 7);
    sofa__put16(buf + 2, 6); /* key 6 + extras 4 > 9 */
    assert_int_equal(sofa__resp_parse(buf, n, &r), SOFA_E_PROTOCOL);
    make_get_response(buf, 7);
    sofa__put32(buf + 8, SOFA__MAX_BODY + 1);
    assert_int_equal(sofa__resp_parse(buf, 24, &r), SOFA_E_PROTOCOL);
    sofa__put32(buf + 8, 0xffffffffu);
    assert_int_equal(sofa__resp_parse(buf, 24, &r), SOFA_E_PROTOCOL);
    /* a body of exactly the limit is fine (but incomplete here) */
    sofa__put32(buf + 8, SOFA__MAX_BODY);
    assert_int_equal(sofa__resp_parse(buf, 24, &r), 0);
}

static void parses_flexible_response_with_server_duration(void **state)
{
    (void)state;
    /* magic 0x18, framing 3 (id 0 len 2: encoded 100), key "k", extras 16 (token) */
    uint8_t buf[64] = {0x18, 0x01, 3, 1, 16, 0, 0, 0, 0, 0, 0, 3 + 16 + 1, 0, 0, 0, 9};
    buf[24] = 0x02;
    sofa__put16(buf + 25, 100);
    sofa__put64(buf + 27, 0xabcdef);
    sofa__put64(buf + 35, 42);
    buf[43] = 'k';
    sofa__resp r;
    assert_int_equal(sofa__resp_parse(buf, 44, &r), 44);
    assert_int_equal(r.nframing, 3);
    assert_int_equal(r.nextras, 16);
    assert_int_equal(r.nkey, 1);
    assert_int_equal(r.key[0], 'k');
    assert_int_equal(r.nvalue, 0);
    uint64_t uuid, seq;
    assert_int_equal(sofa__resp_mutation_token(&r, &uuid, &seq), 0);
    assert_int_equal(uuid, 0xabcdef);
    assert_int_equal(seq, 42);
    double us = 0;
    assert_int_equal(sofa__resp_server_duration(&r, &us), 0);
    assert_true(us > 1509.97 && us < 1509.98); /* 100^1.74 / 2 */
    sofa__put16(buf + 25, 65535);
    sofa__resp_parse(buf, 44, &r);
    assert_int_equal(sofa__resp_server_duration(&r, &us), 0);
    assert_true(us > 120125041.0 && us < 120125043.0);
    /* a wrong-size duration frame is malformed; no framing = not found */
    buf[24] = 0x01;
    sofa__resp_parse(buf, 44, &r);
    assert_int_equal(sofa__resp_server_duration(&r, &us), SOFA_E_PROTOCOL);
    make_get_response(buf, 1);
    sofa__resp_parse(buf, 33, &r);
    assert_int_equal(sofa__resp_server_duration(&r, &us), SOFA_E_NOT_FOUND);
}

static void recognises_server_requests(void **state)
{
    (void)state;
    /* clustermap change notification: key "default", extras 16 epoch+rev, value "{}" */
    uint8_t buf[64] = {0x82, 0x01, 0, 7, 16, 0, 0, 0, 0, 0, 0, 16 + 7 + 2, 0, 0, 0, 0};
    sofa__put64(buf + 24, 1);
    sofa__put64(buf + 32, 1073);
    memcpy(buf + 40, "default{}", 9);
    sofa__resp r;
    assert_int_equal(sofa__resp_parse(buf, 49, &r), 49);
    assert_int_equal(r.magic, SOFA__MAGIC_SERVER_REQ);
    assert_int_equal(r.opcode, SOFA__SOP_CLUSTERMAP_CHANGE);
    assert_memory_equal(r.key, "default", 7);
    assert_int_equal(sofa__get64(r.extras + 8), 1073);
    assert_memory_equal(r.value, "{}", 2);
}

static void counter_and_get_meta_decoders(void **state)
{
    (void)state;
    uint8_t buf[64] = {0x81, SOFA__OP_INCREMENT, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8};
    sofa__put64(buf + 24, 12345678901ull);
    sofa__resp r;
    assert_int_equal(sofa__resp_parse(buf, 32, &r), 32);
    uint64_t v = 0;
    assert_int_equal(sofa__resp_counter_value(&r, &v), 0);
    assert_true(v == 12345678901ull);

    uint8_t meta[64] = {0x81, SOFA__OP_GET_META, 0, 0, 21, 0, 0, 0, 0, 0, 0, 21};
    sofa__put32(meta + 28, 0xfeedface);
    assert_int_equal(sofa__resp_parse(meta, 45, &r), 45);
    uint32_t flags = 0;
    assert_int_equal(sofa__resp_get_flags(&r, &flags), 0);
    assert_int_equal(flags, 0xfeedface);
}

static void leb128_matches_the_examples(void **state)
{
    (void)state;
    static const struct {
        uint32_t v;
        uint8_t bytes[5];
        size_t n;
    } t[] = {{0x00, {0x00}, 1},
             {0x80, {0x80, 0x01}, 2},
             {0x555, {0xd5, 0x0a}, 2},
             {0xffffffffu, {0xff, 0xff, 0xff, 0xff, 0x0f}, 5}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        uint8_t out[5];
        assert_int_equal(sofa__leb128_encode(t[i].v, out), t[i].n);
        assert_memory_equal(out, t[i].bytes, t[i].n);
        uint32_t back = 1;
        assert_int_equal(sofa__leb128_decode(out, t[i].n, &back), t[i].n);
        assert_int_equal(back, t[i].v);
        assert_int_equal(sofa__leb128_decode(out, t[i].n - 1, &back), 0);
    }
    static const uint8_t overflow[] = {0xff, 0xff, 0xff, 0xff, 0x1f};
    static const uint8_t too_long[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    uint32_t v;
    assert_int_equal(sofa__leb128_decode(overflow, 5, &v), 0);
    assert_int_equal(sofa__leb128_decode(too_long, 6, &v), 0);
}

static void observe_bodies_round_trip(void **state)
{
    (void)state;
    uint8_t req[32];
    assert_int_equal(sofa__observe_key_encode(req, 115, "foo", 3), 7);
    assert_memory_equal(req,
                        "\x00\x73\x00\x03"
                        "foo",
                        7);

    uint8_t resp[64];
    size_t n = 0;
    n += sofa__observe_key_encode(resp + n, 115, "foo", 3);
    resp[n++] = SOFA__OBS_PERSISTED;
    sofa__put64(resp + n, 99);
    n += 8;
    n += sofa__observe_key_encode(resp + n, 3, "ab", 2);
    resp[n++] = SOFA__OBS_NOT_FOUND;
    sofa__put64(resp + n, 0);
    n += 8;
    size_t pos = 0;
    sofa__observe_entry e;
    assert_int_equal(sofa__observe_next(resp, n, &pos, &e), 1);
    assert_int_equal(e.vbid, 115);
    assert_int_equal(e.nkey, 3);
    assert_memory_equal(e.key, "foo", 3);
    assert_int_equal(e.state, SOFA__OBS_PERSISTED);
    assert_int_equal(e.cas, 99);
    assert_int_equal(sofa__observe_next(resp, n, &pos, &e), 1);
    assert_int_equal(e.state, SOFA__OBS_NOT_FOUND);
    assert_int_equal(sofa__observe_next(resp, n, &pos, &e), 0);
    for (size_t cut = 1; cut < 16; cut++) {
        pos = 0;
        assert_int_equal(sofa__observe_next(resp, cut, &pos, &e), SOFA_E_PROTOCOL);
    }
}

static void observe_seqno_formats(void **state)
{
    (void)state;
    uint8_t v[43] = {0};
    sofa__put16(v + 1, 115);
    sofa__put64(v + 3, 0x1111);
    sofa__put64(v + 11, 5);
    sofa__put64(v + 19, 7);
    sofa__observe_seqno o;
    assert_int_equal(sofa__observe_seqno_parse(v, 27, &o), 0);
    assert_int_equal(o.format, 0);
    assert_int_equal(o.vbid, 115);
    assert_int_equal(o.vbuuid, 0x1111);
    assert_int_equal(o.persisted_seqno, 5);
    assert_int_equal(o.current_seqno, 7);
    v[0] = 1;
    sofa__put64(v + 27, 0x2222);
    sofa__put64(v + 35, 6);
    assert_int_equal(sofa__observe_seqno_parse(v, 43, &o), 0);
    assert_int_equal(o.format, 1);
    assert_int_equal(o.old_vbuuid, 0x2222);
    assert_int_equal(o.last_seqno, 6);
    assert_int_equal(sofa__observe_seqno_parse(v, 27, &o), SOFA_E_PROTOCOL);
    v[0] = 2;
    assert_int_equal(sofa__observe_seqno_parse(v, 43, &o), SOFA_E_PROTOCOL);
    assert_int_equal(sofa__observe_seqno_parse(v, 0, &o), SOFA_E_PROTOCOL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encodes_get_foo_exactly),
        cmocka_unit_test(encodes_set_foo_with_flags_exactly),
        cmocka_unit_test(encodes_durable_set_with_flexible_framing),
        cmocka_unit_test(durability_frame_without_timeout_is_two_bytes),
        cmocka_unit_test(frame_encoding_escapes_large_ids_and_lengths),
        cmocka_unit_test(rejects_unencodable_requests),
        cmocka_unit_test(extras_builders_write_big_endian),
        cmocka_unit_test(status_mapping_covers_the_table),
        cmocka_unit_test(parses_a_get_response_in_place),
        cmocka_unit_test(every_prefix_of_a_packet_needs_more),
        cmocka_unit_test(rejects_garbage_and_inconsistent_lengths),
        cmocka_unit_test(parses_flexible_response_with_server_duration),
        cmocka_unit_test(recognises_server_requests),
        cmocka_unit_test(counter_and_get_meta_decoders),
        cmocka_unit_test(leb128_matches_the_examples),
        cmocka_unit_test(observe_bodies_round_trip),
        cmocka_unit_test(observe_seqno_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
