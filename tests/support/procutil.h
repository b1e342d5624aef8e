/* Small process/temp-dir helpers shared by mockproc.c and memcachedproc.c. */
#ifndef SOFA_TESTS_SUPPORT_PROCUTIL_H
#define SOFA_TESTS_SUPPORT_PROCUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* mkdtemp under $TMPDIR (or /tmp) with the given prefix into dir. 0 / -1. */
int sofa_test_mkdtemp(char *dir, size_t dirlen, const char *prefix);
/* Remove the regular files directly inside dir, then dir itself. */
void sofa_test_rmtree(const char *dir);
/* SIGTERM pid, wait up to timeout_ms, then SIGKILL; always reaps. No-op for pid <= 0. */
void sofa_test_kill_wait(pid_t pid, int timeout_ms);
/* 1 if the child has exited (and was reaped), 0 if still running. */
int sofa_test_child_exited(pid_t pid);
/* Milliseconds from a monotonic clock. */
long long sofa_test_now_ms(void);
/* Sleep ms milliseconds. */
void sofa_test_sleep_ms(int ms);
/* Connect to 127.0.0.1:port with a timeout; blocking fd or -1. */
int sofa_test_connect(int port, int timeout_ms);

#endif /* SOFA_TESTS_SUPPORT_PROCUTIL_H */
