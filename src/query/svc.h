/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * The HTTP services of one client: the HTTP pool, the node chooser for the
 * query and views services, the prepared-statement cache and the list of
 * running queries. The client creates one with sofa__svc_new() and frees it
 * (which ends every running query with SOFA_E_CANCELED) when it is destroyed.
 *
 * The client tells the services about itself through hooks, so that this
 * layer needs nothing from the client's internals:
 *   config()    the current cluster configuration (borrowed) or NULL;
 *   op_begin()  a user-visible operation started (sofa_client_wait waits for it);
 *   op_end()    it ended (after its terminal callback returned);
 *   get_doc()   fetch one document over KV (views with include_docs).
 */
#ifndef SOFA_QUERY_SVC_H
#define SOFA_QUERY_SVC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/dlist.h"
#include "core/log.h"
#include "http/client.h"
#include "proto/config.h"
#include "sofa/client.h"
#include "sofa/iops.h"

#define SOFA__PREPARED_CACHE_MAX 1024u
#define SOFA__SVC_MAX_BUCKET 100u

/* Result of a document fetch for include_docs; value valid only during the call. */
typedef void (*sofa__svc_doc_cb)(void *cookie, int status, const void *value, size_t nvalue,
                                 uint64_t cas);

typedef struct sofa__svc_hooks {
    const sofa__config *(*config)(void *arg);
    void (*op_begin)(void *arg);
    void (*op_end)(void *arg);
    /* Fetch a document over KV (include_docs). Returns 0 and calls @p cb exactly
     * once later, or a negative status and never calls it. May be NULL
     * (include_docs then fails with SOFA_E_NOT_SUPPORTED). */
    int (*get_doc)(void *arg, const char *key, size_t nkey, sofa__svc_doc_cb cb, void *cookie);
    /* Optional: around every callback from the loop (see sofa__io_guard). */
    void (*enter)(void *arg);
    void (*leave)(void *arg);
    /* Optional: nonzero once the client is being freed (no more rows are delivered;
     * running queries end with SOFA_E_CANCELED). */
    int (*closing)(void *arg);
} sofa__svc_hooks;

typedef enum sofa__service {
    SOFA__SVC_MGMT = 0,
    SOFA__SVC_CAPI = 1,
    SOFA__SVC_N1QL = 2
} sofa__service;

/* Where a request goes. */
typedef struct sofa__endpoint {
    char host[SOFA__CONFIG_MAX_HOST + 1];
    uint16_t port;
    char prefix[512]; /* CAPI: the bucket path ("/default" or couchApiBase's path) */
} sofa__endpoint;

typedef struct sofa__prepared {
    struct sofa__prepared *next;
    char *statement;
    char *name;
    char *plan; /* NULL with enhanced prepared statements */
} sofa__prepared;

typedef struct sofa_query sofa_query;

typedef struct sofa__svc {
    sofa_client *client; /* handed to user callbacks */
    sofa_iops *io;
    const sofa__logger *lg;
    sofa__http *http;
    char bucket[SOFA__SVC_MAX_BUCKET + 1];
    sofa__svc_hooks hooks;
    void *hook_arg;
    uint64_t query_timeout_us;
    uint64_t view_timeout_us;
    size_t rr[3]; /* round-robin position per service */
    int tls;      /* couchbases://: the services' TLS ports (mgmtSSL, capiSSL, n1qlSSL) */
    sofa__prepared *prepared;
    size_t nprepared;
    sofa__dlist queries; /* running (sofa_query.link) */
    uint64_t next_id;
    int freeing;
} sofa__svc;

/*
 * Create the services. @p client is passed to user callbacks; @p bucket may be
 * NULL (no bucket). @return 0, SOFA_E_INVALID_ARGUMENT, SOFA_E_NO_MEMORY.
 */
int sofa__svc_new(sofa_client *client, sofa_iops *io, const sofa__logger *lg, const char *user,
                  const char *password, const char *bucket, const sofa__svc_hooks *hooks,
                  void *hook_arg, sofa__svc **out);

/* End every running query with SOFA_E_CANCELED and release everything. NULL is a no-op. */
void sofa__svc_free(sofa__svc *s);

/*
 * Choose a node running @p svc. Attempt 0 takes the next node in turn and
 * stores its position in *base; attempt k > 0 takes the k-th node after it
 * (trying another node after a connection failure).
 * @return 0; SOFA_E_NO_CONFIG (no configuration yet); SOFA_E_NO_SERVICE.
 */
int sofa__svc_pick(sofa__svc *s, sofa__service svc, size_t attempt, size_t *base,
                   sofa__endpoint *out);

/* Number of nodes running @p svc in the current configuration. */
size_t sofa__svc_count(sofa__svc *s, sofa__service svc);

/* 1 when the cluster has enhanced prepared statements. */
int sofa__svc_enhanced_prepared(sofa__svc *s);

/* Prepared-statement cache. */
const sofa__prepared *sofa__svc_prepared_get(sofa__svc *s, const char *statement);
int sofa__svc_prepared_put(sofa__svc *s, const char *statement, const char *name, const char *plan);
void sofa__svc_prepared_drop(sofa__svc *s, const char *statement);

/* A new client context id into @p buf. */
void sofa__svc_context_id(sofa__svc *s, char *buf, size_t len);

#endif
