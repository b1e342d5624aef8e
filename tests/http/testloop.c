/* Test support: a poll IOPS and a scripted HTTP server thread (see testloop.h). */
#include "testloop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ poll IOPS */

#define TL_MAX 256

typedef struct tl_event {
    sofa_io_event pub;
    int flags; /* watched */
    int used;
} tl_event;

typedef struct tl_timer {
    sofa_io_timer pub;
    uint64_t due; /* 0 = not armed */
    int used;
} tl_timer;

typedef struct tl_loop {
    sofa_iops io;
    tl_event *events[TL_MAX];
    tl_timer *timers[TL_MAX];
    int stop;
} tl_loop;

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static sofa_io_event *tl_event_new(sofa_iops *io, int fd, sofa_io_event_cb cb, void *arg)
{
    tl_loop *l = io->data;
    for (int i = 0; i < TL_MAX; i++) {
        if (!l->events[i]) {
            tl_event *e = calloc(1, sizeof(*e));
            if (!e) {
                return NULL;
            }
            e->pub.fd = fd;
            e->pub.cb = cb;
            e->pub.arg = arg;
            e->used = 1;
            l->events[i] = e;
            return &e->pub;
        }
    }
    return NULL;
}

static int tl_update_event(sofa_iops *io, sofa_io_event *ev, sofa_io_action a, int flags)
{
    tl_loop *l = io->data;
    tl_event *e = (tl_event *)ev;
    if (a == SOFA_IO_WATCH) {
        e->flags = flags;
    } else if (a == SOFA_IO_UNWATCH) {
        e->flags = 0;
    } else {
        for (int i = 0; i < TL_MAX; i++) {
            if (l->events[i] == e) {
                l->events[i] = NULL;
            }
        }
        free(e);
    }
    return 0;
}

static sofa_io_timer *tl_timer_new(sofa_iops *io, sofa_io_timer_cb cb, void *arg)
{
    tl_loop *l = io->data;
    for (int i = 0; i < TL_MAX; i++) {
        if (!l->timers[i]) {
            tl_timer *t = calloc(1, sizeof(*t));
            if (!t) {
                return NULL;
            }
            t->pub.cb = cb;
            t->pub.arg = arg;
            l->timers[i] = t;
            return &t->pub;
        }
    }
    return NULL;
}

static int tl_update_timer(sofa_iops *io, sofa_io_timer *tm, sofa_io_action a, uint64_t usecs)
{
    tl_loop *l = io->data;
    tl_timer *t = (tl_timer *)tm;
    if (a == SOFA_IO_WATCH) {
        t->due = now_us() + usecs;
        if (t->due == 0) {
            t->due = 1;
        }
    } else if (a == SOFA_IO_UNWATCH) {
        t->due = 0;
    } else {
        for (int i = 0; i < TL_MAX; i++) {
            if (l->timers[i] == t) {
                l->timers[i] = NULL;
            }
        }
        free(t);
    }
    return 0;
}

/* One iteration: poll with a timeout up to @p max_ms; returns 0 when idle. */
static int tl_once(tl_loop *l, int max_ms)
{
    struct pollfd pfd[TL_MAX];
    tl_event *who[TL_MAX];
    int n = 0, armed = 0;
    uint64_t now = now_us(), next = UINT64_MAX;
    for (int i = 0; i < TL_MAX; i++) {
        if (l->timers[i] && l->timers[i]->due) {
            armed = 1;
            if (l->timers[i]->due < next) {
                next = l->timers[i]->due;
            }
        }
        tl_event *e = l->events[i];
        if (e && e->flags) {
            pfd[n].fd = e->pub.fd;
            pfd[n].events = (short)(((e->flags & SOFA_IO_READ) ? POLLIN : 0) |
                                    ((e->flags & SOFA_IO_WRITE) ? POLLOUT : 0));
            pfd[n].revents = 0;
            who[n++] = e;
        }
    }
    if (n == 0 && !armed) {
        return 0;
    }
    int timeout = max_ms;
    if (armed) {
        uint64_t wait = next > now ? (next - now + 999) / 1000 : 0;
        if (wait < (uint64_t)timeout) {
            timeout = (int)wait;
        }
    }
    int rc = poll(pfd, (nfds_t)n, timeout);
    if (rc > 0) {
        for (int i = 0; i < n; i++) {
            int fired = 0;
            if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                fired |= SOFA_IO_READ;
            }
            if (pfd[i].revents & (POLLOUT | POLLHUP | POLLERR)) {
                fired |= SOFA_IO_WRITE;
            }
            /* the event may have been released by an earlier callback */
            int alive = 0;
            for (int j = 0; j < TL_MAX; j++) {
                alive |= l->events[j] == who[i];
            }
            if (!alive) {
                continue;
            }
            fired &= who[i]->flags;
            if (fired) {
                who[i]->flags = 0; /* one-shot */
                who[i]->pub.cb(&who[i]->pub, fired, who[i]->pub.arg);
            }
        }
    }
    now = now_us();
    for (int i = 0; i < TL_MAX; i++) {
        tl_timer *t = l->timers[i];
        if (t && t->due && t->due <= now) {
            t->due = 0;
            t->pub.cb(&t->pub, t->pub.arg);
        }
    }
    return 1;
}

static void tl_start(sofa_iops *io)
{
    tl_loop *l = io->data;
    l->stop = 0;
    while (!l->stop && tl_once(l, 1000)) {
    }
}

static void tl_stop(sofa_iops *io)
{
    ((tl_loop *)io->data)->stop = 1;
}

static void tl_destroy(sofa_iops *io)
{
    testloop_free(io);
}

sofa_iops *testloop_new(void)
{
    tl_loop *l = calloc(1, sizeof(*l));
    if (!l) {
        return NULL;
    }
    l->io.struct_size = sizeof(sofa_iops);
    l->io.name = "testpoll";
    l->io.data = l;
    l->io.event_new = tl_event_new;
    l->io.update_event = tl_update_event;
    l->io.timer_new = tl_timer_new;
    l->io.update_timer = tl_update_timer;
    l->io.start_watching = tl_start;
    l->io.stop_watching = tl_stop;
    l->io.destroy = tl_destroy;
    return &l->io;
}

void testloop_free(sofa_iops *io)
{
    if (!io) {
        return;
    }
    tl_loop *l = io->data;
    for (int i = 0; i < TL_MAX; i++) {
        free(l->events[i]);
        free(l->timers[i]);
    }
    free(l);
}

int testloop_run_until(sofa_iops *io, const int *done, int max_ms)
{
    tl_loop *l = io->data;
    uint64_t end = now_us() + (uint64_t)max_ms * 1000u;
    while (!*done && now_us() < end) {
        if (!tl_once(l, 50)) {
            usleep(1000);
        }
    }
    return *done;
}

/* ------------------------------------------------------------ server */

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) {
            if (w < 0 && errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read one request (head + Content-Length body) into @p buf; -1 on EOF/error. */
static int read_request(test_server *s, int fd, char *buf, size_t cap)
{
    size_t len = 0;
    while (len + 1 < cap) {
        struct pollfd p = {fd, POLLIN, 0};
        int pr = poll(&p, 1, 100);
        if (s->stop) {
            return -1;
        }
        if (pr <= 0) {
            continue;
        }
        ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
        if (n <= 0) {
            return -1;
        }
        len += (size_t)n;
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end) {
            size_t body = 0;
            const char *cl = strcasestr(buf, "Content-Length:");
            if (cl && cl < end) {
                body = (size_t)strtoul(cl + 15, NULL, 10);
            }
            if (len >= (size_t)(end + 4 - buf) + body) {
                return 0;
            }
        }
    }
    return -1;
}

static int send_rows(int fd, long n, volatile int *flag)
{
    char chunk[8192];
    const char *head = "{\"requestID\":\"r\",\"results\":[";
    char hdr[32];
    snprintf(hdr, sizeof(hdr), "%zx\r\n", strlen(head));
    if (send_all(fd, hdr, strlen(hdr)) || send_all(fd, head, strlen(head)) ||
        send_all(fd, "\r\n", 2)) {
        return -1;
    }
    long i = 0;
    while (i < n) {
        size_t len = 0;
        while (i < n && len < sizeof(chunk) - 64) {
            len += (size_t)snprintf(chunk + len, sizeof(chunk) - len, "%s{\"i\":%ld}", i ? "," : "",
                                    i);
            i++;
        }
        snprintf(hdr, sizeof(hdr), "%zx\r\n", len);
        if (send_all(fd, hdr, strlen(hdr)) || send_all(fd, chunk, len) || send_all(fd, "\r\n", 2)) {
            return -1;
        }
        if (flag) { /* hold the rest back until the client has seen rows */
            for (int w = 0; w < 5000 && !*flag; w++) {
                usleep(1000);
            }
            flag = NULL;
        }
    }
    const char *tail = "],\"status\":\"success\",\"metrics\":{\"resultCount\":1}}";
    snprintf(hdr, sizeof(hdr), "%zx\r\n", strlen(tail));
    if (send_all(fd, hdr, strlen(hdr)) || send_all(fd, tail, strlen(tail)) ||
        send_all(fd, "\r\n0\r\n\r\n", 7)) {
        return -1;
    }
    return 0;
}

/* Serve one connection; returns when it is closed. */
static void serve_conn(test_server *s, int fd)
{
    for (;;) {
        int idx = s->nrequests;
        if (idx >= SRV_MAX_REQS) {
            break;
        }
        if (read_request(s, fd, s->requests[idx], SRV_MAX_REQ_BYTES) != 0) {
            break;
        }
        s->nrequests = idx + 1;
        const srv_step *st = idx < s->nscripts ? s->scripts[idx] : NULL;
        int closed = 0;
        for (; !closed && st && st->action != SRV_END; st++) {
            switch (st->action) {
            case SRV_SEND:
                closed = send_all(fd, st->text, strlen(st->text)) != 0;
                break;
            case SRV_SLEEP_MS:
                usleep((useconds_t)st->n * 1000u);
                break;
            case SRV_WAIT_FLAG:
                for (int w = 0; w < 5000 && !*st->flag && !s->stop; w++) {
                    usleep(1000);
                }
                break;
            case SRV_CLOSE:
                closed = 1;
                break;
            case SRV_SEND_JSON: {
                char head[160];
                snprintf(head, sizeof(head),
                         "HTTP/1.1 %ld X\r\nContent-Type: application/json\r\n"
                         "Content-Length: %zu\r\n\r\n",
                         st->n, strlen(st->text));
                closed = send_all(fd, head, strlen(head)) != 0 ||
                         send_all(fd, st->text, strlen(st->text)) != 0;
                break;
            }
            case SRV_SEND_ROWS:
                closed = send_rows(fd, st->n, st->flag) != 0;
                break;
            default:
                break;
            }
        }
        if (closed || !st) {
            break;
        }
    }
    close(fd);
}

static void *server_main(void *arg)
{
    test_server *s = arg;
    while (!s->stop) {
        struct pollfd p = {s->fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) {
            continue;
        }
        int fd = accept(s->fd, NULL, NULL);
        if (fd < 0) {
            continue;
        }
        s->nconnections++;
        serve_conn(s, fd); /* one connection at a time is enough for these tests */
    }
    return NULL;
}

int test_server_start(test_server *s)
{
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (s->fd < 0) {
        return -1;
    }
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(a);
    if (bind(s->fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s->fd, 16) != 0 ||
        getsockname(s->fd, (struct sockaddr *)&a, &alen) != 0) {
        close(s->fd);
        return -1;
    }
    s->port = ntohs(a.sin_port);
    s->stop = 0;
    if (pthread_create(&s->thread, NULL, server_main, s) != 0) {
        close(s->fd);
        return -1;
    }
    return 0;
}

void test_server_stop(test_server *s)
{
    s->stop = 1;
    pthread_join(s->thread, NULL);
    close(s->fd);
}

/* The socket stays bound (never listening) until the process exits: connecting to its port
 * is refused, and neither another process's bind() nor an outgoing connection's ephemeral
 * port can take it (a port that was merely bound and closed could be reused at once). */
uint16_t test_closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    return ntohs(a.sin_port); /* fd deliberately kept open */
}
