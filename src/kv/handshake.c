/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * The per-connection handshake (PROTOCOL.md §5.1), pipelined:
 *   HELLO + GET_ERROR_MAP + SASL_LIST_MECHS written together  ->  SASL_AUTH / SASL_STEP...  ->
 *   SELECT_BUCKET (when HELLO acked it and a bucket is wanted)  ->  READY.
 * memcached:// connections send no HELLO and no SELECT_BUCKET (memcached stalls on
 * unknown commands carrying a key); SASL only when credentials were given.
 * Every response during the handshake comes here, in order.
 */
#include <stdio.h>
#include <string.h>

#include "kv/engine.h"
#include "sofa/sofa.h"
#include "sofa/status.h"

#define HS_AGENT "sofa/" SOFA_VERSION_STRING

static void hs_fail(sofa__kvnode *n, int status, const char *why)
{
    n->hs_status = status;
    sofa__node_fail(n, status, why);
}

static int send_simple(sofa__kvnode *n, uint8_t opcode, const void *key, size_t nkey,
                       const void *value, size_t nvalue)
{
    sofa__req r;
    memset(&r, 0, sizeof(r));
    r.opcode = opcode;
    r.opaque = 0xfffff000u | opcode;
    r.key = key;
    r.nkey = (uint16_t)nkey;
    r.value = value;
    r.nvalue = (uint32_t)nvalue;
    return sofa__node_write_req(n, &r);
}

static void after_auth(sofa__kvnode *n)
{
    sofa_client *c = n->client;
    if (n->hs_pending & (SOFA__HS_HELLO | SOFA__HS_ERRMAP | SOFA__HS_MECHS | SOFA__HS_AUTH))
        return;
    if (!c->memcached && c->bucket && (n->features & SOFA__NF_SELECT_BUCKET)) {
        if (n->hs_pending & SOFA__HS_SELECT)
            return;
        int rc = send_simple(n, SOFA__OP_SELECT_BUCKET, c->bucket, strlen(c->bucket), NULL, 0);
        if (rc != 0) {
            hs_fail(n, rc, "cannot send SELECT_BUCKET");
            return;
        }
        n->hs_pending |= SOFA__HS_SELECT;
        return;
    }
    sofa__node_ready(n);
}

void sofa__hs_start(sofa__kvnode *n)
{
    sofa_client *c = n->client;
    n->features = 0;
    n->hs_pending = 0;
    n->hs_status = 0;
    if (!c->memcached) {
        uint8_t feats[16];
        size_t nf = 0;
        uint16_t want[] = {SOFA__FEAT_TCPNODELAY, SOFA__FEAT_MUTATION_SEQNO, SOFA__FEAT_XERROR,
                           SOFA__FEAT_SELECT_BUCKET, SOFA__FEAT_JSON, SOFA__FEAT_ALT_REQUEST,
                           SOFA__FEAT_SYNC_REPLICATION};
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
            if (want[i] == SOFA__FEAT_MUTATION_SEQNO && !c->cs.enable_mutation_tokens)
                continue;
            sofa__put16(feats + 2 * nf, want[i]);
            nf++;
        }
        if (send_simple(n, SOFA__OP_HELLO, HS_AGENT, strlen(HS_AGENT), feats, 2 * nf) != 0) {
            hs_fail(n, SOFA_E_NO_MEMORY, "cannot send HELLO");
            return;
        }
        n->hs_pending |= SOFA__HS_HELLO;
        uint8_t ver[2];
        sofa__put16(ver, 2); /* error map version 2 */
        if (send_simple(n, SOFA__OP_GET_ERROR_MAP, NULL, 0, ver, sizeof(ver)) != 0) {
            hs_fail(n, SOFA_E_NO_MEMORY, "cannot send GET_ERROR_MAP");
            return;
        }
        n->hs_pending |= SOFA__HS_ERRMAP;
    }
    if (c->username) {
        if (send_simple(n, SOFA__OP_SASL_LIST_MECHS, NULL, 0, NULL, 0) != 0) {
            hs_fail(n, SOFA_E_NO_MEMORY, "cannot send SASL_LIST_MECHS");
            return;
        }
        n->hs_pending |= SOFA__HS_MECHS;
    }
    after_auth(n);
}

static void on_hello(sofa__kvnode *n, const sofa__resp *r)
{
    n->hs_pending &= ~(unsigned)SOFA__HS_HELLO;
    if (r->status == SOFA__ST_SUCCESS) {
        for (uint32_t i = 0; i + 1 < r->nvalue; i += 2) {
            switch (sofa__get16(r->value + i)) {
            case SOFA__FEAT_MUTATION_SEQNO: n->features |= SOFA__NF_MUTATION_SEQNO; break;
            case SOFA__FEAT_XERROR: n->features |= SOFA__NF_XERROR; break;
            case SOFA__FEAT_SELECT_BUCKET: n->features |= SOFA__NF_SELECT_BUCKET; break;
            case SOFA__FEAT_JSON: n->features |= SOFA__NF_JSON; break;
            case SOFA__FEAT_ALT_REQUEST: n->features |= SOFA__NF_ALT_REQUEST; break;
            case SOFA__FEAT_SYNC_REPLICATION: n->features |= SOFA__NF_SYNC_REPLICATION; break;
            case SOFA__FEAT_TCPNODELAY: n->features |= SOFA__NF_TCPNODELAY; break;
            default: break;
            }
        }
    }
    /* Anything else (0x81, 0x83): an old server; go on without features. */
    after_auth(n);
}

static void on_errmap(sofa__kvnode *n, const sofa__resp *r)
{
    sofa_client *c = n->client;
    n->hs_pending &= ~(unsigned)SOFA__HS_ERRMAP;
    if (r->status == SOFA__ST_SUCCESS && r->nvalue > 0) {
        sofa__errmap *m = NULL;
        char err[160];
        if (sofa__errmap_parse((const char *)r->value, r->nvalue, &m, err, sizeof(err)) != 0) {
            SOFA_LOG(&c->logger, SOFA_LOG_WARN, "kv", "%s: error map ignored: %s", n->name, err);
        } else if (sofa__errmap_newer(c->errmap, m)) {
            sofa__errmap_free(c->errmap);
            c->errmap = m;
        } else {
            sofa__errmap_free(m);
        }
    }
    /* 0x81/0x83/0x24: a server without error maps; go on without one */
    after_auth(n);
}

static void on_mechs(sofa__kvnode *n, const sofa__resp *r)
{
    sofa_client *c = n->client;
    n->hs_pending &= ~(unsigned)SOFA__HS_MECHS;
    if (r->status == SOFA__ST_UNKNOWN_COMMAND || r->status == SOFA__ST_NOT_SUPPORTED) {
        /* a server without SASL: nothing to authenticate */
        after_auth(n);
        return;
    }
    if (r->status != SOFA__ST_SUCCESS) {
        hs_fail(n, sofa__status_from_server(r->status, r->opcode, 0), "SASL_LIST_MECHS refused");
        return;
    }
    sofa__mech mech;
    int allow_plain = c->cs.tls;
    int rc = sofa__sasl_choose((const char *)r->value, r->nvalue, c->cs.sasl_mech_force,
                               allow_plain, &mech, n->mech, sizeof(n->mech));
    if (rc != 0) {
        hs_fail(n, rc == SOFA_E_AUTH_NO_MECHANISM ? rc : SOFA_E_AUTH_NO_MECHANISM,
                "no SASL mechanism acceptable to both sides");
        return;
    }
    rc = sofa__sasl_new(&n->sasl, mech, c->username, c->password ? c->password : "");
    if (rc != 0) {
        hs_fail(n, rc, "cannot start SASL");
        return;
    }
    const uint8_t *msg = NULL;
    size_t len = 0;
    rc = sofa__sasl_start(n->sasl, &msg, &len);
    if (rc == 0)
        rc = send_simple(n, SOFA__OP_SASL_AUTH, n->mech, strlen(n->mech), msg, len);
    if (rc != 0) {
        hs_fail(n, rc, "cannot send SASL_AUTH");
        return;
    }
    SOFA_LOG(&c->logger, SOFA_LOG_DEBUG, "kv", "%s: authenticating with %s", n->name, n->mech);
    n->hs_pending |= SOFA__HS_AUTH;
}

static void on_auth(sofa__kvnode *n, const sofa__resp *r)
{
    if (!n->sasl || !(n->hs_pending & SOFA__HS_AUTH)) {
        hs_fail(n, SOFA_E_PROTOCOL, "unexpected SASL reply");
        return;
    }
    const uint8_t *msg = NULL;
    size_t len = 0;
    int done = 0;
    int rc = sofa__sasl_step(n->sasl, r->status, r->value, r->nvalue, &msg, &len, &done);
    if (rc != 0) {
        hs_fail(n, rc, rc == SOFA_E_AUTH_FAILED ? "authentication failed (bad user or password)"
                       : rc == SOFA_E_AUTH_SERVER_PROOF ? "server's SCRAM proof did not verify"
                                                        : "SASL exchange failed");
        return;
    }
    if (!done) {
        rc = send_simple(n, SOFA__OP_SASL_STEP, n->mech, strlen(n->mech), msg, len);
        if (rc != 0)
            hs_fail(n, rc, "cannot send SASL_STEP");
        return;
    }
    sofa__sasl_free(n->sasl);
    n->sasl = NULL;
    n->hs_pending &= ~(unsigned)SOFA__HS_AUTH;
    after_auth(n);
}

static void on_select(sofa__kvnode *n, const sofa__resp *r)
{
    n->hs_pending &= ~(unsigned)SOFA__HS_SELECT;
    if (r->status != SOFA__ST_SUCCESS) {
        int st = r->status == SOFA__ST_AUTH_ERROR ? SOFA_E_AUTH_FAILED : SOFA_E_BUCKET_NOT_FOUND;
        hs_fail(n, st, st == SOFA_E_AUTH_FAILED ? "not authenticated for the bucket"
                                                : "no such bucket (or no access to it)");
        return;
    }
    sofa__node_ready(n);
}

void sofa__hs_on_response(sofa__kvnode *n, const sofa__resp *r)
{
    switch (r->opcode) {
    case SOFA__OP_HELLO: on_hello(n, r); break;
    case SOFA__OP_GET_ERROR_MAP: on_errmap(n, r); break;
    case SOFA__OP_SASL_LIST_MECHS: on_mechs(n, r); break;
    case SOFA__OP_SASL_AUTH:
    case SOFA__OP_SASL_STEP: on_auth(n, r); break;
    case SOFA__OP_SELECT_BUCKET: on_select(n, r); break;
    default:
        if (r->status == SOFA__ST_AUTH_ERROR)
            hs_fail(n, SOFA_E_AUTH_FAILED, "server requires authentication");
        break;
    }
}
