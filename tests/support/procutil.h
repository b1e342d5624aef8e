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
/* fork() and execv(argv[0], argv) with stdout/stderr to @p logfile (truncated),
 * stdin from /dev/null, SIGTERM when the test process dies, and, if @p env_name
 * is not NULL, @p env_name=@p env_value set in the child. The child's pid, or -1. */
pid_t sofa_test_spawn(const char *const *argv, const char *logfile, const char *env_name,
                      const char *env_value);
/* The same with any number of variables: @p env is NULL or a NULL-terminated list of
 * name, value, name, value, ... set in the child. */
pid_t sofa_test_spawn_env(const char *const *argv, const char *logfile, const char *const *env);
/* Stop a started server and remove its temp dir: sofa_test_kill_wait(*pid, 5 s) and
 * *pid = 0 if *pid > 0, then sofa_test_rmtree(dir) and dir[0] = '\0' if dir is set. */
void sofa_test_proc_cleanup(pid_t *pid, char *dir);
/* Connect to 127.0.0.1:port with a timeout; blocking fd or -1. */
int sofa_test_connect(int port, int timeout_ms);

#endif /* SOFA_TESTS_SUPPORT_PROCUTIL_H */
