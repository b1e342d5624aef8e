/* Test support: run Debian's /usr/bin/memcached (binary protocol, optional SASL) as a child
 * process on a loopback port it picks itself. Not part of libsofa. */
#ifndef SOFA_TESTS_SUPPORT_MEMCACHEDPROC_H
#define SOFA_TESTS_SUPPORT_MEMCACHEDPROC_H

#include <sys/types.h>

typedef struct sofa_test_memcached {
    pid_t pid;
    int port;          /* loopback port it listens on */
    char dir[256];     /* temp dir: sasldb2, memcached.conf, memcached.log */
    char connstr[128]; /* memcached://127.0.0.1:PORT */
} sofa_test_memcached;

/* Start memcached -B binary on 127.0.0.1, on a port it binds itself (-p -1) and reports in
 * its MEMCACHED_PORT_FILENAME file (no free-port race). With sasl != 0
 * also -S, with a temporary Cyrus sasldb holding user/pass (made by saslpasswd2) and a
 * SASL_CONF_PATH config allowing PLAIN, SCRAM-SHA-1 and SCRAM-SHA-256. Waits up to 10 s
 * until it accepts connections. Path overridable with env SOFA_MEMCACHED.
 * Returns 0, or -1 (message on stderr, nothing left running). */
int sofa_test_memcached_start(sofa_test_memcached *m, int sasl, const char *user, const char *pass);

/* The process id a memcached on 127.0.0.1:@p port reports (binary STAT "pid"; not under
 * SASL), to tell a started server from another process's: -1 on any error or timeout. */
long sofa_test_memcached_pid(int port, int timeout_ms);

/* SIGTERM, waitpid, remove the temp dir. Safe on a zeroed struct. */
void sofa_test_memcached_stop(sofa_test_memcached *m);

#endif /* SOFA_TESTS_SUPPORT_MEMCACHEDPROC_H */
