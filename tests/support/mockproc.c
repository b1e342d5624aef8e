#include "support/mockproc.h"
#include "support/procutil.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MOCK_MAX_ARGS 64
#define MOCK_START_TIMEOUT_MS 10000

static const char *mock_path(void)
{
    const char *p = getenv("SOFA_MOCK");
    if (p != NULL && *p != '\0') {
        return p;
    }
#ifdef SOFA_MOCK_PATH
    return SOFA_MOCK_PATH;
#else
    return NULL;
#endif
}

static int copy_str(char *dst, size_t cap, json_t *v)
{
    const char *s = json_string_value(v);
    if (s == NULL || strlen(s) >= cap) {
        return -1;
    }
    memcpy(dst, s, strlen(s) + 1);
    return 0;
}

/* Parse the ready file; 1 = parsed, 0 = not there yet, -1 = malformed. */
static int read_ready(sofa_test_mock *m, const char *file)
{
    if (access(file, R_OK) != 0) {
        return 0;
    }
    json_error_t err;
    json_t *root = json_load_file(file, 0, &err);
    if (root == NULL) {
        fprintf(stderr, "mockproc: bad ready file %s: %s\n", file, err.text);
        return -1;
    }
    int rc = -1;
    json_t *nodes = json_object_get(root, "nodes");
    if (copy_str(m->connstr, sizeof(m->connstr), json_object_get(root, "connstr")) != 0 ||
        copy_str(m->http_connstr, sizeof(m->http_connstr), json_object_get(root, "http_connstr")) != 0 ||
        !json_is_array(nodes) || json_array_size(nodes) == 0 ||
        json_array_size(nodes) > SOFA_TEST_MOCK_MAX_NODES) {
        goto done;
    }
    m->nnodes = (int)json_array_size(nodes);
    for (int i = 0; i < m->nnodes; i++) {
        json_t *n = json_array_get(nodes, (size_t)i);
        m->kv_ports[i] = (int)json_integer_value(json_object_get(n, "kv"));
        m->http_ports[i] = (int)json_integer_value(json_object_get(n, "http"));
        m->kv_tls_ports[i] = (int)json_integer_value(json_object_get(n, "kv_tls"));
        m->http_tls_ports[i] = (int)json_integer_value(json_object_get(n, "http_tls"));
        if (m->kv_ports[i] <= 0 || m->http_ports[i] <= 0) {
            goto done;
        }
    }
    m->ctl_port = (int)json_integer_value(json_object_get(root, "control"));
    m->tls_connstr[0] = '\0';
    json_t *tls = json_object_get(root, "tls_connstr");
    if (tls != NULL && copy_str(m->tls_connstr, sizeof(m->tls_connstr), tls) != 0) {
        goto done;
    }
    rc = 1;
done:
    if (rc < 0) {
        fprintf(stderr, "mockproc: ready file %s lacks connstr/http_connstr/nodes\n", file);
    }
    json_decref(root);
    return rc;
}

static void dump_log(const sofa_test_mock *m)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/mock.log", m->dir);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return;
    }
    char line[512];
    while (fgets(line, sizeof(line), f) != NULL) {
        fprintf(stderr, "mock.log: %s", line);
    }
    fclose(f);
}

int sofa_test_mock_start(sofa_test_mock *m, const char *const *args)
{
    memset(m, 0, sizeof(*m));
    const char *path = mock_path();
    if (path == NULL) {
        fprintf(stderr, "mockproc: set SOFA_MOCK or SOFA_MOCK_PATH\n");
        return -1;
    }
    if (sofa_test_mkdtemp(m->dir, sizeof(m->dir), "sofa-mock") != 0) {
        return -1;
    }
    char ready[512], logfile[512];
    snprintf(ready, sizeof(ready), "%s/ready.json", m->dir);
    snprintf(logfile, sizeof(logfile), "%s/mock.log", m->dir);

    const char *argv[MOCK_MAX_ARGS];
    int argc = 0;
    argv[argc++] = path;
    argv[argc++] = "--port";
    argv[argc++] = "0";
    argv[argc++] = "--ready-file";
    argv[argc++] = ready;
    for (int i = 0; args != NULL && args[i] != NULL; i++) {
        if (argc >= MOCK_MAX_ARGS - 1) {
            fprintf(stderr, "mockproc: too many arguments\n");
            sofa_test_rmtree(m->dir);
            return -1;
        }
        argv[argc++] = args[i];
    }
    argv[argc] = NULL;

    pid_t pid = sofa_test_spawn(argv, logfile, NULL, NULL);
    if (pid < 0) {
        sofa_test_rmtree(m->dir);
        return -1;
    }
    m->pid = pid;
    long long end = sofa_test_now_ms() + MOCK_START_TIMEOUT_MS;
    while (sofa_test_now_ms() < end) {
        int r = read_ready(m, ready);
        if (r == 1) {
            return 0;
        }
        if (r < 0) {
            break;
        }
        if (sofa_test_child_exited(pid)) {
            fprintf(stderr, "mockproc: %s exited before it was ready\n", path);
            m->pid = 0;
            break;
        }
        sofa_test_sleep_ms(5);
    }
    fprintf(stderr, "mockproc: mock not ready\n");
    dump_log(m);
    sofa_test_mock_stop(m);
    return -1;
}

void sofa_test_mock_stop(sofa_test_mock *m)
{
    if (m == NULL) {
        return;
    }
    if (getenv("SOFA_TEST_MOCK_LOG") != NULL) { /* debugging aid: show the mock's log */
        dump_log(m);
    }
    sofa_test_proc_cleanup(&m->pid, m->dir);
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Decode a chunked body in place; returns the new length. */
static size_t dechunk(char *body, size_t len)
{
    size_t in = 0, out = 0;
    while (in < len) {
        char *end;
        unsigned long n = strtoul(body + in, &end, 16);
        char *nl = strstr(end, "\r\n");
        if (nl == NULL || n == 0) {
            break;
        }
        in = (size_t)(nl - body) + 2;
        if (n > len - in) {
            n = len - in;
        }
        memmove(body + out, body + in, n);
        out += n;
        in += n + 2;
    }
    return out;
}

int sofa_test_mock_ctl_node(sofa_test_mock *m, int node, const char *method, const char *path,
                            const char *body, char *out, size_t outlen)
{
    if (node < -1 || node >= m->nnodes || path == NULL || path[0] != '/' || method == NULL ||
        (node == -1 && m->ctl_port <= 0)) {
        return -1;
    }
    int port = node < 0 ? m->ctl_port : m->http_ports[node];
    int fd = sofa_test_connect(port, 5000);
    if (fd < 0) {
        return -1;
    }
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    size_t blen = body != NULL ? strlen(body) : 0;
    char head[2048];
    int n = snprintf(head, sizeof(head),
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                     method, path, port, blen);
    if (n < 0 || (size_t)n >= sizeof(head) || send_all(fd, head, (size_t)n) != 0 ||
        (blen > 0 && send_all(fd, body, blen) != 0)) {
        close(fd);
        return -1;
    }
    size_t cap = 65536, len = 0;
    char *resp = malloc(cap);
    if (resp == NULL) {
        close(fd);
        return -1;
    }
    for (;;) {
        if (len + 1 >= cap) {
            char *nr = realloc(resp, cap * 2);
            if (nr == NULL) {
                break;
            }
            resp = nr;
            cap *= 2;
        }
        ssize_t r = recv(fd, resp + len, cap - len - 1, 0);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            break;
        }
        len += (size_t)r;
    }
    close(fd);
    resp[len] = '\0';
    int status = -1;
    char *hend = strstr(resp, "\r\n\r\n");
    if (strncmp(resp, "HTTP/1.", 7) == 0 && hend != NULL) {
        status = atoi(resp + 9);
        char *b = hend + 4;
        size_t bl = len - (size_t)(b - resp);
        *hend = '\0';
        if (strstr(resp, "chunked") != NULL) {
            bl = dechunk(b, bl);
        }
        if (out != NULL && outlen > 0) {
            size_t c = bl < outlen - 1 ? bl : outlen - 1;
            memcpy(out, b, c);
            out[c] = '\0';
        }
    }
    free(resp);
    return status;
}

int sofa_test_mock_ctl(sofa_test_mock *m, const char *method, const char *path, const char *body,
                       char *out, size_t outlen)
{
    return sofa_test_mock_ctl_node(m, m->ctl_port > 0 ? -1 : 0, method, path, body, out, outlen);
}
