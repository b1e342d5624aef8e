/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/**
 * @file sofa.h
 * @brief Umbrella header: include this one to use sofa.
 */
#ifndef SOFA_SOFA_H
#define SOFA_SOFA_H

#include "sofa/visibility.h"
#include "sofa/status.h"
#include "sofa/log.h"
#include "sofa/connstr.h"
#include "sofa/iops.h"
#include "sofa/client.h"
#include "sofa/kv.h"
#include "sofa/durability.h"
#include "sofa/query.h"
#include "sofa/view.h"

#define SOFA_VERSION_MAJOR 0
#define SOFA_VERSION_MINOR 1
#define SOFA_VERSION_PATCH 0
#define SOFA_VERSION_STRING "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

/** The version of the library actually loaded, e.g. "0.1.0". */
SOFA_API const char *sofa_version(void);

#ifdef __cplusplus
}
#endif
#endif /* SOFA_SOFA_H */
