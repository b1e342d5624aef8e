/* view-stream: query a view with include_docs and print each row with its document.
 *   view-stream [CONNSTR [DDOC VIEW [USER PASSWORD]]]
 *   e.g. view-stream couchbase://127.0.0.1/beer-sample beer brewery_beers */
#include <stdio.h>

#include <sofa/sofa.h>
#include <sofa/view.h>

static int failed;

static void on_rows(sofa_client *c, const sofa_view_row *rows, size_t n, void *cookie)
{
    (void)c, (void)cookie;
    for (size_t i = 0; i < n; i++) { /* in index order, each with its document */
        printf("%.*s\n", (int)rows[i].len, rows[i].json);
        if (rows[i].doc)
            printf("    doc: %.*s\n", (int)rows[i].ndoc, (const char *)rows[i].doc);
        else if (rows[i].id)
            printf("    doc: %s\n", sofa_strerror(rows[i].doc_status));
    }
}

static void on_done(sofa_client *c, const sofa_query_meta *meta, void *cookie)
{
    (void)c, (void)cookie;
    printf("-- %llu rows; %s\n", (unsigned long long)meta->nrows, meta->json);
}

static void on_error(sofa_client *c, sofa_status st, const sofa_query_meta *meta, void *cookie)
{
    (void)c, (void)cookie;
    failed = 1;
    fprintf(stderr, "view failed: %s: %s\n", sofa_status_name(st), meta->error_msg);
}

int main(int argc, char **argv)
{
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = argc > 1 ? argv[1] : "couchbase://127.0.0.1/default";
    const char *ddoc = argc > 3 ? argv[2] : "beers";
    const char *view = argc > 3 ? argv[3] : "by_name";
    o.username = argc > 5 ? argv[4] : "Administrator";
    o.password = argc > 5 ? argv[5] : "password";
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
    sofa_view_opts vo = SOFA_VIEW_OPTS_INIT;
    vo.reduce = SOFA_FALSE;
    vo.limit = 10;
    vo.include_docs = 1;     /* documents fetched over KV ... */
    vo.docs_concurrency = 4; /* ... at most 4 at a time, rows kept in order */
    static const sofa_view_callbacks cbs = {on_rows, on_done, on_error};
    rc = sofa_view_start(c, ddoc, view, &vo, &cbs, NULL, NULL);
    if (rc != 0) {
        fprintf(stderr, "cannot start the view query: %s\n", sofa_strerror(rc));
        sofa_client_free(c);
        return 1;
    }
    sofa_client_wait(c);
    sofa_client_free(c);
    return failed;
}
