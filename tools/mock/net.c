/* sofa-mock: listening sockets (kept port numbers across stop/restart). */
#include "mock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ACCEPT_BATCH 64
#define ACCEPT_BACKOFF_MS 100

static void resume_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    mock_listener *l = arg;
    if (l->ev != NULL) {
        event_add(l->ev, NULL);
    }
}

static void accept_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    mock_listener *l = arg;
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* out of descriptors: pause this listener instead of spinning */
                mock_log("accept on port %d: %s; pausing %d ms", l->port, strerror(errno),
                         ACCEPT_BACKOFF_MS);
                event_del(l->ev);
                if (l->pause == NULL) {
                    l->pause = evtimer_new(event_get_base(l->ev), resume_cb, l);
                }
                if (l->pause != NULL) {
                    struct timeval tv = {0, ACCEPT_BACKOFF_MS * 1000};
                    evtimer_add(l->pause, &tv);
                }
            } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                       errno != ECONNABORTED) {
                mock_log("accept on port %d: %s", l->port, strerror(errno));
            }
            return;
        }
        l->on_accept(l->arg, c);
    }
}

int mock_listener_open(mock_listener *l, struct event_base *base, const char *host)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)l->port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        mock_log("--host must be an IPv4 address: %s", host);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    socklen_t len = sizeof(sa);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 1024) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        mock_log("listen on %s:%d: %s", host, l->port, strerror(errno));
        close(fd);
        return -1;
    }
    l->ev = event_new(base, fd, EV_READ | EV_PERSIST, accept_cb, l);
    if (l->ev == NULL || event_add(l->ev, NULL) != 0) {
        if (l->ev) {
            event_free(l->ev);
            l->ev = NULL;
        }
        close(fd);
        return -1;
    }
    l->fd = fd;
    l->port = ntohs(sa.sin_port);
    return 0;
}

void mock_listener_close(mock_listener *l)
{
    if (l->pause != NULL) {
        event_free(l->pause);
        l->pause = NULL;
    }
    if (l->ev != NULL) {
        event_free(l->ev);
        l->ev = NULL;
    }
    if (l->fd >= 0) {
        close(l->fd);
        l->fd = -1;
    }
}
