/* sofa-mock: cluster-manager REST endpoints (/pools...), config streams, bucket flush, and
 * the hook into the query modules (views, N1QL) when they are built in. */
#include "http.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HOOKS 8

static mock_http_hook hooks[MAX_HOOKS];
static int nhooks;

int mock_http_add_hook(mock_http_hook fn)
{
    if (fn == NULL || nhooks >= MAX_HOOKS) {
        return -1;
    }
    hooks[nhooks++] = fn;
    return 0;
}

static void set_json(mock_http_response *resp, int status, json_t *js)
{
    char *s = js ? json_dumps(js, JSON_COMPACT) : NULL;
    json_decref(js);
    if (s == NULL) {
        mock_http_error(resp, 500, "out of memory");
        return;
    }
    resp->status = status;
    resp->content_type = "application/json";
    mock_strbuf_append(&resp->body, s, strlen(s));
    free(s);
}

static void set_text(mock_http_response *resp, int status, char *owned)
{
    if (owned == NULL) {
        mock_http_error(resp, 500, "out of memory");
        return;
    }
    resp->status = status;
    resp->content_type = "application/json";
    mock_strbuf_append(&resp->body, owned, strlen(owned));
    free(owned);
}

/* 0 = allowed; else the HTTP status (401/403/404) with the body set. */
static int check_bucket(mock_cluster *c, const mock_http_request *req, mock_bucket *b,
                        mock_http_response *resp)
{
    if (req->user == NULL) {
        mock_http_error(resp, 401, "authentication required");
        return 401;
    }
    if (!mock_cluster_auth(c, req->user, req->password)) {
        mock_http_error(resp, 401, "invalid credentials");
        return 401;
    }
    if (b == NULL) {
        mock_http_error(resp, 404, "no such bucket");
        return 404;
    }
    if (!mock_cluster_user_can_access(c, req->user, b)) {
        mock_http_error(resp, 403, "no access to this bucket");
        return 403;
    }
    return 0;
}

static int check_any(mock_cluster *c, const mock_http_request *req, mock_http_response *resp)
{
    if (req->user == NULL || !mock_cluster_auth(c, req->user, req->password)) {
        mock_http_error(resp, 401, req->user ? "invalid credentials" : "authentication required");
        return 401;
    }
    return 0;
}

static void pools(mock_cluster *c, const mock_http_request *req, mock_http_response *resp)
{
    int admin = req->user != NULL && mock_cluster_auth(c, req->user, req->password);
    set_json(resp, 200,
             json_pack("{s:[{s:s,s:s,s:s}],s:b,s:s,s:s,s:s}", "pools", "name", "default", "uri",
                       "/pools/default?uuid=sofamock", "streamingUri",
                       "/poolsStreaming/default?uuid=sofamock", "isAdminCreds", admin,
                       "implementationVersion", "7.2.0-0000-enterprise", "uuid", "sofamock",
                       "componentsVersion", "sofa-mock"));
}

static void pools_default(mock_cluster *c, const mock_http_request *req, mock_http_response *resp)
{
    if (check_any(c, req, resp) != 0) {
        return;
    }
    json_t *nodes = json_array();
    for (int i = 0; i < c->nnodes; i++) {
        mock_node *n = &c->nodes[i];
        char host[128];
        snprintf(host, sizeof(host), "%s:%d", c->host, n->http.port);
        json_t *o = json_pack("{s:s,s:s,s:s,s:b,s:{s:i},s:[s,s,s]}", "hostname", host, "status",
                              n->running ? "healthy" : "unhealthy", "clusterMembership",
                              n->failed_over ? "inactiveFailed" : "active", "thisNode",
                              i == req->node, "ports", "direct", n->kv.port, "services", "kv",
                              "n1ql", "index");
        if (json_array_append_new(nodes, o) != 0) {
            json_decref(nodes);
            mock_http_error(resp, 500, "out of memory");
            return;
        }
    }
    set_json(resp, 200,
             json_pack("{s:s,s:o,s:{s:s,s:s,s:s},s:i}", "name", "default", "nodes", nodes, "buckets",
                       "uri", "/pools/default/buckets?v=1", "terseBucketsBase", "/pools/default/b/",
                       "terseStreamingBucketsBase", "/pools/default/bs/", "rev", (int)c->rev));
}

static void all_buckets(mock_cluster *c, const mock_http_request *req, mock_http_response *resp)
{
    if (check_any(c, req, resp) != 0) {
        return;
    }
    json_t *arr = json_array();
    for (int i = 0; i < c->nbuckets; i++) {
        if (!mock_cluster_user_can_access(c, req->user, c->buckets[i])) {
            continue;
        }
        char *s = mock_config_json(c, c->buckets[i], req->node, 0);
        json_t *js = s ? json_loads(s, 0, NULL) : NULL;
        free(s);
        if (json_array_append_new(arr, js) != 0) {
            json_decref(arr);
            mock_http_error(resp, 500, "out of memory");
            return;
        }
    }
    set_json(resp, 200, arr);
}

/* Bucketless configs (rev, nodesExt, cluster capabilities), once or as a stream. */
static void node_services(mock_cluster *c, const mock_http_request *req, mock_http_response *resp,
                          int streaming)
{
    if (check_any(c, req, resp) != 0) {
        return;
    }
    char *js = mock_config_json(c, NULL, req->node, 1);
    if (js == NULL || !streaming) {
        set_text(resp, 200, js);
        return;
    }
    resp->status = 200;
    resp->content_type = "application/json";
    if (mock_strbuf_append(&resp->body, js, strlen(js)) != 0 ||
        mock_strbuf_append(&resp->body, "\n\n\n\n", 4) != 0) {
        free(js);
        mock_http_error(resp, 500, "out of memory");
        return;
    }
    free(js);
    resp->stream = MOCK_STREAM_SERVICES;
}

static void flush_bucket(mock_cluster *c, mock_bucket *b, mock_http_response *resp)
{
    (void)c;
    mock_store_flush(b);
    resp->status = 200;
    resp->content_type = "application/json";
}

enum { CFG_VERBOSE, CFG_TERSE, CFG_TERSE_STREAM, CFG_VERBOSE_STREAM };

static const struct {
    const char *prefix;
    int kind;
} bucket_routes[] = {{"/pools/default/buckets/", CFG_VERBOSE},
                     {"/pools/default/b/", CFG_TERSE},
                     {"/pools/default/bs/", CFG_TERSE_STREAM},
                     {"/pools/default/bucketsStreaming/", CFG_VERBOSE_STREAM}};

/* A bucket config (once or streamed), for an authorised client. */
static void bucket_config(mock_cluster *c, const mock_http_request *req, mock_bucket *b, int kind,
                          mock_http_response *resp)
{
    char *js = mock_config_json(c, b, req->node, kind == CFG_TERSE || kind == CFG_TERSE_STREAM);
    if (js == NULL || kind == CFG_VERBOSE || kind == CFG_TERSE) {
        set_text(resp, 200, js);
        return;
    }
    resp->status = 200;
    resp->content_type = "application/json";
    if (mock_strbuf_append(&resp->body, js, strlen(js)) != 0 ||
        mock_strbuf_append(&resp->body, "\n\n\n\n", 4) != 0) {
        free(js);
        mock_http_error(resp, 500, "out of memory");
        return;
    }
    free(js);
    resp->stream = kind == CFG_VERBOSE_STREAM ? MOCK_STREAM_VERBOSE : MOCK_STREAM_TERSE;
    resp->stream_bucket = b;
}

/* /pools/default/{buckets,b,bs,bucketsStreaming}/NAME[/controller/doFlush]. 1 if answered. */
static int bucket_route(mock_cluster *c, const mock_http_request *req, int get,
                        mock_http_response *resp)
{
    char name[MOCK_MAX_NAME + 1];
    for (size_t i = 0; i < sizeof(bucket_routes) / sizeof(bucket_routes[0]); i++) {
        size_t pl = strlen(bucket_routes[i].prefix);
        if (strncmp(req->path, bucket_routes[i].prefix, pl) != 0) {
            continue;
        }
        const char *rest = req->path + pl;
        const char *slash = strchr(rest, '/');
        size_t nl = slash ? (size_t)(slash - rest) : strlen(rest);
        if (nl == 0 || nl > MOCK_MAX_NAME) {
            return 0;
        }
        memcpy(name, rest, nl);
        name[nl] = '\0';
        mock_bucket *b = mock_cluster_bucket(c, name);
        if (check_bucket(c, req, b, resp) != 0) {
            return 1;
        }
        if (slash != NULL) {
            if (bucket_routes[i].kind == CFG_VERBOSE && strcmp(slash, "/controller/doFlush") == 0 &&
                strcmp(req->method, "POST") == 0) {
                flush_bucket(c, b, resp);
                return 1;
            }
            return 0;
        }
        if (!get) {
            mock_http_error(resp, 405, "method not allowed");
            return 1;
        }
        bucket_config(c, req, b, bucket_routes[i].kind, resp);
        return 1;
    }
    return 0;
}

void mock_http_route(mock_cluster *c, const mock_http_request *req, mock_http_response *resp)
{
    const char *p = req->path;
    int get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    if (strcmp(p, "/pools") == 0 && get) {
        pools(c, req, resp);
    } else if (strcmp(p, "/pools/default") == 0 && get) {
        pools_default(c, req, resp);
    } else if (strcmp(p, "/pools/default/buckets") == 0 && get) {
        all_buckets(c, req, resp);
    } else if ((strcmp(p, "/pools/default/nodeServices") == 0 ||
                strcmp(p, "/pools/default/nodeServicesStreaming") == 0) &&
               get) {
        node_services(c, req, resp, p[strlen("/pools/default/nodeServices")] != '\0');
    } else if (!bucket_route(c, req, get, resp)) {
        for (int i = 0; i < nhooks; i++) {
            if (hooks[i](c, req, resp)) {
                return;
            }
        }
        mock_http_error(resp, 404, "not found");
    }
}
