/* libFuzzer target: sofa-mock's view query parsing and execution. The input is
 * "QUERYSTRING\nBODY": the query string of a view request and an optional POST body,
 * run against a fixed design document (map + _stats / _count / JS reduce). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mockq_fuzz_store.h"
#include "view_query.h"
#include "views.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char ddoc[] =
    "{\"views\":{"
    "\"m\":{\"map\":\"function(doc, meta){ emit(doc.name, doc.age); emit([doc.type, doc.age], null); }\"},"
    "\"s\":{\"map\":\"function(doc, meta){ if (typeof doc.age == 'number') emit(doc.type, doc.age); }\","
    "\"reduce\":\"_stats\"},"
    "\"j\":{\"map\":\"function(doc, meta){ emit([doc.type, meta.id], 1); }\","
    "\"reduce\":\"function(k, v, r){ return v.length; }\"}}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mock_cluster c = {{"b"}};
    static mock_views *v;
    if (v == NULL) {
        char err[256];
        v = mock_views_new();
        if (v == NULL || mock_views_put_ddoc(v, "b", "d", ddoc, strlen(ddoc), err, sizeof(err)) != 0) {
            return 0;
        }
    }
    const char *in = (const char *)data;
    const char *nl = memchr(in, '\n', size);
    size_t nq = nl != NULL ? (size_t)(nl - in) : size;
    char *query = malloc(nq + 1);
    if (query == NULL) {
        return 0;
    }
    memcpy(query, in, nq);
    query[nq] = '\0';
    const char *body = nl != NULL ? nl + 1 : NULL;
    size_t nbody = nl != NULL ? size - nq - 1 : 0;

    char err[256];
    mock_view_opts o;
    mock_view_opts_parse(&o, in, nq, body, nbody, err, sizeof(err));
    mock_view_opts_clear(&o);

    static const char *const paths[] = {"/b/_design/d/_view/m", "/b/_design/d/_view/s", "/b/_design/d/_view/j"};
    const char *path = paths[size % 3];
    mock_http_producer p;
    int status = 0;
    if (strlen(query) == nq && /* no NUL inside: the HTTP server passes C strings */
        mock_views_handle(v, &c, body != NULL ? "POST" : "GET", path, query, body, nbody, &status, &p) ==
            MOCK_VIEWS_HANDLED) {
        fuzz_drain(&p);
    }
    free(query);
    return 0;
}
