/* JSON collation (see collation.h). */
#include "collation.h"

#include <string.h>

int mock_collate_type_rank(const json_t *v)
{
    if (v == NULL) {
        return 0;
    }
    switch (json_typeof(v)) {
    case JSON_NULL: return 1;
    case JSON_FALSE: return 2;
    case JSON_TRUE: return 3;
    case JSON_INTEGER:
    case JSON_REAL: return 4;
    case JSON_STRING: return 5;
    case JSON_ARRAY: return 6;
    case JSON_OBJECT: return 7;
    }
    return 8;
}

static int cmp_numbers(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b)) {
        json_int_t x = json_integer_value(a), y = json_integer_value(b);
        return (x > y) - (x < y);
    }
    double x = json_number_value(a), y = json_number_value(b);
    return (x > y) - (x < y);
}

static int cmp_bytes(const char *a, size_t na, const char *b, size_t nb)
{
    size_t n = na < nb ? na : nb;
    int c = n ? memcmp(a, b, n) : 0;
    if (c != 0) {
        return c < 0 ? -1 : 1;
    }
    return (na > nb) - (na < nb);
}

/* ASCII in the order ICU gives view keys (as observed and documented for CouchDB's
 * views, which use ICU the same way): whitespace, punctuation and symbols, digits,
 * letters (case handled separately). */
static const char icu_ascii_order[] = "\t\n\v\f\r `^_-,;:!?.'\"()[]{}@*/\\&#%+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz";

static unsigned primary_of(unsigned cp)
{
    static unsigned char weight[128];
    static int ready;
    if (!ready) {
        for (unsigned i = 0; i < sizeof(icu_ascii_order) - 1; i++) {
            weight[(unsigned char)icu_ascii_order[i]] = (unsigned char)(i + 1);
        }
        ready = 1;
    }
    if (cp < 128) {
        unsigned lower = cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
        return weight[lower] != 0 ? weight[lower] : 0; /* other controls: lowest */
    }
    return 256 + cp;
}

/* Next code point of UTF-8 text (invalid bytes stand for themselves + 0x110000). */
static unsigned next_cp(const unsigned char *s, size_t n, size_t *i)
{
    unsigned c = s[*i];
    size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (len == 0 || *i + len > n) {
        (*i)++;
        return 0x110000 + c;
    }
    unsigned cp = len == 1 ? c : c & (0x7f >> len);
    for (size_t k = 1; k < len; k++) {
        if ((s[*i + k] & 0xc0) != 0x80) {
            (*i)++;
            return 0x110000 + c;
        }
        cp = cp << 6 | (s[*i + k] & 0x3f);
    }
    *i += len;
    return cp;
}

int mock_view_collate_strings(const char *a, size_t na, const char *b, size_t nb)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    for (int level = 1; level <= 2; level++) {
        size_t i = 0, j = 0;
        while (i < na && j < nb) {
            unsigned ca = next_cp(x, na, &i), cb = next_cp(y, nb, &j);
            unsigned wa = level == 1 ? primary_of(ca) : (ca >= 'A' && ca <= 'Z');
            unsigned wb = level == 1 ? primary_of(cb) : (cb >= 'A' && cb <= 'Z');
            if (wa != wb) {
                return wa < wb ? -1 : 1;
            }
        }
        if (level == 1 && (i < na || j < nb)) {
            return i < na ? 1 : -1;
        }
    }
    return cmp_bytes(a, na, b, nb);
}

static int collate(const json_t *a, const json_t *b, int view);

static int cmp_arrays(const json_t *a, const json_t *b, int view)
{
    size_t na = json_array_size(a), nb = json_array_size(b);
    for (size_t i = 0; i < na && i < nb; i++) {
        int c = collate(json_array_get(a, i), json_array_get(b, i), view);
        if (c != 0) {
            return c;
        }
    }
    return (na > nb) - (na < nb);
}

static int cmp_objects(const json_t *a, const json_t *b, int view)
{
    void *ia = json_object_iter((json_t *)a), *ib = json_object_iter((json_t *)b);
    while (ia != NULL && ib != NULL) {
        const char *ka = json_object_iter_key(ia), *kb = json_object_iter_key(ib);
        int c = view ? mock_view_collate_strings(ka, strlen(ka), kb, strlen(kb)) : cmp_bytes(ka, strlen(ka), kb, strlen(kb));
        if (c != 0) {
            return c;
        }
        c = collate(json_object_iter_value(ia), json_object_iter_value(ib), view);
        if (c != 0) {
            return c;
        }
        ia = json_object_iter_next((json_t *)a, ia);
        ib = json_object_iter_next((json_t *)b, ib);
    }
    return (ia != NULL) - (ib != NULL);
}

static int collate(const json_t *a, const json_t *b, int view)
{
    int ra = mock_collate_type_rank(a), rb = mock_collate_type_rank(b);
    if (ra != rb) {
        return ra < rb ? -1 : 1;
    }
    switch (ra) {
    case 4: return cmp_numbers(a, b);
    case 5:
        return view ? mock_view_collate_strings(json_string_value(a), json_string_length(a), json_string_value(b),
                                                json_string_length(b))
                    : cmp_bytes(json_string_value(a), json_string_length(a), json_string_value(b),
                                json_string_length(b));
    case 6: return cmp_arrays(a, b, view);
    case 7: return cmp_objects(a, b, view);
    default: return 0;
    }
}

int mock_collate(const json_t *a, const json_t *b)
{
    return collate(a, b, 0);
}

int mock_view_collate(const json_t *a, const json_t *b)
{
    return collate(a, b, 1);
}
