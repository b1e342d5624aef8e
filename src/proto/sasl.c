/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* SASL client: PLAIN and SCRAM-SHA1/256/512 (RFC 5802, RFC 7677), sans-I/O. */
#include "proto/sasl.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/base64.h"
#include "proto/opcodes.h"
#include "sofa/status.h"

#define MAX_DIGEST 64u
#define NONCE_RANDOM_BYTES 12u /* 24 hex characters */
#define MAX_NONCE 128u
#define MAX_SALT 256u

enum state { ST_NEW, ST_SENT_FIRST, ST_SENT_FINAL, ST_VERIFIED, ST_DONE, ST_FAILED };

struct sofa__sasl {
    sofa__mech mech;
    enum state state;
    char *user;
    char *pass;
    char nonce[MAX_NONCE + 1]; /* client nonce; empty = generate at start */
    char *client_first_bare;
    uint8_t *out; /* current outgoing message */
    size_t nout;
    unsigned char server_sig[MAX_DIGEST];
};

/* ---------------------------------------------------------------- mechanism choice */

static const struct {
    const char *name; /* Couchbase spelling */
    const char *alt;  /* RFC 5802 / Cyrus spelling */
    sofa__mech mech;
    int strength;
} mechs[] = {
    {"SCRAM-SHA512", "SCRAM-SHA-512", SOFA__MECH_SCRAM_SHA512, 4},
    {"SCRAM-SHA256", "SCRAM-SHA-256", SOFA__MECH_SCRAM_SHA256, 3},
    {"SCRAM-SHA1", "SCRAM-SHA-1", SOFA__MECH_SCRAM_SHA1, 2},
    {"PLAIN", "PLAIN", SOFA__MECH_PLAIN, 1},
};
#define NMECHS (sizeof(mechs) / sizeof(mechs[0]))

const char *sofa__sasl_mech_name(sofa__mech mech)
{
    for (size_t i = 0; i < NMECHS; i++)
        if (mechs[i].mech == mech)
            return mechs[i].name;
    return "UNKNOWN";
}

static int token_is(const char *tok, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp(tok, name, n) == 0;
}

/* Index in mechs[] of a token, or -1. */
static int lookup(const char *tok, size_t n)
{
    for (size_t i = 0; i < NMECHS; i++)
        if (token_is(tok, n, mechs[i].name) || token_is(tok, n, mechs[i].alt))
            return (int)i;
    return -1;
}

int sofa__sasl_choose(const char *server_list, size_t len, const char *forced, int allow_plain,
                      sofa__mech *mech, char *name_out, size_t name_len)
{
    if (!server_list || !mech || !name_out)
        return SOFA_E_INVALID_ARGUMENT;
    if (len > SOFA__SASL_MAX_MECH_LIST)
        return SOFA_E_AUTH_NO_MECHANISM;
    int want = -1;
    if (forced && *forced) {
        want = lookup(forced, strlen(forced));
        if (want < 0)
            return SOFA_E_AUTH_NO_MECHANISM;
    }
    int best = -1;
    const char *best_tok = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < len;) {
        while (i < len && (server_list[i] == ' ' || server_list[i] == ','))
            i++;
        size_t start = i;
        while (i < len && server_list[i] != ' ' && server_list[i] != ',')
            i++;
        if (i == start)
            continue;
        int m = lookup(server_list + start, i - start);
        if (m < 0)
            continue;
        if (want >= 0 ? m != want : (mechs[m].mech == SOFA__MECH_PLAIN && !allow_plain))
            continue;
        if (best < 0 || mechs[m].strength > mechs[best].strength) {
            best = m;
            best_tok = server_list + start;
            best_len = i - start;
        }
    }
    if (best < 0)
        return SOFA_E_AUTH_NO_MECHANISM;
    if (best_len + 1 > name_len)
        return SOFA_E_INVALID_ARGUMENT;
    memcpy(name_out, best_tok, best_len);
    name_out[best_len] = '\0';
    *mech = mechs[best].mech;
    return SOFA_OK;
}

/* ---------------------------------------------------------------- state machine */

static const EVP_MD *mech_md(sofa__mech m)
{
    switch (m) {
    case SOFA__MECH_SCRAM_SHA1:
        return EVP_sha1();
    case SOFA__MECH_SCRAM_SHA256:
        return EVP_sha256();
    case SOFA__MECH_SCRAM_SHA512:
        return EVP_sha512();
    default:
        return NULL;
    }
}

static void wipe_free(void *p, size_t n)
{
    if (p) {
        OPENSSL_cleanse(p, n);
        free(p);
    }
}

static void set_out(sofa__sasl *s, uint8_t *msg, size_t n)
{
    wipe_free(s->out, s->nout);
    s->out = msg;
    s->nout = n;
}

int sofa__sasl_new(sofa__sasl **out, sofa__mech mech, const char *user, const char *pass)
{
    if (!out)
        return SOFA_E_INVALID_ARGUMENT;
    *out = NULL;
    if (!user || !pass || strlen(user) > SOFA__SASL_MAX_CRED || strlen(pass) > SOFA__SASL_MAX_CRED)
        return SOFA_E_INVALID_ARGUMENT;
    if (mech != SOFA__MECH_PLAIN && !mech_md(mech))
        return SOFA_E_INVALID_ARGUMENT;
    sofa__sasl *s = calloc(1, sizeof(*s));
    if (!s)
        return SOFA_E_NO_MEMORY;
    s->mech = mech;
    s->user = strdup(user);
    s->pass = strdup(pass);
    if (!s->user || !s->pass) {
        sofa__sasl_free(s);
        return SOFA_E_NO_MEMORY;
    }
    *out = s;
    return SOFA_OK;
}

int sofa__sasl_set_nonce(sofa__sasl *s, const char *nonce)
{
    if (!s || !nonce || s->state != ST_NEW)
        return SOFA_E_INVALID_ARGUMENT;
    size_t n = strlen(nonce);
    if (n == 0 || n > MAX_NONCE)
        return SOFA_E_INVALID_ARGUMENT;
    for (size_t i = 0; i < n; i++)
        if (nonce[i] < 0x21 || nonce[i] > 0x7e || nonce[i] == ',')
            return SOFA_E_INVALID_ARGUMENT;
    memcpy(s->nonce, nonce, n + 1);
    return SOFA_OK;
}

void sofa__sasl_free(sofa__sasl *s)
{
    if (!s)
        return;
    if (s->user)
        wipe_free(s->user, strlen(s->user));
    if (s->pass)
        wipe_free(s->pass, strlen(s->pass));
    if (s->client_first_bare)
        wipe_free(s->client_first_bare, strlen(s->client_first_bare));
    wipe_free(s->out, s->nout);
    OPENSSL_cleanse(s, sizeof(*s));
    free(s);
}

static int start_plain(sofa__sasl *s)
{
    size_t nu = strlen(s->user), np = strlen(s->pass);
    uint8_t *m = malloc(nu + np + 2);
    if (!m)
        return SOFA_E_NO_MEMORY;
    m[0] = 0;
    memcpy(m + 1, s->user, nu);
    m[1 + nu] = 0;
    memcpy(m + 2 + nu, s->pass, np);
    set_out(s, m, nu + np + 2);
    return SOFA_OK;
}

static int start_scram(sofa__sasl *s)
{
    if (!s->nonce[0]) {
        static const char hex[] = "0123456789abcdef";
        unsigned char rnd[NONCE_RANDOM_BYTES];
        if (RAND_bytes(rnd, sizeof(rnd)) != 1)
            return SOFA_E_INTERNAL;
        for (size_t i = 0; i < sizeof(rnd); i++) {
            s->nonce[2 * i] = hex[rnd[i] >> 4];
            s->nonce[2 * i + 1] = hex[rnd[i] & 15];
        }
        s->nonce[2 * sizeof(rnd)] = '\0';
    }
    /* client-first-bare = "n=" escaped-user ",r=" nonce; escaping at most triples a byte */
    size_t nu = strlen(s->user), nn = strlen(s->nonce);
    char *bare = malloc(2 + 3 * nu + 3 + nn + 1);
    if (!bare)
        return SOFA_E_NO_MEMORY;
    char *p = bare;
    *p++ = 'n';
    *p++ = '=';
    for (size_t i = 0; i < nu; i++) {
        if (s->user[i] == '=') {
            memcpy(p, "=3D", 3);
            p += 3;
        } else if (s->user[i] == ',') {
            memcpy(p, "=2C", 3);
            p += 3;
        } else {
            *p++ = s->user[i];
        }
    }
    memcpy(p, ",r=", 3);
    p += 3;
    memcpy(p, s->nonce, nn + 1);
    size_t nb = strlen(bare);
    uint8_t *m = malloc(3 + nb);
    if (!m) {
        free(bare);
        return SOFA_E_NO_MEMORY;
    }
    memcpy(m, "n,,", 3);
    memcpy(m + 3, bare, nb);
    s->client_first_bare = bare;
    set_out(s, m, 3 + nb);
    return SOFA_OK;
}

int sofa__sasl_start(sofa__sasl *s, const uint8_t **msg, size_t *len)
{
    if (!s || !msg || !len)
        return SOFA_E_INVALID_ARGUMENT;
    if (s->state != ST_NEW)
        return SOFA_E_BAD_STATE;
    int rc = s->mech == SOFA__MECH_PLAIN ? start_plain(s) : start_scram(s);
    if (rc != SOFA_OK) {
        s->state = ST_FAILED;
        return rc;
    }
    s->state = ST_SENT_FIRST;
    *msg = s->out;
    *len = s->nout;
    return SOFA_OK;
}

/* ---------------------------------------------------------------- SCRAM messages */

typedef struct attr {
    const char *v;
    size_t n;
} attr;

/* Value of attribute @p key ("r", "s", ...) in a comma-separated server message. */
static int find_attr(const char *m, size_t n, char key, attr *out)
{
    for (size_t i = 0; i < n;) {
        size_t start = i;
        while (i < n && m[i] != ',')
            i++;
        if (i - start >= 2 && m[start] == key && m[start + 1] == '=') {
            out->v = m + start + 2;
            out->n = i - start - 2;
            return 1;
        }
        i++;
    }
    return 0;
}

static int valid_server_text(const uint8_t *d, size_t n)
{
    if (n == 0 || n > SOFA__SASL_MAX_SERVER_MSG)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (d[i] < 0x20 || d[i] > 0x7e)
            return 0;
    return 1;
}

static int hmac(const EVP_MD *md, const void *key, size_t nkey, const void *data, size_t n,
                unsigned char *out)
{
    unsigned int len = 0;
    return HMAC(md, key, (int)nkey, data, n, out, &len) != NULL ? SOFA_OK : SOFA_E_INTERNAL;
}

typedef struct scram_keys {
    unsigned char salted[MAX_DIGEST], client_key[MAX_DIGEST], stored_key[MAX_DIGEST];
    unsigned char client_sig[MAX_DIGEST], server_key[MAX_DIGEST];
} scram_keys;

static int scram_compute(sofa__sasl *s, const EVP_MD *md, const uint8_t *salt, size_t nsalt,
                         unsigned long iter, const char *auth_msg, size_t nauth,
                         unsigned char *proof)
{
    size_t dl = (size_t)EVP_MD_get_size(md);
    scram_keys k;
    unsigned int sl = 0;
    int rc = SOFA_E_INTERNAL;
    if (PKCS5_PBKDF2_HMAC(s->pass, (int)strlen(s->pass), salt, (int)nsalt, (int)iter, md, (int)dl,
                          k.salted) != 1)
        goto out;
    if (hmac(md, k.salted, dl, "Client Key", 10, k.client_key) ||
        EVP_Digest(k.client_key, dl, k.stored_key, &sl, md, NULL) != 1 ||
        hmac(md, k.stored_key, dl, auth_msg, nauth, k.client_sig) ||
        hmac(md, k.salted, dl, "Server Key", 10, k.server_key) ||
        hmac(md, k.server_key, dl, auth_msg, nauth, s->server_sig))
        goto out;
    for (size_t i = 0; i < dl; i++)
        proof[i] = k.client_key[i] ^ k.client_sig[i];
    rc = SOFA_OK;
out:
    OPENSSL_cleanse(&k, sizeof(k));
    return rc;
}

/* server-first -> client-final */
static int scram_client_final(sofa__sasl *s, const uint8_t *data, size_t n)
{
    const char *m = (const char *)data;
    attr r, salt_b64, it;
    if (!valid_server_text(data, n))
        return SOFA_E_PROTOCOL;
    if (find_attr(m, n, 'e', &r))
        return SOFA_E_AUTH_FAILED;
    /* RFC 5802: the message starts with r= (an m= extension is not supported) */
    if (n < 2 || m[0] != 'r' || m[1] != '=' || !find_attr(m, n, 'r', &r) ||
        !find_attr(m, n, 's', &salt_b64) || !find_attr(m, n, 'i', &it))
        return SOFA_E_PROTOCOL;
    size_t nn = strlen(s->nonce);
    if (r.n <= nn || memcmp(r.v, s->nonce, nn) != 0)
        return SOFA_E_PROTOCOL; /* server nonce must extend ours */
    unsigned long iter = 0;
    if (it.n == 0 || it.n > 7)
        return SOFA_E_PROTOCOL;
    for (size_t i = 0; i < it.n; i++) {
        if (it.v[i] < '0' || it.v[i] > '9')
            return SOFA_E_PROTOCOL;
        iter = iter * 10 + (unsigned long)(it.v[i] - '0');
    }
    if (iter == 0 || iter > SOFA__SASL_MAX_ITERATIONS)
        return SOFA_E_PROTOCOL;
    uint8_t salt[MAX_SALT];
    long nsalt = sofa__base64_decode(salt_b64.v, salt_b64.n, salt, sizeof(salt));
    if (nsalt <= 0)
        return SOFA_E_PROTOCOL;

    const EVP_MD *md = mech_md(s->mech);
    size_t dl = (size_t)EVP_MD_get_size(md);
    /* client-final-without-proof = "c=biws,r=" nonce; auth message = bare,server-first,that */
    size_t nwo = 9 + r.n, nbare = strlen(s->client_first_bare);
    size_t nauth = nbare + 1 + n + 1 + nwo;
    size_t nfinal = nwo + 3 + SOFA__BASE64_LEN(MAX_DIGEST);
    char *auth = malloc(nauth + 1);
    uint8_t *final = malloc(nfinal + 1);
    if (!auth || !final) {
        free(auth);
        free(final);
        return SOFA_E_NO_MEMORY;
    }
    memcpy(final, "c=biws,r=", 9);
    memcpy(final + 9, r.v, r.n);
    char *a = auth;
    memcpy(a, s->client_first_bare, nbare);
    a += nbare;
    *a++ = ',';
    memcpy(a, m, n);
    a += n;
    *a++ = ',';
    memcpy(a, final, nwo);
    unsigned char proof[MAX_DIGEST];
    int rc = scram_compute(s, md, salt, (size_t)nsalt, iter, auth, nauth, proof);
    free(auth);
    if (rc != SOFA_OK) {
        free(final);
        return rc;
    }
    memcpy(final + nwo, ",p=", 3);
    size_t nb = sofa__base64_encode(proof, dl, (char *) final + nwo + 3);
    OPENSSL_cleanse(proof, sizeof(proof));
    set_out(s, final, nwo + 3 + nb);
    return SOFA_OK;
}

/* server-final: e= fails, v= must match */
static int scram_verify(sofa__sasl *s, const uint8_t *data, size_t n)
{
    const char *m = (const char *)data;
    attr v;
    if (!valid_server_text(data, n))
        return SOFA_E_AUTH_SERVER_PROOF;
    if (find_attr(m, n, 'e', &v))
        return SOFA_E_AUTH_FAILED;
    if (!find_attr(m, n, 'v', &v))
        return SOFA_E_AUTH_SERVER_PROOF;
    uint8_t sig[MAX_DIGEST + 3];
    size_t dl = (size_t)EVP_MD_get_size(mech_md(s->mech));
    long ns = sofa__base64_decode(v.v, v.n, sig, sizeof(sig));
    if (ns != (long)dl || CRYPTO_memcmp(sig, s->server_sig, dl) != 0)
        return SOFA_E_AUTH_SERVER_PROOF;
    return SOFA_OK;
}

static int step(sofa__sasl *s, uint16_t st, const uint8_t *data, size_t n, int *done)
{
    if (st == SOFA__ST_AUTH_ERROR || st == SOFA__ST_AUTH_STALE)
        return SOFA_E_AUTH_FAILED;
    if (st != SOFA__ST_SUCCESS && st != SOFA__ST_AUTH_CONTINUE)
        return SOFA_E_PROTOCOL;
    int rc;
    switch (s->state) {
    case ST_SENT_FIRST:
        if (s->mech == SOFA__MECH_PLAIN) {
            if (st != SOFA__ST_SUCCESS)
                return SOFA_E_PROTOCOL;
            *done = 1;
            return SOFA_OK;
        }
        if (st != SOFA__ST_AUTH_CONTINUE) /* SCRAM cannot finish in one round */
            return SOFA_E_PROTOCOL;
        if ((rc = scram_client_final(s, data, n)) != SOFA_OK)
            return rc;
        s->state = ST_SENT_FINAL;
        return SOFA_OK;
    case ST_SENT_FINAL:
        if ((rc = scram_verify(s, data, n)) != SOFA_OK)
            return rc;
        if (st == SOFA__ST_SUCCESS) {
            *done = 1;
            return SOFA_OK;
        }
        /* Cyrus: 0x21 with v=, then an empty SASL_STEP before 0x00 */
        set_out(s, NULL, 0);
        s->state = ST_VERIFIED;
        return SOFA_OK;
    case ST_VERIFIED:
        if (st != SOFA__ST_SUCCESS)
            return SOFA_E_PROTOCOL;
        *done = 1;
        return SOFA_OK;
    default:
        return SOFA_E_BAD_STATE;
    }
}

int sofa__sasl_step(sofa__sasl *s, uint16_t server_status, const uint8_t *data, size_t n,
                    const uint8_t **msg, size_t *len, int *done)
{
    if (!s || !msg || !len || !done || (n && !data))
        return SOFA_E_INVALID_ARGUMENT;
    *done = 0;
    *msg = NULL;
    *len = 0;
    if (s->state == ST_NEW || s->state == ST_DONE || s->state == ST_FAILED)
        return SOFA_E_BAD_STATE;
    int rc = step(s, server_status, data, n, done);
    if (rc != SOFA_OK) {
        s->state = ST_FAILED;
        return rc;
    }
    if (*done) {
        s->state = ST_DONE;
        set_out(s, NULL, 0);
        return SOFA_OK;
    }
    *msg = s->out ? s->out : (const uint8_t *)"";
    *len = s->nout;
    return SOFA_OK;
}
