/* async-libevent: the application owns its event_base; sofa's callbacks fire from it.
 * No wait call: connect, store and read from callbacks, then stop the loop.
 *   async-libevent [CONNSTR [USER PASSWORD]] */
#include <stdio.h>
#include <string.h>

#include <event2/event.h>
#include <sofa/plugins/libevent.h>
#include <sofa/sofa.h>

static struct event_base *base;

static void on_got(sofa_client *c, sofa_status st, const sofa_get_result *r, void *ck)
{
    (void)c, (void)ck;
    if (st == SOFA_OK)
        printf("got %.*s = %.*s\n", (int)r->nkey, (const char *)r->key, (int)r->nvalue,
               (const char *)r->value);
    else
        printf("get: %s\n", sofa_strerror(st));
    event_base_loopbreak(base); /* the application decides when its loop ends */
}

static void on_stored(sofa_client *c, sofa_status st, const sofa_mutation_result *r, void *ck)
{
    (void)ck;
    printf("stored: %s\n", sofa_status_name(st));
    sofa_kv_get(c, r->key, r->nkey, NULL, on_got, NULL);
}

static void on_connected(sofa_client *c, sofa_status st, void *ck)
{
    (void)ck;
    printf("connected: %s\n", sofa_status_name(st));
    if (st != SOFA_OK) {
        fprintf(stderr, "%s", sofa_client_bootstrap_report(c));
        event_base_loopbreak(base);
        return;
    }
    sofa_kv_upsert(c, "async", 5, "from libevent", 13, NULL, on_stored, NULL);
}

int main(int argc, char **argv)
{
    base = event_base_new();
    sofa_iops *io;
    if (!base || sofa_iops_libevent_new(base, &io) != 0)
        return 1;
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = argc > 1 ? argv[1] : "couchbase://127.0.0.1/default";
    o.username = argc > 3 ? argv[2] : "Administrator";
    o.password = argc > 3 ? argv[3] : "password";
    o.iops = io; /* borrowed: the client never destroys it */
    sofa_client *c;
    char err[256];
    if (sofa_client_new(&c, &o, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    int rc = sofa_client_connect(c, on_connected, NULL); /* 0: on_connected will fire */
    if (rc != 0)
        fprintf(stderr, "connect: %s\n", sofa_strerror(rc));
    else
        event_base_dispatch(base);
    sofa_client_free(c);
    sofa_iops_free(io);
    event_base_free(base);
    return rc != 0;
}
