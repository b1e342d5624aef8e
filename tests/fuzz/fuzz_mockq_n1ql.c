/* libFuzzer target: sofa-mock's N1QL lexer/parser/executor on arbitrary statement
 * text (run as a query against a tiny fixed bucket "b"). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "mockq_fuzz_store.h"
#include "n1ql.h"
#include "n1ql_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mock_cluster c = {{"b"}};
    /* the parser alone, on raw bytes */
    n1ql_arena *a = n1ql_arena_new();
    if (a != NULL) {
        n1ql_stmt *st = NULL;
        char err[256];
        if (n1ql_parse(a, (const char *)data, size, &st, err, sizeof(err)) == 0) {
            n1ql_stmt_release(st);
        }
        n1ql_arena_free(a);
    }
    /* the whole service, as a request */
    json_t *body = json_object();
    json_t *stmt = json_stringn((const char *)data, size);
    if (body == NULL || stmt == NULL) {
        json_decref(body);
        json_decref(stmt);
        return 0;
    }
    json_object_set_new(body, "statement", stmt);
    json_object_set_new(body, "args", json_pack("[i, s, [s, s]]", 30, "user", "u1", "u2"));
    json_object_set_new(body, "$name", json_string("alice"));
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    mock_n1ql *q = mock_n1ql_new();
    if (text != NULL && q != NULL) {
        mock_http_producer p;
        int status = 0;
        if (mock_n1ql_handle(q, &c, "POST", "/query/service", text, strlen(text), &status, &p) == 0) {
            fuzz_drain(&p);
        }
    }
    mock_n1ql_free(q);
    free(text);
    return 0;
}
