/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * Constants of the memcached binary protocol as Couchbase speaks it (PROTOCOL.md §1-§4):
 * magic bytes, opcodes, HELLO feature codes, datatype bits and server status codes.
 * Pure constants; the codec lives in packet.h.
 */
#ifndef SOFA_PROTO_OPCODES_H
#define SOFA_PROTO_OPCODES_H

#include <stdint.h>

/* ---------------------------------------------------------------- magic */
enum {
    SOFA__MAGIC_REQ = 0x80,        /* client request */
    SOFA__MAGIC_RES = 0x81,        /* server response */
    SOFA__MAGIC_REQ_FLEX = 0x08,   /* client request with frame infos (AltRequestSupport) */
    SOFA__MAGIC_RES_FLEX = 0x18,   /* server response with frame infos (Tracing) */
    SOFA__MAGIC_SERVER_REQ = 0x82, /* server-initiated request (Duplex) */
    SOFA__MAGIC_SERVER_RES = 0x83  /* client's reply to a server request */
};

/* ---------------------------------------------------------------- opcodes (§2.1) */
enum {
    SOFA__OP_GET = 0x00,
    SOFA__OP_SET = 0x01,
    SOFA__OP_ADD = 0x02,
    SOFA__OP_REPLACE = 0x03,
    SOFA__OP_DELETE = 0x04,
    SOFA__OP_INCREMENT = 0x05,
    SOFA__OP_DECREMENT = 0x06,
    SOFA__OP_QUIT = 0x07,
    SOFA__OP_FLUSH = 0x08,
    SOFA__OP_GETQ = 0x09,
    SOFA__OP_NOOP = 0x0a,
    SOFA__OP_VERSION = 0x0b,
    SOFA__OP_GETK = 0x0c,
    SOFA__OP_GETKQ = 0x0d,
    SOFA__OP_APPEND = 0x0e,
    SOFA__OP_PREPEND = 0x0f,
    SOFA__OP_STAT = 0x10,
    SOFA__OP_SETQ = 0x11,
    SOFA__OP_ADDQ = 0x12,
    SOFA__OP_REPLACEQ = 0x13,
    SOFA__OP_DELETEQ = 0x14,
    SOFA__OP_INCREMENTQ = 0x15,
    SOFA__OP_DECREMENTQ = 0x16,
    SOFA__OP_QUITQ = 0x17,
    SOFA__OP_FLUSHQ = 0x18,
    SOFA__OP_APPENDQ = 0x19,
    SOFA__OP_PREPENDQ = 0x1a,
    SOFA__OP_VERBOSITY = 0x1b,
    SOFA__OP_TOUCH = 0x1c,
    SOFA__OP_GAT = 0x1d,
    SOFA__OP_GATQ = 0x1e,
    SOFA__OP_HELLO = 0x1f,
    SOFA__OP_SASL_LIST_MECHS = 0x20,
    SOFA__OP_SASL_AUTH = 0x21,
    SOFA__OP_SASL_STEP = 0x22,
    SOFA__OP_GET_REPLICA = 0x83,
    SOFA__OP_SELECT_BUCKET = 0x89,
    SOFA__OP_OBSERVE_SEQNO = 0x91,
    SOFA__OP_OBSERVE = 0x92,
    SOFA__OP_GET_LOCKED = 0x94,
    SOFA__OP_UNLOCK_KEY = 0x95,
    SOFA__OP_GET_META = 0xa0,
    SOFA__OP_GET_CLUSTER_CONFIG = 0xb5,
    SOFA__OP_GET_COLLECTIONS_MANIFEST = 0xba,
    SOFA__OP_GET_COLLECTION_ID = 0xbb,
    SOFA__OP_SUBDOC_GET = 0xc5,
    SOFA__OP_SUBDOC_EXISTS = 0xc6,
    SOFA__OP_SUBDOC_DICT_ADD = 0xc7,
    SOFA__OP_SUBDOC_DICT_UPSERT = 0xc8,
    SOFA__OP_SUBDOC_DELETE = 0xc9,
    SOFA__OP_SUBDOC_REPLACE = 0xca,
    SOFA__OP_SUBDOC_ARRAY_PUSH_LAST = 0xcb,
    SOFA__OP_SUBDOC_ARRAY_PUSH_FIRST = 0xcc,
    SOFA__OP_SUBDOC_ARRAY_INSERT = 0xcd,
    SOFA__OP_SUBDOC_ARRAY_ADD_UNIQUE = 0xce,
    SOFA__OP_SUBDOC_COUNTER = 0xcf,
    SOFA__OP_SUBDOC_MULTI_LOOKUP = 0xd0,
    SOFA__OP_SUBDOC_MULTI_MUTATION = 0xd1,
    SOFA__OP_SUBDOC_GET_COUNT = 0xd2,
    SOFA__OP_GET_ERROR_MAP = 0xfe
};

/* Server-initiated request opcodes (magic 0x82). */
enum { SOFA__SOP_CLUSTERMAP_CHANGE = 0x01 };

/* ---------------------------------------------------------------- HELLO features (§4) */
enum {
    SOFA__FEAT_DATATYPE = 0x01,
    SOFA__FEAT_TLS = 0x02,
    SOFA__FEAT_TCPNODELAY = 0x03,
    SOFA__FEAT_MUTATION_SEQNO = 0x04,
    SOFA__FEAT_TCPDELAY = 0x05,
    SOFA__FEAT_XATTR = 0x06,
    SOFA__FEAT_XERROR = 0x07,
    SOFA__FEAT_SELECT_BUCKET = 0x08,
    SOFA__FEAT_SNAPPY = 0x0a,
    SOFA__FEAT_JSON = 0x0b,
    SOFA__FEAT_DUPLEX = 0x0c,
    SOFA__FEAT_CLUSTERMAP_NOTIF = 0x0d,
    SOFA__FEAT_UNORDERED_EXECUTION = 0x0e,
    SOFA__FEAT_TRACING = 0x0f,
    SOFA__FEAT_ALT_REQUEST = 0x10,
    SOFA__FEAT_SYNC_REPLICATION = 0x11,
    SOFA__FEAT_COLLECTIONS = 0x12,
    SOFA__FEAT_SNAPPY_EVERYWHERE = 0x13,
    SOFA__FEAT_PRESERVE_TTL = 0x14,
    SOFA__FEAT_VATTR = 0x15,
    SOFA__FEAT_SUBDOC_CREATE_AS_DELETED = 0x17,
    SOFA__FEAT_GET_CONFIG_KNOWN_VERSION = 0x1d,
    SOFA__FEAT_DEDUPE_NMV_CONFIG = 0x1e,
    SOFA__FEAT_CLUSTERMAP_NOTIF_BRIEF = 0x1f
};

/* ---------------------------------------------------------------- datatype bits (§1) */
enum { SOFA__DT_RAW = 0x00, SOFA__DT_JSON = 0x01, SOFA__DT_SNAPPY = 0x02, SOFA__DT_XATTR = 0x04 };

/* ---------------------------------------------------------------- frame info ids (§1) */
enum {
    SOFA__FRAME_REQ_BARRIER = 0,
    SOFA__FRAME_REQ_DURABILITY = 1,
    SOFA__FRAME_REQ_DCP_STREAM_ID = 2,
    SOFA__FRAME_REQ_IMPERSONATE = 4,
    SOFA__FRAME_REQ_PRESERVE_TTL = 5,
    SOFA__FRAME_RES_SERVER_DURATION = 0,
    SOFA__FRAME_RES_READ_UNITS = 1,
    SOFA__FRAME_RES_WRITE_UNITS = 2,
    SOFA__FRAME_RES_THROTTLE = 3
};

/* Durability levels (§10.2). */
enum {
    SOFA__DURABILITY_MAJORITY = 0x01,
    SOFA__DURABILITY_MAJORITY_PERSIST_ACTIVE = 0x02,
    SOFA__DURABILITY_PERSIST_MAJORITY = 0x03
};

/* ---------------------------------------------------------------- server status (§3) */
enum {
    SOFA__ST_SUCCESS = 0x00,
    SOFA__ST_KEY_ENOENT = 0x01,
    SOFA__ST_KEY_EEXISTS = 0x02,
    SOFA__ST_E2BIG = 0x03,
    SOFA__ST_EINVAL = 0x04,
    SOFA__ST_NOT_STORED = 0x05,
    SOFA__ST_DELTA_BADVAL = 0x06,
    SOFA__ST_NOT_MY_VBUCKET = 0x07,
    SOFA__ST_NO_BUCKET = 0x08,
    SOFA__ST_LOCKED = 0x09,
    SOFA__ST_EWOULD_THROTTLE = 0x0c,
    SOFA__ST_CONFIG_ONLY = 0x0d,
    SOFA__ST_NOT_LOCKED = 0x0e,
    SOFA__ST_CAS_VALUE_INVALID = 0x0f,
    SOFA__ST_AUTH_STALE = 0x1f,
    SOFA__ST_AUTH_ERROR = 0x20,
    SOFA__ST_AUTH_CONTINUE = 0x21,
    SOFA__ST_ERANGE = 0x22,
    SOFA__ST_ROLLBACK = 0x23,
    SOFA__ST_EACCESS = 0x24,
    SOFA__ST_NOT_INITIALIZED = 0x25,
    SOFA__ST_RATE_LIMITED_INGRESS = 0x30,
    SOFA__ST_RATE_LIMITED_EGRESS = 0x31,
    SOFA__ST_RATE_LIMITED_MAX_CONNECTIONS = 0x32,
    SOFA__ST_RATE_LIMITED_MAX_COMMANDS = 0x33,
    SOFA__ST_BUCKET_PAUSED = 0x50,
    SOFA__ST_CANCELLED = 0x51,
    SOFA__ST_UNKNOWN_FRAME_INFO = 0x80,
    SOFA__ST_UNKNOWN_COMMAND = 0x81,
    SOFA__ST_ENOMEM = 0x82,
    SOFA__ST_NOT_SUPPORTED = 0x83,
    SOFA__ST_EINTERNAL = 0x84,
    SOFA__ST_EBUSY = 0x85,
    SOFA__ST_ETMPFAIL = 0x86,
    SOFA__ST_XATTR_EINVAL = 0x87,
    SOFA__ST_UNKNOWN_COLLECTION = 0x88,
    SOFA__ST_UNKNOWN_SCOPE = 0x8c,
    SOFA__ST_DURABILITY_INVALID_LEVEL = 0xa0,
    SOFA__ST_DURABILITY_IMPOSSIBLE = 0xa1,
    SOFA__ST_SYNC_WRITE_IN_PROGRESS = 0xa2,
    SOFA__ST_SYNC_WRITE_AMBIGUOUS = 0xa3,
    SOFA__ST_SYNC_WRITE_RECOMMIT = 0xa4,
    SOFA__ST_SUBDOC_PATH_ENOENT = 0xc0,
    SOFA__ST_SUBDOC_PATH_MISMATCH = 0xc1,
    SOFA__ST_SUBDOC_PATH_EINVAL = 0xc2,
    SOFA__ST_SUBDOC_PATH_E2BIG = 0xc3,
    SOFA__ST_SUBDOC_DOC_E2DEEP = 0xc4,
    SOFA__ST_SUBDOC_VALUE_CANTINSERT = 0xc5,
    SOFA__ST_SUBDOC_DOC_NOTJSON = 0xc6,
    SOFA__ST_SUBDOC_NUM_ERANGE = 0xc7,
    SOFA__ST_SUBDOC_DELTA_EINVAL = 0xc8,
    SOFA__ST_SUBDOC_PATH_EEXISTS = 0xc9,
    SOFA__ST_SUBDOC_VALUE_ETOODEEP = 0xca,
    SOFA__ST_SUBDOC_INVALID_COMBO = 0xcb,
    SOFA__ST_SUBDOC_MULTI_PATH_FAILURE = 0xcc,
    SOFA__ST_SUBDOC_SUCCESS_DELETED = 0xcd,
    SOFA__ST_SUBDOC_MULTI_PATH_FAILURE_DELETED = 0xd3
};

/* OBSERVE key states (§2.2). */
enum {
    SOFA__OBS_FOUND = 0x00,
    SOFA__OBS_PERSISTED = 0x01,
    SOFA__OBS_NOT_FOUND = 0x80,
    SOFA__OBS_LOGICALLY_DELETED = 0x81
};

/* Protocol limits. */
#define SOFA__HEADER_LEN 24u
#define SOFA__MAX_KEY_LEN 250u               /* without a collection prefix */
#define SOFA__MAX_FLEX_KEY_LEN 255u          /* key length is one byte with magic 0x08/0x18 */
#define SOFA__MAX_BODY (30u * 1024u * 1024u) /* largest body sofa accepts from a server */
#define SOFA__MAX_FRAMING 255u
#define SOFA__MAX_RELATIVE_EXPIRY 2592000u /* 30 days; larger expiries are absolute times */

#endif /* SOFA_PROTO_OPCODES_H */
