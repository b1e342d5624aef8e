/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/**
 * @file status.h
 * @brief Every status code sofa can report, from one table.
 *
 * Conventions (shared with libuv and nghttp2): 0 is success, every error is a
 * negative number that never changes once released. Each code has a category,
 * a set of flags, a short name and a message. The table below is the only place
 * codes are defined; sofa_strerror(), sofa_status_name(), sofa_status_category(),
 * sofa_status_flags() and docs/errors.md are all derived from it.
 *
 * Number ranges (new codes are appended at the end of their range):
 *   -1..-99 input and API use   -100..-199 I/O and plugins   -200..-299 network
 *   -300..-399 timeouts         -400..-499 authentication    -500..-599 item / server
 *   -600..-699 durability       -700..-799 query and HTTP    -800..-899 life cycle
 *   -900..-999 internal
 */
#ifndef SOFA_STATUS_H
#define SOFA_STATUS_H

#include "sofa/visibility.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Categories: what kind of thing went wrong. */
typedef enum sofa_category {
    SOFA_CAT_SUCCESS = 0, /**< SOFA_OK only */
    SOFA_CAT_INPUT,      /**< the caller passed something invalid */
    SOFA_CAT_IO,         /**< event loop or plugin */
    SOFA_CAT_NETWORK,    /**< sockets, connections, bootstrap */
    SOFA_CAT_TIMEOUT,    /**< a deadline passed */
    SOFA_CAT_AUTH,       /**< credentials, buckets, access */
    SOFA_CAT_ITEM,       /**< the document's state (not found, exists, locked...) */
    SOFA_CAT_SERVER,     /**< the server refused or failed */
    SOFA_CAT_DURABILITY, /**< durability requirements */
    SOFA_CAT_QUERY,      /**< N1QL, views and HTTP services */
    SOFA_CAT_LIFECYCLE,  /**< canceled, shutting down */
    SOFA_CAT_INTERNAL    /**< a bug in sofa */
} sofa_category;

/** Flags: what a caller may do about it. */
enum {
    SOFA_F_TRANSIENT = 1 << 0, /**< a later identical attempt may succeed */
    SOFA_F_RETRYABLE = 1 << 1, /**< sofa retries it itself within the deadline */
    SOFA_F_AMBIGUOUS = 1 << 2, /**< a mutation may or may not have been applied */
    SOFA_F_FATAL = 1 << 3      /**< the client cannot go on (e.g. bad credentials) */
};

/** The status table, as an X-macro: X(NAME, number, CATEGORY, flags, message)
 *  defines SOFA_<NAME> in category SOFA_CAT_<CATEGORY> with SOFA_F_* @c flags. */
#define SOFA_STATUS_MAP(X)                                                                         \
    X(OK, 0, SUCCESS, 0, "success")                                                                \
    /* input and API use */                                                                        \
    X(E_INVALID_ARGUMENT, -1, INPUT, 0, "invalid argument")                                        \
    X(E_NO_MEMORY, -2, INPUT, SOFA_F_TRANSIENT, "out of memory")                                   \
    X(E_RECURSIVE_CALL, -3, INPUT, 0, "function may not be called from inside a callback")        \
    X(E_NOT_SUPPORTED, -4, INPUT, 0, "operation not supported by this client or cluster type")    \
    X(E_EMPTY_KEY, -5, INPUT, 0, "key is empty")                                                   \
    X(E_KEY_TOO_LONG, -6, INPUT, 0, "key is longer than 250 bytes")                                \
    X(E_VALUE_TOO_LARGE, -7, INPUT, 0, "value is larger than the server accepts")                  \
    X(E_BAD_STATE, -8, INPUT, 0, "the client is not in a state that allows this call")            \
    X(E_CONNSTR_SCHEME, -20, INPUT, 0, "connection string: unknown or missing scheme")             \
    X(E_CONNSTR_HOST, -21, INPUT, 0, "connection string: empty or malformed host")                 \
    X(E_CONNSTR_PORT, -22, INPUT, 0, "connection string: invalid port")                            \
    X(E_CONNSTR_OPTION, -23, INPUT, 0, "connection string: unknown option")                        \
    X(E_CONNSTR_DUPLICATE, -24, INPUT, 0, "connection string: option given twice")                 \
    X(E_CONNSTR_VALUE, -25, INPUT, 0, "connection string: invalid option value")                   \
    X(E_CONNSTR_SYNTAX, -26, INPUT, 0, "connection string: syntax error")                          \
    X(E_CONNSTR_BUCKET, -27, INPUT, 0, "connection string: invalid bucket name")                   \
    /* I/O and plugins */                                                                          \
    X(E_PLUGIN_NOT_FOUND, -100, IO, 0, "I/O plugin library could not be loaded")                   \
    X(E_PLUGIN_SYMBOL, -101, IO, 0, "I/O plugin entry symbol not found")                           \
    X(E_PLUGIN_VERSION, -102, IO, 0, "I/O plugin was built for an incompatible sofa")              \
    X(E_PLUGIN_INIT, -103, IO, 0, "I/O plugin failed to initialise")                               \
    X(E_FD_TOO_LARGE, -104, IO, 0, "descriptor too large for this plugin (FD_SETSIZE)")            \
    X(E_IO, -105, IO, SOFA_F_TRANSIENT, "event loop error")                                        \
    /* network */                                                                                  \
    X(E_CONNECT_REFUSED, -200, NETWORK, SOFA_F_TRANSIENT, "connection refused")                    \
    X(E_NAME_RESOLUTION, -201, NETWORK, SOFA_F_TRANSIENT, "host name could not be resolved")       \
    X(E_CONNECT_FAILED, -202, NETWORK, SOFA_F_TRANSIENT, "connection failed")                      \
    X(E_CONNECTION_CLOSED, -203, NETWORK, SOFA_F_TRANSIENT, "connection closed by peer")           \
    X(E_CONNECTION_RESET, -204, NETWORK, SOFA_F_TRANSIENT, "connection reset")                     \
    X(E_NETWORK, -205, NETWORK, SOFA_F_TRANSIENT, "network error")                                 \
    X(E_PROTOCOL, -206, NETWORK, SOFA_F_TRANSIENT, "malformed data from the server")               \
    X(E_BOOTSTRAP_FAILED, -207, NETWORK, SOFA_F_TRANSIENT, "no seed node gave a configuration")    \
    X(E_NO_CONFIG, -208, NETWORK, SOFA_F_TRANSIENT, "no cluster configuration yet")                \
    X(E_NO_NODE, -209, NETWORK, SOFA_F_TRANSIENT | SOFA_F_RETRYABLE,                               \
      "no node serves this key right now")                                                         \
    X(E_BAD_CONFIG, -210, NETWORK, 0, "cluster configuration is malformed")                        \
    X(E_TLS, -211, NETWORK, 0, "TLS error")                                                        \
    X(E_TLS_VERIFY, -212, NETWORK, 0, "TLS: the server certificate was not accepted")            \
    /* timeouts */                                                                                 \
    X(E_TIMEOUT, -300, TIMEOUT, SOFA_F_TRANSIENT, "operation timed out before it was sent")        \
    X(E_TIMEOUT_AMBIGUOUS, -301, TIMEOUT, SOFA_F_TRANSIENT | SOFA_F_AMBIGUOUS,                     \
      "mutation timed out after it was sent; it may have been applied")                            \
    X(E_TIMEOUT_READ, -302, TIMEOUT, SOFA_F_TRANSIENT,                                             \
      "read timed out after it was sent (no side effects)")                                        \
    X(E_BOOTSTRAP_TIMEOUT, -303, TIMEOUT, SOFA_F_TRANSIENT, "bootstrap timed out")                 \
    X(E_DURABILITY_TIMEOUT, -304, TIMEOUT, SOFA_F_TRANSIENT,                                       \
      "durability requirements not met before the durability timeout")                             \
    X(E_QUERY_TIMEOUT, -305, TIMEOUT, SOFA_F_TRANSIENT, "query or view timed out")                 \
    /* authentication */                                                                           \
    X(E_AUTH_FAILED, -400, AUTH, SOFA_F_FATAL, "authentication failed: bad username or password") \
    X(E_AUTH_NO_MECHANISM, -401, AUTH, SOFA_F_FATAL,                                               \
      "no SASL mechanism acceptable to both client and server")                                    \
    X(E_AUTH_SERVER_PROOF, -402, AUTH, SOFA_F_FATAL,                                               \
      "server's SCRAM signature did not verify")                                                   \
    X(E_BUCKET_NOT_FOUND, -403, AUTH, SOFA_F_FATAL, "bucket not found or not accessible")          \
    X(E_ACCESS_DENIED, -404, AUTH, 0, "no privilege for this operation")                          \
    /* item and server */                                                                          \
    X(E_NOT_FOUND, -500, ITEM, 0, "document not found")                                            \
    X(E_EXISTS, -501, ITEM, 0, "document already exists")                                          \
    X(E_CAS_MISMATCH, -502, ITEM, 0, "CAS does not match the document's current CAS")             \
    X(E_NOT_STORED, -503, ITEM, 0, "document not stored (append/prepend to a missing key)")       \
    X(E_DELTA_BADVAL, -504, ITEM, 0, "counter operation on a non-numeric document")               \
    X(E_LOCKED, -505, ITEM, SOFA_F_TRANSIENT, "document is locked")                                \
    X(E_NOT_LOCKED, -506, ITEM, 0, "document is not locked")                                       \
    X(E_SERVER_TOO_BIG, -507, SERVER, 0, "server refused the value as too large")                 \
    X(E_SERVER_INVALID, -508, SERVER, 0, "server rejected the request as invalid")                \
    X(E_NOT_MY_VBUCKET, -509, SERVER, SOFA_F_TRANSIENT | SOFA_F_RETRYABLE,                         \
      "node does not own the vBucket")                                                             \
    X(E_TEMPORARY_FAILURE, -510, SERVER, SOFA_F_TRANSIENT | SOFA_F_RETRYABLE,                      \
      "temporary failure on the server")                                                           \
    X(E_SERVER_BUSY, -511, SERVER, SOFA_F_TRANSIENT | SOFA_F_RETRYABLE, "server is busy")         \
    X(E_SERVER_NO_MEMORY, -512, SERVER, SOFA_F_TRANSIENT | SOFA_F_RETRYABLE,                       \
      "server is out of memory")                                                                   \
    X(E_UNKNOWN_COMMAND, -513, SERVER, 0, "server does not know this command")                    \
    X(E_SERVER_NOT_SUPPORTED, -514, SERVER, 0, "server does not support this operation")          \
    X(E_SERVER_INTERNAL, -515, SERVER, 0, "internal error on the server")                         \
    X(E_SERVER_ERROR, -516, SERVER, 0, "server returned an unknown status")                       \
    X(E_NO_BUCKET, -517, SERVER, 0, "no bucket selected on the connection")                       \
    X(E_RANGE, -518, ITEM, 0, "value out of range")                                                \
    X(E_NOT_INITIALIZED, -519, SERVER, SOFA_F_TRANSIENT | SOFA_F_RETRYABLE,                        \
      "node is not initialised yet")                                                               \
    /* durability */                                                                               \
    X(E_DURABILITY_INVALID_LEVEL, -600, DURABILITY, 0, "invalid durability level")                \
    X(E_DURABILITY_IMPOSSIBLE, -601, DURABILITY, 0,                                                \
      "durability requirement cannot be met by this cluster")                                      \
    X(E_SYNC_WRITE_IN_PROGRESS, -602, DURABILITY, SOFA_F_TRANSIENT | SOFA_F_RETRYABLE,             \
      "another durable write is in progress on this document")                                     \
    X(E_SYNC_WRITE_AMBIGUOUS, -603, DURABILITY, SOFA_F_TRANSIENT | SOFA_F_AMBIGUOUS,               \
      "durable write timed out; it may or may not have been committed")                            \
    X(E_SYNC_WRITE_RECOMMIT, -604, DURABILITY, SOFA_F_TRANSIENT | SOFA_F_RETRYABLE,                \
      "durable write re-commit in progress")                                                       \
    X(E_DURABILITY_TOO_MANY, -605, DURABILITY, 0,                                                  \
      "more persist_to/replicate_to nodes requested than the cluster has")                         \
    X(E_MUTATION_LOST, -606, DURABILITY, SOFA_F_AMBIGUOUS,                                         \
      "mutation was lost in a failover before it was replicated")                                  \
    X(E_DURABILITY_CAS_MISMATCH, -607, DURABILITY, 0,                                              \
      "document changed (CAS differs) while its durability was checked")                           \
    /* query and HTTP */                                                                           \
    X(E_HTTP, -700, QUERY, SOFA_F_TRANSIENT, "malformed HTTP response")                            \
    X(E_HTTP_STATUS, -701, QUERY, 0, "HTTP request failed with an error status")                  \
    X(E_JSON, -702, QUERY, 0, "malformed JSON from the server")                                    \
    X(E_QUERY_SYNTAX, -703, QUERY, 0, "query syntax error")                                        \
    X(E_QUERY_KEYSPACE_NOT_FOUND, -704, QUERY, 0, "query keyspace not found")                      \
    X(E_QUERY_PREPARED, -705, QUERY, 0, "prepared statement failure")                              \
    X(E_QUERY_ERROR, -706, QUERY, 0, "query failed")                                               \
    X(E_VIEW_NOT_FOUND, -707, QUERY, 0, "design document or view not found")                       \
    X(E_VIEW_ERROR, -708, QUERY, 0, "view query failed")                                           \
    X(E_ROW_TOO_LARGE, -709, QUERY, 0, "a streamed row exceeded the row size limit")              \
    X(E_NO_SERVICE, -710, QUERY, 0, "no node runs the requested service")                         \
    /* life cycle */                                                                               \
    X(E_CANCELED, -800, LIFECYCLE, 0, "operation canceled")                                        \
    X(E_SHUTDOWN, -801, LIFECYCLE, 0, "client is being destroyed")                                 \
    X(E_NOT_CONNECTED, -802, LIFECYCLE, 0, "client is not connected")                              \
    /* internal */                                                                                 \
    X(E_INTERNAL, -900, INTERNAL, 0, "internal error in sofa")

/** Status codes. Use sofa_strerror() for a message. */
typedef enum sofa_status {
#define SOFA__STATUS_ENUM(name, num, cat, flags, msg) SOFA_##name = num,
    SOFA_STATUS_MAP(SOFA__STATUS_ENUM)
#undef SOFA__STATUS_ENUM
} sofa_status;

/** A short, stable, upper-case name such as "E_NOT_FOUND"; "UNKNOWN" for other numbers. */
SOFA_API const char *sofa_status_name(int status);
/** A one-line English message; "unknown status" for other numbers. Never NULL. */
SOFA_API const char *sofa_strerror(int status);
/** The category of a status; SOFA_CAT_INTERNAL for unknown numbers. */
SOFA_API sofa_category sofa_status_category(int status);
/** A short lower-case name of a category, such as "network". */
SOFA_API const char *sofa_category_name(sofa_category cat);
/** The SOFA_F_* flags of a status. */
SOFA_API unsigned sofa_status_flags(int status);

#ifdef __cplusplus
}
#endif
#endif /* SOFA_STATUS_H */
