/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
#include "io/resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sofa/status.h"

/* Shared between the loop thread and the worker; freed by whoever drops the last
 * reference (the loop's reference goes at delivery or cancel, the worker's when it ends). */
struct sofa__resolve {
    pthread_mutex_t mu;
    int refs;
    int cancelled;
    int done;
    int gai_rc;
    struct addrinfo *res;
    int rfd, wfd;
    sofa_iops *io;
    sofa_io_event *ev;
    sofa__resolve_cb cb;
    void *arg;
    struct addrinfo hints;
    char host[SOFA__RESOLVE_HOST_MAX + 1];
    char serv[SOFA__RESOLVE_SERV_MAX + 1];
};

static atomic_int active_workers;

int sofa__resolve_active(void)
{
    return atomic_load(&active_workers);
}

int sofa__resolve_numeric(const char *host, const char *serv, const struct addrinfo *hints,
                          struct addrinfo **res)
{
    struct addrinfo h = *hints;
    h.ai_flags |= AI_NUMERICHOST;
    *res = NULL;
    int rc = getaddrinfo(host, serv, &h, res);
    if (rc != 0)
        *res = NULL;
    return rc;
}

static void unref(sofa__resolve *r)
{
    pthread_mutex_lock(&r->mu);
    int last = --r->refs == 0;
    pthread_mutex_unlock(&r->mu);
    if (!last)
        return;
    if (r->res)
        freeaddrinfo(r->res);
    if (r->wfd >= 0)
        close(r->wfd);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static void *worker(void *p)
{
    sofa__resolve *r = p;
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(r->host, r->serv, &r->hints, &res);
    if (rc != 0)
        res = NULL;
    pthread_mutex_lock(&r->mu);
    if (r->cancelled) {
        if (res)
            freeaddrinfo(res);
    } else {
        r->gai_rc = rc;
        r->res = res;
        r->done = 1;
        /* The read end stays open until the loop side has taken the result or cancelled
         * (both under this lock), so this write cannot hit a closed pipe. */
        ssize_t n;
        do {
            n = write(r->wfd, "x", 1);
        } while (n < 0 && errno == EINTR);
    }
    pthread_mutex_unlock(&r->mu);
    unref(r);
    atomic_fetch_sub(&active_workers, 1);
    return NULL;
}

/* Close the loop side: the event first (the contract), then the read end. */
static void close_loop_side(sofa__resolve *r)
{
    if (r->ev) {
        r->io->update_event(r->io, r->ev, SOFA_IO_CLEANUP, 0);
        r->ev = NULL;
    }
    if (r->rfd >= 0) {
        close(r->rfd);
        r->rfd = -1;
    }
}

static void on_ready(sofa_io_event *ev, int fired, void *arg)
{
    sofa__resolve *r = arg;
    (void)ev;
    (void)fired;
    sofa__resolve_cb cb = r->cb;
    void *cb_arg = r->arg;
    pthread_mutex_lock(&r->mu);
    int done = r->done;
    int rc = r->gai_rc;
    struct addrinfo *res = r->res;
    if (done)
        r->res = NULL;
    pthread_mutex_unlock(&r->mu);
    if (!done) {
        /* Nothing yet (a spurious wake-up): ask again, events are one-shot. */
        if (r->io->update_event(r->io, r->ev, SOFA_IO_WATCH, SOFA_IO_READ) == 0)
            return;
        sofa__resolve_cancel(r);
        cb(EAI_SYSTEM, NULL, cb_arg);
        return;
    }
    close_loop_side(r);
    unref(r);
    cb(rc, res, cb_arg);
}

void sofa__resolve_cancel(sofa__resolve *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->cancelled = 1;
    pthread_mutex_unlock(&r->mu);
    close_loop_side(r);
    unref(r); /* frees any result the worker already stored */
}

int sofa__resolve_start(sofa__resolve **out, sofa_iops *io, const char *host, const char *serv,
                        const struct addrinfo *hints, sofa__resolve_cb cb, void *arg)
{
    *out = NULL;
    if (strlen(host) > SOFA__RESOLVE_HOST_MAX || strlen(serv) > SOFA__RESOLVE_SERV_MAX)
        return SOFA_E_INVALID_ARGUMENT;
    sofa__resolve *r = calloc(1, sizeof(*r));
    if (!r)
        return SOFA_E_NO_MEMORY;
    if (pthread_mutex_init(&r->mu, NULL) != 0) {
        free(r);
        return SOFA_E_NO_MEMORY;
    }
    r->rfd = -1;
    r->wfd = -1;
    r->io = io;
    r->cb = cb;
    r->arg = arg;
    memset(&r->hints, 0, sizeof(r->hints));
    r->hints.ai_family = hints->ai_family;
    r->hints.ai_socktype = hints->ai_socktype;
    r->hints.ai_protocol = hints->ai_protocol;
    r->hints.ai_flags = hints->ai_flags;
    memcpy(r->host, host, strlen(host) + 1);
    memcpy(r->serv, serv, strlen(serv) + 1);
    r->refs = 1;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        unref(r);
        return SOFA_E_NO_MEMORY;
    }
    r->rfd = fds[0];
    r->wfd = fds[1];
    r->ev = io->event_new(io, r->rfd, on_ready, r);
    if (!r->ev) {
        close_loop_side(r);
        unref(r);
        return SOFA_E_NO_MEMORY;
    }
    int rc = io->update_event(io, r->ev, SOFA_IO_WATCH, SOFA_IO_READ);
    if (rc != 0) {
        close_loop_side(r);
        unref(r);
        return rc;
    }
    /* The worker takes its own reference; signals stay with the application's threads. */
    r->refs = 2;
    atomic_fetch_add(&active_workers, 1);
    pthread_attr_t attr;
    sigset_t all, old;
    sigfillset(&all);
    int trc = pthread_attr_init(&attr);
    if (trc == 0) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        pthread_t tid;
        trc = pthread_create(&tid, &attr, worker, r);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&attr);
    }
    if (trc != 0) {
        atomic_fetch_sub(&active_workers, 1);
        r->refs = 1;
        close_loop_side(r);
        unref(r);
        return SOFA_E_NO_MEMORY;
    }
    *out = r;
    return 0;
}
