/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
#include "sofa/status.h"

#include <stddef.h>

typedef struct status_info {
    int num;
    sofa_category cat;
    unsigned flags;
    const char *name;
    const char *msg;
} status_info;

static const status_info statuses[] = {
#define ROW(name, num, cat, flags, msg) {num, SOFA_CAT_##cat, flags, #name, msg},
    SOFA_STATUS_MAP(ROW)
#undef ROW
};

static const status_info *lookup(int status)
{
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        if (statuses[i].num == status) {
            return &statuses[i];
        }
    }
    return NULL;
}

const char *sofa_status_name(int status)
{
    const status_info *s = lookup(status);
    return s ? s->name : "UNKNOWN";
}

const char *sofa_strerror(int status)
{
    const status_info *s = lookup(status);
    return s ? s->msg : "unknown status";
}

sofa_category sofa_status_category(int status)
{
    const status_info *s = lookup(status);
    return s ? s->cat : SOFA_CAT_INTERNAL;
}

unsigned sofa_status_flags(int status)
{
    const status_info *s = lookup(status);
    return s ? s->flags : 0;
}

const char *sofa_category_name(sofa_category cat)
{
    switch (cat) {
    case SOFA_CAT_SUCCESS: return "success";
    case SOFA_CAT_INPUT: return "input";
    case SOFA_CAT_IO: return "io";
    case SOFA_CAT_NETWORK: return "network";
    case SOFA_CAT_TIMEOUT: return "timeout";
    case SOFA_CAT_AUTH: return "auth";
    case SOFA_CAT_ITEM: return "item";
    case SOFA_CAT_SERVER: return "server";
    case SOFA_CAT_DURABILITY: return "durability";
    case SOFA_CAT_QUERY: return "query";
    case SOFA_CAT_LIFECYCLE: return "lifecycle";
    case SOFA_CAT_INTERNAL: return "internal";
    }
    return "internal";
}
