/* kv-multi: store 10,000 documents, then fetch them all with one multi-get (they leave in
 * as few writes as possible) and print a summary.
 *   kv-multi [CONNSTR [USER PASSWORD]] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofa/sofa.h>

enum { NKEYS = 10000 };

static int stored;

static void on_stored(sofa_client *c, sofa_status st, const sofa_mutation_result *r, void *ck)
{
    (void)c, (void)r, (void)ck;
    stored += st == SOFA_OK;
}

static void on_multi(sofa_client *c, sofa_status st, const sofa_multi_item *items, size_t n,
                     void *ck)
{
    (void)c, (void)ck;
    size_t found = 0, bytes = 0;
    for (size_t i = 0; i < n; i++) {
        if (items[i].status == SOFA_OK) {
            found++;
            bytes += items[i].result.nvalue;
        }
    }
    printf("multi-get: %s, %zu of %zu keys found, %zu value bytes\n", sofa_status_name(st), found,
           n, bytes);
}

int main(int argc, char **argv)
{
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = argc > 1 ? argv[1] : "couchbase://127.0.0.1/default";
    o.username = argc > 3 ? argv[2] : "Administrator";
    o.password = argc > 3 ? argv[3] : "password";
    sofa_client *c;
    char err[256];
    if (sofa_client_new(&c, &o, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    static char names[NKEYS][16];
    static sofa_key keys[NKEYS];
    int rc = sofa_client_connect(c, NULL, NULL);
    if (rc != 0) {
        fprintf(stderr, "connect: %s\n", sofa_strerror(rc));
        sofa_client_free(c);
        return 1;
    }
    for (int i = 0; i < NKEYS; i++) {
        keys[i].nkey = (size_t)snprintf(names[i], sizeof(names[i]), "multi:%d", i);
        keys[i].key = names[i];
        sofa_kv_upsert(c, keys[i].key, keys[i].nkey, names[i], keys[i].nkey, NULL, on_stored, NULL);
    }
    sofa_client_wait(c);
    printf("stored %d documents\n", stored);
    /* one call, one callback with per-key results; missing keys are not errors when quiet */
    rc = sofa_kv_get_multi(c, keys, NKEYS, SOFA_MULTI_QUIET, NULL, on_multi, NULL);
    if (rc != 0)
        fprintf(stderr, "get_multi: %s\n", sofa_strerror(rc));
    sofa_client_wait(c);
    sofa_client_free(c);
    return 0;
}
