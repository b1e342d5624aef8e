/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * choose-iops.c: one client, one store and one get, on whichever event-loop
 * plugin sofa chooses: `iops=` in the connection string, else the SOFA_IOPS
 * environment variable, else the built-in select plugin.
 *
 *   ./choose-iops 'couchbase://127.0.0.1:11210/default' Administrator password
 *   SOFA_IOPS=libev SOFA_LOG_LEVEL=debug ./choose-iops ...   # "event loop plugin: libev"
 *   SOFA_IOPS=nosuch ./choose-iops ...                        # names every file it tried
 *
 * Build: cc choose-iops.c $(pkg-config --cflags --libs sofa)
 */
#include <stdio.h>
#include <string.h>

#include <sofa/kv.h>
#include <sofa/sofa.h>

struct result {
    int calls;
    sofa_status status;
    char value[64];
};

static void on_connect(sofa_client *c, sofa_status st, void *cookie)
{
    (void)c;
    struct result *r = cookie;
    r->calls++;
    r->status = st;
}

static void on_store(sofa_client *c, sofa_status st, const sofa_mutation_result *res,
                     void *cookie)
{
    (void)c;
    (void)res;
    struct result *r = cookie;
    r->calls++;
    r->status = st;
}

static void on_get(sofa_client *c, sofa_status st, const sofa_get_result *res, void *cookie)
{
    (void)c;
    struct result *r = cookie;
    r->calls++;
    r->status = st;
    if (st == SOFA_OK && res->nvalue < sizeof(r->value)) {
        memcpy(r->value, res->value, res->nvalue); /* borrowed: copy what we keep */
        r->value[res->nvalue] = '\0';
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CONNSTR [USERNAME PASSWORD]\n", argv[0]);
        return 2;
    }
    sofa_client_options opts = SOFA_CLIENT_OPTIONS_INIT;
    opts.connstr = argv[1];
    opts.username = argc > 2 ? argv[2] : NULL;
    opts.password = argc > 3 ? argv[3] : NULL;
    /* opts.iops stays NULL: sofa chooses the plugin */
    sofa_client *client = NULL;
    char err[1024];
    int rc = sofa_client_new(&client, &opts, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "cannot create the client: %s: %s\n", sofa_status_name(rc), err);
        return 1;
    }
    printf("plugin: %s\n", sofa_client_iops(client)->name);

    struct result r = {0};
    rc = sofa_client_connect(client, on_connect, &r);
    if (rc != 0) { /* then on_connect never fires */
        fprintf(stderr, "cannot connect: %s\n", sofa_strerror(rc));
        sofa_client_free(client);
        return 1;
    }
    sofa_client_wait(client); /* runs the plugin's loop until the callback fired */
    if (r.status != SOFA_OK) {
        fprintf(stderr, "bootstrap failed: %s\n%s", sofa_strerror(r.status),
                sofa_client_bootstrap_report(client));
        sofa_client_free(client);
        return 1;
    }
    const char *key = "choose-iops", *value = "hello from choose-iops";
    rc = sofa_kv_upsert(client, key, strlen(key), value, strlen(value), NULL, on_store, &r);
    if (rc == 0) {
        rc = sofa_kv_get(client, key, strlen(key), NULL, on_get, &r);
    }
    if (rc != 0) {
        fprintf(stderr, "cannot schedule: %s\n", sofa_strerror(rc));
        sofa_client_free(client);
        return 1;
    }
    sofa_client_wait(client); /* both answered, in order (same key) */
    int ok = r.calls == 3 && r.status == SOFA_OK && strcmp(r.value, value) == 0;
    printf("%s: %s\n", ok ? "ok" : "FAILED", ok ? r.value : sofa_strerror(r.status));
    sofa_client_free(client);
    return ok ? 0 : 1;
}
