/* sofa-mock glue between the HTTP server (http.h, httproutes.c) and the query
 * engines: per-cluster views registry and query service, credentials checks, and the
 * --sample loader. Built only into the sofa-mock binary (the engines themselves are
 * tested against a fake store in tests/mockquery). */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "mock.h"
#include "n1ql.h"
#include "query_util.h"
#include "sample.h"
#include "views.h"

#define MAX_CLUSTERS 8

typedef struct query_state {
    mock_cluster *c;
    mock_views *views;
    mock_n1ql *n1ql;
} query_state;

static query_state states[MAX_CLUSTERS];
static int atexit_done;

static void free_state(query_state *s)
{
    mock_views_free(s->views);
    mock_n1ql_free(s->n1ql);
    memset(s, 0, sizeof(*s));
}

static void free_all(void)
{
    for (int i = 0; i < MAX_CLUSTERS; i++) {
        free_state(&states[i]);
    }
}

void mock_query_cluster_free(mock_cluster *c)
{
    for (int i = 0; i < MAX_CLUSTERS; i++) {
        if (states[i].c == c) {
            free_state(&states[i]);
        }
    }
}

static query_state *state_of(mock_cluster *c)
{
    query_state *slot = NULL;
    for (int i = 0; i < MAX_CLUSTERS; i++) {
        if (states[i].c == c) {
            return &states[i];
        }
        if (states[i].c == NULL && slot == NULL) {
            slot = &states[i];
        }
    }
    if (slot == NULL) {
        return NULL;
    }
    slot->views = mock_views_new();
    slot->n1ql = mock_n1ql_new();
    if (slot->views == NULL || slot->n1ql == NULL) {
        free_state(slot);
        return NULL;
    }
    slot->c = c;
    if (!atexit_done) {
        atexit_done = atexit(free_all) == 0;
    }
    return slot;
}

/* The bucket named by the first path segment of /BUCKET/_design/..., or 0 if the path
 * is not a view path. */
static int view_bucket(const char *path, char *name, size_t nname)
{
    const char *p = path[0] == '/' ? path + 1 : path;
    const char *slash = strchr(p, '/');
    if (slash == NULL || strncmp(slash, "/_design/", 9) != 0 || slash == p) {
        return 0;
    }
    int bad = 0;
    size_t n = 0;
    char *dec = mock_q_url_decode(p, (size_t)(slash - p), &n, &bad);
    if (dec == NULL || n >= nname) {
        free(dec);
        name[0] = '\0';
        return 1;
    }
    memcpy(name, dec, n + 1);
    free(dec);
    return 1;
}

static int finish(mock_http_response *resp, int rc, int status)
{
    if (rc != 0) {
        mock_http_error(resp, 500, "out of memory");
        return 1;
    }
    resp->status = status;
    resp->content_type = "application/json";
    return 1;
}

int mock_http_route_views(mock_cluster *c, const struct mock_http_request *req, struct mock_http_response *resp)
{
    char name[MOCK_MAX_NAME + 1];
    if (!view_bucket(req->path, name, sizeof(name))) {
        return 0;
    }
    if (req->user == NULL || !mock_cluster_auth(c, req->user, req->password)) {
        mock_http_error(resp, 401, req->user ? "invalid credentials" : "authentication required");
        return 1;
    }
    mock_bucket *b = mock_cluster_bucket(c, name);
    if (b != NULL && !mock_cluster_user_can_access(c, req->user, b)) {
        mock_http_error(resp, 403, "no access to this bucket");
        return 1;
    }
    query_state *s = state_of(c);
    if (s == NULL) {
        return finish(resp, -1, 500);
    }
    int status = 500;
    int rc = mock_views_handle(s->views, c, req->method, req->path, req->query, req->body, req->nbody, &status,
                               &resp->producer);
    if (rc == MOCK_VIEWS_NOT_MINE) {
        return 0;
    }
    return finish(resp, rc, status);
}

int mock_http_route_n1ql(mock_cluster *c, const struct mock_http_request *req, struct mock_http_response *resp)
{
    if (strcmp(req->path, "/query/service") != 0 && strcmp(req->path, "/query") != 0) {
        return 0;
    }
    if (req->user == NULL || !mock_cluster_auth(c, req->user, req->password)) {
        mock_http_error(resp, 401, req->user ? "invalid credentials" : "authentication required");
        return 1;
    }
    query_state *s = state_of(c);
    if (s == NULL) {
        return finish(resp, -1, 500);
    }
    int status = 500;
    int rc = mock_n1ql_handle(s->n1ql, c, req->method, req->path, req->body, req->nbody, &status, &resp->producer);
    if (rc == MOCK_N1QL_NOT_MINE) {
        return 0;
    }
    return finish(resp, rc, status);
}

/* --sample NAME[@BUCKET]: the dataset goes into BUCKET, by default the first bucket. */
int mock_sample_load(mock_cluster *c, const char *spec)
{
    char name[64];
    const char *at = strchr(spec, '@');
    size_t nl = at != NULL ? (size_t)(at - spec) : strlen(spec);
    if (nl >= sizeof(name)) {
        return -1;
    }
    memcpy(name, spec, nl);
    name[nl] = '\0';
    mock_bucket *b = at != NULL ? mock_cluster_bucket(c, at + 1) : (c->nbuckets > 0 ? c->buckets[0] : NULL);
    query_state *s = state_of(c);
    if (b == NULL || s == NULL) {
        return -1;
    }
    return mock_sample_load_into(b, s->views, name) > 0 ? 0 : -1;
}
