/* Test helper for the proto integration tests: a blocking connection that sends requests
 * built with sofa__req_encode and reads replies with sofa__resp_parse. Not part of libsofa. */
#ifndef SOFA_TESTS_PROTO_WIRE_H
#define SOFA_TESTS_PROTO_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/packet.h"

typedef struct wire_conn {
    int fd;
    uint8_t buf[256 * 1024];
    size_t len;  /* bytes buffered */
    size_t used; /* bytes of the last packet, dropped on the next read */
    uint32_t opaque;
} wire_conn;

/* Connect to 127.0.0.1:port (5 s connect and read timeouts); fails the test on error. */
void wire_open(wire_conn *c, int port);
void wire_close(wire_conn *c);
/* Encode and send; sets r->opaque to the next opaque. */
void wire_send(wire_conn *c, sofa__req *r);
/* Next packet (pointers valid until the next call); -1 if the server closed or timed out. */
int wire_recv(wire_conn *c, sofa__resp *r);
/* Send a request without extras and read its reply: the server status, or -1. */
int wire_simple(wire_conn *c, uint8_t op, uint16_t vbucket, const char *key, const void *val,
                size_t nval, sofa__resp *r);
/* SASL_LIST_MECHS, sofa__sasl_choose, then SASL_AUTH/STEP until done. The chosen server
 * mechanism name goes to @p chosen. Returns the sofa__sasl result. */
int wire_auth(wire_conn *c, const char *user, const char *pass, const char *forced, int allow_plain,
              char *chosen, size_t chosen_len);

#endif
