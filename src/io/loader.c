/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* The IOPS plugin loader: sofa_iops_load(), sofa_iops_free() and the choice rule. */
#include "io/loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sofa/status.h"

#ifndef SOFA_PLUGIN_DIR
#define SOFA_PLUGIN_DIR "/usr/local/lib"
#endif

/* ------------------------------------------------------------ messages */

typedef struct msgbuf {
    char *buf;
    size_t len;
    size_t pos;
} msgbuf;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void msg_add(msgbuf *m, const char *fmt, ...)
{
    if (m->buf == NULL || m->len == 0 || m->pos >= m->len - 1) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(m->buf + m->pos, m->len - m->pos, fmt, ap);
    va_end(ap);
    if (n < 0) {
        m->buf[m->pos] = '\0';
        return;
    }
    m->pos = (size_t)n >= m->len - m->pos ? m->len - 1 : m->pos + (size_t)n;
}

static msgbuf msg_init(char *errbuf, size_t errlen)
{
    msgbuf m = {errbuf, errlen, 0};
    if (errbuf != NULL && errlen > 0) {
        errbuf[0] = '\0';
    }
    return m;
}

/* --------------------------------------------- which library a table came from */

typedef struct loaded {
    sofa_iops *io;
    void *handle;
    struct loaded *next;
} loaded;

static pthread_mutex_t loaded_lock = PTHREAD_MUTEX_INITIALIZER;
static loaded *loaded_list;

static int remember(sofa_iops *io, void *handle)
{
    loaded *l = malloc(sizeof(*l));
    if (l == NULL) {
        return SOFA_E_NO_MEMORY;
    }
    l->io = io;
    l->handle = handle;
    pthread_mutex_lock(&loaded_lock);
    l->next = loaded_list;
    loaded_list = l;
    pthread_mutex_unlock(&loaded_lock);
    return SOFA_OK;
}

static void *forget(const sofa_iops *io)
{
    void *handle = NULL;
    pthread_mutex_lock(&loaded_lock);
    for (loaded **pp = &loaded_list; *pp; pp = &(*pp)->next) {
        if ((*pp)->io == io) {
            loaded *l = *pp;
            *pp = l->next;
            handle = l->handle;
            free(l);
            break;
        }
    }
    pthread_mutex_unlock(&loaded_lock);
    return handle;
}

/* ------------------------------------------------------------ checks */

static int covers(const sofa_iops *io, size_t end)
{
    return io->struct_size >= end;
}

int sofa__iops_check(const sofa_iops *io, char *errbuf, size_t errlen)
{
    msgbuf m = msg_init(errbuf, errlen);
    if (io == NULL) {
        msg_add(&m, "I/O plugin table is NULL");
        return SOFA_E_INVALID_ARGUMENT;
    }
    size_t need = offsetof(sofa_iops, destroy) + sizeof(io->destroy);
    if (!covers(io, need)) {
        msg_add(&m, "I/O plugin table struct_size is %zu, smaller than the %zu bytes every plugin "
                    "must provide (built for an incompatible sofa?)",
                io->struct_size, need);
        return SOFA_E_PLUGIN_VERSION;
    }
    const char *missing = NULL;
    if (io->event_new == NULL) {
        missing = "event_new";
    } else if (io->update_event == NULL) {
        missing = "update_event";
    } else if (io->timer_new == NULL) {
        missing = "timer_new";
    } else if (io->update_timer == NULL) {
        missing = "update_timer";
    } else if (io->start_watching == NULL) {
        missing = "start_watching";
    } else if (io->stop_watching == NULL) {
        missing = "stop_watching";
    } else if (io->destroy == NULL) {
        missing = "destroy";
    }
    if (missing != NULL) {
        msg_add(&m, "I/O plugin '%s' leaves the required member %s NULL",
                io->name ? io->name : "?", missing);
        return SOFA_E_PLUGIN_INIT;
    }
    return SOFA_OK;
}

/* ------------------------------------------------------------ loading */

static int valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > SOFA__IOPS_NAME_MAX) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-';
        if (!ok) {
            return 0;
        }
    }
    return 1;
}

static int valid_symbol(const char *s)
{
    if (s[0] == '\0' || strlen(s) > SOFA__IOPS_NAME_MAX * 2 || (s[0] >= '0' && s[0] <= '9')) {
        return 0;
    }
    for (const char *c = s; *c; c++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_')) {
            return 0;
        }
    }
    return 1;
}

/*
 * Try one candidate file. Returns the handle, or NULL with *stop set when the
 * file exists but could not be loaded (the search must not go on).
 * A candidate without '/' is handed to the dynamic loader's own search.
 */
static void *try_file(const char *file, int *stop, msgbuf *m, int *tried)
{
    *stop = 0;
    if (*tried) {
        msg_add(m, "; ");
    }
    (*tried)++;
    if (strchr(file, '/') != NULL && access(file, F_OK) != 0 && errno == ENOENT) {
        msg_add(m, "%s (no such file)", file);
        return NULL;
    }
    void *h = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        const char *e = dlerror();
        msg_add(m, "%s (%s)", file, e ? e : "unknown dlopen error");
        *stop = strchr(file, '/') != NULL; /* exists but broken: report it, go no further */
    }
    return h;
}

static void *open_named(const char *name, char *file, size_t filelen, msgbuf *m)
{
    int stop = 0, tried = 0;
    void *h = NULL;
    msg_add(m, "cannot load I/O plugin '%s'; tried: ", name);
    const char *path = getenv(SOFA__IOPS_PATH_ENV);
    if (path != NULL) {
        const char *p = path;
        while (*p && h == NULL && !stop) {
            const char *end = strchr(p, ':');
            size_t dlen = end ? (size_t)(end - p) : strlen(p);
            if (dlen > 0 && dlen < filelen) {
                int n = snprintf(file, filelen, "%.*s/libsofa_%s.so", (int)dlen, p, name);
                if (n > 0 && (size_t)n < filelen) {
                    h = try_file(file, &stop, m, &tried);
                }
            }
            p = end ? end + 1 : p + dlen;
        }
    }
    if (h == NULL && !stop) {
        snprintf(file, filelen, "%s/libsofa_%s.so", SOFA_PLUGIN_DIR, name);
        h = try_file(file, &stop, m, &tried);
    }
    if (h == NULL && !stop) {
        snprintf(file, filelen, "libsofa_%s.so", name);
        msg_add(m, "%sthe loader path: ", tried ? "; " : "");
        tried = 0;
        h = try_file(file, &stop, m, &tried);
    }
    return h;
}

static sofa_iops_create_fn find_entry(void *h, const char *symbol)
{
    dlerror();
    void *sym = dlsym(h, symbol);
    sofa_iops_create_fn fn = NULL;
    /* POSIX guarantees a data pointer from dlsym can hold a function address. */
    memcpy(&fn, &sym, sizeof(fn));
    return fn;
}

int sofa_iops_load(const char *name, const char *symbol, void *loop, sofa_iops **out,
                   char *errbuf, size_t errlen)
{
    msgbuf m = msg_init(errbuf, errlen);
    if (out == NULL || name == NULL) {
        msg_add(&m, "sofa_iops_load: name and out must not be NULL");
        return SOFA_E_INVALID_ARGUMENT;
    }
    *out = NULL;
    if (symbol == NULL) {
        symbol = SOFA_IOPS_ENTRY_SYMBOL;
    }
    if (!valid_symbol(symbol)) {
        msg_add(&m, "I/O plugin entry symbol '%.*s' is not a C identifier", SOFA__IOPS_NAME_MAX,
                symbol);
        return SOFA_E_INVALID_ARGUMENT;
    }
    char file[SOFA__IOPS_SPEC_MAX + 64];
    void *h;
    if (strchr(name, '/') != NULL) {
        if (strlen(name) > SOFA__IOPS_SPEC_MAX) {
            msg_add(&m, "I/O plugin path is longer than %d bytes", SOFA__IOPS_SPEC_MAX);
            return SOFA_E_INVALID_ARGUMENT;
        }
        snprintf(file, sizeof(file), "%s", name);
        int stop = 0, tried = 0;
        msg_add(&m, "cannot load I/O plugin: ");
        h = try_file(file, &stop, &m, &tried);
    } else {
        if (!valid_name(name)) {
            msg_add(&m, "I/O plugin name '%.*s' is invalid (1..%d of A-Z a-z 0-9 _ -, or a path "
                        "containing '/')",
                    SOFA__IOPS_NAME_MAX, name, SOFA__IOPS_NAME_MAX);
            return SOFA_E_INVALID_ARGUMENT;
        }
        h = open_named(name, file, sizeof(file), &m);
    }
    if (h == NULL) {
        return SOFA_E_PLUGIN_NOT_FOUND;
    }

    m = msg_init(errbuf, errlen);
    sofa_iops_create_fn create = find_entry(h, symbol);
    if (create == NULL) {
        const char *e = dlerror();
        msg_add(&m, "I/O plugin %s has no entry symbol %s (%s)", file, symbol,
                e ? e : "symbol is NULL");
        dlclose(h);
        return SOFA_E_PLUGIN_SYMBOL;
    }
    sofa_iops *io = NULL;
    int rc = create(loop, &io);
    if (rc != 0 || io == NULL) {
        msg_add(&m, "I/O plugin %s: %s() failed: %s (%d)", file, symbol,
                rc != 0 ? sofa_strerror(rc) : "returned no table", rc);
        dlclose(h);
        return SOFA_E_PLUGIN_INIT;
    }
    char why[256];
    rc = sofa__iops_check(io, why, sizeof(why));
    if (rc != 0) {
        msg_add(&m, "I/O plugin %s: %s", file, why);
        if (covers(io, offsetof(sofa_iops, destroy) + sizeof(io->destroy)) && io->destroy) {
            io->destroy(io);
        }
        dlclose(h);
        return rc;
    }
    rc = remember(io, h);
    if (rc != 0) {
        msg_add(&m, "out of memory loading I/O plugin %s", file);
        io->destroy(io);
        dlclose(h);
        return rc;
    }
    *out = io;
    return SOFA_OK;
}

void sofa_iops_free(sofa_iops *io)
{
    if (io == NULL) {
        return;
    }
    void *handle = forget(io);
    if (covers(io, offsetof(sofa_iops, destroy) + sizeof(io->destroy)) && io->destroy) {
        io->destroy(io);
    }
    if (handle != NULL) {
        dlclose(handle);
    }
}

/* ------------------------------------------------------------ the choice */

int sofa__iops_parse_spec(const char *spec, size_t len, sofa__iops_spec *out)
{
    if (out == NULL) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    memset(out, 0, sizeof(*out));
    if (spec == NULL || len == 0 || len >= sizeof(out->name) || memchr(spec, '\0', len) != NULL) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    memcpy(out->name, spec, len);
    out->name[len] = '\0';
    if (strcmp(out->name, "select") == 0 || strcmp(out->name, "default") == 0) {
        out->kind = SOFA__IOPS_SPEC_BUILTIN;
        return SOFA_OK;
    }
    char *slash = strrchr(out->name, '/');
    if (slash == NULL) {
        out->kind = SOFA__IOPS_SPEC_NAME;
        return valid_name(out->name) ? SOFA_OK : SOFA_E_INVALID_ARGUMENT;
    }
    out->kind = SOFA__IOPS_SPEC_PATH;
    char *colon = strrchr(slash, ':');
    if (colon != NULL) {
        size_t n = strlen(colon + 1);
        if (n >= sizeof(out->symbol) || !valid_symbol(colon + 1)) {
            return SOFA_E_INVALID_ARGUMENT;
        }
        memcpy(out->symbol, colon + 1, n + 1);
        *colon = '\0';
    }
    return SOFA_OK;
}

static int choose_spec(const char *spec, const char *origin, sofa_iops **out, int *owned,
                       char *errbuf, size_t errlen)
{
    sofa__iops_spec *sp = malloc(sizeof(*sp));
    msgbuf m = msg_init(errbuf, errlen);
    if (sp == NULL) {
        msg_add(&m, "out of memory choosing the I/O plugin");
        return SOFA_E_NO_MEMORY;
    }
    int rc = sofa__iops_parse_spec(spec, strlen(spec), sp);
    if (rc != 0) {
        msg_add(&m, "%s: invalid I/O plugin spec '%.*s' (want select, a name such as libev, or "
                    "PATH[:SYMBOL])",
                origin, SOFA__IOPS_NAME_MAX, spec);
    } else if (sp->kind == SOFA__IOPS_SPEC_BUILTIN) {
        rc = sofa_iops_select_new(out);
        if (rc != 0) {
            msg_add(&m, "cannot create the built-in select plugin: %s", sofa_strerror(rc));
        }
    } else {
        char why[1024];
        rc = sofa_iops_load(sp->name, sp->symbol[0] ? sp->symbol : NULL, NULL, out, why,
                            sizeof(why));
        if (rc != 0) {
            msg_add(&m, "%s: %s", origin, why);
        }
    }
    free(sp);
    *owned = rc == 0;
    return rc;
}

int sofa__iops_choose(const char *connstr_iops, sofa_iops **out, int *owned, char *errbuf,
                      size_t errlen)
{
    msgbuf m = msg_init(errbuf, errlen);
    if (out == NULL || owned == NULL) {
        msg_add(&m, "sofa__iops_choose: out and owned must not be NULL");
        return SOFA_E_INVALID_ARGUMENT;
    }
    *owned = 0;
    if (*out != NULL) {
        return sofa__iops_check(*out, errbuf, errlen);
    }
    if (connstr_iops != NULL && connstr_iops[0] != '\0') {
        return choose_spec(connstr_iops, "connection string option iops", out, owned, errbuf,
                           errlen);
    }
    const char *env = getenv(SOFA__IOPS_ENV);
    if (env != NULL && env[0] != '\0') {
        return choose_spec(env, "environment variable SOFA_IOPS", out, owned, errbuf, errlen);
    }
    int rc = sofa_iops_select_new(out);
    if (rc != 0) {
        msg_add(&m, "cannot create the built-in select plugin: %s", sofa_strerror(rc));
        return rc;
    }
    *owned = 1;
    return SOFA_OK;
}
