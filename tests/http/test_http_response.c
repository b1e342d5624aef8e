/* The HTTP response reader gives the same head and body however the bytes are split. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http/response.h"
#include "sofa/status.h"

typedef struct seen {
    int heads;
    sofa__http_head head;
    char ctype[300];
    char body[4096];
    size_t body_len;
    int fail_body_with; /* a callback error to return */
} seen;

static int on_head(void *arg, const sofa__http_head *h)
{
    seen *s = arg;
    s->heads++;
    s->head = *h;
    strcpy(s->ctype, h->content_type);
    return 0;
}

static int on_body(void *arg, const char *data, size_t len)
{
    seen *s = arg;
    if (s->fail_body_with) {
        return s->fail_body_with;
    }
    assert_true(s->body_len + len <= sizeof(s->body));
    memcpy(s->body + s->body_len, data, len);
    s->body_len += len;
    return 0;
}

/* Feed @p text in pieces at the given split points; return the final state. */
static int feed_split(sofa__http_response *r, const char *text, size_t len, size_t step,
                      size_t first, size_t *used)
{
    size_t off = 0;
    int rc = SOFA__HTTP_READING;
    *used = 0;
    while (off < len) {
        size_t n = off == 0 && first ? first : step;
        if (n > len - off) {
            n = len - off;
        }
        size_t c = 0;
        rc = sofa__http_response_feed(r, text + off, n, &c);
        *used += c;
        if (rc != SOFA__HTTP_READING) {
            return rc;
        }
        off += n;
    }
    return rc;
}

static void parse_all_ways(const char *text, int want_status, const char *want_body,
                           int want_keep_alive, const char *want_ctype)
{
    size_t len = strlen(text);
    for (size_t mode = 0; mode < 2 + len; mode++) {
        seen s;
        memset(&s, 0, sizeof(s));
        sofa__http_response_cbs cbs = {on_head, on_body, &s};
        sofa__http_response r;
        sofa__http_response_init(&r, &cbs, 0);
        size_t used = 0;
        int rc;
        if (mode == 0) {
            rc = feed_split(&r, text, len, len, 0, &used); /* all at once */
        } else if (mode == 1) {
            rc = feed_split(&r, text, len, 1, 0, &used); /* byte by byte */
        } else {
            rc = feed_split(&r, text, len, len, mode - 1, &used); /* one split point */
        }
        if (rc == SOFA__HTTP_READING) {
            rc = sofa__http_response_eof(&r);
        } else {
            assert_int_equal(used, len);
        }
        assert_int_equal(rc, SOFA__HTTP_DONE);
        assert_int_equal(s.heads, 1);
        assert_int_equal(s.head.status, want_status);
        assert_int_equal(s.body_len, strlen(want_body));
        assert_memory_equal(s.body, want_body, s.body_len);
        assert_int_equal(sofa__http_response_keep_alive(&r), want_keep_alive);
        assert_string_equal(s.ctype, want_ctype);
    }
}

static void content_length_body_any_split(void **state)
{
    (void)state;
    parse_all_ways("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                   "Content-Length: 13\r\n\r\n{\"ok\": true }",
                   200, "{\"ok\": true }", 1, "application/json");
}

static void chunked_body_is_decoded_any_split(void **state)
{
    (void)state;
    parse_all_ways("HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n"
                   "5\r\nhello\r\n1;ext=1\r\n \r\nb\r\nworld chunk\r\n0\r\nX-Trailer: 1\r\n\r\n",
                   404, "hello world chunk", 1, "text/plain");
}

static void connection_close_and_http10_end_keep_alive(void **state)
{
    (void)state;
    parse_all_ways("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi", 200, "hi",
                   0, "");
    parse_all_ways("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", 200, "hi", 0, "");
    parse_all_ways("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi", 200,
                   "hi", 1, "");
}

static void body_until_close_completes_on_eof(void **state)
{
    (void)state;
    parse_all_ways("HTTP/1.1 200 OK\r\nContent-Type: a/b\r\n\r\nuntil the end", 200,
                   "until the end", 0, "a/b");
}

static void interim_100_continue_is_skipped(void **state)
{
    (void)state;
    parse_all_ways(
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx", 201, "x",
        1, "");
}

static void head_fields_are_reported(void **state)
{
    (void)state;
    seen s;
    memset(&s, 0, sizeof(s));
    sofa__http_response_cbs cbs = {on_head, on_body, &s};
    sofa__http_response r;
    sofa__http_response_init(&r, &cbs, 0);
    assert_null(sofa__http_response_head(&r));
    const char *t = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
    size_t used;
    assert_int_equal(sofa__http_response_feed(&r, t, strlen(t), &used), SOFA__HTTP_READING);
    const sofa__http_head *h = sofa__http_response_head(&r);
    assert_non_null(h);
    assert_int_equal(h->content_length, 5);
    assert_int_equal(h->chunked, 0);
    assert_int_equal(h->http_major, 1);
    assert_int_equal(h->http_minor, 1);
    /* Truncated body: EOF is an error, not a short success. */
    assert_int_equal(sofa__http_response_feed(&r, "abc", 3, &used), SOFA__HTTP_READING);
    assert_int_equal(sofa__http_response_eof(&r), SOFA_E_HTTP);
    assert_string_not_equal(sofa__http_response_error(&r), "");
    assert_int_equal(sofa__http_response_keep_alive(&r), 0);
}

static void bytes_after_the_response_are_not_consumed(void **state)
{
    (void)state;
    seen s;
    memset(&s, 0, sizeof(s));
    sofa__http_response_cbs cbs = {on_head, on_body, &s};
    sofa__http_response r;
    sofa__http_response_init(&r, &cbs, 0);
    const char *t = "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\n";
    size_t used;
    assert_int_equal(sofa__http_response_feed(&r, t, strlen(t), &used), SOFA__HTTP_DONE);
    assert_int_equal(used, strlen("HTTP/1.1 204 No Content\r\n\r\n"));
    assert_int_equal(s.head.status, 204);
    /* Further feeding is a no-op reporting DONE. */
    assert_int_equal(sofa__http_response_feed(&r, "x", 1, &used), SOFA__HTTP_DONE);
    assert_int_equal(used, 0);
}

static void response_to_head_has_no_body(void **state)
{
    (void)state;
    seen s;
    memset(&s, 0, sizeof(s));
    sofa__http_response_cbs cbs = {on_head, on_body, &s};
    sofa__http_response r;
    sofa__http_response_init(&r, &cbs, 1);
    const char *t = "HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n";
    size_t used;
    assert_int_equal(sofa__http_response_feed(&r, t, strlen(t), &used), SOFA__HTTP_DONE);
    assert_int_equal(s.body_len, 0);
    assert_int_equal(s.head.content_length, 500);
}

static void malformed_input_is_a_clear_error(void **state)
{
    (void)state;
    static const char *bad[] = {
        "garbage\r\n\r\n",
        "HTTP/2.0 200 OK\r\n\r\n",
        "HTTP/1.1 2x0 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sofa__http_response r;
        sofa__http_response_init(&r, NULL, 0);
        size_t used;
        int rc = sofa__http_response_feed(&r, bad[i], strlen(bad[i]), &used);
        assert_int_equal(rc, SOFA_E_HTTP);
        assert_non_null(strstr(sofa__http_response_error(&r), "malformed"));
        /* sticky */
        assert_int_equal(sofa__http_response_feed(&r, "x", 1, &used), SOFA_E_HTTP);
        assert_int_equal(sofa__http_response_eof(&r), SOFA_E_HTTP);
    }
}

static void oversized_head_is_rejected(void **state)
{
    (void)state;
    sofa__http_response r;
    sofa__http_response_init(&r, NULL, 0);
    size_t used;
    const char *start = "HTTP/1.1 200 OK\r\n";
    assert_int_equal(sofa__http_response_feed(&r, start, strlen(start), &used), SOFA__HTTP_READING);
    char line[1024];
    memset(line, 'a', sizeof(line));
    memcpy(line, "X-Big: ", 7);
    line[sizeof(line) - 2] = '\r';
    line[sizeof(line) - 1] = '\n';
    int rc = SOFA__HTTP_READING;
    for (int i = 0; i < 200 && rc == SOFA__HTTP_READING; i++) {
        rc = sofa__http_response_feed(&r, line, sizeof(line), &used);
    }
    assert_int_equal(rc, SOFA_E_HTTP);
    assert_non_null(strstr(sofa__http_response_error(&r), "larger than"));
}

static void oversized_content_type_is_rejected(void **state)
{
    (void)state;
    char text[1024];
    char val[400];
    memset(val, 'x', sizeof(val) - 1);
    val[sizeof(val) - 1] = '\0';
    snprintf(text, sizeof(text), "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n\r\n", val);
    sofa__http_response r;
    sofa__http_response_init(&r, NULL, 0);
    size_t used;
    assert_int_equal(sofa__http_response_feed(&r, text, strlen(text), &used), SOFA_E_HTTP);
    assert_non_null(strstr(sofa__http_response_error(&r), "Content-Type"));
}

static void callback_error_stops_the_reader(void **state)
{
    (void)state;
    seen s;
    memset(&s, 0, sizeof(s));
    s.fail_body_with = SOFA_E_ROW_TOO_LARGE;
    sofa__http_response_cbs cbs = {on_head, on_body, &s};
    sofa__http_response r;
    sofa__http_response_init(&r, &cbs, 0);
    const char *t = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde";
    size_t used;
    assert_int_equal(sofa__http_response_feed(&r, t, strlen(t), &used), SOFA_E_ROW_TOO_LARGE);
    assert_int_equal(sofa__http_response_eof(&r), SOFA_E_ROW_TOO_LARGE);
}

static void eof_before_any_byte_is_connection_closed(void **state)
{
    (void)state;
    sofa__http_response r;
    sofa__http_response_init(&r, NULL, 0);
    assert_int_equal(sofa__http_response_eof(&r), SOFA_E_CONNECTION_CLOSED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(content_length_body_any_split),
        cmocka_unit_test(chunked_body_is_decoded_any_split),
        cmocka_unit_test(connection_close_and_http10_end_keep_alive),
        cmocka_unit_test(body_until_close_completes_on_eof),
        cmocka_unit_test(interim_100_continue_is_skipped),
        cmocka_unit_test(head_fields_are_reported),
        cmocka_unit_test(bytes_after_the_response_are_not_consumed),
        cmocka_unit_test(response_to_head_has_no_body),
        cmocka_unit_test(malformed_input_is_a_clear_error),
        cmocka_unit_test(oversized_head_is_rejected),
        cmocka_unit_test(oversized_content_type_is_rejected),
        cmocka_unit_test(callback_error_stops_the_reader),
        cmocka_unit_test(eof_before_any_byte_is_connection_closed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
