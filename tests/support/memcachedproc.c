#include "support/memcachedproc.h"
#include "support/procutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MC_START_TIMEOUT_MS 10000
#define MC_START_ATTEMPTS 3

static const char *memcached_path(void)
{
    const char *p = getenv("SOFA_MEMCACHED");
    return (p != NULL && *p != '\0') ? p : "/usr/bin/memcached";
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sa);
    int port = -1;
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0) {
        port = ntohs(sa.sin_port);
    }
    close(fd);
    return port;
}

/* Run saslpasswd2 -p -a memcached -c -f DB USER with the password on stdin. */
static int make_sasldb(const char *db, const char *user, const char *pass)
{
    int pfd[2];
    if (pipe(pfd) != 0) {
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(pfd[0], 0);
        close(pfd[0]);
        close(pfd[1]);
        const char *paths[] = {"/usr/sbin/saslpasswd2", "/usr/bin/saslpasswd2", "saslpasswd2"};
        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
            execlp(paths[i], "saslpasswd2", "-p", "-a", "memcached", "-c", "-f", db, user,
                   (char *)NULL);
        }
        fprintf(stderr, "exec saslpasswd2: %s\n", strerror(errno));
        _exit(127);
    }
    close(pfd[0]);
    size_t n = strlen(pass);
    ssize_t w = write(pfd[1], pass, n);
    close(pfd[1]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (w != (ssize_t)n || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "memcachedproc: saslpasswd2 failed\n");
        return -1;
    }
    return chmod(db, 0644);
}

static int write_sasl_conf(const char *dir)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/memcached.conf", dir);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        return -1;
    }
    fprintf(f, "mech_list: plain scram-sha-1 scram-sha-256\nsasldb_path: %s/sasldb2\n", dir);
    int rc = fclose(f) == 0 ? 0 : -1;
    return rc == 0 ? chmod(path, 0644) : -1;
}

static pid_t spawn(const sofa_test_memcached *m, int sasl)
{
    char port[16], log[512];
    snprintf(port, sizeof(port), "%d", m->port);
    snprintf(log, sizeof(log), "%s/memcached.log", m->dir);
    const char *argv[16];
    int argc = 0;
    argv[argc++] = memcached_path();
    argv[argc++] = "-l";
    argv[argc++] = "127.0.0.1";
    argv[argc++] = "-p";
    argv[argc++] = port;
    argv[argc++] = "-U";
    argv[argc++] = "0";
    argv[argc++] = "-B";
    argv[argc++] = "binary";
    if (sasl) {
        argv[argc++] = "-S";
    }
    if (geteuid() == 0) {
        argv[argc++] = "-u";
        argv[argc++] = "nobody";
    }
    argv[argc] = NULL;
    return sofa_test_spawn(argv, log, sasl ? "SASL_CONF_PATH" : NULL, m->dir);
}

static int wait_ready(sofa_test_memcached *m)
{
    long long end = sofa_test_now_ms() + MC_START_TIMEOUT_MS;
    while (sofa_test_now_ms() < end) {
        if (sofa_test_child_exited(m->pid)) {
            m->pid = 0;
            return -1;
        }
        int fd = sofa_test_connect(m->port, 200);
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        sofa_test_sleep_ms(5);
    }
    return -1;
}

int sofa_test_memcached_start(sofa_test_memcached *m, int sasl, const char *user, const char *pass)
{
    memset(m, 0, sizeof(*m));
    if (sasl && (user == NULL || pass == NULL)) {
        return -1;
    }
    if (sofa_test_mkdtemp(m->dir, sizeof(m->dir), "sofa-memcached") != 0) {
        return -1;
    }
    /* memcached drops privileges to nobody when run as root: let it read the dir. */
    if (chmod(m->dir, 0755) != 0) {
        goto fail;
    }
    if (sasl) {
        char db[512];
        snprintf(db, sizeof(db), "%s/sasldb2", m->dir);
        if (make_sasldb(db, user, pass) != 0 || write_sasl_conf(m->dir) != 0) {
            goto fail;
        }
    }
    for (int attempt = 0; attempt < MC_START_ATTEMPTS; attempt++) {
        m->port = free_port();
        if (m->port <= 0) {
            continue;
        }
        m->pid = spawn(m, sasl);
        if (m->pid <= 0) {
            m->pid = 0;
            goto fail;
        }
        if (wait_ready(m) == 0) {
            snprintf(m->connstr, sizeof(m->connstr), "memcached://127.0.0.1:%d", m->port);
            return 0;
        }
        if (m->pid > 0) {
            sofa_test_kill_wait(m->pid, 2000);
            m->pid = 0;
        }
    }
    fprintf(stderr, "memcachedproc: memcached did not start (log in %s)\n", m->dir);
fail:
    sofa_test_memcached_stop(m);
    return -1;
}

void sofa_test_memcached_stop(sofa_test_memcached *m)
{
    if (m == NULL) {
        return;
    }
    sofa_test_proc_cleanup(&m->pid, m->dir);
}
