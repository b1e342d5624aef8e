/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * Streaming row splitter (sans-I/O).
 *
 * A N1QL response is one JSON object whose "results" array may hold millions
 * of rows; a view response has the same shape with "rows". The splitter is fed
 * the body in pieces of any size. It runs a full JSON tokenizer over the bytes
 * and hands each element of that array to a callback as raw JSON text as soon
 * as the element's last byte has arrived. It keeps only the part of a row that
 * is still incomplete (at most max_row bytes) and the rest of the document (the
 * "metadata": status, errors, metrics, total_rows ...) with the rows array
 * emptied, which sofa__rowsplit_finish() parses with jansson.
 *
 * The rows array is recognised only as the value of the named key directly in
 * the top-level object, written without escapes ("results", not "r\u0065sults").
 */
#ifndef SOFA_HTTP_ROWSPLIT_H
#define SOFA_HTTP_ROWSPLIT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Nesting deeper than this (objects and arrays, top level = 1) is SOFA_E_JSON. */
#define SOFA__ROWSPLIT_MAX_DEPTH 256u
/* Default and hard upper limit for one row (SOFA_E_ROW_TOO_LARGE beyond it). */
#define SOFA__ROWSPLIT_DEFAULT_MAX_ROW (16u * 1024u * 1024u)
#define SOFA__ROWSPLIT_MAX_ROW_LIMIT (256u * 1024u * 1024u)
/* Everything but the rows (SOFA_E_ROW_TOO_LARGE beyond it). */
#define SOFA__ROWSPLIT_MAX_META (16u * 1024u * 1024u)
/* Longest rows-array key name. */
#define SOFA__ROWSPLIT_MAX_KEY 31u

/* Called once per row with the row's raw JSON text. The bytes stay valid until
 * the end of the sofa__rowsplit_feed() call that produced the row (so a caller
 * may collect the rows of one feed and hand them on together, see on_batch).
 * Return 0 to go on or a negative sofa_status to stop the splitter. */
typedef int (*sofa__row_cb)(void *arg, const char *row, size_t len);
/* Optional: called at the end of a feed that produced rows, while they are still
 * valid. Return 0 or a negative sofa_status (which the feed then returns). */
typedef int (*sofa__row_batch_cb)(void *arg);

typedef struct sofa__rowsplit {
    /* configuration */
    char rows_key[SOFA__ROWSPLIT_MAX_KEY + 1];
    size_t rows_key_len;
    size_t max_row;
    sofa__row_cb on_row;
    sofa__row_batch_cb on_batch;
    void *arg;
    int batch_pending; /* rows produced in this feed */
    int cb_stopped;    /* a callback returned an error */
    /* tokenizer */
    uint8_t stack[SOFA__ROWSPLIT_MAX_DEPTH]; /* '{' or '[' per open container */
    unsigned depth;
    int state;      /* what the next byte may be (rowsplit.c) */
    int num_state;  /* inside a number */
    int str_key;    /* the current string is an object key */
    int str_escape; /* after a backslash */
    unsigned hex_left;
    const char *lit; /* literal being matched ("true", "false", "null") */
    unsigned lit_pos;
    /* the top-level key being read */
    char key[SOFA__ROWSPLIT_MAX_KEY + 1];
    size_t key_len;
    int key_overflow;
    int key_is_rows;
    int seen_rows; /* the rows array was found */
    /* rows */
    int in_rows;    /* inside the rows array */
    int row_active; /* a row has started and not ended */
    char *rowbuf;   /* the part of a row that arrived in earlier pieces */
    size_t row_len, row_cap;
    uint64_t nrows;
    /* metadata */
    char *meta;
    size_t meta_len, meta_cap;
    /* status */
    uint64_t offset; /* bytes fed so far */
    int failed;
    char errmsg[160];
} sofa__rowsplit;

/*
 * Initialise. @p rows_key is "results" (N1QL) or "rows" (views), at most
 * SOFA__ROWSPLIT_MAX_KEY bytes. @p max_row 0 = SOFA__ROWSPLIT_DEFAULT_MAX_ROW.
 * @return 0 or SOFA_E_INVALID_ARGUMENT.
 */
int sofa__rowsplit_init(sofa__rowsplit *rs, const char *rows_key, size_t max_row,
                        sofa__row_cb on_row, void *arg);

/* Set the optional end-of-batch callback (same @c arg as on_row). */
static inline void sofa__rowsplit_set_batch_cb(sofa__rowsplit *rs, sofa__row_batch_cb cb)
{
    rs->on_batch = cb;
}

/* Release the buffers. Safe on a zeroed or already released struct. */
void sofa__rowsplit_free(sofa__rowsplit *rs);

/*
 * Feed the next @p len bytes of the body.
 * @return 0; SOFA_E_JSON (malformed JSON; see sofa__rowsplit_error());
 *         SOFA_E_ROW_TOO_LARGE; SOFA_E_NO_MEMORY; or the status the row
 *         callback returned. Errors are sticky.
 */
int sofa__rowsplit_feed(sofa__rowsplit *rs, const char *data, size_t len);

/*
 * The body is complete. Parses the metadata (the document with the rows array
 * emptied) and returns it in *meta (owned by the caller: json_decref()).
 * @return 0, SOFA_E_JSON for a truncated or otherwise malformed document, or
 *         the sticky error of an earlier feed.
 */
int sofa__rowsplit_finish(sofa__rowsplit *rs, json_t **meta);

/* Rows handed over so far. */
static inline uint64_t sofa__rowsplit_rows(const sofa__rowsplit *rs)
{
    return rs->nrows;
}

/* Whether the rows array has been seen (so far). */
static inline int sofa__rowsplit_seen_rows(const sofa__rowsplit *rs)
{
    return rs->seen_rows;
}

/* The message for the last error; "" if none. */
const char *sofa__rowsplit_error(const sofa__rowsplit *rs);

#endif
