/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* The public face of the connection-string parser. */
#include "sofa/connstr.h"

#include "core/connstr.h"
#include "sofa/status.h"

int sofa_connstr_check(const char *connstr, char *errbuf, size_t errlen)
{
    sofa__connstr cs;
    int rc = sofa__connstr_parse(connstr, &cs, errbuf, errlen);
    sofa__connstr_free(&cs);
    return rc;
}
