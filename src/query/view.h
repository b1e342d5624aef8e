/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* View queries on a sofa__svc (the public sofa_view_start() calls this). */
#ifndef SOFA_QUERY_VIEW_H
#define SOFA_QUERY_VIEW_H

#include "query/qcore.h"
#include "query/svc.h"
#include "sofa/view.h"

/* sofa_view_start() on a services context; same contract and errors. */
int sofa__view_start(sofa__svc *svc, const char *ddoc, const char *view, const sofa_view_opts *opts,
                     const sofa_view_callbacks *cbs, void *cookie, sofa_query **handle);

/* sofa_http_request_start() on a services context; same contract and errors. */
int sofa__raw_start(sofa__svc *svc, const sofa_http_request *req, sofa_http_cb cb, void *cookie);

#endif
