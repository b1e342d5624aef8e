/* async-libev: the application owns its ev_loop; sofa's callbacks fire from it.
 * No wait call: connect, store and read from callbacks, then stop the loop.
 *   async-libev [CONNSTR [USER PASSWORD]] */
#include <stdio.h>
#include <string.h>

#include <ev.h>
#include <sofa/plugins/libev.h>
#include <sofa/sofa.h>

static struct ev_loop *loop;

static void on_got(sofa_client *c, sofa_status st, const sofa_get_result *r, void *ck)
{
    (void)c, (void)ck;
    if (st == SOFA_OK)
        printf("got %.*s = %.*s\n", (int)r->nkey, (const char *)r->key, (int)r->nvalue,
               (const char *)r->value);
    else
        printf("get: %s\n", sofa_strerror(st));
    ev_break(loop, EVBREAK_ALL); /* the application decides when its loop ends */
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
        ev_break(loop, EVBREAK_ALL);
        return;
    }
    sofa_kv_upsert(c, "async", 5, "from libev", 10, NULL, on_stored, NULL);
}

int main(int argc, char **argv)
{
    loop = ev_loop_new(EVFLAG_AUTO);
    sofa_iops *io;
    if (!loop || sofa_iops_libev_new(loop, &io) != 0)
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
        ev_run(loop, 0);
    sofa_client_free(c);
    sofa_iops_free(io);
    ev_loop_destroy(loop);
    return rc != 0;
}
