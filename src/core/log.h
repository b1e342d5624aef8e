/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* Internal logging: every module logs through a sofa__logger, never to stdio. */
#ifndef SOFA_CORE_LOG_H
#define SOFA_CORE_LOG_H

#include "sofa/log.h"

typedef struct sofa__logger {
    sofa_logger_cb cb;  /* NULL: logging off */
    void *arg;
    sofa_log_level level; /* messages above this level are dropped before formatting */
} sofa__logger;

void sofa__log_at(const sofa__logger *lg, sofa_log_level level, const char *subsystem,
                  const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

static inline int sofa__log_enabled(const sofa__logger *lg, sofa_log_level level)
{
    return lg && lg->cb && level <= lg->level;
}

/* SOFA_LOG(lg, SOFA_LOG_DEBUG, "kv", "fmt", ...) */
#define SOFA_LOG(lg, level, subsys, ...)                                                           \
    do {                                                                                           \
        if (sofa__log_enabled((lg), (level)))                                                      \
            sofa__log_at((lg), (level), (subsys), __FILE__, __LINE__, __VA_ARGS__);                \
    } while (0)

/* Initialise from an explicit callback, else from SOFA_LOG_LEVEL (console logger). */
void sofa__logger_init(sofa__logger *lg, sofa_logger_cb cb, void *arg, int level);

#endif
