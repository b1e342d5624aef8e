/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* Private to config.c / config_nodes.c: the parse context and the node-list parsers. */
#ifndef SOFA_PROTO_CONFIG_PARSE_H
#define SOFA_PROTO_CONFIG_PARSE_H

#include <jansson.h>

#include "proto/config.h"

#define SOFA__CFG_MAX_STRING 4096u /* any string after $HOST replacement */

typedef struct sofa__cfg_ctx {
    const char *host; /* bare host ($HOST value for host fields) */
    char *host_url;   /* host for host:port strings and URLs: IPv6 in brackets */
    char *err;
    size_t errlen;
    sofa__config *c;
    size_t cap; /* capacity of c->nodes */
} sofa__cfg_ctx;

/* Format the message into the caller's error buffer; returns SOFA_E_BAD_CONFIG. */
int sofa__cfg_fail(sofa__cfg_ctx *x, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* @p a is an array of at most @p max entries, else SOFA_E_BAD_CONFIG naming @p field. */
int sofa__cfg_check_array(sofa__cfg_ctx *x, json_t *a, const char *field, size_t max);
/* vBucketServerMap.serverList: appends the KV nodes in order and sets c->nkv. */
int sofa__cfg_parse_server_list(sofa__cfg_ctx *x, json_t *list);
/* One nodesExt entry: fills the matching KV node's ports or appends a node (a KV node only
 * if @p kv_from_ext). */
int sofa__cfg_parse_node_ext(sofa__cfg_ctx *x, size_t idx, json_t *e, int kv_from_ext);
/* One nodes[] entry: couchApiBase and mgmt port of the matching KV node; appends it as a KV
 * node if @p add_kv and it is new. */
int sofa__cfg_parse_node_legacy(sofa__cfg_ctx *x, size_t idx, json_t *e, int add_kv);

#endif /* SOFA_PROTO_CONFIG_PARSE_H */
