/* n1ql-stream: run a N1QL statement and print each row as it arrives, then the metadata.
 *   n1ql-stream [CONNSTR [STATEMENT [USER PASSWORD]]]
 *   e.g. n1ql-stream couchbase://127.0.0.1/default "SELECT * FROM default LIMIT 5" */
#include <stdio.h>

#include <sofa/sofa.h>
#include <sofa/query.h>

typedef struct progress {
    size_t rows;
    int failed;
} progress;

static void on_rows(sofa_client *c, const sofa_row *rows, size_t n, void *cookie)
{
    progress *p = cookie;
    (void)c;
    for (size_t i = 0; i < n; i++) /* borrowed: valid only during this call */
        printf("%.*s\n", (int)rows[i].len, rows[i].json);
    p->rows += n;
}

static void on_done(sofa_client *c, const sofa_query_meta *meta, void *cookie)
{
    progress *p = cookie;
    (void)c;
    printf("-- %zu rows, status %s\n%s\n", p->rows, meta->status, meta->json);
}

static void on_error(sofa_client *c, sofa_status st, const sofa_query_meta *meta, void *cookie)
{
    progress *p = cookie;
    (void)c;
    p->failed = 1;
    fprintf(stderr, "query failed after %zu rows: %s: %s (code %lld)\n", p->rows,
            sofa_status_name(st), meta->error_msg, (long long)meta->error_code);
}

int main(int argc, char **argv)
{
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = argc > 1 ? argv[1] : "couchbase://127.0.0.1/default";
    const char *statement = argc > 2 ? argv[2] : "SELECT * FROM default LIMIT 10";
    o.username = argc > 4 ? argv[3] : "Administrator";
    o.password = argc > 4 ? argv[4] : "password";
    sofa_client *c;
    char err[256];
    int rc = sofa_client_new(&c, &o, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", sofa_status_name(rc), err);
        return 1;
    }
    rc = sofa_client_connect(c, NULL, NULL); /* the query waits for the bootstrap */
    if (rc != 0) {
        fprintf(stderr, "connect: %s\n", sofa_strerror(rc));
        sofa_client_free(c);
        return 1;
    }
    static const sofa_query_callbacks cbs = {on_rows, on_done, on_error};
    sofa_query_opts qo = SOFA_QUERY_OPTS_INIT;
    qo.consistency = SOFA_SCAN_REQUEST_PLUS;
    progress p = {0, 0};
    rc = sofa_query_start(c, statement, &qo, &cbs, &p, NULL);
    if (rc != 0) {
        fprintf(stderr, "cannot start the query: %s\n", sofa_strerror(rc));
        sofa_client_free(c);
        return 1;
    }
    sofa_client_wait(c); /* rows are printed from inside the loop as they arrive */
    sofa_client_free(c);
    return p.failed;
}
