/* sofa-mock: SASL server side — PLAIN and SCRAM-SHA1/256/512 (RFC 5802/7677). A wrong
 * password fails at the proof step with AUTH_ERROR; unknown users are not revealed earlier. */
#include "mock.h"
#include "kvproto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#define SCRAM_ITERATIONS 4096
#define SCRAM_SALT_LEN 16

enum { MECH_NONE, MECH_PLAIN, MECH_SHA1, MECH_SHA256, MECH_SHA512 };

static const struct {
    const char *name;
    int mech;
} mechs[] = {
    {"SCRAM-SHA512", MECH_SHA512},
    {"SCRAM-SHA256", MECH_SHA256},
    {"SCRAM-SHA1", MECH_SHA1},
    {"PLAIN", MECH_PLAIN},
};

const char *mock_sasl_mechs(void)
{
    return "SCRAM-SHA512 SCRAM-SHA256 SCRAM-SHA1 PLAIN";
}

static const EVP_MD *md_of(int mech)
{
    return mech == MECH_SHA1 ? EVP_sha1() : mech == MECH_SHA256 ? EVP_sha256() : EVP_sha512();
}

static int fail(mock_strbuf *out, const char *msg)
{
    mock_strbuf_append(out, msg, strlen(msg));
    return ST_AUTH_ERROR;
}

static int plain(mock_cluster *c, const char *data, size_t n, mock_strbuf *out, char *user_out,
                 size_t userlen)
{
    /* authzid \0 user \0 password */
    const char *p1 = memchr(data, '\0', n);
    if (p1 == NULL) {
        return fail(out, "Invalid PLAIN message");
    }
    const char *user = p1 + 1;
    const char *p2 = memchr(user, '\0', n - (size_t)(user - data));
    if (p2 == NULL) {
        return fail(out, "Invalid PLAIN message");
    }
    size_t ulen = (size_t)(p2 - user), plen = n - (size_t)(p2 + 1 - data);
    char u[MOCK_MAX_NAME + 1], pw[MOCK_MAX_PASS + 1];
    if (ulen > MOCK_MAX_NAME || plen > MOCK_MAX_PASS || memchr(p2 + 1, '\0', plen) != NULL) {
        return fail(out, "Authentication failed");
    }
    memcpy(u, user, ulen);
    u[ulen] = '\0';
    memcpy(pw, p2 + 1, plen);
    pw[plen] = '\0';
    if (!mock_cluster_auth(c, u, pw)) {
        return fail(out, "Authentication failed");
    }
    snprintf(user_out, userlen, "%s", u);
    mock_strbuf_append(out, "Authenticated", 13);
    return ST_SUCCESS;
}

/* Decode a SCRAM username (=2C -> ',', =3D -> '='). */
static int decode_user(const char *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch == '=') {
            if (i + 2 >= n) {
                return -1;
            }
            if (p[i + 1] == '2' && p[i + 2] == 'C') {
                ch = ',';
            } else if (p[i + 1] == '3' && p[i + 2] == 'D') {
                ch = '=';
            } else {
                return -1;
            }
            i += 2;
        }
        if (o + 1 >= cap) {
            return -1;
        }
        out[o++] = ch;
    }
    out[o] = '\0';
    return 0;
}

/* Salted passwords, like the server's stored credentials: one random salt per user and
 * mechanism, PBKDF2 computed once (a changed password gets a new entry). */
#define SALTED_CACHE 64

typedef struct salted_entry {
    char user[MOCK_MAX_NAME + 1];
    char pass[MOCK_MAX_PASS + 1];
    int mech;
    unsigned char salt[SCRAM_SALT_LEN];
    unsigned char salted[64];
} salted_entry;

static salted_entry salted_cache[SALTED_CACHE];
static int salted_next;

static const salted_entry *salted_for(const char *user, int mech, const char *pass)
{
    for (int i = 0; i < SALTED_CACHE; i++) {
        salted_entry *e = &salted_cache[i];
        if (e->mech == mech && strcmp(e->user, user) == 0 && strcmp(e->pass, pass) == 0) {
            return e;
        }
    }
    if (strlen(user) > MOCK_MAX_NAME || strlen(pass) > MOCK_MAX_PASS) {
        return NULL;
    }
    salted_entry *e = &salted_cache[salted_next];
    salted_next = (salted_next + 1) % SALTED_CACHE;
    uint64_t r1 = mock_random64(), r2 = mock_random64();
    memcpy(e->salt, &r1, 8);
    memcpy(e->salt + 8, &r2, 8);
    const EVP_MD *md = md_of(mech);
    if (PKCS5_PBKDF2_HMAC(pass, (int)strlen(pass), e->salt, sizeof(e->salt), SCRAM_ITERATIONS, md,
                          EVP_MD_size(md), e->salted) != 1) {
        e->mech = MECH_NONE;
        return NULL;
    }
    snprintf(e->user, sizeof(e->user), "%s", user);
    snprintf(e->pass, sizeof(e->pass), "%s", pass);
    e->mech = mech;
    return e;
}

static int scram_first(mock_cluster *c, mock_sasl *s, const char *data, size_t n, mock_strbuf *out)
{
    /* gs2 header: "n,," or "y,," (optionally with a=authzid); channel binding "p=" unsupported */
    if (n < 3 || (data[0] != 'n' && data[0] != 'y') || data[1] != ',') {
        return fail(out, "e=other-error");
    }
    const char *comma = memchr(data + 2, ',', n - 2);
    if (comma == NULL) {
        return fail(out, "e=other-error");
    }
    const char *bare = comma + 1;
    size_t nbare = n - (size_t)(bare - data);
    if (nbare >= sizeof(s->client_first_bare) || nbare < 5 || strncmp(bare, "n=", 2) != 0) {
        return fail(out, "e=other-error");
    }
    memcpy(s->client_first_bare, bare, nbare);
    s->client_first_bare[nbare] = '\0';
    const char *uend = strchr(s->client_first_bare, ',');
    if (uend == NULL || strncmp(uend, ",r=", 3) != 0 ||
        decode_user(s->client_first_bare + 2, (size_t)(uend - s->client_first_bare - 2), s->user,
                    sizeof(s->user)) != 0) {
        return fail(out, "e=other-error");
    }
    const char *cnonce = uend + 3;
    size_t ncnonce = strcspn(cnonce, ",");
    if (ncnonce == 0 || ncnonce + 33 > sizeof(s->nonce)) {
        return fail(out, "e=other-error");
    }
    snprintf(s->nonce, sizeof(s->nonce), "%.*s%016llx%016llx", (int)ncnonce, cnonce,
             (unsigned long long)mock_random64(), (unsigned long long)mock_random64());
    const char *pass;
    s->known_user = mock_cluster_user_password(c, s->user, &pass) == 0;
    const salted_entry *e = salted_for(s->known_user ? s->user : "", s->mech,
                                       s->known_user ? pass : "\x01unknown-user");
    if (e == NULL) {
        return fail(out, "e=other-error");
    }
    memcpy(s->salted, e->salted, sizeof(s->salted));
    char salt64[32];
    mock_base64_encode(e->salt, sizeof(e->salt), salt64);
    snprintf(s->server_first, sizeof(s->server_first), "r=%s,s=%s,i=%d", s->nonce, salt64,
             SCRAM_ITERATIONS);
    mock_strbuf_append(out, s->server_first, strlen(s->server_first));
    return ST_AUTH_CONTINUE;
}

static int scram_final(mock_sasl *s, const char *data, size_t n, mock_strbuf *out, char *user_out,
                       size_t userlen)
{
    char msg[1024];
    if (s->server_first[0] == '\0' || n >= sizeof(msg)) {
        return fail(out, "e=other-error");
    }
    memcpy(msg, data, n);
    msg[n] = '\0';
    char *pp = strstr(msg, ",p=");
    if (pp == NULL || strncmp(msg, "c=", 2) != 0) {
        return fail(out, "e=other-error");
    }
    *pp = '\0';
    const char *proof64 = pp + 3;
    /* channel binding must be the base64 gs2 header without binding data */
    if (strncmp(msg, "c=biws,", 7) != 0 && strncmp(msg, "c=eSws,", 7) != 0) {
        return fail(out, "e=channel-bindings-dont-match");
    }
    const char *rn = strstr(msg, ",r=");
    if (rn == NULL || strncmp(rn + 3, s->nonce, strlen(s->nonce)) != 0 ||
        (rn[3 + strlen(s->nonce)] != '\0' && rn[3 + strlen(s->nonce)] != ',')) {
        return fail(out, "e=other-error");
    }
    const EVP_MD *md = md_of(s->mech);
    unsigned dlen = (unsigned)EVP_MD_size(md);
    unsigned char proof[64];
    size_t nproof = 0;
    if (mock_base64_decode(proof64, strlen(proof64), proof, sizeof(proof), &nproof) != 0 ||
        nproof != dlen) {
        return fail(out, "e=invalid-proof");
    }
    char auth[2048];
    int na = snprintf(auth, sizeof(auth), "%s,%s,%s", s->client_first_bare, s->server_first, msg);
    if (na < 0 || (size_t)na >= sizeof(auth)) {
        return fail(out, "e=other-error");
    }
    unsigned char client_key[64], stored[64], sig[64], recovered[64], server_key[64], server_sig[64];
    unsigned l = 0;
    HMAC(md, s->salted, (int)dlen, (const unsigned char *)"Client Key", 10, client_key, &l);
    EVP_Digest(client_key, dlen, stored, NULL, md, NULL);
    HMAC(md, stored, (int)dlen, (const unsigned char *)auth, (size_t)na, sig, &l);
    for (unsigned i = 0; i < dlen; i++) {
        recovered[i] = proof[i] ^ sig[i];
    }
    unsigned char check[64];
    EVP_Digest(recovered, dlen, check, NULL, md, NULL);
    s->server_first[0] = '\0'; /* one attempt per exchange */
    if (!s->known_user || CRYPTO_memcmp(check, stored, dlen) != 0) {
        return fail(out, "e=invalid-proof");
    }
    HMAC(md, s->salted, (int)dlen, (const unsigned char *)"Server Key", 10, server_key, &l);
    HMAC(md, server_key, (int)dlen, (const unsigned char *)auth, (size_t)na, server_sig, &l);
    char v64[100];
    mock_base64_encode(server_sig, dlen, v64);
    mock_strbuf_append(out, "v=", 2);
    mock_strbuf_append(out, v64, strlen(v64));
    snprintf(user_out, userlen, "%s", s->user);
    return ST_SUCCESS;
}

int mock_sasl_handle(mock_cluster *c, mock_sasl *s, int step, const char *mech, size_t nmech,
                     const char *data, size_t ndata, mock_strbuf *out, char *user_out, size_t userlen)
{
    int m = MECH_NONE;
    for (size_t i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++) {
        if (strlen(mechs[i].name) == nmech && memcmp(mechs[i].name, mech, nmech) == 0) {
            m = mechs[i].mech;
        }
    }
    if (m == MECH_NONE) {
        return fail(out, "Unknown mechanism");
    }
    if (!step) {
        memset(s, 0, sizeof(*s));
        s->mech = m;
        if (m == MECH_PLAIN) {
            return plain(c, data, ndata, out, user_out, userlen);
        }
        return scram_first(c, s, data, ndata, out);
    }
    if (s->mech != m || m == MECH_PLAIN) {
        return fail(out, "e=other-error");
    }
    return scram_final(s, data, ndata, out, user_out, userlen);
}
