/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
#include "http/rowsplit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sofa/status.h"

/* What the tokenizer expects next. */
enum {
    ST_START = 0,    /* before the top-level object */
    ST_VALUE,        /* a value (after ':' or ',' in an array) */
    ST_VALUE_OR_END, /* a value or ']' (just after '[') */
    ST_KEY,          /* a key string (after ',' in an object) */
    ST_KEY_OR_END,   /* a key or '}' (just after '{') */
    ST_COLON,        /* ':' after a key */
    ST_AFTER_VALUE,  /* ',' or the closing bracket */
    ST_STRING,       /* inside a string */
    ST_NUMBER,       /* inside a number */
    ST_LITERAL,      /* inside true/false/null */
    ST_DONE          /* the top-level object closed: only whitespace may follow */
};

/* Inside a number: which part has been read. */
enum { N_MINUS, N_ZERO, N_INT, N_DOT, N_FRAC, N_E, N_ESIGN, N_EXP };

/* Where the current piece's pending spans start. */
typedef struct chunk {
    const char *data;
    size_t len;
    size_t meta_from; /* meta bytes run from here to the current position */
    size_t row_from;  /* the active row's bytes in this piece start here */
} chunk;

static int set_error(sofa__rowsplit *rs, int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int set_error(sofa__rowsplit *rs, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rs->errmsg, sizeof(rs->errmsg), fmt, ap);
    va_end(ap);
    rs->failed = status;
    return status;
}

static int json_error(sofa__rowsplit *rs, size_t pos, const char *what)
{
    return set_error(rs, SOFA_E_JSON, "malformed JSON at byte %llu: %s",
                     (unsigned long long)(rs->offset + pos), what);
}

int sofa__rowsplit_init(sofa__rowsplit *rs, const char *rows_key, size_t max_row,
                        sofa__row_cb on_row, void *arg)
{
    memset(rs, 0, sizeof(*rs));
    if (!rows_key || !on_row) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    size_t klen = strlen(rows_key);
    if (klen == 0 || klen > SOFA__ROWSPLIT_MAX_KEY || max_row > SOFA__ROWSPLIT_MAX_ROW_LIMIT) {
        return SOFA_E_INVALID_ARGUMENT;
    }
    memcpy(rs->rows_key, rows_key, klen);
    rs->rows_key_len = klen;
    rs->max_row = max_row ? max_row : SOFA__ROWSPLIT_DEFAULT_MAX_ROW;
    rs->on_row = on_row;
    rs->arg = arg;
    rs->state = ST_START;
    return 0;
}

void sofa__rowsplit_free(sofa__rowsplit *rs)
{
    free(rs->rowbuf);
    free(rs->meta);
    rs->rowbuf = NULL;
    rs->meta = NULL;
    rs->row_len = rs->row_cap = rs->meta_len = rs->meta_cap = 0;
}

const char *sofa__rowsplit_error(const sofa__rowsplit *rs)
{
    return rs->errmsg;
}

/* Append to a growing buffer bounded by @p limit. */
static int append(sofa__rowsplit *rs, char **buf, size_t *blen, size_t *bcap, const char *src,
                  size_t n, size_t limit, const char *what)
{
    if (n == 0) {
        return 0;
    }
    if (n > limit || *blen > limit - n) {
        return set_error(rs, SOFA_E_ROW_TOO_LARGE, "%s larger than %zu bytes", what, limit);
    }
    size_t need = *blen + n;
    if (need > *bcap) {
        size_t cap = *bcap ? *bcap : 256;
        if (cap > limit) {
            cap = limit;
        }
        while (cap < need) {
            cap = cap > limit / 2 ? limit : cap * 2;
        }
        char *p = realloc(*buf, cap);
        if (!p) {
            return set_error(rs, SOFA_E_NO_MEMORY, "out of memory buffering %s", what);
        }
        *buf = p;
        *bcap = cap;
    }
    memcpy(*buf + *blen, src, n);
    *blen += n;
    return 0;
}

static int meta_append(sofa__rowsplit *rs, const char *src, size_t n)
{
    return append(rs, &rs->meta, &rs->meta_len, &rs->meta_cap, src, n, SOFA__ROWSPLIT_MAX_META,
                  "response metadata");
}

/* The active row ends just before @p end (exclusive) in the current piece. */
static int row_end(sofa__rowsplit *rs, chunk *c, size_t end)
{
    rs->row_active = 0;
    size_t part = end - c->row_from;
    int rc;
    if (rs->row_len == 0) { /* the whole row is in this piece: no copy */
        if (part > rs->max_row) {
            return set_error(rs, SOFA_E_ROW_TOO_LARGE, "row larger than %zu bytes", rs->max_row);
        }
        rs->nrows++;
        rs->batch_pending = 1;
        rc = rs->on_row(rs->arg, c->data + c->row_from, part);
    } else {
        rc = append(rs, &rs->rowbuf, &rs->row_len, &rs->row_cap, c->data + c->row_from, part,
                    rs->max_row, "row");
        if (rc != 0) {
            return rc;
        }
        rs->nrows++;
        rs->batch_pending = 1;
        rc = rs->on_row(rs->arg, rs->rowbuf, rs->row_len);
        rs->row_len = 0; /* bytes stay until the end of this feed: only appended to there */
    }
    if (rc != 0) {
        rs->cb_stopped = 1;
        return set_error(rs, rc < 0 ? rc : SOFA_E_INTERNAL, "stopped by the row callback");
    }
    return 0;
}

/* A value has just been completed; @p end is one past its last byte. */
static int value_done(sofa__rowsplit *rs, chunk *c, size_t end)
{
    rs->state = rs->depth == 0 ? ST_DONE : ST_AFTER_VALUE;
    if (rs->row_active && rs->depth == 2) {
        return row_end(rs, c, end);
    }
    return 0;
}

/* A value starts with byte @p ch at position @p i. */
static int value_start(sofa__rowsplit *rs, chunk *c, size_t i, char ch)
{
    int opens_rows = 0;
    if (rs->depth == 0 && ch != '{') {
        return json_error(rs, i, "the response is not a JSON object");
    }
    if (rs->in_rows && rs->depth == 2) {
        rs->row_active = 1;
        c->row_from = i;
        rs->row_len = 0;
    } else if (rs->depth == 1 && rs->key_is_rows && ch == '[') {
        opens_rows = 1;
    }
    rs->key_is_rows = 0;
    switch (ch) {
    case '{':
    case '[':
        if (rs->depth >= SOFA__ROWSPLIT_MAX_DEPTH) {
            return json_error(rs, i, "nested too deeply");
        }
        rs->stack[rs->depth++] = (uint8_t)ch;
        rs->state = ch == '{' ? ST_KEY_OR_END : ST_VALUE_OR_END;
        if (opens_rows) {
            /* keep "[" in the metadata, leave the elements out */
            int rc = meta_append(rs, c->data + c->meta_from, i + 1 - c->meta_from);
            if (rc != 0) {
                return rc;
            }
            rs->in_rows = 1;
            rs->seen_rows = 1;
        }
        return 0;
    case '"':
        rs->state = ST_STRING;
        rs->str_key = 0;
        rs->str_escape = 0;
        rs->hex_left = 0;
        return 0;
    case 't':
    case 'f':
    case 'n':
        rs->lit = ch == 't' ? "true" : ch == 'f' ? "false" : "null";
        rs->lit_pos = 1;
        rs->state = ST_LITERAL;
        return 0;
    case '-':
        rs->num_state = N_MINUS;
        rs->state = ST_NUMBER;
        return 0;
    default:
        if (ch >= '0' && ch <= '9') {
            rs->num_state = ch == '0' ? N_ZERO : N_INT;
            rs->state = ST_NUMBER;
            return 0;
        }
        return json_error(rs, i, "unexpected character where a value should be");
    }
}

/* A closing bracket @p ch at position @p i. */
static int close_container(sofa__rowsplit *rs, chunk *c, size_t i, char ch)
{
    uint8_t want = ch == '}' ? '{' : '[';
    if (rs->depth == 0 || rs->stack[rs->depth - 1] != want) {
        return json_error(rs, i, "mismatched closing bracket");
    }
    rs->depth--;
    if (rs->in_rows && rs->depth == 1) { /* end of the rows array */
        rs->in_rows = 0;
        c->meta_from = i;
    }
    return value_done(rs, c, i + 1);
}

static int is_ws(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Step through a string; returns the position after the processed bytes. */
static size_t string_bytes(sofa__rowsplit *rs, chunk *c, size_t i, int *rc)
{
    const char *d = c->data;
    size_t n = c->len;
    *rc = 0;
    while (i < n) {
        unsigned char ch = (unsigned char)d[i];
        if (rs->hex_left > 0) {
            int hex =
                (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
            if (!hex) {
                *rc = json_error(rs, i, "bad \\u escape in a string");
                return i;
            }
            rs->hex_left--;
        } else if (rs->str_escape) {
            rs->str_escape = 0;
            if (ch == 'u') {
                rs->hex_left = 4;
            } else if (!strchr("\"\\/bfnrt", ch) || ch == 0) {
                *rc = json_error(rs, i, "bad escape in a string");
                return i;
            }
        } else if (ch == '"') {
            if (rs->str_key) {
                rs->key[rs->key_len] = '\0';
                rs->key_is_rows = rs->depth == 1 && !rs->key_overflow &&
                                  rs->key_len == rs->rows_key_len &&
                                  memcmp(rs->key, rs->rows_key, rs->key_len) == 0;
                rs->state = ST_COLON;
                return i + 1;
            }
            *rc = value_done(rs, c, i + 1);
            return i + 1;
        } else if (ch == '\\') {
            rs->str_escape = 1;
        } else if (ch < 0x20) {
            *rc = json_error(rs, i, "control character in a string");
            return i;
        }
        if (rs->str_key && rs->depth == 1) {
            if (rs->key_len < SOFA__ROWSPLIT_MAX_KEY) {
                rs->key[rs->key_len++] = (char)ch;
            } else {
                rs->key_overflow = 1;
            }
        }
        i++;
    }
    return i;
}

/* One number byte; returns 1 if @p ch belongs to the number, 0 if the number
 * ended before it, -1 on error. */
static int number_byte(sofa__rowsplit *rs, char ch)
{
    int digit = ch >= '0' && ch <= '9';
    switch (rs->num_state) {
    case N_MINUS:
        if (!digit) {
            return -1;
        }
        rs->num_state = ch == '0' ? N_ZERO : N_INT;
        return 1;
    case N_ZERO:
    case N_INT:
        if (digit && rs->num_state == N_INT) {
            return 1;
        }
        if (digit) {
            return -1; /* leading zero */
        }
        if (ch == '.') {
            rs->num_state = N_DOT;
            return 1;
        }
        if (ch == 'e' || ch == 'E') {
            rs->num_state = N_E;
            return 1;
        }
        return 0;
    case N_DOT:
        if (!digit) {
            return -1;
        }
        rs->num_state = N_FRAC;
        return 1;
    case N_FRAC:
        if (digit) {
            return 1;
        }
        if (ch == 'e' || ch == 'E') {
            rs->num_state = N_E;
            return 1;
        }
        return 0;
    case N_E:
        if (ch == '+' || ch == '-') {
            rs->num_state = N_ESIGN;
            return 1;
        }
        /* fallthrough */
    case N_ESIGN:
        if (!digit) {
            return -1;
        }
        rs->num_state = N_EXP;
        return 1;
    default: /* N_EXP */
        return digit ? 1 : 0;
    }
}

/* One byte outside strings; returns 0 or an error. */
static int structural_byte(sofa__rowsplit *rs, chunk *c, size_t i)
{
    char ch = c->data[i];
    switch (rs->state) {
    case ST_NUMBER: {
        int r = number_byte(rs, ch);
        if (r < 0) {
            return json_error(rs, i, "malformed number");
        }
        if (r > 0) {
            return 0;
        }
        int rc = value_done(rs, c, i);
        if (rc != 0) {
            return rc;
        }
        return structural_byte(rs, c, i); /* the delimiter, once more */
    }
    case ST_LITERAL:
        if (ch != rs->lit[rs->lit_pos]) {
            return json_error(rs, i, "unknown literal");
        }
        rs->lit_pos++;
        return rs->lit[rs->lit_pos] == '\0' ? value_done(rs, c, i + 1) : 0;
    default:
        break;
    }
    if (is_ws(ch)) {
        return 0;
    }
    switch (rs->state) {
    case ST_START:
    case ST_VALUE:
        return value_start(rs, c, i, ch);
    case ST_VALUE_OR_END:
        return ch == ']' ? close_container(rs, c, i, ch) : value_start(rs, c, i, ch);
    case ST_KEY_OR_END:
        if (ch == '}') {
            return close_container(rs, c, i, ch);
        }
        /* fallthrough */
    case ST_KEY:
        if (ch != '"') {
            return json_error(rs, i, "expected a key string");
        }
        rs->state = ST_STRING;
        rs->str_key = 1;
        rs->str_escape = 0;
        rs->hex_left = 0;
        rs->key_len = 0;
        rs->key_overflow = 0;
        return 0;
    case ST_COLON:
        if (ch != ':') {
            return json_error(rs, i, "expected ':'");
        }
        rs->state = ST_VALUE;
        return 0;
    case ST_AFTER_VALUE:
        if (ch == ',') {
            rs->state = rs->stack[rs->depth - 1] == '{' ? ST_KEY : ST_VALUE;
            return 0;
        }
        if (ch == '}' || ch == ']') {
            return close_container(rs, c, i, ch);
        }
        return json_error(rs, i, "expected ',' or a closing bracket");
    case ST_DONE:
        return json_error(rs, i, "data after the end of the document");
    default:
        return set_error(rs, SOFA_E_INTERNAL, "row splitter in an unknown state");
    }
}

int sofa__rowsplit_feed(sofa__rowsplit *rs, const char *data, size_t len)
{
    if (rs->failed) {
        return rs->failed;
    }
    chunk c = {data, len, 0, 0};
    size_t i = 0;
    int rc = 0;
    while (i < len) {
        if (rs->state == ST_STRING) {
            i = string_bytes(rs, &c, i, &rc);
        } else {
            rc = structural_byte(rs, &c, i);
            i++;
        }
        if (rc != 0) {
            /* hand over the rows completed before the error, as a split
             * before the bad byte would have */
            if (rs->batch_pending && !rs->cb_stopped && rs->on_batch) {
                rs->batch_pending = 0;
                (void)rs->on_batch(rs->arg);
            }
            return rc;
        }
    }
    if (rs->batch_pending) {
        rs->batch_pending = 0;
        if (rs->on_batch && (rc = rs->on_batch(rs->arg)) != 0) {
            return set_error(rs, rc < 0 ? rc : SOFA_E_INTERNAL, "stopped by the row callback");
        }
    }
    /* carry the unfinished spans over to the next piece (the rows handed over
     * in this feed are no longer needed) */
    if (!rs->in_rows) {
        rc = meta_append(rs, data + c.meta_from, len - c.meta_from);
    }
    if (rc == 0 && rs->row_active) {
        rc = append(rs, &rs->rowbuf, &rs->row_len, &rs->row_cap, data + c.row_from,
                    len - c.row_from, rs->max_row, "row");
    }
    if (rc != 0) {
        return rc;
    }
    rs->offset += len;
    return 0;
}

int sofa__rowsplit_finish(sofa__rowsplit *rs, json_t **meta)
{
    *meta = NULL;
    if (rs->failed) {
        return rs->failed;
    }
    if (rs->state == ST_START) {
        return set_error(rs, SOFA_E_JSON, "malformed JSON: empty response");
    }
    if (rs->state != ST_DONE) {
        return set_error(rs, SOFA_E_JSON, "malformed JSON: response ends early (%llu bytes)",
                         (unsigned long long)rs->offset);
    }
    json_error_t err;
    json_t *doc = json_loadb(rs->meta ? rs->meta : "", rs->meta_len, JSON_ALLOW_NUL, &err);
    if (!doc) {
        if (json_error_code(&err) == json_error_out_of_memory) {
            return set_error(rs, SOFA_E_NO_MEMORY, "out of memory parsing the response metadata");
        }
        return set_error(rs, SOFA_E_JSON, "malformed JSON in response metadata: %s", err.text);
    }
    *meta = doc;
    return 0;
}
