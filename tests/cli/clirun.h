/* Test support for the command-line tools: run a program with arguments, optional
 * stdin data and extra environment, capture stdout/stderr and the exit code. */
#ifndef SOFA_TESTS_CLI_CLIRUN_H
#define SOFA_TESTS_CLI_CLIRUN_H

#include <stddef.h>

typedef struct clirun_result {
    int code;  /* exit code; 128+N when killed by signal N; -1 when it could not run */
    char *out; /* NUL-terminated stdout (may contain NULs before the end: see nout) */
    size_t nout;
    char *err; /* NUL-terminated stderr */
    size_t nerr;
} clirun_result;

/* Run path with argv (NULL-terminated, argv[0] included). env: NULL-terminated list of
 * "NAME=VALUE" set in the child after removing every SOFA_* variable (NULL = none).
 * in/nin: written to the child's stdin (NULL = empty stdin). Killed after timeout_ms.
 * Returns r->code. Free with clirun_free(). */
int clirun(clirun_result *r, const char *path, const char *const *argv, const char *const *env,
           const void *in, size_t nin, int timeout_ms);
void clirun_free(clirun_result *r);

#endif /* SOFA_TESTS_CLI_CLIRUN_H */
