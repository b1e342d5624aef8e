/* Sans-I/O parser for view query options (URL query string + optional POST body). */
#ifndef SOFA_TOOLS_MOCK_VIEW_QUERY_H
#define SOFA_TOOLS_MOCK_VIEW_QUERY_H

#include <jansson.h>
#include <stddef.h>

#define MOCK_VIEW_QUERY_MAX 65536   /* longest query string accepted */
#define MOCK_VIEW_BODY_MAX (1 << 20) /* longest POST body accepted */

typedef struct mock_view_opts {
    json_t *key;           /* key=JSON, NULL if absent */
    json_t *keys;          /* keys=JSON array or POST {"keys":[..]}, NULL if absent */
    json_t *startkey;      /* NULL if absent */
    json_t *endkey;        /* NULL if absent */
    char *startkey_docid;  /* NULL if absent */
    char *endkey_docid;    /* NULL if absent */
    int inclusive_end;     /* default 1 */
    int descending;        /* default 0 */
    long long limit;       /* -1 = none */
    long long skip;        /* default 0 */
    int reduce;            /* -1 = not given, else 0/1 */
    int group;             /* default 0 */
    int group_level;       /* -1 = not given */
} mock_view_opts;

typedef enum mock_view_opts_rc {
    MOCK_VIEW_OPTS_OK = 0,
    MOCK_VIEW_OPTS_BAD = -1, /* err holds the query_parse_error reason */
    MOCK_VIEW_OPTS_NOMEM = -2
} mock_view_opts_rc;

/* Parse `query` (the part after '?', may be NULL) and the POST `body` (may be NULL;
 * if non-empty it must be a JSON object whose only used member is "keys").
 * Known options: key keys startkey endkey start_key end_key startkey_docid
 * endkey_docid inclusive_end descending limit skip reduce group group_level stale
 * on_error debug full_set connection_timeout; others are ignored like the server does.
 * On any return *o is initialized and must be released with mock_view_opts_clear(). */
mock_view_opts_rc mock_view_opts_parse(mock_view_opts *o, const char *query, size_t nquery,
                                       const char *body, size_t nbody, char *err, size_t nerr);
void mock_view_opts_clear(mock_view_opts *o);

#endif /* SOFA_TOOLS_MOCK_VIEW_QUERY_H */
