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

/** Severity of a message; a logger set to a level receives that level and all below it. */
typedef enum sofa_log_level {
    SOFA_LOG_OFF = -1,  /**< as a threshold: log nothing */
    SOFA_LOG_ERROR = 0, /**< something failed */
    SOFA_LOG_WARN = 1,  /**< something unexpected that sofa recovered from */
    SOFA_LOG_INFO = 2,  /**< notable events of normal operation */
    SOFA_LOG_DEBUG = 3, /**< detail for diagnosing a problem */
    SOFA_LOG_TRACE = 4  /**< the most verbose detail */
} sofa_log_level;

/**
 * A logger: sofa's only way of reporting anything besides return codes.
 * @param arg        the argument given together with the callback.
 * @param level      the message's severity (never SOFA_LOG_OFF).
 * @param subsystem  a short tag ("kv", "io", "config", ...).
 * @param file       the source file that logged (may be NULL), and @p line in it.
 * @param msg        one formatted line without a trailing newline.
 * All strings are valid only during the call.
 */
typedef void (*sofa_logger_cb)(void *arg, sofa_log_level level, const char *subsystem,
                               const char *file, int line, const char *msg);

/** The console logger (a sofa_logger_cb): one line per message to stderr, as
 *  "[sofa LEVEL] subsystem: msg (file:line)". @p arg is ignored. */
SOFA_API void sofa_log_console(void *arg, sofa_log_level level, const char *subsystem,
                               const char *file, int line, const char *msg);

/** The name of @p level: "error", "warn", "info", "debug", "trace"; "off" for
 *  SOFA_LOG_OFF and any other number. Static storage, never NULL. */
SOFA_API const char *sofa_log_level_name(sofa_log_level level);

/**
 * Parse a level name ("error", "warn" or "warning", "info", "debug", "trace", "off"
 * or "none"; any case) or number ("0".."4").
 * @param text  the text to parse.
 * @param out   receives the level; unchanged on error.
 * @return 0, or SOFA_E_INVALID_ARGUMENT (NULL argument or not a level).
 */
SOFA_API int sofa_log_level_parse(const char *text, sofa_log_level *out);

#ifdef __cplusplus
}
#endif
#endif /* SOFA_LOG_H */
