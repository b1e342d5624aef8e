/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/** @file visibility.h @brief The SOFA_API export macro. */
#ifndef SOFA_VISIBILITY_H
#define SOFA_VISIBILITY_H

/* libsofa is built with -fvisibility=hidden: only functions marked SOFA_API are
 * exported, and a test compares the exported symbols with these headers. */
#if defined(__GNUC__) || defined(__clang__)
#define SOFA_API __attribute__((visibility("default")))
#else
#define SOFA_API
#endif

#endif /* SOFA_VISIBILITY_H */
