/* Unit tests of the mock's pure helpers: vbucket hashing (PROTOCOL.md §7.1 vectors), base64,
 * query parameters, headers and Basic credentials, the error map, user access rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "http.h"
#include "mock.h"

static void vbucket_hash_matches_protocol_vectors(void **state)
{
    (void)state;
    mock_bucket b;
    memset(&b, 0, sizeof(b));
    static const struct {
        const char *key;
        int vb1024, vb64, vb4;
    } v[] = {{"foo", 115, 51, 3}, {"hello", 528, 16, 0}, {"user:1", 933, 37, 1}, {"key_0", 226, 34, 2}};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        b.nvbuckets = 1024;
        assert_int_equal(mock_vbucket_of(&b, v[i].key, strlen(v[i].key)), v[i].vb1024);
        b.nvbuckets = 64;
        assert_int_equal(mock_vbucket_of(&b, v[i].key, strlen(v[i].key)), v[i].vb64);
        b.nvbuckets = 4;
        assert_int_equal(mock_vbucket_of(&b, v[i].key, strlen(v[i].key)), v[i].vb4);
    }
}

static void base64_round_trip_and_rejects_garbage(void **state)
{
    (void)state;
    char enc[64];
    unsigned char dec[64];
    size_t n = 0;
    assert_int_equal(mock_base64_encode((const unsigned char *)"n,,", 3, enc), 4);
    assert_string_equal(enc, "biws");
    mock_base64_encode((const unsigned char *)"ab", 2, enc);
    assert_string_equal(enc, "YWI=");
    assert_int_equal(mock_base64_decode("YWI=", 4, dec, sizeof(dec), &n), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(dec, "ab", 2);
    assert_int_equal(mock_base64_decode("YWI", 3, dec, sizeof(dec), &n), -1);
    assert_int_equal(mock_base64_decode("Y=WI", 4, dec, sizeof(dec), &n), -1);
    assert_int_equal(mock_base64_decode("YW*=", 4, dec, sizeof(dec), &n), -1);
    assert_int_equal(mock_base64_decode("YWJj", 4, dec, 2, &n), -1); /* no room */
}

static void query_params_are_decoded(void **state)
{
    (void)state;
    char out[16];
    assert_int_equal(mock_http_query_param("node=1&ms=300", "ms", out, sizeof(out)), 0);
    assert_string_equal(out, "300");
    assert_int_equal(mock_http_query_param("nodes=0%2C1+2&x", "nodes", out, sizeof(out)), 0);
    assert_string_equal(out, "0,1 2");
    assert_int_equal(mock_http_query_param("nodes=1", "node", out, sizeof(out)), -1);
    assert_int_equal(mock_http_query_param("x", "x", out, sizeof(out)), 0);
    assert_string_equal(out, "");
    assert_int_equal(mock_http_query_param("a=%4", "a", out, sizeof(out)), 0);
    assert_string_equal(out, "%4");
    assert_int_equal(mock_http_query_param("a=0123456789abcdefghij", "a", out, sizeof(out)), 0);
    assert_int_equal(strlen(out), sizeof(out) - 1);
    assert_int_equal(mock_http_query_param("", "a", out, sizeof(out)), -1);
}

static void headers_and_basic_auth(void **state)
{
    (void)state;
    const char *head = "GET / HTTP/1.1\r\nHost: x\r\ncontent-length: 12\r\n"
                       "Authorization: Basic QWRtaW5pc3RyYXRvcjpwYXNzd29yZA==\r\n\r\n";
    char val[128], user[32], pass[32];
    int ok;
    assert_int_equal(mock_http_header(head, "Content-Length", val, sizeof(val)), 0);
    assert_string_equal(val, "12");
    assert_int_equal(mock_http_header(head, "Connection", val, sizeof(val)), -1);
    assert_int_equal(mock_http_header(head, "Authorization", val, sizeof(val)), 0);
    mock_http_parse_basic(val, user, sizeof(user), pass, sizeof(pass), &ok);
    assert_true(ok);
    assert_string_equal(user, "Administrator");
    assert_string_equal(pass, "password");
    mock_http_parse_basic("Basic !!!!", user, sizeof(user), pass, sizeof(pass), &ok);
    assert_false(ok);
    mock_http_parse_basic("Bearer abc", user, sizeof(user), pass, sizeof(pass), &ok);
    assert_false(ok);
    mock_http_parse_basic("Basic bm9jb2xvbg==", user, sizeof(user), pass, sizeof(pass), &ok); /* "nocolon" */
    assert_false(ok);
    assert_string_equal(mock_http_reason(404), "Not Found");
}

static void error_maps_are_valid_json(void **state)
{
    (void)state;
    for (int v = 1; v <= 2; v++) {
        json_error_t err;
        json_t *js = json_loads(mock_errmap_json(v), 0, &err);
        assert_non_null(js);
        assert_int_equal(json_integer_value(json_object_get(js, "version")), v);
        json_t *errors = json_object_get(js, "errors");
        assert_non_null(json_object_get(errors, "7"));
        assert_non_null(json_object_get(errors, "a3"));
        assert_string_equal(json_string_value(json_object_get(json_object_get(errors, "86"), "name")),
                            "ETMPFAIL");
        json_decref(js);
    }
}

static void access_rules(void **state)
{
    (void)state;
    static mock_cluster c;
    memset(&c, 0, sizeof(c));
    c.nnodes = 1;
    c.nvbuckets = 4;
    snprintf(c.users[0].name, sizeof(c.users[0].name), "alice");
    snprintf(c.users[0].password, sizeof(c.users[0].password), "pw");
    snprintf(c.users[0].buckets, sizeof(c.users[0].buckets), "b1,b3");
    c.nusers = 1;
    mock_bucket *b1 = mock_bucket_new(&c, "b1", NULL, MOCK_BUCKET_COUCHBASE);
    mock_bucket *b2 = mock_bucket_new(&c, "b2", "secret", MOCK_BUCKET_MEMCACHED);
    assert_non_null(b1);
    assert_non_null(b2);
    assert_null(mock_bucket_new(&c, "b1", NULL, MOCK_BUCKET_COUCHBASE)); /* duplicate */
    assert_true(mock_cluster_auth(&c, "alice", "pw"));
    assert_false(mock_cluster_auth(&c, "alice", "pw2"));
    assert_true(mock_cluster_auth(&c, "b1", ""));
    assert_false(mock_cluster_auth(&c, "b2", ""));
    assert_true(mock_cluster_auth(&c, "b2", "secret"));
    assert_false(mock_cluster_auth(&c, "nobody", ""));
    assert_true(mock_cluster_user_can_access(&c, "alice", b1));
    assert_false(mock_cluster_user_can_access(&c, "alice", b2));
    assert_true(mock_cluster_user_can_access(&c, "b2", b2));
    assert_false(mock_cluster_user_can_access(&c, "b2", b1));
    assert_ptr_equal(mock_cluster_bucket(&c, "b2"), b2);
    assert_null(mock_cluster_bucket(&c, "b3"));
    /* the store API */
    assert_int_equal(mock_bucket_store(b1, "k", 1, "{\"a\":1}", 7, 5), 0);
    assert_int_equal(mock_bucket_lookup(b1, "k", 1, NULL, NULL), 0);
    assert_int_equal(mock_bucket_lookup(b1, "x", 1, NULL, NULL), -1);
    assert_int_equal(mock_bucket_store(b1, "", 0, "v", 1, 0), -1);
    for (int i = 0; i < c.nbuckets; i++) {
        mock_store_free(c.buckets[i]);
        free(c.buckets[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vbucket_hash_matches_protocol_vectors),
        cmocka_unit_test(base64_round_trip_and_rejects_garbage),
        cmocka_unit_test(query_params_are_decoded),
        cmocka_unit_test(headers_and_basic_auth),
        cmocka_unit_test(error_maps_are_valid_json),
        cmocka_unit_test(access_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
