/* The mock's view engine: design-document registry, routing and the streamed
 * view response (see views.h). */
#include "views.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query_util.h"
#include "view_exec.h"
#include "view_js.h"
#include "view_query.h"

#define MAX_NAME 512 /* bytes of a bucket / ddoc / view name */

typedef struct ddoc {
    char *bucket;
    char *name;
    json_t *doc;
    struct ddoc *next;
} ddoc;

struct mock_views {
    ddoc *head;
};

mock_views *mock_views_new(void)
{
    return calloc(1, sizeof(mock_views));
}

static void ddoc_free(ddoc *d)
{
    free(d->bucket);
    free(d->name);
    json_decref(d->doc);
    free(d);
}

void mock_views_free(mock_views *v)
{
    if (v == NULL) {
        return;
    }
    while (v->head != NULL) {
        ddoc *d = v->head;
        v->head = d->next;
        ddoc_free(d);
    }
    free(v);
}

static ddoc **find_ddoc(mock_views *v, const char *bucket, const char *name)
{
    for (ddoc **p = &v->head; *p != NULL; p = &(*p)->next) {
        if (strcmp((*p)->bucket, bucket) == 0 && strcmp((*p)->name, name) == 0) {
            return p;
        }
    }
    return NULL;
}

static size_t count_ddocs(mock_views *v, const char *bucket)
{
    size_t n = 0;
    for (ddoc *d = v->head; d != NULL; d = d->next) {
        n += strcmp(d->bucket, bucket) == 0;
    }
    return n;
}

/* Validate every view of a design document, compiling its functions. */
static int validate_ddoc(const json_t *doc, char *err, size_t nerr)
{
    if (!json_is_object(doc)) {
        snprintf(err, nerr, "Design document must be a JSON object");
        return -1;
    }
    json_t *views = json_object_get(doc, "views");
    if (views == NULL) {
        return 0;
    }
    if (!json_is_object(views)) {
        snprintf(err, nerr, "`views` must be an object");
        return -1;
    }
    const char *vname;
    json_t *view;
    json_object_foreach(views, vname, view) {
        const char *map = json_string_value(json_object_get(view, "map"));
        json_t *red = json_object_get(view, "reduce");
        if (!json_is_object(view) || map == NULL) {
            snprintf(err, nerr, "View %s has no `map` function string", vname);
            return -1;
        }
        if (red != NULL && !json_is_string(red)) {
            snprintf(err, nerr, "View %s: `reduce` must be a string", vname);
            return -1;
        }
        const char *rs = json_string_value(red);
        if (rs != NULL && rs[0] == '_' && strcmp(rs, "_count") != 0 && strcmp(rs, "_sum") != 0 &&
            strcmp(rs, "_stats") != 0) {
            snprintf(err, nerr, "View %s: unknown built-in reduce function %s", vname, rs);
            return -1;
        }
        char jerr[256];
        int nomem = 0;
        mock_view_js *js = mock_view_js_new(map, rs != NULL && rs[0] != '_' ? rs : NULL, jerr, sizeof(jerr),
                                            &nomem);
        if (js == NULL) {
            snprintf(err, nerr, nomem ? "out of memory" : "Syntax error in view %s: %s", vname, jerr);
            return nomem ? -2 : -1;
        }
        mock_view_js_free(js);
    }
    return 0;
}

int mock_views_put_ddoc(mock_views *v, const char *bucket, const char *name, const char *json, size_t njson,
                        char *err, size_t nerr)
{
    if (njson > MOCK_VIEWS_MAX_DDOC_SIZE || strlen(name) == 0 || strlen(name) > MAX_NAME) {
        snprintf(err, nerr, "Design document name or size out of limits (%d bytes)", MOCK_VIEWS_MAX_DDOC_SIZE);
        return -1;
    }
    json_error_t je;
    json_t *doc = json_loadb(json, njson, 0, &je);
    if (doc == NULL) {
        snprintf(err, nerr, "Invalid JSON: %s", je.text);
        return -1;
    }
    int rc = validate_ddoc(doc, err, nerr);
    if (rc != 0) {
        json_decref(doc);
        return rc;
    }
    ddoc **p = find_ddoc(v, bucket, name);
    if (p != NULL) {
        json_decref((*p)->doc);
        (*p)->doc = doc;
        return 0;
    }
    if (count_ddocs(v, bucket) >= MOCK_VIEWS_MAX_DDOCS) {
        json_decref(doc);
        snprintf(err, nerr, "Too many design documents (limit %d)", MOCK_VIEWS_MAX_DDOCS);
        return -1;
    }
    ddoc *d = calloc(1, sizeof(*d));
    if (d == NULL || (d->bucket = strdup(bucket)) == NULL || (d->name = strdup(name)) == NULL) {
        if (d != NULL) {
            free(d->bucket);
            free(d);
        }
        json_decref(doc);
        return -2;
    }
    d->doc = doc;
    d->next = v->head;
    v->head = d;
    return 0;
}

/* ---------------------------------------------------------------- view response */

typedef struct view_stream {
    mock_view_result res;
    size_t next;
    int phase; /* 0 header, 1 rows, 2 done */
} view_stream;

static int append_row(mock_strbuf *out, const mock_view_row *r, int reduced)
{
    int rc = 0;
    if (!reduced) {
        rc |= mock_q_append_str(out, "{\"id\":");
        rc |= mock_q_append_json(out, r->id);
        rc |= mock_q_append_str(out, ",\"key\":");
    } else {
        rc |= mock_q_append_str(out, "{\"key\":");
    }
    rc |= mock_q_append_json(out, r->key);
    rc |= mock_q_append_str(out, ",\"value\":");
    rc |= mock_q_append_json(out, r->value);
    rc |= mock_q_append_str(out, "}");
    return rc;
}

static int view_produce(void *ctx, mock_strbuf *out, size_t max)
{
    view_stream *s = ctx;
    size_t start = out->len;
    if (s->phase == 0) {
        char head[64];
        if (s->res.reduced) {
            snprintf(head, sizeof(head), "{\"rows\":[\r\n");
        } else {
            snprintf(head, sizeof(head), "{\"total_rows\":%zu,\"rows\":[\r\n", s->res.total_rows);
        }
        if (mock_q_append_str(out, head) != 0) {
            return -1;
        }
        s->phase = 1;
    }
    while (s->phase == 1 && s->next < s->res.rows.n && out->len - start < max) {
        if ((s->next > 0 && mock_q_append_str(out, ",\r\n") != 0) ||
            append_row(out, &s->res.rows.v[s->next], s->res.reduced) != 0) {
            return -1;
        }
        s->next++;
    }
    if (s->phase == 1 && s->next == s->res.rows.n) {
        if (mock_q_append_str(out, "\r\n]\r\n}\r\n") != 0) {
            return -1;
        }
        s->phase = 2;
    }
    return s->phase == 2 ? 0 : 1;
}

static void view_stream_free(void *ctx)
{
    view_stream *s = ctx;
    if (s != NULL) {
        mock_view_result_clear(&s->res);
        free(s);
    }
}

static int error_reply(int status, const char *error, const char *reason, int *http_status,
                       mock_http_producer *out)
{
    if (mock_q_error_producer(out, error, reason) != 0) {
        return MOCK_VIEWS_NOMEM;
    }
    *http_status = status;
    return MOCK_VIEWS_HANDLED;
}

static int query_view(mock_bucket *b, const json_t *view, const char *query, const char *body, size_t nbody,
                      int *http_status, mock_http_producer *out)
{
    char err[512];
    mock_view_opts o;
    mock_view_opts_rc orc = mock_view_opts_parse(&o, query, query ? strlen(query) : 0, body, nbody, err,
                                                 sizeof(err));
    if (orc != MOCK_VIEW_OPTS_OK) {
        mock_view_opts_clear(&o);
        return orc == MOCK_VIEW_OPTS_BAD ? error_reply(400, "query_parse_error", err, http_status, out)
                                         : MOCK_VIEWS_NOMEM;
    }
    const char *map = json_string_value(json_object_get(view, "map"));
    const char *red = json_string_value(json_object_get(view, "reduce"));
    int nomem = 0;
    mock_view_js *js = mock_view_js_new(map, red != NULL && red[0] != '_' ? red : NULL, err, sizeof(err), &nomem);
    view_stream *s = js != NULL ? calloc(1, sizeof(*s)) : NULL;
    mock_view_rows index = {0};
    int rc = MOCK_VIEWS_NOMEM;
    if (js == NULL && !nomem) {
        rc = error_reply(500, "map_error", err, http_status, out);
    } else if (s != NULL && mock_view_js_map(js, b, &index, NULL, err, sizeof(err)) != 0) {
        rc = error_reply(500, "error", err, http_status, out);
    } else if (s != NULL) {
        mock_view_exec_rc erc = mock_view_exec(&o, &index, red, js, &s->res, err, sizeof(err));
        if (erc == MOCK_VIEW_EXEC_BAD_QUERY) {
            rc = error_reply(400, "query_parse_error", err, http_status, out);
        } else if (erc == MOCK_VIEW_EXEC_REDUCE_ERR) {
            rc = error_reply(500, "reduce_error", err, http_status, out);
        } else if (erc == MOCK_VIEW_EXEC_OK) {
            out->produce = view_produce;
            out->free = view_stream_free;
            out->ctx = s;
            s = NULL;
            *http_status = 200;
            rc = MOCK_VIEWS_HANDLED;
        }
    }
    view_stream_free(s);
    mock_view_rows_clear(&index);
    mock_view_js_free(js);
    mock_view_opts_clear(&o);
    return rc;
}

/* ---------------------------------------------------------------- routing */

#define MAX_PARTS 6

static int split_path(const char *path, char **parts, int *nparts, int *bad)
{
    *nparts = 0;
    *bad = 0;
    const char *p = path;
    while (*p == '/') {
        p++;
    }
    while (*p != '\0') {
        const char *e = strchr(p, '/');
        size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
        if (*nparts == MAX_PARTS || n > MAX_NAME) {
            *bad = 1;
            return -1;
        }
        parts[*nparts] = mock_q_url_decode(p, n, NULL, bad);
        if (parts[*nparts] == NULL) {
            return -1;
        }
        (*nparts)++;
        p += n;
        while (*p == '/') {
            p++;
        }
    }
    return 0;
}

static int ddoc_request(mock_views *v, const char *method, const char *bucket, const char *name, const char *body,
                        size_t nbody, int *http_status, mock_http_producer *out)
{
    char id[MAX_NAME + 16], err[512];
    snprintf(id, sizeof(id), "_design/%s", name);
    ddoc **p = find_ddoc(v, bucket, name);
    if (strcmp(method, "PUT") == 0) {
        int rc = mock_views_put_ddoc(v, bucket, name, body != NULL ? body : "", body != NULL ? nbody : 0, err,
                                     sizeof(err));
        if (rc == -2) {
            return MOCK_VIEWS_NOMEM;
        }
        if (rc != 0) {
            return error_reply(400, "invalid_design_document", err, http_status, out);
        }
        *http_status = 201;
        return mock_q_json_producer(out, json_pack("{s:b, s:s}", "ok", 1, "id", id)) == 0 ? MOCK_VIEWS_HANDLED
                                                                                          : MOCK_VIEWS_NOMEM;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 && strcmp(method, "DELETE") != 0) {
        return error_reply(405, "method_not_allowed", "Only DELETE,GET,HEAD,PUT allowed", http_status, out);
    }
    if (p == NULL) {
        return error_reply(404, "not_found", "missing", http_status, out);
    }
    if (strcmp(method, "DELETE") == 0) {
        ddoc *d = *p;
        *p = d->next;
        ddoc_free(d);
        *http_status = 200;
        return mock_q_json_producer(out, json_pack("{s:b, s:s}", "ok", 1, "id", id)) == 0 ? MOCK_VIEWS_HANDLED
                                                                                          : MOCK_VIEWS_NOMEM;
    }
    *http_status = 200;
    return mock_q_json_producer(out, json_incref((*p)->doc)) == 0 ? MOCK_VIEWS_HANDLED : MOCK_VIEWS_NOMEM;
}

static int route(mock_views *v, mock_cluster *c, const char *method, char **parts, int nparts, const char *query,
                 const char *body, size_t nbody, int *http_status, mock_http_producer *out)
{
    mock_bucket *b = mock_cluster_bucket(c, parts[0]);
    if (b == NULL) {
        return error_reply(404, "not_found", "no_such_bucket", http_status, out);
    }
    if (nparts == 3) {
        return ddoc_request(v, method, parts[0], parts[2], body, nbody, http_status, out);
    }
    if (nparts != 5 || strcmp(parts[3], "_view") != 0) {
        return error_reply(404, "not_found", "missing", http_status, out);
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0) {
        return error_reply(405, "method_not_allowed", "Only GET,POST allowed", http_status, out);
    }
    ddoc **p = find_ddoc(v, parts[0], parts[2]);
    if (p == NULL) {
        return error_reply(404, "not_found", "missing", http_status, out);
    }
    json_t *view = json_object_get(json_object_get((*p)->doc, "views"), parts[4]);
    if (view == NULL) {
        return error_reply(404, "not_found", "missing_named_view", http_status, out);
    }
    return query_view(b, view, query, strcmp(method, "POST") == 0 ? body : NULL, nbody, http_status, out);
}

int mock_views_handle(mock_views *v, mock_cluster *c, const char *method, const char *path, const char *query,
                      const char *body, size_t nbody, int *http_status, mock_http_producer *out)
{
    char *parts[MAX_PARTS] = {0};
    int nparts = 0, bad = 0;
    int rc = MOCK_VIEWS_NOT_MINE;
    if (split_path(path, parts, &nparts, &bad) != 0) {
        rc = bad ? error_reply(400, "bad_request", "invalid path", http_status, out) : MOCK_VIEWS_NOMEM;
        /* a malformed path is only ours if it looks like a view path */
        if (bad && strstr(path, "/_design/") == NULL) {
            if (rc == MOCK_VIEWS_HANDLED) {
                out->free(out->ctx);
            }
            rc = MOCK_VIEWS_NOT_MINE;
        }
    } else if (nparts >= 3 && strcmp(parts[1], "_design") == 0) {
        rc = route(v, c, method, parts, nparts, query, body, nbody, http_status, out);
    }
    for (int i = 0; i < nparts; i++) {
        free(parts[i]);
    }
    return rc;
}
