#include "cli/clirun.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define CLIRUN_MAX_OUTPUT (16u * 1024u * 1024u)

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void child(const char *path, const char *const *argv, const char *const *env, int in,
                  int out, int err)
{
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    /* drop inherited SOFA_* settings so that each test says what it uses */
    for (int again = 1; again;) {
        again = 0;
        for (char **e = environ; e && *e; e++) {
            if (strncmp(*e, "SOFA_", 5) == 0 && strncmp(*e, "SOFA_MOCK=", 10) != 0) {
                char name[256];
                size_t n = strcspn(*e, "=");
                if (n < sizeof(name)) {
                    memcpy(name, *e, n);
                    name[n] = '\0';
                    unsetenv(name);
                    again = 1;
                    break;
                }
            }
        }
    }
    for (size_t i = 0; env && env[i]; i++) {
        putenv((char *)env[i]);
    }
    execv(path, (char *const *)argv);
    fprintf(stderr, "clirun: exec %s: %s\n", path, strerror(errno));
    _exit(127);
}

static int append(char **buf, size_t *len, size_t *cap, int fd)
{
    if (*cap - *len < 4097) {
        size_t ncap = *cap ? *cap * 2 : 8192;
        char *nb = ncap <= CLIRUN_MAX_OUTPUT ? realloc(*buf, ncap) : NULL;
        if (nb == NULL) {
            return -1;
        }
        *buf = nb;
        *cap = ncap;
    }
    ssize_t n = read(fd, *buf + *len, *cap - *len - 1);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return 1;
    }
    if (n <= 0) {
        return 0;
    }
    *len += (size_t)n;
    (*buf)[*len] = '\0';
    return 1;
}

/* Feed stdin and collect stdout/stderr until both close or the deadline passes.
 * Returns 0, or -1 when the child had to be killed (timeout, no memory). */
static int pump(clirun_result *r, int in_fd, const void *in, size_t nin, int out_fd, int err_fd,
                int timeout_ms)
{
    size_t written = 0, ocap = 0, ecap = 0;
    int open_out = 1, open_err = 1;
    long long deadline = now_ms() + timeout_ms;
    while (open_out || open_err) {
        struct pollfd p[3] = {{open_out ? out_fd : -1, POLLIN, 0},
                              {open_err ? err_fd : -1, POLLIN, 0},
                              {in_fd, POLLOUT, 0}};
        long long left = deadline - now_ms();
        if (left <= 0 || (poll(p, 3, (int)left) < 0 && errno != EINTR)) {
            break;
        }
        if (p[0].revents && (open_out = append(&r->out, &r->nout, &ocap, out_fd)) < 0) {
            break;
        }
        if (p[1].revents && (open_err = append(&r->err, &r->nerr, &ecap, err_fd)) < 0) {
            break;
        }
        if (in_fd >= 0 && p[2].revents) {
            ssize_t n = write(in_fd, (const char *)in + written, nin - written);
            written += n > 0 ? (size_t)n : 0;
            if (n < 0 || written == nin) {
                close(in_fd);
                in_fd = -1;
            }
        }
    }
    if (in_fd >= 0) {
        close(in_fd);
    }
    return open_out || open_err ? -1 : 0;
}

int clirun(clirun_result *r, const char *path, const char *const *argv, const char *const *env,
           const void *in, size_t nin, int timeout_ms)
{
    memset(r, 0, sizeof(*r));
    r->code = -1;
    int pin[2], pout[2], perr[2];
    if (pipe(pin) != 0 || pipe(pout) != 0 || pipe(perr) != 0) {
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        close(pin[1]);
        close(pout[0]);
        close(perr[0]);
        child(path, argv, env, pin[0], pout[1], perr[1]);
    }
    close(pin[0]);
    close(pout[1]);
    close(perr[1]);
    signal(SIGPIPE, SIG_IGN);
    if (in == NULL || nin == 0) {
        close(pin[1]);
        pin[1] = -1;
    } else {
        fcntl(pin[1], F_SETFL, O_NONBLOCK);
    }
    if (pump(r, pin[1], in, nin, pout[0], perr[0], timeout_ms) != 0) {
        kill(pid, SIGKILL);
    }
    close(pout[0]);
    close(perr[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    r->code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (r->out == NULL) {
        r->out = calloc(1, 1);
    }
    if (r->err == NULL) {
        r->err = calloc(1, 1);
    }
    return r->code;
}

void clirun_free(clirun_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}
