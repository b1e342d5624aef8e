/* N1QL and view responses map to specific statuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "query/qcore.h"
#include "sofa/status.h"

static int n1ql(int http, const char *meta_text, int64_t *code, char *msg, size_t msglen)
{
    json_t *meta = json_loads(meta_text, 0, NULL);
    assert_non_null(meta);
    const char *m;
    int st = sofa__n1ql_classify(http, meta, code, &m);
    assert_non_null(m);
    strncpy(msg, m, msglen - 1);
    msg[msglen - 1] = '\0';
    json_decref(meta);
    return st;
}

static void n1ql_error_codes(void **state)
{
    static const struct {
        int64_t code;
        int status;
    } map[] = {
        {3000, SOFA_E_QUERY_SYNTAX},   {12003, SOFA_E_QUERY_KEYSPACE_NOT_FOUND},
        {4040, SOFA_E_QUERY_PREPARED}, {4050, SOFA_E_QUERY_PREPARED},
        {4060, SOFA_E_QUERY_PREPARED}, {4070, SOFA_E_QUERY_PREPARED},
        {4080, SOFA_E_QUERY_PREPARED}, {4090, SOFA_E_QUERY_PREPARED},
        {1080, SOFA_E_QUERY_TIMEOUT},  {13014, SOFA_E_ACCESS_DENIED},
        {1065, SOFA_E_QUERY_ERROR},    {5000, SOFA_E_QUERY_ERROR},
        {12004, SOFA_E_QUERY_ERROR},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        char text[200], msg[100];
        snprintf(text, sizeof(text),
                 "{\"errors\":[{\"code\":%lld,\"msg\":\"m%lld\"},{\"code\":1}]}",
                 (long long)map[i].code, (long long)map[i].code);
        int64_t code = 0;
        assert_int_equal(n1ql(200, text, &code, msg, sizeof(msg)), map[i].status);
        assert_int_equal(code, map[i].code);
        char want[32];
        snprintf(want, sizeof(want), "m%lld", (long long)map[i].code);
        assert_string_equal(msg, want);
    }
    int64_t code;
    char msg[100];
    assert_int_equal(n1ql(500,
                          "{\"errors\":[{\"code\":12009,\"msg\":\"DML Error, possible causes "
                          "include CAS mismatch\"}]}",
                          &code, msg, sizeof(msg)),
                     SOFA_E_CAS_MISMATCH);
    assert_true(sofa__n1ql_prepared_retryable(4040) && sofa__n1ql_prepared_retryable(4050) &&
                sofa__n1ql_prepared_retryable(4070) && !sofa__n1ql_prepared_retryable(4060));
}

static void n1ql_without_error_list(void **state)
{
    int64_t code;
    char msg[100];
    assert_int_equal(n1ql(200, "{\"status\":\"success\"}", &code, msg, sizeof(msg)), 0);
    assert_int_equal(code, 0);
    assert_int_equal(n1ql(200, "{}", &code, msg, sizeof(msg)), 0);
    assert_int_equal(n1ql(200, "{\"status\":\"timeout\"}", &code, msg, sizeof(msg)),
                     SOFA_E_QUERY_TIMEOUT);
    assert_int_equal(n1ql(200, "{\"status\":\"fatal\"}", &code, msg, sizeof(msg)),
                     SOFA_E_QUERY_ERROR);
    assert_int_equal(n1ql(401, "{}", &code, msg, sizeof(msg)), SOFA_E_AUTH_FAILED);
    assert_int_equal(n1ql(503, "{\"status\":\"success\"}", &code, msg, sizeof(msg)),
                     SOFA_E_HTTP_STATUS);
    /* an error entry without a code or message is still an error */
    assert_int_equal(n1ql(200, "{\"errors\":[{}]}", &code, msg, sizeof(msg)), SOFA_E_QUERY_ERROR);
    assert_true(strlen(msg) > 0);
}

static char vmsg[100];

static int view(int http, const char *text, const char **msg)
{
    json_t *meta = json_loads(text, 0, NULL);
    assert_non_null(meta);
    const char *m;
    int st = sofa__view_classify(http, meta, &m);
    snprintf(vmsg, sizeof(vmsg), "%s", m); /* m is borrowed from meta */
    *msg = vmsg;
    json_decref(meta);
    return st;
}

static void view_statuses(void **state)
{
    const char *msg;
    assert_int_equal(view(200, "{\"total_rows\":0,\"rows\":[]}", &msg), 0);
    assert_int_equal(
        view(200, "{\"rows\":[],\"errors\":[{\"from\":\"a\",\"reason\":\"b\"}]}", &msg),
        0); /* per-node errors: the caller reads them in the metadata */
    assert_int_equal(view(404, "{\"error\":\"not_found\",\"reason\":\"missing\"}", &msg),
                     SOFA_E_VIEW_NOT_FOUND);
    assert_int_equal(view(400, "{\"error\":\"query_parse_error\",\"reason\":\"bad\"}", &msg),
                     SOFA_E_VIEW_ERROR);
    assert_int_equal(view(500, "{\"error\":\"reduce_error\"}", &msg), SOFA_E_VIEW_ERROR);
    assert_string_equal(msg, "reduce_error");
    assert_int_equal(view(401, "{}", &msg), SOFA_E_AUTH_FAILED);
    assert_int_equal(view(403, "{}", &msg), SOFA_E_ACCESS_DENIED);
    assert_int_equal(view(200, "{\"error\":\"x\"}", &msg), SOFA_E_VIEW_ERROR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(n1ql_error_codes),
        cmocka_unit_test(n1ql_without_error_list),
        cmocka_unit_test(view_statuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
