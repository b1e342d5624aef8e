/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* N1QL queries on a sofa__svc (the public sofa_query_* functions call these). */
#ifndef SOFA_QUERY_N1QL_H
#define SOFA_QUERY_N1QL_H

#include "query/qcore.h"
#include "query/svc.h"
#include "sofa/query.h"

/* sofa_query_start() on a services context; same contract and errors. */
int sofa__n1ql_start(sofa__svc *svc, const char *statement, const sofa_query_opts *opts,
                     const sofa_query_callbacks *cbs, void *cookie, sofa_query **handle);

#endif
