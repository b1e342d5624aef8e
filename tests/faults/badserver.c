/* Misbehaving servers for the bootstrap fault tests (see badserver.h). */
#include "faults/badserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MAX_CONNS = 32 };

static int listen_any(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

int fk_closed_port(void)
{
    int port = 0;
    int fd = listen_any(&port);
    if (fd < 0)
        return 1;
    close(fd);
    return port;
}

static void write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w <= 0)
            return;
        c += w;
        n -= (size_t)w;
    }
}

static void garbage(int fd, unsigned *seed, size_t n)
{
    unsigned char b[512];
    if (n > sizeof(b))
        n = sizeof(b);
    for (size_t i = 0; i < n; i++) {
        *seed = *seed * 1103515245u + 12345u;
        b[i] = (unsigned char)(*seed >> 16);
    }
    if (b[0] == 0x81 || b[0] == 0x18)
        b[0] = 0x42; /* never a valid magic */
    write_all(fd, b, n);
}

/* Answer what arrived on @fd in @mode. Returns 0 to keep the connection, -1 to close it. */
static int serve(int fd, fk_bad_mode mode, unsigned *seed)
{
    unsigned char in[4096];
    ssize_t n = read(fd, in, sizeof(in));
    if (n <= 0)
        return -1;
    switch (mode) {
    case FK_BAD_GARBAGE:
        garbage(fd, seed, 24 + (size_t)(*seed % 300u));
        return 0;
    case FK_BAD_HUGE_LENGTH: {
        unsigned char h[24];
        memset(h, 0, sizeof(h));
        h[0] = 0x81;
        h[1] = n >= 2 ? in[1] : 0x1f;
        h[8] = 0xff; /* total body length 0xfffffff0 */
        h[9] = 0xff;
        h[10] = 0xff;
        h[11] = 0xf0;
        if (n >= 16)
            memcpy(h + 12, in + 12, 4); /* the request's opaque */
        write_all(fd, h, sizeof(h));
        garbage(fd, seed, 200);
        return 0;
    }
    case FK_BAD_WRONG_OPAQUE: {
        /* one empty success response per request header seen at the start of the read */
        unsigned char h[24];
        memset(h, 0, sizeof(h));
        h[0] = 0x81;
        h[1] = n >= 2 ? in[1] : 0;
        uint32_t op = n >= 16 ? ((uint32_t)in[12] << 24 | (uint32_t)in[13] << 16 |
                                 (uint32_t)in[14] << 8 | in[15])
                              : 0;
        op ^= 0x5a5a5a5au;
        h[12] = (unsigned char)(op >> 24);
        h[13] = (unsigned char)(op >> 16);
        h[14] = (unsigned char)(op >> 8);
        h[15] = (unsigned char)op;
        write_all(fd, h, sizeof(h));
        return 0;
    }
    case FK_BAD_HTTP_GARBAGE: {
        static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                   "Transfer-Encoding: chunked\r\n\r\n"
                                   "1f\r\n{\"rev\":\"x\",\"nodes\":[[[[[[[[[[[\r\n"
                                   "zz\r\n";
        write_all(fd, head, sizeof(head) - 1);
        return -1;
    }
    default:
        return -1;
    }
}

static void child_main(int lfd, fk_bad_mode mode)
{
    struct pollfd p[MAX_CONNS + 1];
    int n = 1;
    unsigned seed = 12345u;
    p[0].fd = lfd;
    p[0].events = POLLIN;
    for (;;) {
        if (poll(p, (nfds_t)n, -1) < 0) {
            if (errno == EINTR)
                continue;
            _exit(1);
        }
        if (p[0].revents & POLLIN) {
            int c = accept(lfd, NULL, NULL);
            if (c >= 0) {
                if (mode == FK_BAD_CLOSE || n > MAX_CONNS) {
                    close(c);
                } else {
                    if (mode == FK_BAD_GARBAGE)
                        garbage(c, &seed, 64); /* speaks first */
                    p[n].fd = c;
                    p[n].events = POLLIN;
                    p[n].revents = 0;
                    n++;
                }
            }
        }
        for (int i = 1; i < n; i++) {
            if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (serve(p[i].fd, mode, &seed) != 0) {
                close(p[i].fd);
                p[i] = p[n - 1];
                n--;
                i--;
            }
        }
    }
}

int fk_bad_start(fk_badserver *s, fk_bad_mode mode)
{
    memset(s, 0, sizeof(*s));
    s->fd = listen_any(&s->port);
    if (s->fd < 0)
        return -1;
    if (mode == FK_BAD_SILENT)
        return 0;
    pid_t pid = fork();
    if (pid < 0) {
        close(s->fd);
        s->fd = -1;
        return -1;
    }
    if (pid == 0) {
        signal(SIGPIPE, SIG_IGN);
        child_main(s->fd, mode);
        _exit(0);
    }
    s->pid = pid;
    return 0;
}

void fk_bad_stop(fk_badserver *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
    if (s->fd > 0)
        close(s->fd);
    s->fd = -1;
}
