/* The row splitter hands over the same rows and metadata however the body is split. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http/rowsplit.h"
#include "sofa/status.h"

typedef struct rows_seen {
    char text[8192]; /* rows joined with '\n' */
    size_t len;
    size_t count;
    size_t stop_after; /* 0: never stop */
    size_t max_len;
    const char *pend[64]; /* batch mode: rows of the current feed */
    size_t pend_len[64];
    size_t npend;
} rows_seen;

static void keep_row(rows_seen *s, const char *row, size_t len)
{
    assert_true(s->len + len + 1 <= sizeof(s->text));
    memcpy(s->text + s->len, row, len);
    s->len += len;
    s->text[s->len++] = '\n';
    s->text[s->len] = '\0';
}

/* Batch mode: remember the pointers only; copy when the batch ends, which
 * checks that rows stay valid until the end of the feed. */
static int remember(void *arg, const char *row, size_t len)
{
    rows_seen *s = arg;
    assert_true(s->npend < 64);
    s->pend[s->npend] = row;
    s->pend_len[s->npend++] = len;
    s->count++;
    return 0;
}

static int flush_batch(void *arg)
{
    rows_seen *s = arg;
    assert_true(s->npend > 0);
    for (size_t i = 0; i < s->npend; i++) {
        keep_row(s, s->pend[i], s->pend_len[i]);
    }
    s->npend = 0;
    return 0;
}

static int collect(void *arg, const char *row, size_t len)
{
    rows_seen *s = arg;
    keep_row(s, row, len);
    s->count++;
    if (len > s->max_len) {
        s->max_len = len;
    }
    if (s->stop_after && s->count == s->stop_after) {
        return SOFA_E_CANCELED;
    }
    return 0;
}

/* Split @p doc at the points in @p cuts (ascending, 0 terminated); check rows and meta. */
static void run_split_mode(const char *key, const char *doc, const size_t *cuts, size_t ncuts,
                           const char *want_rows, const char *want_meta, int batch)
{
    rows_seen s;
    memset(&s, 0, sizeof(s));
    sofa__rowsplit rs;
    assert_int_equal(sofa__rowsplit_init(&rs, key, 0, batch ? remember : collect, &s), 0);
    if (batch) {
        sofa__rowsplit_set_batch_cb(&rs, flush_batch);
    }
    size_t len = strlen(doc), from = 0;
    for (size_t k = 0; k <= ncuts; k++) {
        size_t to = k < ncuts ? cuts[k] : len;
        assert_int_equal(sofa__rowsplit_feed(&rs, doc + from, to - from), 0);
        from = to;
    }
    json_t *meta = NULL;
    int rc = sofa__rowsplit_finish(&rs, &meta);
    if (rc != 0) {
        fail_msg("finish: %s", sofa__rowsplit_error(&rs));
    }
    assert_string_equal(s.text, want_rows);
    assert_int_equal(sofa__rowsplit_rows(&rs), s.count);
    json_t *want = json_loads(want_meta, 0, NULL);
    assert_non_null(want);
    if (!json_equal(meta, want)) {
        char *got = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);
        fail_msg("meta differs: %s", got);
    }
    json_decref(want);
    json_decref(meta);
    sofa__rowsplit_free(&rs);
}

static void run_split(const char *key, const char *doc, const size_t *cuts, size_t ncuts,
                      const char *want_rows, const char *want_meta)
{
    run_split_mode(key, doc, cuts, ncuts, want_rows, want_meta, 0);
    run_split_mode(key, doc, cuts, ncuts, want_rows, want_meta, 1);
}

/* Whole, byte by byte, every single split point, and every pair of split points. */
static void split_every_way(const char *key, const char *doc, const char *want_rows,
                            const char *want_meta)
{
    size_t len = strlen(doc);
    run_split(key, doc, NULL, 0, want_rows, want_meta);
    size_t *all = malloc(sizeof(size_t) * (len + 1));
    assert_non_null(all);
    for (size_t i = 1; i < len; i++) {
        all[i - 1] = i;
    }
    run_split(key, doc, all, len ? len - 1 : 0, want_rows, want_meta);
    for (size_t i = 0; i <= len; i++) {
        size_t cut[1] = {i};
        run_split(key, doc, cut, 1, want_rows, want_meta);
    }
    for (size_t i = 0; i <= len; i += 3) {
        for (size_t j = i; j <= len; j += 5) {
            size_t cut[2] = {i, j};
            run_split(key, doc, cut, 2, want_rows, want_meta);
        }
    }
    free(all);
}

static const char n1ql_doc[] =
    "{\n  \"requestID\": \"6c4b\",\n  \"signature\": {\"*\": \"*\"},\n"
    "  \"results\": [ {\"name\": \"a\\\"]}\", \"n\": [1, 2.5e-3, -0, {}]},\n"
    "  \"str\\\\ing\\u00e9\" , 12 , -3.25E+2, true, false, null, [], [[\"x\"]], "
    "{\"results\":[9]}\n],\n"
    "  \"status\": \"success\",\n"
    "  \"metrics\": {\"elapsedTime\": \"1.2ms\", \"resultCount\": 11, \"resultSize\": 99}\n}\n";

static void n1ql_rows_any_split(void **state)
{
    (void)state;
    split_every_way("results", n1ql_doc,
                    "{\"name\": \"a\\\"]}\", \"n\": [1, 2.5e-3, -0, {}]}\n"
                    "\"str\\\\ing\\u00e9\"\n12\n-3.25E+2\ntrue\nfalse\nnull\n[]\n[[\"x\"]]\n"
                    "{\"results\":[9]}\n",
                    "{\"requestID\":\"6c4b\",\"signature\":{\"*\":\"*\"},\"results\":[],"
                    "\"status\":\"success\",\"metrics\":{\"elapsedTime\":\"1.2ms\","
                    "\"resultCount\":11,\"resultSize\":99}}");
}

static void view_rows_any_split(void **state)
{
    (void)state;
    split_every_way(
        "rows",
        "{\"total_rows\":3,\"rows\":[\r\n{\"id\":\"k1\",\"key\":[1,\"a\"],\"value\":null},"
        "\r\n{\"id\":\"k2\",\"key\":2,\"value\":{\"rows\":[]}}\r\n],\r\n"
        "\"errors\":[{\"from\":\"n2\",\"reason\":\"timeout\"}]}",
        "{\"id\":\"k1\",\"key\":[1,\"a\"],\"value\":null}\n"
        "{\"id\":\"k2\",\"key\":2,\"value\":{\"rows\":[]}}\n",
        "{\"total_rows\":3,\"rows\":[],\"errors\":[{\"from\":\"n2\","
        "\"reason\":\"timeout\"}]}");
}

static void empty_and_missing_rows(void **state)
{
    (void)state;
    split_every_way("results", "{\"results\":[],\"status\":\"success\"}", "",
                    "{\"results\":[],\"status\":\"success\"}");
    split_every_way("results", "{\"errors\":[{\"code\":3000,\"msg\":\"syntax\"}]}", "",
                    "{\"errors\":[{\"code\":3000,\"msg\":\"syntax\"}]}");
    /* "results" that is not an array, or nested deeper, is metadata */
    split_every_way("results", "{\"results\":null,\"x\":{\"results\":[1]}}", "",
                    "{\"results\":null,\"x\":{\"results\":[1]}}");
    split_every_way("rows", "{}", "", "{}");
}

static int feed_all(sofa__rowsplit *rs, const char *doc, json_t **meta)
{
    int rc = sofa__rowsplit_feed(rs, doc, strlen(doc));
    if (rc == 0) {
        rc = sofa__rowsplit_finish(rs, meta);
    }
    return rc;
}

static void malformed_json_is_an_error(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "[1,2]",
        "\"results\"",
        "{\"results\":[1,]}",
        "{\"results\":[01]}",
        "{\"results\":[1.]}",
        "{\"results\":[1e]}",
        "{\"results\":[-]}",
        "{\"results\":[tru]}",
        "{\"results\":[nul1]}",
        "{\"results\":[\"a\\x\"]}",
        "{\"results\":[\"\\u12G4\"]}",
        "{\"results\":[\"tab\there\"]}",
        "{\"results\":[{]}",
        "{\"results\":[{\"a\" 1}]}",
        "{\"results\":[{\"a\":1,}]}",
        "{\"results\":[}",
        "{\"a\":1 \"b\":2}",
        "{\"a\":1}}",
        "{\"a\":1} x",
        "{\"a\":1",
        "{\"results\":[1,2",
        "{a:1}",
        "{\"a\":.5}",
        "{\"a\":\"\xff\"}", /* bad UTF-8 in metadata: jansson rejects it */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rows_seen s;
        memset(&s, 0, sizeof(s));
        sofa__rowsplit rs;
        assert_int_equal(sofa__rowsplit_init(&rs, "results", 0, collect, &s), 0);
        json_t *meta = (json_t *)1;
        int rc = feed_all(&rs, bad[i], &meta);
        if (rc != SOFA_E_JSON) {
            fail_msg("case %zu (%s) gave %d", i, bad[i], rc);
        }
        assert_non_null(strstr(sofa__rowsplit_error(&rs), "JSON"));
        /* errors are sticky */
        assert_int_equal(sofa__rowsplit_feed(&rs, "{", 1), SOFA_E_JSON);
        sofa__rowsplit_free(&rs);
    }
}

static void every_truncation_is_an_error(void **state)
{
    (void)state;
    size_t len = strlen(n1ql_doc);
    for (size_t cut = 0; cut < len; cut++) {
        /* trailing whitespace after '}' is not a truncation */
        size_t k = cut;
        while (k < len && strchr(" \n", n1ql_doc[k])) {
            k++;
        }
        if (k == len && cut > 0 && n1ql_doc[cut - 1] == '}') {
            continue;
        }
        rows_seen s;
        memset(&s, 0, sizeof(s));
        sofa__rowsplit rs;
        assert_int_equal(sofa__rowsplit_init(&rs, "results", 0, collect, &s), 0);
        assert_int_equal(sofa__rowsplit_feed(&rs, n1ql_doc, cut), 0);
        json_t *meta = NULL;
        assert_int_equal(sofa__rowsplit_finish(&rs, &meta), SOFA_E_JSON);
        assert_null(meta);
        sofa__rowsplit_free(&rs);
    }
}

static void row_larger_than_limit_fails(void **state)
{
    (void)state;
    const char *doc = "{\"results\":[\"0123456789\",\"012345678901234567890\"]}";
    for (size_t step = 1; step <= strlen(doc); step++) {
        rows_seen s;
        memset(&s, 0, sizeof(s));
        sofa__rowsplit rs;
        assert_int_equal(sofa__rowsplit_init(&rs, "results", 16, collect, &s), 0);
        int rc = 0;
        for (size_t off = 0; off < strlen(doc) && rc == 0; off += step) {
            size_t n = strlen(doc) - off < step ? strlen(doc) - off : step;
            rc = sofa__rowsplit_feed(&rs, doc + off, n);
        }
        assert_int_equal(rc, SOFA_E_ROW_TOO_LARGE);
        assert_int_equal(s.count, 1); /* the first row fitted */
        assert_true(rs.row_cap <= 16);
        json_t *meta = NULL;
        assert_int_equal(sofa__rowsplit_finish(&rs, &meta), SOFA_E_ROW_TOO_LARGE);
        sofa__rowsplit_free(&rs);
    }
}

static void nesting_limit(void **state)
{
    (void)state;
    size_t n = SOFA__ROWSPLIT_MAX_DEPTH + 10;
    char *doc = malloc(2 * n + 64);
    assert_non_null(doc);
    for (size_t depth = SOFA__ROWSPLIT_MAX_DEPTH - 1; depth <= SOFA__ROWSPLIT_MAX_DEPTH; depth++) {
        /* {"results":[ + (depth-2) '[' + (depth-2) ']' + ]} */
        size_t inner = depth - 2, p = 0;
        p += (size_t)sprintf(doc, "{\"results\":[");
        for (size_t i = 0; i < inner + 1; i++) {
            doc[p++] = '[';
        }
        for (size_t i = 0; i < inner + 1; i++) {
            doc[p++] = ']';
        }
        strcpy(doc + p, "]}");
        rows_seen s;
        memset(&s, 0, sizeof(s));
        sofa__rowsplit rs;
        assert_int_equal(sofa__rowsplit_init(&rs, "results", 0, collect, &s), 0);
        json_t *meta = NULL;
        int rc = feed_all(&rs, doc, &meta);
        /* depth counts the top-level object, the rows array and inner+1 arrays */
        if (depth + 1 <= SOFA__ROWSPLIT_MAX_DEPTH) {
            assert_int_equal(rc, 0);
            assert_int_equal(s.count, 1);
        } else {
            assert_int_equal(rc, SOFA_E_JSON);
            assert_non_null(strstr(sofa__rowsplit_error(&rs), "deep"));
        }
        json_decref(meta);
        sofa__rowsplit_free(&rs);
    }
    free(doc);
}

static void callback_can_stop_the_stream(void **state)
{
    (void)state;
    rows_seen s;
    memset(&s, 0, sizeof(s));
    s.stop_after = 2;
    sofa__rowsplit rs;
    assert_int_equal(sofa__rowsplit_init(&rs, "results", 0, collect, &s), 0);
    assert_int_equal(sofa__rowsplit_feed(&rs, "{\"results\":[1,2,3]}", 19), SOFA_E_CANCELED);
    assert_int_equal(s.count, 2);
    sofa__rowsplit_free(&rs);
}

static void rows_before_an_error_are_handed_over_in_batch_mode(void **state)
{
    (void)state;
    rows_seen s;
    memset(&s, 0, sizeof(s));
    sofa__rowsplit rs;
    assert_int_equal(sofa__rowsplit_init(&rs, "results", 0, remember, &s), 0);
    sofa__rowsplit_set_batch_cb(&rs, flush_batch);
    const char *doc = "{\"results\":[1,[2],{\"b\" 3}]}";
    assert_int_equal(sofa__rowsplit_feed(&rs, doc, strlen(doc)), SOFA_E_JSON);
    assert_string_equal(s.text, "1\n[2]\n");
    sofa__rowsplit_free(&rs);
}

static void bad_arguments(void **state)
{
    (void)state;
    sofa__rowsplit rs;
    assert_int_equal(sofa__rowsplit_init(&rs, NULL, 0, collect, NULL), SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(sofa__rowsplit_init(&rs, "", 0, collect, NULL), SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(sofa__rowsplit_init(&rs, "results", 0, NULL, NULL), SOFA_E_INVALID_ARGUMENT);
    assert_int_equal(
        sofa__rowsplit_init(&rs, "0123456789012345678901234567890123", 0, collect, NULL),
        SOFA_E_INVALID_ARGUMENT);
    sofa__rowsplit_free(&rs);
}

static int count_only(void *arg, const char *row, size_t len)
{
    size_t *n = arg;
    (void)row;
    assert_true(len > 10);
    (*n)++;
    return 0;
}

static void memory_stays_bounded_by_one_row(void **state)
{
    (void)state;
    size_t n = 0;
    sofa__rowsplit rs;
    assert_int_equal(sofa__rowsplit_init(&rs, "results", 0, count_only, &n), 0);
    const char *head = "{\"requestID\":\"x\",\"results\":[";
    assert_int_equal(sofa__rowsplit_feed(&rs, head, strlen(head)), 0);
    char chunk[4096];
    size_t clen = 0;
    for (int i = 0; i < 100000; i++) {
        char row[64];
        int rl =
            snprintf(row, sizeof(row), "%s{\"id\":%d,\"name\":\"row %d\"}", i ? "," : "", i, i);
        if (clen + (size_t)rl > sizeof(chunk)) {
            assert_int_equal(sofa__rowsplit_feed(&rs, chunk, clen), 0);
            clen = 0;
        }
        memcpy(chunk + clen, row, (size_t)rl);
        clen += (size_t)rl;
    }
    assert_int_equal(sofa__rowsplit_feed(&rs, chunk, clen), 0);
    const char *tail = "],\"status\":\"success\"}";
    assert_int_equal(sofa__rowsplit_feed(&rs, tail, strlen(tail)), 0);
    json_t *meta = NULL;
    assert_int_equal(sofa__rowsplit_finish(&rs, &meta), 0);
    assert_int_equal(n, 100000);
    assert_true(rs.row_cap <= 256);  /* one partial row */
    assert_true(rs.meta_cap <= 256); /* the metadata, not the rows */
    assert_string_equal(json_string_value(json_object_get(meta, "status")), "success");
    json_decref(meta);
    sofa__rowsplit_free(&rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(n1ql_rows_any_split),
        cmocka_unit_test(view_rows_any_split),
        cmocka_unit_test(empty_and_missing_rows),
        cmocka_unit_test(malformed_json_is_an_error),
        cmocka_unit_test(every_truncation_is_an_error),
        cmocka_unit_test(row_larger_than_limit_fails),
        cmocka_unit_test(nesting_limit),
        cmocka_unit_test(callback_can_stop_the_stream),
        cmocka_unit_test(rows_before_an_error_are_handed_over_in_batch_mode),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(memory_stays_bounded_by_one_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
