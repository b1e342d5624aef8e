/* sofa-mock: a multi-node mock Couchbase cluster (KV + cluster-manager HTTP + control API)
 * on one libevent loop. See docs/mock.md. */
#include "http.h"
#include "mock.h"
#ifdef SOFA_MOCK_HAVE_QUERY
#include "n1ql.h"
#include "views.h"
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int mock_ctl_main(int argc, char **argv);

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sofa-mock [options]\n"
            "       sofa-mock ctl HOST:PORT COMMAND[?ARGS] [METHOD]   (control API client)\n"
            "options:\n"
            "  --nodes N                 nodes (1..%d, default 1)\n"
            "  --replicas R              replicas per vbucket (0..%d, default 0)\n"
            "  --vbuckets V              vbuckets per couchbase bucket (1..%d, default 64)\n"
            "  --bucket NAME[:PASSWORD][:couchbase|memcached]   (repeatable; default: default)\n"
            "  --user USER:PASS[:BUCKET,BUCKET...]  RBAC user (repeatable; default\n"
            "                            Administrator:password with access to every bucket)\n"
            "  --host ADDR               IPv4 address to listen on (default 127.0.0.1)\n"
            "  --port P                  first port (node i: KV P+2i, HTTP P+2i+1, control\n"
            "                            P+2N); 0 = ephemeral ports (default 0)\n"
            "  --ready-file FILE         write the ready JSON here once every port listens\n"
            "  --sample NAME[@BUCKET]    load a sample dataset (default: into the first bucket)\n"
            "  --replicate-delay-ms MS   simulated replication delay (default 0)\n"
            "  --persist-delay-ms MS     simulated persistence delay (default 0)\n"
            "  --sync-replication 0|1    acknowledge HELLO SyncReplication (default 1)\n"
            "  --tls-cert FILE           PEM certificate (chain): each node also gets a TLS KV\n"
            "                            port and an HTTPS port (ready file: kv_tls, http_tls,\n"
            "                            tls_connstr; config: services.kvSSL, mgmtSSL, capiSSL,\n"
            "                            n1qlSSL); needs --tls-key. With --port P node i's TLS\n"
            "                            ports are P+2N+1+2i (KV) and P+2N+2+2i (HTTPS)\n"
            "  --tls-key FILE            PEM private key for --tls-cert\n"
            "  --sasl-mechs LIST         space-separated mechanisms SASL_LIST_MECHS offers\n"
            "                            (default: SCRAM-SHA512 SCRAM-SHA256 SCRAM-SHA1 PLAIN)\n"
            "  --verbose                 log every KV request (with its status) and HTTP request\n"
            "  --help\n",
            MOCK_MAX_NODES, MOCK_MAX_REPLICAS, MOCK_MAX_VBUCKETS);
}

static int parse_int(const char *s, long lo, long hi, int *out)
{
    char *e;
    errno = 0;
    long v = strtol(s, &e, 10);
    if (errno != 0 || e == s || *e != '\0' || v < lo || v > hi) {
        return -1;
    }
    *out = (int)v;
    return 0;
}

typedef struct bucket_spec {
    char name[MOCK_MAX_NAME + 1], pass[MOCK_MAX_PASS + 1];
    mock_bucket_type type;
} bucket_spec;

static int parse_bucket(const char *arg, bucket_spec *b)
{
    char tmp[512];
    if (strlen(arg) >= sizeof(tmp)) {
        return -1;
    }
    strcpy(tmp, arg);
    char *parts[3] = {tmp, NULL, NULL};
    int n = 1;
    for (char *p = tmp; *p && n < 3; p++) {
        if (*p == ':') {
            *p = '\0';
            parts[n++] = p + 1;
        }
    }
    b->type = MOCK_BUCKET_COUCHBASE;
    b->pass[0] = '\0';
    const char *type = NULL;
    if (n == 2 && (strcmp(parts[1], "couchbase") == 0 || strcmp(parts[1], "memcached") == 0)) {
        type = parts[1];
    } else if (n >= 2) {
        if (strlen(parts[1]) > MOCK_MAX_PASS) {
            return -1;
        }
        strcpy(b->pass, parts[1]);
        type = n == 3 ? parts[2] : NULL;
    }
    if (type != NULL) {
        if (strcmp(type, "memcached") == 0) {
            b->type = MOCK_BUCKET_MEMCACHED;
        } else if (strcmp(type, "couchbase") != 0) {
            return -1;
        }
    }
    /* Couchbase's bucket name rules: letters, digits, '.', '-', '_', '%'; at most 100 */
    if (parts[0][0] == '\0' || strlen(parts[0]) > MOCK_MAX_NAME ||
        strspn(parts[0], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-%") !=
            strlen(parts[0])) {
        return -1;
    }
    strcpy(b->name, parts[0]);
    return 0;
}

static int parse_user(const char *arg, mock_user *u)
{
    const char *c1 = strchr(arg, ':');
    if (c1 == NULL || c1 == arg || (size_t)(c1 - arg) > MOCK_MAX_NAME) {
        return -1;
    }
    const char *c2 = strchr(c1 + 1, ':');
    size_t plen = c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1);
    if (plen > MOCK_MAX_PASS || (c2 && strlen(c2 + 1) >= sizeof(u->buckets))) {
        return -1;
    }
    memset(u, 0, sizeof(*u));
    memcpy(u->name, arg, (size_t)(c1 - arg));
    memcpy(u->password, c1 + 1, plen);
    if (c2) {
        strcpy(u->buckets, c2 + 1);
    }
    return 0;
}

static int write_ready(mock_cluster *c, const char *file)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp", file);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        mock_log("ready file %s: %s", tmp, strerror(errno));
        return -1;
    }
    const char *bucket = c->nbuckets > 0 ? c->buckets[0]->name : "";
    fprintf(f, "{\"connstr\":\"couchbase://");
    for (int i = 0; i < c->nnodes; i++) {
        fprintf(f, "%s%s:%d", i ? "," : "", c->host, c->nodes[i].kv.port);
    }
    fprintf(f, "/%s\",\"http_connstr\":\"http://", bucket);
    for (int i = 0; i < c->nnodes; i++) {
        fprintf(f, "%s%s:%d", i ? "," : "", c->host, c->nodes[i].http.port);
    }
    fprintf(f, "/%s\",", bucket);
    if (c->tls != NULL) {
        fprintf(f, "\"tls_connstr\":\"couchbases://");
        for (int i = 0; i < c->nnodes; i++) {
            fprintf(f, "%s%s:%d", i ? "," : "", c->host, c->nodes[i].kvtls.port);
        }
        fprintf(f, "/%s\",", bucket);
    }
    fprintf(f, "\"nodes\":[");
    for (int i = 0; i < c->nnodes; i++) {
        fprintf(f, "%s{\"kv\":%d,\"http\":%d", i ? "," : "", c->nodes[i].kv.port,
                c->nodes[i].http.port);
        if (c->tls != NULL) {
            fprintf(f, ",\"kv_tls\":%d,\"http_tls\":%d", c->nodes[i].kvtls.port,
                    c->nodes[i].httptls.port);
        }
        fprintf(f, "}");
    }
    fprintf(f, "],\"control\":%d,\"host\":\"%s\",\"pid\":%ld,\"buckets\":[", c->ctl.port, c->host,
            (long)getpid());
    for (int i = 0; i < c->nbuckets; i++) {
        fprintf(f, "%s\"%s\"", i ? "," : "", c->buckets[i]->name);
    }
    fprintf(f, "]}\n");
    if (fclose(f) != 0 || rename(tmp, file) != 0) {
        mock_log("ready file %s: %s", file, strerror(errno));
        return -1;
    }
    return 0;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopbreak(arg);
}

static int open_ports(mock_cluster *c, int base_port)
{
    for (int i = 0; i < c->nnodes; i++) {
        mock_node *n = &c->nodes[i];
        n->kv.port = base_port ? base_port + 2 * i : 0;
        n->http.port = base_port ? base_port + 2 * i + 1 : 0;
        n->kvtls.port = base_port ? base_port + 2 * c->nnodes + 1 + 2 * i : 0;
        n->httptls.port = base_port ? base_port + 2 * c->nnodes + 2 + 2 * i : 0;
        if (n->httptls.port > 65535) {
            mock_log("--port %d: no room for the TLS ports", base_port);
            return -1;
        }
        if (mock_node_start(n) != 0) {
            return -1;
        }
    }
    c->ctl.port = base_port ? base_port + 2 * c->nnodes : 0;
    return mock_listener_open(&c->ctl, c->base, c->host);
}

static void cleanup(mock_cluster *c)
{
    for (int i = 0; i < c->nnodes; i++) {
        mock_node_stop(&c->nodes[i]);
        if (c->nodes[i].restart_timer) {
            event_free(c->nodes[i].restart_timer);
        }
    }
    mock_listener_close(&c->ctl);
    if (c->tls != NULL) {
        SSL_CTX_free(c->tls);
        c->tls = NULL;
    }
    while (c->ctlconns) {
        mock_httpconn_close(c->ctlconns);
    }
    for (int i = 0; i < c->nbuckets; i++) {
        mock_store_free(c->buckets[i]);
        free(c->buckets[i]);
    }
}

typedef struct options {
    int nnodes, base_port, nspecs;
    const char *ready, *sample;
    const char *tls_cert, *tls_key;
    bucket_spec specs[MOCK_MAX_BUCKETS];
} options;

/* Parse argv into c (cluster settings, users) and o. Returns -1 to go on, else an exit status. */
static int parse_args(int argc, char **argv, mock_cluster *c, options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(opt, "--verbose") == 0 || strcmp(opt, "-v") == 0) {
            mock_verbose = 1;
            continue;
        }
        if (v == NULL) {
            fprintf(stderr, "sofa-mock: %s needs a value (see --help)\n", opt);
            return 2;
        }
        i++;
        if (strcmp(opt, "--nodes") == 0) {
            bad = parse_int(v, 1, MOCK_MAX_NODES, &o->nnodes);
        } else if (strcmp(opt, "--replicas") == 0) {
            bad = parse_int(v, 0, MOCK_MAX_REPLICAS, &c->nreplicas);
        } else if (strcmp(opt, "--vbuckets") == 0) {
            bad = parse_int(v, 1, MOCK_MAX_VBUCKETS, &c->nvbuckets);
        } else if (strcmp(opt, "--bucket") == 0) {
            bad = o->nspecs >= MOCK_MAX_BUCKETS || parse_bucket(v, &o->specs[o->nspecs++]);
        } else if (strcmp(opt, "--user") == 0) {
            bad = c->nusers >= MOCK_MAX_USERS || parse_user(v, &c->users[c->nusers++]);
        } else if (strcmp(opt, "--host") == 0) {
            struct in_addr addr;
            bad = strlen(v) >= sizeof(c->host) || inet_pton(AF_INET, v, &addr) != 1;
            if (!bad) {
                snprintf(c->host, sizeof(c->host), "%s", v);
            }
        } else if (strcmp(opt, "--port") == 0) {
            bad = parse_int(v, 0, 65535 - 2 * MOCK_MAX_NODES - 1, &o->base_port);
        } else if (strcmp(opt, "--ready-file") == 0) {
            o->ready = v;
        } else if (strcmp(opt, "--tls-cert") == 0) {
            o->tls_cert = v;
        } else if (strcmp(opt, "--tls-key") == 0) {
            o->tls_key = v;
        } else if (strcmp(opt, "--sasl-mechs") == 0) {
            bad = strlen(v) == 0 || strlen(v) >= sizeof(c->sasl_mechs);
            if (!bad) {
                snprintf(c->sasl_mechs, sizeof(c->sasl_mechs), "%s", v);
            }
        } else if (strcmp(opt, "--sample") == 0) {
            o->sample = v;
        } else if (strcmp(opt, "--replicate-delay-ms") == 0) {
            bad = parse_int(v, 0, 600000, &c->replicate_delay_ms);
        } else if (strcmp(opt, "--persist-delay-ms") == 0) {
            bad = parse_int(v, 0, 600000, &c->persist_delay_ms);
        } else if (strcmp(opt, "--sync-replication") == 0) {
            int on = 1;
            bad = parse_int(v, 0, 1, &on);
            c->no_sync_replication = !on;
        } else {
            fprintf(stderr, "sofa-mock: unknown option %s (see --help)\n", opt);
            return 2;
        }
        if (bad) {
            fprintf(stderr, "sofa-mock: bad value for %s: %s\n", opt, v);
            return 2;
        }
    }
    if (o->nspecs == 0) {
        snprintf(o->specs[0].name, sizeof(o->specs[0].name), "default");
        o->specs[0].type = MOCK_BUCKET_COUCHBASE;
        o->nspecs = 1;
    }
    if (c->nusers == 0) {
        parse_user("Administrator:password", &c->users[c->nusers++]);
    }
    if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
        fprintf(stderr, "sofa-mock: --tls-cert and --tls-key go together\n");
        return 2;
    }
    return -1;
}

/* Buckets, sample data, ports. 0 / -1 (message printed). */
static int build_cluster(mock_cluster *c, const options *o)
{
    c->nnodes = o->nnodes;
    c->rev = 1;
    c->rev_epoch = 1;
    for (int i = 0; i < c->nnodes; i++) {
        mock_node *n = &c->nodes[i];
        n->cluster = c;
        n->index = i;
        n->kv = (mock_listener){.fd = -1, .on_accept = mock_kv_accept, .arg = n};
        n->http = (mock_listener){.fd = -1, .on_accept = mock_http_accept, .arg = n};
        n->kvtls = (mock_listener){.fd = -1, .on_accept = mock_kv_tls_accept, .arg = n};
        n->httptls = (mock_listener){.fd = -1, .on_accept = mock_https_accept, .arg = n};
    }
    c->ctl = (mock_listener){.fd = -1, .on_accept = mock_http_ctl_accept, .arg = c};
    for (int i = 0; i < o->nspecs; i++) {
        if (mock_bucket_new(c, o->specs[i].name, o->specs[i].pass, o->specs[i].type) == NULL) {
            fprintf(stderr, "sofa-mock: cannot create bucket %s (duplicate?)\n", o->specs[i].name);
            return -1;
        }
    }
    if (o->sample != NULL) {
#ifdef SOFA_MOCK_HAVE_SAMPLE
        if (mock_sample_load(c, o->sample) != 0) {
            fprintf(stderr, "sofa-mock: cannot load sample %s\n", o->sample);
            return -1;
        }
#else
        fprintf(stderr, "sofa-mock: this build has no sample data (--sample %s)\n", o->sample);
        return -1;
#endif
    }
    if (o->tls_cert != NULL && (c->tls = mock_tls_ctx_new(o->tls_cert, o->tls_key)) == NULL) {
        return -1;
    }
    if (open_ports(c, o->base_port) != 0) {
        fprintf(stderr, "sofa-mock: cannot open ports\n");
        return -1;
    }
    return 0;
}

static int serve(mock_cluster *c, const char *ready)
{
    struct event *sigterm = evsignal_new(c->base, SIGTERM, on_signal, c->base);
    struct event *sigint = evsignal_new(c->base, SIGINT, on_signal, c->base);
    int rc = 1;
    if (sigterm == NULL || sigint == NULL || event_add(sigterm, NULL) != 0 ||
        event_add(sigint, NULL) != 0) {
        goto out;
    }
    if (ready != NULL && write_ready(c, ready) != 0) {
        goto out;
    }
    mock_log("ready: %d node(s), KV port %d, HTTP port %d, control port %d", c->nnodes,
             c->nodes[0].kv.port, c->nodes[0].http.port, c->ctl.port);
    event_base_dispatch(c->base);
    mock_log("shutting down");
    rc = 0;
out:
    if (sigterm) {
        event_free(sigterm);
    }
    if (sigint) {
        event_free(sigint);
    }
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "ctl") == 0) {
        return mock_ctl_main(argc - 2, argv + 2);
    }
    signal(SIGPIPE, SIG_IGN);
    static mock_cluster cl;
    static options opts;
    mock_cluster *c = &cl;
    snprintf(c->host, sizeof(c->host), "127.0.0.1");
    c->nvbuckets = 64;
    opts.nnodes = 1;
    int rc = parse_args(argc, argv, c, &opts);
    if (rc >= 0) {
        return rc;
    }
    c->base = event_base_new();
    if (c->base == NULL) {
        fprintf(stderr, "sofa-mock: event_base_new failed\n");
        return 1;
    }
#ifdef SOFA_MOCK_HAVE_QUERY
    mock_http_add_hook(mock_http_route_views);
    mock_http_add_hook(mock_http_route_n1ql);
#endif
    rc = build_cluster(c, &opts) == 0 ? serve(c, opts.ready) : 1;
    cleanup(c);
    event_base_free(c->base);
    return rc;
}
