/* Test support for the HTTP tests: a poll(2) IOPS plugin that owns its loop, and
 * a scripted HTTP server running in a thread on an ephemeral port. */
#ifndef SOFA_TESTS_HTTP_TESTLOOP_H
#define SOFA_TESTS_HTTP_TESTLOOP_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "sofa/iops.h"

/* A poll IOPS. start_watching runs until stop_watching or until nothing is
 * watched and no timer armed. */
sofa_iops *testloop_new(void);
void testloop_free(sofa_iops *io);
/* Run until @p done becomes non-zero or @p max_ms pass; returns *done. */
int testloop_run_until(sofa_iops *io, const int *done, int max_ms);

/* One step of a scripted response. */
typedef enum srv_action {
    SRV_END = 0,   /* end of the script for this request */
    SRV_SEND,      /* send text */
    SRV_SLEEP_MS,  /* sleep n ms */
    SRV_WAIT_FLAG, /* wait (up to 5 s) until *flag != 0 */
    SRV_CLOSE,     /* close the connection */
    SRV_SEND_JSON, /* send an HTTP response with status n and JSON body text
                      (Content-Length computed) */
    SRV_SEND_ROWS  /* send n N1QL rows {"i":k} as chunks, then the tail; with flag:
                      wait for *flag after the first chunk */
} srv_action;

typedef struct srv_step {
    srv_action action;
    const char *text;
    long n;
    volatile int *flag;
} srv_step;

#define SRV_MAX_REQS 16
#define SRV_MAX_REQ_BYTES 65536

typedef struct test_server {
    int fd;
    uint16_t port;
    pthread_t thread;
    /* scripts[i] answers the i-th request (over all connections) */
    const srv_step *scripts[SRV_MAX_REQS];
    int nscripts;
    /* what arrived */
    char requests[SRV_MAX_REQS][SRV_MAX_REQ_BYTES];
    volatile int nrequests;
    volatile int nconnections;
    volatile int stop;
} test_server;

/* Listen on 127.0.0.1:0 and serve in a thread. Returns 0 or -1. */
int test_server_start(test_server *s);
/* Stop the thread and close everything. */
void test_server_stop(test_server *s);
/* A port on which nothing listens and nothing else can take (held bound until exit); 0 on
 * failure. */
uint16_t test_closed_port(void);

#endif
