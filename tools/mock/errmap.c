/* sofa-mock: the error map served by GET_ERROR_MAP (format of kv_engine's error map v1/v2). */
#include "mock.h"

#include <stdio.h>
#include <string.h>

static const struct {
    int code;
    const char *name, *desc, *attrs;
} errs[] = {
    {0x00, "SUCCESS", "Success", "\"success\""},
    {0x01, "KEY_ENOENT", "Not Found", "\"item-only\""},
    {0x02, "KEY_EEXISTS", "key already exists, or CAS mismatch", "\"item-only\""},
    {0x03, "E2BIG", "Value too big", "\"item-only\",\"invalid-input\""},
    {0x04, "EINVAL", "Invalid packet", "\"internal\",\"invalid-input\""},
    {0x05, "NOT_STORED", "Not Stored", "\"item-only\""},
    {0x06, "DELTA_BADVAL", "Existing document not a number", "\"item-only\",\"invalid-input\""},
    {0x07, "NOT_MY_VBUCKET", "Server does not own this vBucket", "\"fetch-config\",\"invalid-input\""},
    {0x08, "NO_BUCKET", "Not connected to a bucket", "\"conn-state-invalidated\""},
    {0x09, "LOCKED", "Requested resource is locked", "\"item-locked\",\"item-only\",\"retry-now\""},
    {0x0e, "NOT_LOCKED", "Requested resource is not locked", "\"item-only\""},
    {0x1f, "AUTH_STALE", "Authentication stale", "\"conn-state-invalidated\",\"auth\""},
    {0x20, "AUTH_ERROR", "Authentication failed", "\"conn-state-invalidated\",\"auth\""},
    {0x21, "AUTH_CONTINUE", "Continue authentication", "\"auth\",\"special-handling\""},
    {0x22, "ERANGE", "Value out of range", "\"invalid-input\""},
    {0x24, "EACCESS", "No access", "\"support\",\"no-retry\""},
    {0x25, "NOT_INITIALIZED", "Node not initialized", "\"temp\",\"retry-now\""},
    {0x80, "UNKNOWN_FRAME_INFO", "Unknown frame info", "\"internal\",\"invalid-input\""},
    {0x81, "UNKNOWN_COMMAND", "Unknown command", "\"support\""},
    {0x82, "ENOMEM", "Out of memory", "\"temp\",\"retry-later\""},
    {0x83, "NOT_SUPPORTED", "Not supported", "\"support\""},
    {0x84, "EINTERNAL", "Internal error", "\"internal\""},
    {0x85, "EBUSY", "Server busy", "\"temp\",\"retry-now\""},
    {0x86, "ETMPFAIL", "Temporary failure", "\"temp\",\"retry-now\""},
    {0xa0, "DURABILITY_INVALID_LEVEL", "Invalid durability level", "\"invalid-input\""},
    {0xa1, "DURABILITY_IMPOSSIBLE", "Durability requirements are impossible to achieve",
     "\"item-only\""},
    {0xa2, "SYNC_WRITE_IN_PROGRESS", "A durable write is in progress on this key",
     "\"item-only\",\"retry-now\""},
    {0xa3, "SYNC_WRITE_AMBIGUOUS", "Durable write outcome is ambiguous", "\"item-only\""},
    {0xa4, "SYNC_WRITE_RE_COMMIT_IN_PROGRESS", "Durable write re-commit in progress",
     "\"item-only\",\"retry-now\""},
};

static char map1[8192], map2[8192];

static void build(char *buf, size_t cap, int version)
{
    size_t o = 0;
    o += (size_t)snprintf(buf + o, cap - o, "{\"version\":%d,\"revision\":1,\"errors\":{", version);
    for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]) && o < cap; i++) {
        o += (size_t)snprintf(buf + o, cap - o, "%s\"%x\":{\"name\":\"%s\",\"desc\":\"%s\",\"attrs\":[%s]}",
                              i ? "," : "", errs[i].code, errs[i].name, errs[i].desc, errs[i].attrs);
    }
    if (o < cap) {
        snprintf(buf + o, cap - o, "}}");
    }
}

const char *mock_errmap_json(int version)
{
    char *buf = version >= 2 ? map2 : map1;
    if (buf[0] == '\0') {
        build(buf, sizeof(map1), version >= 2 ? 2 : 1);
    }
    return buf;
}
