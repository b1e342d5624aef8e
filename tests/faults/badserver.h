/* A misbehaving TCP server for the bootstrap fault tests, run as a forked child on an
 * ephemeral loopback port. */
#ifndef SOFA_TESTS_FAULTS_BADSERVER_H
#define SOFA_TESTS_FAULTS_BADSERVER_H

#include <sys/types.h>

typedef enum fk_bad_mode {
    FK_BAD_SILENT,       /* listens (the kernel accepts), never reads or answers */
    FK_BAD_GARBAGE,      /* answers every read with random bytes */
    FK_BAD_CLOSE,        /* accepts and closes at once */
    FK_BAD_HUGE_LENGTH,  /* answers with a response header announcing a ~4 GiB body */
    FK_BAD_WRONG_OPAQUE, /* answers every request with a well-formed response, wrong opaque */
    FK_BAD_HTTP_GARBAGE  /* an HTTP 200 whose chunked body is not a config */
} fk_bad_mode;

typedef struct fk_badserver {
    pid_t pid;  /* 0 for FK_BAD_SILENT (the socket is held by this process) */
    int fd;     /* the listening socket (held open by the parent for FK_BAD_SILENT) */
    int port;
} fk_badserver;

/* Start it; returns 0 or -1. */
int fk_bad_start(fk_badserver *s, fk_bad_mode mode);
/* Kill the child, close the socket. Safe on a zeroed struct. */
void fk_bad_stop(fk_badserver *s);
/* A loopback port nothing listens on (bound, then closed). */
int fk_closed_port(void);

#endif /* SOFA_TESTS_FAULTS_BADSERVER_H */
