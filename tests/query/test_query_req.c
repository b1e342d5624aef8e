/* N1QL bodies and view paths carry every option, correctly encoded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "query/n1ql_req.h"
#include "query/view_req.h"
#include "sofa/status.h"

/* Build a body and compare it as JSON with @p want. */
static void expect_body(const sofa__n1ql_req *req, const char *want)
{
    char *body = NULL;
    size_t len = 0;
    char err[200] = "";
    int rc = sofa__n1ql_body(req, &body, &len, err, sizeof(err));
    if (rc != 0) {
        fail_msg("build failed: %d %s", rc, err);
    }
    assert_int_equal(len, strlen(body));
    json_t *got = json_loads(body, 0, NULL);
    json_t *exp = json_loads(want, 0, NULL);
    assert_non_null(got);
    assert_non_null(exp);
    if (!json_equal(got, exp)) {
        fail_msg("got %s\nwant %s", body, want);
    }
    json_decref(got);
    json_decref(exp);
    free(body);
}

static void adhoc_statement_with_defaults(void **state)
{
    (void)state;
    sofa__n1ql_req req = {.mode = SOFA__N1QL_ADHOC, .statement = "SELECT 1", .context_id = "c1"};
    expect_body(&req, "{\"statement\":\"SELECT 1\",\"client_context_id\":\"c1\"}");
    req.timeout_us = 75000000;
    expect_body(&req, "{\"statement\":\"SELECT 1\",\"client_context_id\":\"c1\","
                      "\"timeout\":\"75000000us\"}");
}

static void every_option_is_sent(void **state)
{
    (void)state;
    const char *args[] = {"1", "\"two\"", "{\"three\":[3]}"};
    sofa_query_param named[] = {{"$a", "true"}, {"b", "null"}};
    sofa_mutation_token toks[] = {
        {5, 1234, 10}, {5, 1234, 12}, {5, 1234, 11}, {7, 99, 1}, {9, 0, 100} /* no token */};
    sofa_query_opts o = SOFA_QUERY_OPTS_INIT;
    o.args = args;
    o.nargs = 3;
    o.named = named;
    o.nnamed = 2;
    o.consistency = SOFA_SCAN_AT_PLUS;
    o.tokens = toks;
    o.ntokens = 5;
    o.scan_wait = "50ms";
    o.readonly = 1;
    o.raw = "{\"max_parallelism\":4,\"pretty\":false}";
    char err[200];
    assert_int_equal(sofa__n1ql_check_opts("SELECT $1", &o, err, sizeof(err)), 0);
    sofa__n1ql_req req = {.mode = SOFA__N1QL_ADHOC,
                          .statement = "SELECT $1",
                          .bucket = "travel",
                          .context_id = "ctx",
                          .timeout_us = 1500,
                          .opts = &o};
    expect_body(&req, "{\"statement\":\"SELECT $1\",\"client_context_id\":\"ctx\","
                      "\"timeout\":\"1500us\",\"args\":[1,\"two\",{\"three\":[3]}],"
                      "\"$a\":true,\"$b\":null,\"scan_consistency\":\"at_plus\","
                      "\"scan_vectors\":{\"travel\":{\"5\":[12,\"1234\"],\"7\":[1,\"99\"]}},"
                      "\"scan_wait\":\"50ms\",\"readonly\":true,\"max_parallelism\":4,"
                      "\"pretty\":false}");
    o.consistency = SOFA_SCAN_REQUEST_PLUS;
    o.raw = NULL;
    o.nargs = o.nnamed = 0;
    o.scan_wait = NULL;
    o.readonly = 0;
    expect_body(&req, "{\"statement\":\"SELECT $1\",\"client_context_id\":\"ctx\","
                      "\"timeout\":\"1500us\",\"scan_consistency\":\"request_plus\"}");
}

static void prepared_modes(void **state)
{
    (void)state;
    const char *args[] = {"42"};
    sofa_query_opts o = SOFA_QUERY_OPTS_INIT;
    o.args = args;
    o.nargs = 1;
    sofa__n1ql_req req = {
        .mode = SOFA__N1QL_PREPARE, .statement = "SELECT $1", .context_id = "x", .opts = &o};
    /* classic PREPARE carries no parameters */
    expect_body(&req, "{\"statement\":\"PREPARE SELECT $1\",\"client_context_id\":\"x\"}");
    req.mode = SOFA__N1QL_PREPARE_EXECUTE;
    expect_body(&req, "{\"statement\":\"PREPARE SELECT $1\",\"auto_execute\":true,"
                      "\"client_context_id\":\"x\",\"args\":[42]}");
    req.mode = SOFA__N1QL_EXECUTE;
    req.prepared = "p1";
    req.encoded_plan = "UExBTg==";
    expect_body(&req, "{\"prepared\":\"p1\",\"encoded_plan\":\"UExBTg==\","
                      "\"client_context_id\":\"x\",\"args\":[42]}");
    req.encoded_plan = NULL;
    expect_body(&req, "{\"prepared\":\"p1\",\"client_context_id\":\"x\",\"args\":[42]}");
    req.prepared = NULL;
    char *body;
    size_t len;
    char err[100];
    assert_int_equal(sofa__n1ql_body(&req, &body, &len, err, sizeof(err)), SOFA_E_INVALID_ARGUMENT);
    assert_null(body);
}

static void bad_options_are_rejected_with_a_reason(void **state)
{
    (void)state;
    char err[200];
    sofa_query_opts o = SOFA_QUERY_OPTS_INIT;
    assert_int_equal(sofa__n1ql_check_opts("", &o, err, sizeof(err)), SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(sofa__n1ql_check_opts(NULL, NULL, err, sizeof(err)), SOFA_E_INVALID_ARGUMENT);
    const char *badargs[] = {"{nope"};
    o.args = badargs;
    o.nargs = 1;
    assert_int_equal(sofa__n1ql_check_opts("S", &o, err, sizeof(err)), SOFA_E_INVALID_ARGUMENT);
    assert_non_null(strstr(err, "positional parameter 1"));
    o.nargs = 0;
    sofa_query_param named[] = {{"$", "1"}};
    o.named = named;
    o.nnamed = 1;
    assert_int_equal(sofa__n1ql_check_opts("S", &o, err, sizeof(err)), SOFA_E_INVALID_ARGUMENT);
    assert_non_null(strstr(err, "no name"));
    o.nnamed = 0;
    o.consistency = SOFA_SCAN_AT_PLUS;
    assert_int_equal(sofa__n1ql_check_opts("S", &o, err, sizeof(err)), SOFA_E_INVALID_ARGUMENT);
    assert_non_null(strstr(err, "token"));
    o.consistency = (sofa_scan_consistency)7;
    assert_int_equal(sofa__n1ql_check_opts("S", &o, err, sizeof(err)), SOFA_E_INVALID_ARGUMENT);
    o.consistency = SOFA_SCAN_NOT_BOUNDED;
    o.raw = "[1]";
    assert_int_equal(sofa__n1ql_check_opts("S", &o, err, sizeof(err)), SOFA_E_INVALID_ARGUMENT);
    o.raw = NULL;
    o.nargs = 2; /* NULL array */
    o.args = NULL;
    assert_int_equal(sofa__n1ql_check_opts("S", &o, err, sizeof(err)), SOFA_E_INVALID_ARGUMENT);
    o.nargs = 0;
    o.struct_size = 3;
    assert_int_equal(sofa__n1ql_check_opts("S", &o, err, sizeof(err)), SOFA_E_INVALID_ARGUMENT);
    o.struct_size = sizeof(o);
    assert_int_equal(sofa__n1ql_check_opts("S", &o, err, sizeof(err)), 0);
}

static void view_path(const char *prefix, const char *ddoc, const char *view,
                      const sofa_view_opts *o, const char *want_path, const char *want_body)
{
    sofa__view_req r;
    char err[200] = "";
    int rc = sofa__view_req_build(prefix, ddoc, view, o, &r, err, sizeof(err));
    if (rc != 0) {
        fail_msg("build failed: %d %s", rc, err);
    }
    assert_string_equal(r.path, want_path);
    if (want_body) {
        assert_non_null(r.body);
        assert_string_equal(r.body, want_body);
        assert_int_equal(r.nbody, strlen(want_body));
    } else {
        assert_null(r.body);
    }
    sofa__view_req_free(&r);
}

static void view_every_option_encoded(void **state)
{
    (void)state;
    view_path("/default", "beer", "by_name", NULL, "/default/_design/beer/_view/by_name", NULL);
    view_path("/default", "_design/dev_x y", "v/1", NULL, "/default/_design/dev_x%20y/_view/v%2F1",
              NULL);
    sofa_view_opts o = SOFA_VIEW_OPTS_INIT;
    o.startkey = "[\"a&b\", 1]";
    o.endkey = "\"z\\u00e9\"";
    o.startkey_docid = "doc 1";
    o.endkey_docid = "doc+2";
    o.inclusive_end = SOFA_FALSE;
    o.descending = SOFA_TRUE;
    o.reduce = SOFA_FALSE;
    o.group = SOFA_TRUE;
    o.limit = 10;
    o.skip = 5;
    o.group_level = 2;
    o.stale = SOFA_STALE_UPDATE_AFTER;
    o.on_error = SOFA_VIEW_ON_ERROR_STOP;
    view_path("/b", "d", "v", &o,
              "/b/_design/d/_view/v?startkey=%5B%22a%26b%22%2C1%5D&endkey=%22z%C3%A9%22"
              "&startkey_docid=doc%201&endkey_docid=doc%2B2&inclusive_end=false&descending=true"
              "&reduce=false&group=true&limit=10&skip=5&group_level=2&stale=update_after"
              "&on_error=stop",
              NULL);
    sofa_view_opts k = SOFA_VIEW_OPTS_INIT;
    k.key = "42";
    k.stale = SOFA_STALE_OK;
    view_path("/b", "d", "v", &k, "/b/_design/d/_view/v?key=42&stale=ok", NULL);
    k.stale = SOFA_STALE_FALSE;
    k.key = NULL;
    const char *keys[] = {"\"k1\"", "[1, 2]", "null"};
    k.keys = keys;
    k.nkeys = 3;
    view_path("/b", "d", "v", &k, "/b/_design/d/_view/v?stale=false",
              "{\"keys\":[\"k1\",[1,2],null]}");
}

static void view_bad_options(void **state)
{
    (void)state;
    sofa__view_req r;
    char err[200];
    assert_int_equal(sofa__view_req_build("/b", "", "v", NULL, &r, err, sizeof(err)),
                     SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(sofa__view_req_build("/b", "d", NULL, NULL, &r, err, sizeof(err)),
                     SOFA_E_INVALID_ARGUMENT);
    sofa_view_opts o = SOFA_VIEW_OPTS_INIT;
    o.startkey = "not json";
    assert_int_equal(sofa__view_req_build("/b", "d", "v", &o, &r, err, sizeof(err)),
                     SOFA_E_INVALID_ARGUMENT);
    assert_non_null(strstr(err, "startkey"));
    assert_null(r.path);
    o.startkey = NULL;
    o.descending = (sofa_tristate)9;
    assert_int_equal(sofa__view_req_build("/b", "d", "v", &o, &r, err, sizeof(err)),
                     SOFA_E_INVALID_ARGUMENT);
    o.descending = SOFA_DEFAULT;
    const char *keys[] = {"1", "{bad"};
    o.keys = keys;
    o.nkeys = 2;
    assert_int_equal(sofa__view_req_build("/b", "d", "v", &o, &r, err, sizeof(err)),
                     SOFA_E_INVALID_ARGUMENT);
    assert_non_null(strstr(err, "key 2"));
    o.key = "1";
    o.nkeys = 1;
    assert_int_equal(sofa__view_req_build("/b", "d", "v", &o, &r, err, sizeof(err)),
                     SOFA_E_INVALID_ARGUMENT);
    o.key = NULL;
    o.nkeys = 0;
    o.stale = (sofa_view_stale)12;
    assert_int_equal(sofa__view_req_build("/b", "d", "v", &o, &r, err, sizeof(err)),
                     SOFA_E_INVALID_ARGUMENT);
}

static void url_encoding(void **state)
{
    (void)state;
    char buf[8];
    size_t pos = 0;
    assert_int_equal(sofa__url_encode(buf, sizeof(buf), &pos, "a b", 3), 0);
    assert_string_equal(buf, "a%20b");
    assert_int_equal(sofa__url_encode(buf, sizeof(buf), &pos, "/", 1), -1); /* no room */
    assert_int_equal(pos, 5);
    assert_int_equal(sofa__url_encode(buf, sizeof(buf), &pos, "~", 1), 0);
    assert_string_equal(buf, "a%20b~");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(adhoc_statement_with_defaults),
        cmocka_unit_test(every_option_is_sent),
        cmocka_unit_test(prepared_modes),
        cmocka_unit_test(bad_options_are_rejected_with_a_reason),
        cmocka_unit_test(view_every_option_encoded),
        cmocka_unit_test(view_bad_options),
        cmocka_unit_test(url_encoding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
