#include "support/memcachedproc.h"
#include "support/procutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define MC_START_TIMEOUT_MS 10000

static const char *memcached_path(void)
{
    const char *p = getenv("SOFA_MEMCACHED");
    return (p != NULL && *p != '\0') ? p : "/usr/bin/memcached";
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

/* memcached -p -1 binds a port the kernel picks and, with MEMCACHED_PORT_FILENAME set,
 * writes "TCP INET: <port>" lines to <file>.lck and renames it to <file> once it listens:
 * the port is never free in between, so no other process can be reached by mistake. */
static pid_t spawn(const sofa_test_memcached *m, int sasl)
{
    char log[512], ports[512];
    snprintf(log, sizeof(log), "%s/memcached.log", m->dir);
    snprintf(ports, sizeof(ports), "%s/ports", m->dir);
    const char *argv[16];
    int argc = 0;
    argv[argc++] = memcached_path();
    argv[argc++] = "-l";
    argv[argc++] = "127.0.0.1";
    argv[argc++] = "-p";
    argv[argc++] = "-1";
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
    const char *env[] = {"MEMCACHED_PORT_FILENAME", ports, sasl ? "SASL_CONF_PATH" : NULL, m->dir,
                         NULL};
    return sofa_test_spawn_env(argv, log, env);
}

/* The TCP port from memcached's port file, 0 while the file is not there yet, -1 if it is
 * there without one. */
static int read_port_file(const sofa_test_memcached *m)
{
    char path[512], line[128];
    snprintf(path, sizeof(path), "%s/ports", m->dir);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return 0;
    }
    int port = -1;
    while (port < 0 && fgets(line, sizeof(line), f) != NULL) {
        unsigned p = 0;
        if (sscanf(line, "TCP INET: %u", &p) == 1 && p > 0 && p < 65536) {
            port = (int)p;
        }
    }
    fclose(f);
    return port;
}

static int wait_ready(sofa_test_memcached *m)
{
    long long end = sofa_test_now_ms() + MC_START_TIMEOUT_MS;
    while (sofa_test_now_ms() < end) {
        if (sofa_test_child_exited(m->pid)) {
            m->pid = 0;
            return -1;
        }
        int port = read_port_file(m);
        if (port < 0) {
            fprintf(stderr, "memcachedproc: no TCP port in %s/ports\n", m->dir);
            return -1;
        }
        if (port > 0) {
            m->port = port;
            int fd = sofa_test_connect(m->port, 1000);
            if (fd >= 0) {
                close(fd);
                return 0;
            }
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
    /* memcached drops privileges to nobody when run as root (before it writes the port
     * file): let it read the dir and write there. */
    if (chmod(m->dir, 0755) != 0) {
        goto fail;
    }
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam("nobody");
        if (pw == NULL || chown(m->dir, pw->pw_uid, pw->pw_gid) != 0) {
            fprintf(stderr, "memcachedproc: cannot give %s to nobody\n", m->dir);
            goto fail;
        }
    }
    if (sasl) {
        char db[512];
        snprintf(db, sizeof(db), "%s/sasldb2", m->dir);
        if (make_sasldb(db, user, pass) != 0 || write_sasl_conf(m->dir) != 0) {
            goto fail;
        }
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
    fprintf(stderr, "memcachedproc: memcached did not start (log in %s)\n", m->dir);
fail:
    sofa_test_memcached_stop(m);
    return -1;
}

static int read_full(int fd, unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t r = recv(fd, p, n, 0);
        if (r <= 0) {
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* The "pid" of a binary STAT (op 0x10) on fd: one packet per statistic, ended by one with
 * an empty key. -1 on any error. */
static long stats_pid(int fd)
{
    unsigned char req[24] = {0x80, 0x10};
    if (send(fd, req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req)) {
        return -1;
    }
    long pid = -1;
    for (;;) {
        unsigned char hdr[24], body[1024];
        if (read_full(fd, hdr, 24) != 0 || hdr[0] != 0x81 || hdr[1] != 0x10 || hdr[6] != 0 ||
            hdr[7] != 0) {
            return -1;
        }
        uint32_t blen;
        memcpy(&blen, hdr + 8, 4);
        blen = ntohl(blen);
        size_t klen = (size_t)((hdr[2] << 8) | hdr[3]);
        if (blen >= sizeof(body) || klen > blen || read_full(fd, body, blen) != 0) {
            return -1;
        }
        if (klen == 0) {
            return pid;
        }
        body[blen] = '\0';
        if (klen == 3 && memcmp(body, "pid", 3) == 0) {
            pid = strtol((const char *)body + 3, NULL, 10);
        }
    }
}

long sofa_test_memcached_pid(int port, int timeout_ms)
{
    int fd = sofa_test_connect(port, timeout_ms);
    if (fd < 0) {
        return -1;
    }
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    long pid = stats_pid(fd);
    close(fd);
    return pid;
}

void sofa_test_memcached_stop(sofa_test_memcached *m)
{
    if (m == NULL) {
        return;
    }
    sofa_test_proc_cleanup(&m->pid, m->dir);
}
