#include "support/procutil.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

int sofa_test_mkdtemp(char *dir, size_t dirlen, const char *prefix)
{
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || *tmp == '\0') {
        tmp = "/tmp";
    }
    int n = snprintf(dir, dirlen, "%s/%s.XXXXXX", tmp, prefix);
    if (n < 0 || (size_t)n >= dirlen) {
        return -1;
    }
    if (mkdtemp(dir) == NULL) {
        fprintf(stderr, "mkdtemp(%s): %s\n", dir, strerror(errno));
        dir[0] = '\0';
        return -1;
    }
    return 0;
}

void sofa_test_rmtree(const char *dir)
{
    if (dir == NULL || dir[0] == '\0') {
        return;
    }
    DIR *d = opendir(dir);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
                continue;
            }
            char path[1024];
            int n = snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            if (n > 0 && (size_t)n < sizeof(path)) {
                unlink(path);
            }
        }
        closedir(d);
    }
    rmdir(dir);
}

long long sofa_test_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sofa_test_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int sofa_test_child_exited(pid_t pid)
{
    int st;
    pid_t r = waitpid(pid, &st, WNOHANG);
    return r == pid || (r < 0 && errno == ECHILD);
}

void sofa_test_kill_wait(pid_t pid, int timeout_ms)
{
    if (pid <= 0) {
        return;
    }
    if (kill(pid, SIGTERM) != 0 && errno == ESRCH) {
        (void)sofa_test_child_exited(pid);
        return;
    }
    long long end = sofa_test_now_ms() + timeout_ms;
    while (sofa_test_now_ms() < end) {
        if (sofa_test_child_exited(pid)) {
            return;
        }
        sofa_test_sleep_ms(10);
    }
    kill(pid, SIGKILL);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
}

int sofa_test_connect(int port, int timeout_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    if (rc != 0 && errno == EINPROGRESS) {
        struct pollfd p = {fd, POLLOUT, 0};
        if (poll(&p, 1, timeout_ms) == 1) {
            int err = 0;
            socklen_t len = sizeof(err);
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
            rc = err == 0 ? 0 : -1;
        } else {
            rc = -1;
        }
    }
    if (rc != 0) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fl);
    return fd;
}

pid_t sofa_test_spawn(const char *const *argv, const char *logfile, const char *env_name,
                      const char *env_value)
{
    const char *env[] = {env_name, env_value, NULL};
    return sofa_test_spawn_env(argv, logfile, env_name != NULL ? env : NULL);
}

pid_t sofa_test_spawn_env(const char *const *argv, const char *logfile, const char *const *env)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "fork for %s: %s\n", argv[0], strerror(errno));
        return -1;
    }
    if (pid > 0) {
        return pid;
    }
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    int fd = open(logfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
    }
    if (nul >= 0) {
        dup2(nul, 0);
    }
    for (size_t i = 0; env != NULL && env[i] != NULL && env[i + 1] != NULL; i += 2) {
        setenv(env[i], env[i + 1], 1);
    }
    execv(argv[0], (char *const *)argv);
    fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

void sofa_test_proc_cleanup(pid_t *pid, char *dir)
{
    if (*pid > 0) {
        sofa_test_kill_wait(*pid, 5000);
        *pid = 0;
    }
    if (dir[0] != '\0') {
        sofa_test_rmtree(dir);
        dir[0] = '\0';
    }
}
