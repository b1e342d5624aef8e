/* sofa-mock ctl HOST:PORT COMMAND[?ARGS] [METHOD]: a tiny client for the control API.
 * Prints the response body; exit status 0 on HTTP 200, 1 otherwise. */
#include "mock.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int mock_ctl_main(int argc, char **argv);

int mock_ctl_main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: sofa-mock ctl HOST:PORT COMMAND[?ARGS] [METHOD]\n"
                        "  e.g. sofa-mock ctl 127.0.0.1:9001 'failover?node=1'\n");
        return 2;
    }
    char host[64];
    const char *colon = strrchr(argv[0], ':');
    if (colon == NULL || (size_t)(colon - argv[0]) >= sizeof(host)) {
        fprintf(stderr, "sofa-mock ctl: HOST:PORT expected\n");
        return 2;
    }
    memcpy(host, argv[0], (size_t)(colon - argv[0]));
    host[colon - argv[0]] = '\0';
    int port = atoi(colon + 1);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (port <= 0 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "sofa-mock ctl: bad address %s\n", argv[0]);
        return 2;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        perror("sofa-mock ctl: connect");
        if (fd >= 0) {
            close(fd);
        }
        return 1;
    }
    const char *cmd = argv[1];
    while (*cmd == '/') {
        cmd++;
    }
    if (strncmp(cmd, "mock/", 5) == 0) {
        cmd += 5;
    }
    char req[2048];
    int n = snprintf(req, sizeof(req),
                     "%s /mock/%s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                     argc > 2 ? argv[2] : "POST", cmd, argv[0]);
    if (n < 0 || (size_t)n >= sizeof(req) || send(fd, req, (size_t)n, 0) != n) {
        close(fd);
        return 1;
    }
    mock_strbuf resp = {0};
    char buf[4096];
    ssize_t r;
    while ((r = recv(fd, buf, sizeof(buf), 0)) > 0) {
        mock_strbuf_append(&resp, buf, (size_t)r);
    }
    close(fd);
    int status = 0;
    if (resp.data && strncmp(resp.data, "HTTP/1.1 ", 9) == 0) {
        status = atoi(resp.data + 9);
        char *body = strstr(resp.data, "\r\n\r\n");
        if (body) {
            printf("%s\n", body + 4);
        }
    }
    mock_strbuf_free(&resp);
    return status == 200 ? 0 : 1;
}
