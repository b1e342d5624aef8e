/* kv-sync: connect, upsert a document, read it back, print it.
 *   kv-sync [CONNSTR [USER PASSWORD]]     e.g. kv-sync couchbase://127.0.0.1/default */
#include <stdio.h>
#include <string.h>

#include <sofa/sofa.h>

static void on_stored(sofa_client *c, sofa_status st, const sofa_mutation_result *r, void *ck)
{
    (void)c, (void)ck;
    printf("upsert: %s (cas %llu)\n", sofa_status_name(st), (unsigned long long)r->cas);
}

static void on_got(sofa_client *c, sofa_status st, const sofa_get_result *r, void *ck)
{
    (void)c, (void)ck;
    if (st == SOFA_OK)
        printf("get: %.*s (flags %u)\n", (int)r->nvalue, (const char *)r->value, r->flags);
    else
        printf("get: %s\n", sofa_strerror(st));
}

int main(int argc, char **argv)
{
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = argc > 1 ? argv[1] : "couchbase://127.0.0.1/default";
    o.username = argc > 3 ? argv[2] : "Administrator";
    o.password = argc > 3 ? argv[3] : "password";
    sofa_client *c;
    char err[256];
    int rc = sofa_client_new(&c, &o, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", sofa_status_name(rc), err);
        return 1;
    }
    const char *key = "hello", *val = "{\"greeting\":\"world\"}";
    sofa_kv_opts opts = {0};
    opts.datatype = SOFA_DATATYPE_JSON;
    rc = sofa_client_connect(c, NULL, NULL); /* operations below wait for the bootstrap */
    if (rc != 0) {
        fprintf(stderr, "connect: %s\n", sofa_strerror(rc));
        sofa_client_free(c);
        return 1;
    }
    sofa_kv_upsert(c, key, strlen(key), val, strlen(val), &opts, on_stored, NULL);
    sofa_kv_get(c, key, strlen(key), NULL, on_got, NULL);
    sofa_client_wait(c);
    if (!sofa_client_is_connected(c))
        fprintf(stderr, "bootstrap failed:\n%s", sofa_client_bootstrap_report(c));
    sofa_client_free(c);
    return 0;
}
