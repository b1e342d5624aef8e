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

static int cmp_arrays(const json_t *a, const json_t *b)
{
    size_t na = json_array_size(a), nb = json_array_size(b);
    for (size_t i = 0; i < na && i < nb; i++) {
        int c = mock_collate(json_array_get(a, i), json_array_get(b, i));
        if (c != 0) {
            return c;
        }
    }
    return (na > nb) - (na < nb);
}

static int cmp_objects(const json_t *a, const json_t *b)
{
    void *ia = json_object_iter((json_t *)a), *ib = json_object_iter((json_t *)b);
    while (ia != NULL && ib != NULL) {
        const char *ka = json_object_iter_key(ia), *kb = json_object_iter_key(ib);
        int c = cmp_bytes(ka, strlen(ka), kb, strlen(kb));
        if (c != 0) {
            return c;
        }
        c = mock_collate(json_object_iter_value(ia), json_object_iter_value(ib));
        if (c != 0) {
            return c;
        }
        ia = json_object_iter_next((json_t *)a, ia);
        ib = json_object_iter_next((json_t *)b, ib);
    }
    return (ia != NULL) - (ib != NULL);
}

int mock_collate(const json_t *a, const json_t *b)
{
    int ra = mock_collate_type_rank(a), rb = mock_collate_type_rank(b);
    if (ra != rb) {
        return ra < rb ? -1 : 1;
    }
    switch (ra) {
    case 4: return cmp_numbers(a, b);
    case 5: return cmp_bytes(json_string_value(a), json_string_length(a), json_string_value(b),
                             json_string_length(b));
    case 6: return cmp_arrays(a, b);
    case 7: return cmp_objects(a, b);
    default: return 0;
    }
}
