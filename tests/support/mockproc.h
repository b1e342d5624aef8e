/* Test support: start/stop the sofa-mock cluster as a child process and talk to
 * its control API. Used by every integration test; not part of libsofa. */
#ifndef SOFA_TESTS_SUPPORT_MOCKPROC_H
#define SOFA_TESTS_SUPPORT_MOCKPROC_H

#include <stddef.h>
#include <sys/types.h>

#define SOFA_TEST_MOCK_MAX_NODES 16

typedef struct sofa_test_mock {
    pid_t pid;
    char dir[256];            /* temp dir for the ready file and the mock's log */
    char connstr[1024];       /* couchbase://127.0.0.1:KV1,127.0.0.1:KV2/BUCKET as in the ready file */
    char http_connstr[1024];  /* http://127.0.0.1:HTTP1,.../BUCKET */
    int nnodes;
    int kv_ports[SOFA_TEST_MOCK_MAX_NODES];
    int http_ports[SOFA_TEST_MOCK_MAX_NODES];
    int kv_tls_ports[SOFA_TEST_MOCK_MAX_NODES]; /* 0 unless started with --tls-cert/--tls-key */
    int http_tls_ports[SOFA_TEST_MOCK_MAX_NODES]; /* HTTPS; likewise */
    char tls_connstr[1024];   /* couchbases://127.0.0.1:KVTLS1,.../BUCKET, or "" without TLS */
    int ctl_port;             /* control-only HTTP port (never stopped); 0 if the mock has none */
} sofa_test_mock;

/* Start the mock (path: env SOFA_MOCK, else the compile definition SOFA_MOCK_PATH) with
 * "--port 0 --ready-file <tmp>" plus args (NULL-terminated list, may be NULL), wait up to
 * 10 s for the ready file and fill *m. Returns 0, or -1 (message on stderr, nothing left
 * running). The mock's stderr goes to <dir>/mock.log. */
int sofa_test_mock_start(sofa_test_mock *m, const char *const *args);

/* SIGTERM, waitpid (SIGKILL after 5 s), remove the temp dir. Safe on a zeroed struct. */
void sofa_test_mock_stop(sofa_test_mock *m);

/* Control API call: an HTTP/1.1 request (Connection: close) to the mock's /mock/... endpoint
 * (path must start with '/', e.g. "/mock/failover?node=1"), sent to the control port (which
 * stays open when nodes are stopped), or node 0's HTTP port if there is none. body may be NULL. Returns the HTTP status (e.g. 200), or -1
 * on a connection error. The response body is copied NUL-terminated into out (truncated
 * to outlen-1) when out != NULL. */
int sofa_test_mock_ctl(sofa_test_mock *m, const char *method, const char *path, const char *body,
                       char *out, size_t outlen);

/* Same as sofa_test_mock_ctl against a node's HTTP port (0-based index; -1 = control port). */
int sofa_test_mock_ctl_node(sofa_test_mock *m, int node, const char *method, const char *path,
                            const char *body, char *out, size_t outlen);

#endif /* SOFA_TESTS_SUPPORT_MOCKPROC_H */
