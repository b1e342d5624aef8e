/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sofa/status.h"

static const char *const level_names[] = {"error", "warn", "info", "debug", "trace"};

const char *sofa_log_level_name(sofa_log_level level)
{
    if (level < SOFA_LOG_ERROR || level > SOFA_LOG_TRACE) {
        return "off";
    }
    return level_names[level];
}

int sofa_log_level_parse(const char *text, sofa_log_level *out)
{
    if (text == NULL || out == NULL) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    if (strcasecmp(text, "off") == 0 || strcasecmp(text, "none") == 0) {
        *out = SOFA_LOG_OFF;
        return SOFA_OK;
    }
    if (text[0] >= '0' && text[0] <= '4' && text[1] == '\0') {
        *out = (sofa_log_level)(text[0] - '0');
        return SOFA_OK;
    }
    for (int i = 0; i < 5; i++) {
        if (strcasecmp(text, level_names[i]) == 0) {
            *out = (sofa_log_level)i;
            return SOFA_OK;
        }
    }
    if (strcasecmp(text, "warning") == 0) {
        *out = SOFA_LOG_WARN;
        return SOFA_OK;
    }
    return SOFA_E_INVALID_ARGUMENT;
}

void sofa_log_console(void *arg, sofa_log_level level, const char *subsystem, const char *file,
                      int line, const char *msg)
{
    (void)arg;
    const char *base = file ? strrchr(file, '/') : NULL;
    /* The console logger is the one place allowed to write to stderr: the user
     * asked for it explicitly (option or SOFA_LOG_LEVEL). */
    fprintf(stderr, "[sofa %-5s] %s: %s (%s:%d)\n", sofa_log_level_name(level),
            subsystem ? subsystem : "-", msg, base ? base + 1 : (file ? file : "?"), line);
}

void sofa__log_at(const sofa__logger *lg, sofa_log_level level, const char *subsystem,
                  const char *file, int line, const char *fmt, ...)
{
    if (!sofa__log_enabled(lg, level)) {
        return;
    }
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    lg->cb(lg->arg, level, subsystem, file, line, buf);
}

void sofa__logger_init(sofa__logger *lg, sofa_logger_cb cb, void *arg, int level)
{
    lg->cb = cb;
    lg->arg = arg;
    lg->level = SOFA_LOG_OFF;
    if (cb != NULL) {
        lg->level = level >= SOFA_LOG_ERROR ? (sofa_log_level)level : SOFA_LOG_INFO;
        return;
    }
    sofa_log_level env_level = SOFA_LOG_OFF;
    const char *env = getenv("SOFA_LOG_LEVEL");
    if (level >= SOFA_LOG_ERROR) {
        env_level = (sofa_log_level)level;
    } else if (env != NULL && sofa_log_level_parse(env, &env_level) != SOFA_OK) {
        env_level = SOFA_LOG_OFF;
    }
    if (env_level >= SOFA_LOG_ERROR) {
        lg->cb = sofa_log_console;
        lg->level = env_level;
    }
}
