/* SASL: mechanism choice, PLAIN, SCRAM-SHA1/256/512 against the PROTOCOL.md §5.2 vectors,
 * both server end flows (Couchbase 0x00 + v=, Cyrus 0x21 + v= then empty step), and every
 * way a server message can be wrong. Also the strict base64 helper. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "proto/base64.h"
#include "proto/opcodes.h"
#include "proto/sasl.h"
#include "sofa/status.h"

static void chooses_the_strongest_listed_mechanism(void **state)
{
    (void)state;
    char name[SOFA__SASL_MAX_MECH_NAME];
    sofa__mech m;
    const char *cb = "SCRAM-SHA512 SCRAM-SHA256 SCRAM-SHA1 PLAIN";
    assert_int_equal(sofa__sasl_choose(cb, strlen(cb), NULL, 0, &m, name, sizeof(name)), 0);
    assert_int_equal(m, SOFA__MECH_SCRAM_SHA512);
    assert_string_equal(name, "SCRAM-SHA512");

    /* Cyrus spelling: the exact server string is what goes into the packet key */
    const char *cyrus = "PLAIN SCRAM-SHA-1 SCRAM-SHA-256";
    assert_int_equal(sofa__sasl_choose(cyrus, strlen(cyrus), "", 0, &m, name, sizeof(name)), 0);
    assert_int_equal(m, SOFA__MECH_SCRAM_SHA256);
    assert_string_equal(name, "SCRAM-SHA-256");

    /* list given with its length only (not NUL-terminated) */
    const char *cut = "SCRAM-SHA1 SCRAM-SHA512";
    assert_int_equal(sofa__sasl_choose(cut, 10, NULL, 0, &m, name, sizeof(name)), 0);
    assert_int_equal(m, SOFA__MECH_SCRAM_SHA1);
}

static void plain_only_when_allowed_or_forced(void **state)
{
    (void)state;
    char name[SOFA__SASL_MAX_MECH_NAME];
    sofa__mech m;
    const char *plain = "PLAIN";
    assert_int_equal(sofa__sasl_choose(plain, 5, NULL, 0, &m, name, sizeof(name)),
                     SOFA_E_AUTH_NO_MECHANISM);
    assert_int_equal(sofa__sasl_choose(plain, 5, NULL, 1, &m, name, sizeof(name)), 0);
    assert_int_equal(m, SOFA__MECH_PLAIN);
    const char *cb = "SCRAM-SHA512 SCRAM-SHA256 SCRAM-SHA1 PLAIN";
    assert_int_equal(sofa__sasl_choose(cb, strlen(cb), "PLAIN", 0, &m, name, sizeof(name)), 0);
    assert_int_equal(m, SOFA__MECH_PLAIN);
    assert_int_equal(sofa__sasl_choose(cb, strlen(cb), "SCRAM-SHA1", 0, &m, name, sizeof(name)), 0);
    assert_int_equal(m, SOFA__MECH_SCRAM_SHA1);
    /* forcing a mechanism the server does not list fails, as does an unknown name */
    const char *cyrus = "PLAIN SCRAM-SHA-1 SCRAM-SHA-256";
    assert_int_equal(
        sofa__sasl_choose(cyrus, strlen(cyrus), "SCRAM-SHA512", 0, &m, name, sizeof(name)),
        SOFA_E_AUTH_NO_MECHANISM);
    assert_int_equal(
        sofa__sasl_choose(cyrus, strlen(cyrus), "SCRAM-SHA1", 0, &m, name, sizeof(name)), 0);
    assert_string_equal(name, "SCRAM-SHA-1");
    assert_int_equal(sofa__sasl_choose(cb, strlen(cb), "GSSAPI", 1, &m, name, sizeof(name)),
                     SOFA_E_AUTH_NO_MECHANISM);
    assert_int_equal(sofa__sasl_choose("", 0, NULL, 1, &m, name, sizeof(name)),
                     SOFA_E_AUTH_NO_MECHANISM);
    assert_int_equal(sofa__sasl_choose("CRAM-MD5 GSSAPI", 15, NULL, 1, &m, name, sizeof(name)),
                     SOFA_E_AUTH_NO_MECHANISM);
    char tiny[5];
    assert_int_equal(sofa__sasl_choose(cb, strlen(cb), NULL, 0, &m, tiny, sizeof(tiny)),
                     SOFA_E_INVALID_ARGUMENT);
}

static void plain_sends_user_and_password(void **state)
{
    (void)state;
    sofa__sasl *s;
    assert_int_equal(sofa__sasl_new(&s, SOFA__MECH_PLAIN, "user", "pencil"), 0);
    const uint8_t *msg;
    size_t len;
    int done = 0;
    assert_int_equal(sofa__sasl_start(s, &msg, &len), 0);
    assert_int_equal(len, 12);
    assert_memory_equal(msg, "\0user\0pencil", 12);
    assert_int_equal(sofa__sasl_start(s, &msg, &len), SOFA_E_BAD_STATE);
    assert_int_equal(sofa__sasl_step(s, 0x00, NULL, 0, &msg, &len, &done), 0);
    assert_int_equal(done, 1);
    assert_int_equal(sofa__sasl_step(s, 0x00, NULL, 0, &msg, &len, &done), SOFA_E_BAD_STATE);
    sofa__sasl_free(s);

    assert_int_equal(sofa__sasl_new(&s, SOFA__MECH_PLAIN, "user", "wrong"), 0);
    assert_int_equal(sofa__sasl_start(s, &msg, &len), 0);
    assert_int_equal(sofa__sasl_step(s, SOFA__ST_AUTH_ERROR, (const uint8_t *)"Auth failure", 12,
                                     &msg, &len, &done),
                     SOFA_E_AUTH_FAILED);
    assert_int_equal(done, 0);
    sofa__sasl_free(s);
    sofa__sasl_free(NULL);
}

typedef struct vector {
    sofa__mech mech;
    const char *nonce, *server_first, *proof, *verifier;
} vector;

static const vector vectors[] = {
    {SOFA__MECH_SCRAM_SHA1, "fyko+d2lbbFgONRv9qkxdawL",
     "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
     "v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", "rmF9pqV8S7suAoZWja4dJRkFsKQ="},
    {SOFA__MECH_SCRAM_SHA256, "rOprNGfwEbeRWgbNEkqO",
     "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
     "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
     "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="},
    {SOFA__MECH_SCRAM_SHA512, "rOprNGfwEbeRWgbNEkqO",
     "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
     "gMGXRcevScNtxZ6/8lQYpGtnsNAc3mGcmNomv+xnoOMw+3R2xNJdMNnzMlTN8PPC6wdp6dybEmDYXYTxwnYPJQ==",
     "ZQnYEgWQMFmmsM8aQMF0nDDCy/AgCzkwk8CmMZYcMg0vSVlKDanekLtifDSeVGT4+5ZxXnJq199RVG2rR7N7Zw=="},
};

/* Run a vector up to (and including) the client-final message. */
static sofa__sasl *run_to_final(const vector *v)
{
    sofa__sasl *s;
    assert_int_equal(sofa__sasl_new(&s, v->mech, "user", "pencil"), 0);
    assert_int_equal(sofa__sasl_set_nonce(s, v->nonce), 0);
    const uint8_t *msg;
    size_t len;
    int done = 1;
    assert_int_equal(sofa__sasl_start(s, &msg, &len), 0);
    char want[256];
    snprintf(want, sizeof(want), "n,,n=user,r=%s", v->nonce);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(msg, want, len);

    assert_int_equal(sofa__sasl_step(s, SOFA__ST_AUTH_CONTINUE, (const uint8_t *)v->server_first,
                                     strlen(v->server_first), &msg, &len, &done),
                     0);
    assert_int_equal(done, 0);
    const char *full = v->server_first + 2;
    size_t nfull = (size_t)(strchr(full, ',') - full);
    snprintf(want, sizeof(want), "c=biws,r=%.*s,p=%s", (int)nfull, full, v->proof);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(msg, want, len);
    return s;
}

static int feed(sofa__sasl *s, uint16_t st, const char *text, int *done, size_t *len)
{
    const uint8_t *msg;
    return sofa__sasl_step(s, st, (const uint8_t *)text, strlen(text), &msg, len, done);
}

static void scram_vectors_couchbase_flow(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        sofa__sasl *s = run_to_final(&vectors[i]);
        char v[200];
        snprintf(v, sizeof(v), "v=%s", vectors[i].verifier);
        int done = 0;
        size_t len = 99;
        assert_int_equal(feed(s, SOFA__ST_SUCCESS, v, &done, &len), 0);
        assert_int_equal(done, 1);
        assert_int_equal(len, 0);
        sofa__sasl_free(s);
    }
}

static void scram_vectors_cyrus_flow_sends_empty_step(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        sofa__sasl *s = run_to_final(&vectors[i]);
        char v[200];
        snprintf(v, sizeof(v), "v=%s", vectors[i].verifier);
        int done = 1;
        size_t len = 99;
        assert_int_equal(feed(s, SOFA__ST_AUTH_CONTINUE, v, &done, &len), 0);
        assert_int_equal(done, 0);
        assert_int_equal(len, 0); /* empty SASL_STEP */
        assert_int_equal(feed(s, SOFA__ST_SUCCESS, "Authenticated", &done, &len), 0);
        assert_int_equal(done, 1);
        sofa__sasl_free(s);
    }
}

static void scram_rejects_a_wrong_server_signature(void **state)
{
    (void)state;
    sofa__sasl *s = run_to_final(&vectors[1]);
    int done = 0;
    size_t len;
    /* the SHA-1 verifier is a valid signature of the wrong size and value */
    assert_int_equal(feed(s, SOFA__ST_SUCCESS, "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=", &done, &len),
                     SOFA_E_AUTH_SERVER_PROOF);
    assert_int_equal(done, 0);
    assert_int_equal(feed(s, SOFA__ST_SUCCESS, "v=x", &done, &len), SOFA_E_BAD_STATE);
    sofa__sasl_free(s);

    /* one flipped character */
    s = run_to_final(&vectors[1]);
    assert_int_equal(
        feed(s, SOFA__ST_SUCCESS, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G5=", &done, &len),
        SOFA_E_AUTH_SERVER_PROOF);
    sofa__sasl_free(s);

    /* success without any proof must not be trusted */
    s = run_to_final(&vectors[0]);
    assert_int_equal(feed(s, SOFA__ST_SUCCESS, "", &done, &len), SOFA_E_AUTH_SERVER_PROOF);
    sofa__sasl_free(s);
}

static void scram_server_errors_fail_authentication(void **state)
{
    (void)state;
    int done;
    size_t len;
    /* CouchbaseMock answers a wrong password with 0x00 and e=failed */
    sofa__sasl *s = run_to_final(&vectors[0]);
    assert_int_equal(feed(s, SOFA__ST_SUCCESS, "e=failed", &done, &len), SOFA_E_AUTH_FAILED);
    sofa__sasl_free(s);
    s = run_to_final(&vectors[0]);
    assert_int_equal(feed(s, SOFA__ST_AUTH_ERROR, "", &done, &len), SOFA_E_AUTH_FAILED);
    sofa__sasl_free(s);
    s = run_to_final(&vectors[0]);
    assert_int_equal(feed(s, SOFA__ST_ETMPFAIL, "", &done, &len), SOFA_E_PROTOCOL);
    sofa__sasl_free(s);
}

static void scram_rejects_bad_server_first_messages(void **state)
{
    (void)state;
    static const struct {
        uint16_t st;
        const char *msg;
        int want;
    } t[] = {
        {0x21, "r=OTHERNONCE123,s=QSXCR+Q6sek8bf92,i=4096", SOFA_E_PROTOCOL},
        {0x21, "r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096", SOFA_E_PROTOCOL},
        {0x21, "r=fyko+d2lbbFgONRv9qkxdawLXY,i=4096", SOFA_E_PROTOCOL},
        {0x21, "r=fyko+d2lbbFgONRv9qkxdawLXY,s=QSXCR+Q6sek8bf92", SOFA_E_PROTOCOL},
        {0x21, "r=fyko+d2lbbFgONRv9qkxdawLXY,s=QSXCR+Q6sek8bf92,i=0", SOFA_E_PROTOCOL},
        {0x21, "r=fyko+d2lbbFgONRv9qkxdawLXY,s=QSXCR+Q6sek8bf92,i=4k", SOFA_E_PROTOCOL},
        {0x21, "r=fyko+d2lbbFgONRv9qkxdawLXY,s=QSXCR+Q6sek8bf92,i=99999999", SOFA_E_PROTOCOL},
        {0x21, "r=fyko+d2lbbFgONRv9qkxdawLXY,s=QSXCR+Q6sek8bf9,i=4096", SOFA_E_PROTOCOL},
        {0x21, "r=fyko+d2lbbFgONRv9qkxdawLXY,s=,i=4096", SOFA_E_PROTOCOL},
        {0x21, "m=ext,r=fyko+d2lbbFgONRv9qkxdawLXY,s=QSXCR+Q6sek8bf92,i=4096", SOFA_E_PROTOCOL},
        {0x21, "r=fyko+d2lbbFgONRv9qkxdawLXY,s=QSXCR+Q6sek8bf92,i=4096\n", SOFA_E_PROTOCOL},
        {0x21, "", SOFA_E_PROTOCOL},
        {0x21, "e=unknown-user", SOFA_E_AUTH_FAILED},
        {0x00, "r=fyko+d2lbbFgONRv9qkxdawLXY,s=QSXCR+Q6sek8bf92,i=4096", SOFA_E_PROTOCOL},
        {0x20, "", SOFA_E_AUTH_FAILED},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        sofa__sasl *s;
        assert_int_equal(sofa__sasl_new(&s, SOFA__MECH_SCRAM_SHA1, "user", "pencil"), 0);
        assert_int_equal(sofa__sasl_set_nonce(s, "fyko+d2lbbFgONRv9qkxdawL"), 0);
        const uint8_t *msg;
        size_t len;
        int done;
        assert_int_equal(sofa__sasl_start(s, &msg, &len), 0);
        int rc = feed(s, t[i].st, t[i].msg, &done, &len);
        if (rc != t[i].want)
            fail_msg("case %zu \"%s\": got %s want %s", i, t[i].msg, sofa_status_name(rc),
                     sofa_status_name(t[i].want));
        sofa__sasl_free(s);
    }
}

static void scram_escapes_the_user_name(void **state)
{
    (void)state;
    sofa__sasl *s;
    assert_int_equal(sofa__sasl_new(&s, SOFA__MECH_SCRAM_SHA256, "a=b,c", "pw"), 0);
    assert_int_equal(sofa__sasl_set_nonce(s, "abc"), 0);
    const uint8_t *msg;
    size_t len;
    assert_int_equal(sofa__sasl_start(s, &msg, &len), 0);
    const char *want = "n,,n=a=3Db=2Cc,r=abc";
    assert_int_equal(len, strlen(want));
    assert_memory_equal(msg, want, len);
    assert_int_equal(sofa__sasl_set_nonce(s, "late"), SOFA_E_INVALID_ARGUMENT);
    sofa__sasl_free(s);
}

static void scram_generates_fresh_nonces(void **state)
{
    (void)state;
    char first[2][64];
    for (int k = 0; k < 2; k++) {
        sofa__sasl *s;
        assert_int_equal(sofa__sasl_new(&s, SOFA__MECH_SCRAM_SHA512, "user", "pencil"), 0);
        const uint8_t *msg;
        size_t len;
        assert_int_equal(sofa__sasl_start(s, &msg, &len), 0);
        assert_true(len == strlen("n,,n=user,r=") + 24);
        assert_memory_equal(msg, "n,,n=user,r=", 12);
        memcpy(first[k], msg + 12, 24);
        first[k][24] = '\0';
        for (int i = 0; i < 24; i++)
            assert_non_null(strchr("0123456789abcdef", first[k][i]));
        sofa__sasl_free(s);
    }
    assert_string_not_equal(first[0], first[1]);
}

static void rejects_bad_arguments(void **state)
{
    (void)state;
    sofa__sasl *s = (sofa__sasl *)1;
    assert_int_equal(sofa__sasl_new(&s, SOFA__MECH_PLAIN, NULL, "x"), SOFA_E_INVALID_ARGUMENT);
    assert_null(s);
    assert_int_equal(sofa__sasl_new(&s, (sofa__mech)99, "u", "x"), SOFA_E_INVALID_ARGUMENT);
    char big[SOFA__SASL_MAX_CRED + 2];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(sofa__sasl_new(&s, SOFA__MECH_PLAIN, "u", big), SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(sofa__sasl_new(&s, SOFA__MECH_SCRAM_SHA1, "u", "p"), 0);
    assert_int_equal(sofa__sasl_set_nonce(s, "has,comma"), SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(sofa__sasl_set_nonce(s, ""), SOFA_E_INVALID_ARGUMENT);
    const uint8_t *msg;
    size_t len;
    int done;
    assert_int_equal(sofa__sasl_step(s, 0x21, NULL, 0, &msg, &len, &done), SOFA_E_BAD_STATE);
    sofa__sasl_free(s);
    assert_string_equal(sofa__sasl_mech_name(SOFA__MECH_SCRAM_SHA256), "SCRAM-SHA256");
}

static void base64_round_trips_and_is_strict(void **state)
{
    (void)state;
    static const struct {
        const char *raw, *enc;
    } t[] = {{"", ""},
             {"f", "Zg=="},
             {"fo", "Zm8="},
             {"foo", "Zm9v"},
             {"foob", "Zm9vYg=="},
             {"fooba", "Zm9vYmE="},
             {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        char enc[32];
        uint8_t dec[32];
        size_t n = strlen(t[i].raw);
        assert_int_equal(sofa__base64_encode((const uint8_t *)t[i].raw, n, enc), strlen(t[i].enc));
        assert_string_equal(enc, t[i].enc);
        assert_int_equal(sofa__base64_decode(t[i].enc, strlen(t[i].enc), dec, sizeof(dec)),
                         (long)n);
        assert_memory_equal(dec, t[i].raw, n);
    }
    static const char *bad[] = {"Zg=", "Zg", "Z===", "Zh==", "Zm9=Zm9v", "Zm 9", "Zm9v\n", "=Zm9"};
    uint8_t dec[32];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (sofa__base64_decode(bad[i], strlen(bad[i]), dec, sizeof(dec)) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(sofa__base64_decode("Zm9vYmFy", 8, dec, 5), -1); /* does not fit */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chooses_the_strongest_listed_mechanism),
        cmocka_unit_test(plain_only_when_allowed_or_forced),
        cmocka_unit_test(plain_sends_user_and_password),
        cmocka_unit_test(scram_vectors_couchbase_flow),
        cmocka_unit_test(scram_vectors_cyrus_flow_sends_empty_step),
        cmocka_unit_test(scram_rejects_a_wrong_server_signature),
        cmocka_unit_test(scram_server_errors_fail_authentication),
        cmocka_unit_test(scram_rejects_bad_server_first_messages),
        cmocka_unit_test(scram_escapes_the_user_name),
        cmocka_unit_test(scram_generates_fresh_nonces),
        cmocka_unit_test(rejects_bad_arguments),
        cmocka_unit_test(base64_round_trips_and_is_strict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
