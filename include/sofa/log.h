/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/**
 * @file log.h
 * @brief Logging: sofa never prints; it hands each message to a logger callback.
 *
 * A client logs through the callback set in its options. With none set, nothing
 * is logged unless a log level is asked for (option `log_level` in the connection
 * string or the environment variable SOFA_LOG_LEVEL), in which case
 * sofa_log_console() writes to stderr. Passwords and SASL payloads are never
 * passed to a logger.
 */
#ifndef SOFA_LOG_H
#define SOFA_LOG_H

#include "sofa/visibility.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sofa_log_level {
    SOFA_LOG_OFF = -1,
    SOFA_LOG_ERROR = 0,
    SOFA_LOG_WARN = 1,
    SOFA_LOG_INFO = 2,
    SOFA_LOG_DEBUG = 3,
    SOFA_LOG_TRACE = 4
} sofa_log_level;

/**
 * A logger. @p subsystem is a short tag ("kv", "io", "config", ...), @p msg one
 * formatted line without a trailing newline; both are valid only during the call.
 */
typedef void (*sofa_logger_cb)(void *arg, sofa_log_level level, const char *subsystem,
                               const char *file, int line, const char *msg);

/** The console logger: one line per message to stderr. @p arg is ignored. */
SOFA_API void sofa_log_console(void *arg, sofa_log_level level, const char *subsystem,
                               const char *file, int line, const char *msg);

/** "error", "warn", "info", "debug", "trace" or "off". */
SOFA_API const char *sofa_log_level_name(sofa_log_level level);

/**
 * Parse a level name ("error".."trace", "off") or number (0..4).
 * @return 0 and sets *out, or SOFA_E_INVALID_ARGUMENT.
 */
SOFA_API int sofa_log_level_parse(const char *text, sofa_log_level *out);

#ifdef __cplusplus
}
#endif
#endif /* SOFA_LOG_H */
