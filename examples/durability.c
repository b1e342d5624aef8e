/* durability: the three ways to make a write durable.
 *   1. a store with persist_to / replicate_to in its options (one callback, after the
 *      write and its check),
 *   2. sofa_endure() on mutations written earlier (many keys, one poll per node),
 *   3. a server-side durability level (the server answers once the level is met).
 *
 *   durability [CONNSTR [USER PASSWORD]]
 *   e.g. durability 'couchbase://127.0.0.1/default?durability_timeout=3s'
 * Exit status 0 when every step succeeded. */
#include <stdio.h>
#include <string.h>

#include <sofa/sofa.h>

#define NKEYS 3

static int failures;

static void on_durable_store(sofa_client *c, sofa_status st, const sofa_mutation_result *r,
                             void *ck)
{
    (void)c, (void)ck;
    /* the write's own failure, or a durability status: E_DURABILITY_TIMEOUT,
     * E_DURABILITY_CAS_MISMATCH, E_MUTATION_LOST (then r->cas is the write's CAS) */
    printf("1. upsert persisted to 2 nodes, replicated to 1: %s (cas %llu)\n", sofa_status_name(st),
           (unsigned long long)r->cas);
    failures += st != SOFA_OK;
}

static sofa_endure_key keys[NKEYS];
static char names[NKEYS][16];
static int nstored;

static void on_endured(sofa_client *c, sofa_status st, const sofa_endure_item *items, size_t n,
                       void *ck)
{
    (void)c, (void)ck;
    printf("2. endure %zu keys: %s\n", n, sofa_status_name(st));
    for (size_t i = 0; i < n; i++)
        printf("   %.*s: %s, on disk on %u node(s), in memory on %u replica(s)\n",
               (int)items[i].nkey, (const char *)items[i].key, sofa_status_name(items[i].status),
               items[i].npersisted, items[i].nreplicated);
    failures += st != SOFA_OK;
}

/* Each plain store remembers its CAS and mutation token; the last one starts the endure. */
static void on_plain_store(sofa_client *c, sofa_status st, const sofa_mutation_result *r, void *ck)
{
    sofa_endure_key *k = ck;
    if (st != SOFA_OK) {
        printf("2. upsert: %s\n", sofa_status_name(st));
        failures++;
        return;
    }
    k->cas = r->cas;
    k->token = r->token;
    if (++nstored < NKEYS)
        return;
    sofa_endure_opts eo = {0};
    eo.persist_to = SOFA_DURABILITY_ALL; /* as many as the cluster has */
    eo.replicate_to = SOFA_DURABILITY_ALL;
    int rc = sofa_endure(c, keys, NKEYS, &eo, on_endured, NULL);
    if (rc != 0) {
        printf("2. endure: %s\n", sofa_status_name(rc));
        failures++;
    }
}

static void on_level_store(sofa_client *c, sofa_status st, const sofa_mutation_result *r, void *ck)
{
    (void)c, (void)r, (void)ck;
    /* E_SYNC_WRITE_AMBIGUOUS carries SOFA_F_AMBIGUOUS: the write may be committed */
    printf("3. upsert with durability level majority: %s%s\n", sofa_status_name(st),
           (sofa_status_flags(st) & SOFA_F_AMBIGUOUS) ? " (ambiguous)" : "");
    failures += st != SOFA_OK;
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
    rc = sofa_client_connect(c, NULL, NULL);
    if (rc != 0) {
        fprintf(stderr, "connect: %s\n", sofa_strerror(rc));
        sofa_client_free(c);
        return 1;
    }
    sofa_client_wait(c); /* the "too many" check needs the cluster's configuration */
    if (!sofa_client_is_connected(c)) {
        fprintf(stderr, "bootstrap failed:\n%s", sofa_client_bootstrap_report(c));
        sofa_client_free(c);
        return 1;
    }

    /* 1. one durable write */
    sofa_kv_opts dur = {0};
    dur.persist_to = 2;
    dur.replicate_to = 1;
    rc = sofa_kv_upsert(c, "durable", 7, "v1", 2, &dur, on_durable_store, NULL);
    if (rc != 0) { /* e.g. E_DURABILITY_TOO_MANY on a one-node cluster */
        printf("1. upsert: %s\n", sofa_status_name(rc));
        failures++;
    }

    /* 2. plain writes, then one endure for all of them */
    for (int i = 0; i < NKEYS; i++) {
        snprintf(names[i], sizeof(names[i]), "endure-%d", i);
        keys[i].key = names[i];
        keys[i].nkey = strlen(names[i]);
        if (sofa_kv_upsert(c, names[i], strlen(names[i]), "v", 1, NULL, on_plain_store, &keys[i]) !=
            0)
            failures++;
    }

    /* 3. server-side durability */
    sofa_kv_opts level = {0};
    level.durability_level = SOFA_DURABILITY_MAJORITY;
    if (sofa_kv_upsert(c, "sync", 4, "v", 1, &level, on_level_store, NULL) != 0)
        failures++;

    sofa_client_wait(c);
    sofa_client_free(c);
    return failures ? 1 : 0;
}
