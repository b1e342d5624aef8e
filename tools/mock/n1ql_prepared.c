/* Prepared statements (see n1ql_prepared.h). The encoded plan is base64 of
 * {"v":1,"name":..,"text":..,"check":FNV-1a(name NUL text)}: opaque to clients,
 * verifiable here. */
#include "n1ql_prepared.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query_util.h"

typedef struct entry {
    n1ql_prepared p;
    struct entry *next;
} entry;

struct n1ql_prepared_set {
    entry *head; /* newest first */
    size_t n, max;
    unsigned long long counter;
};

n1ql_prepared_set *n1ql_prepared_new(size_t max)
{
    n1ql_prepared_set *s = calloc(1, sizeof(*s));
    if (s != NULL) {
        s->max = max > 0 ? max : 1;
    }
    return s;
}

static void entry_free(entry *e)
{
    free(e->p.name);
    free(e->p.text);
    free(e->p.plan);
    free(e);
}

void n1ql_prepared_free(n1ql_prepared_set *s)
{
    if (s == NULL) {
        return;
    }
    while (s->head != NULL) {
        entry *e = s->head;
        s->head = e->next;
        entry_free(e);
    }
    free(s);
}

static entry **find(n1ql_prepared_set *s, const char *name)
{
    for (entry **p = &s->head; *p != NULL; p = &(*p)->next) {
        if (strcmp((*p)->p.name, name) == 0) {
            return p;
        }
    }
    return NULL;
}

const n1ql_prepared *n1ql_prepared_find(n1ql_prepared_set *s, const char *name)
{
    entry **p = find(s, name);
    return p != NULL ? &(*p)->p : NULL;
}

const n1ql_prepared *n1ql_prepared_find_text(n1ql_prepared_set *s, const char *text, size_t ntext)
{
    for (entry *e = s->head; e != NULL; e = e->next) {
        if (strlen(e->p.text) == ntext && memcmp(e->p.text, text, ntext) == 0) {
            return &e->p;
        }
    }
    return NULL;
}

static unsigned long long check_of(const char *name, const char *text)
{
    unsigned long long h = 1469598103934665603ull;
    for (const char *p = name;; p++) {
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
        if (*p == '\0') {
            break;
        }
    }
    for (const char *p = text; *p != '\0'; p++) {
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    }
    return h & 0x1fffffffffffffull; /* fits a JSON integer exactly */
}

static char *make_plan(const char *name, const char *text)
{
    json_t *j = json_pack("{s:i, s:s, s:s, s:I}", "v", 1, "name", name, "text", text, "check",
                          (json_int_t)check_of(name, text));
    char *s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    char *b = s != NULL ? mock_q_base64_encode(s, strlen(s)) : NULL;
    free(s);
    return b;
}

int n1ql_plan_decode(const char *plan, char **name, char **text)
{
    size_t n = 0;
    int bad = 0;
    unsigned char *raw = mock_q_base64_decode(plan, strlen(plan), &n, &bad);
    if (raw == NULL) {
        return bad ? -1 : -2;
    }
    json_t *j = json_loadb((const char *)raw, n, 0, NULL);
    free(raw);
    const char *nm = json_string_value(json_object_get(j, "name"));
    const char *tx = json_string_value(json_object_get(j, "text"));
    json_t *ck = json_object_get(j, "check");
    int rc = -1;
    if (nm != NULL && tx != NULL && json_is_integer(ck) && json_integer_value(json_object_get(j, "v")) == 1 &&
        (unsigned long long)json_integer_value(ck) == check_of(nm, tx)) {
        *name = strdup(nm);
        *text = strdup(tx);
        rc = *name != NULL && *text != NULL ? 0 : -2;
        if (rc != 0) {
            free(*name);
            free(*text);
        }
    }
    json_decref(j);
    return rc;
}

const n1ql_prepared *n1ql_prepared_add(n1ql_prepared_set *s, const char *name, const char *text, size_t ntext)
{
    char gen[64];
    if (name == NULL) {
        unsigned long long c = ++s->counter, h = check_of("", "") ^ (c * 0x9e3779b97f4a7c15ull);
        snprintf(gen, sizeof(gen), "%08llx-%04llx-4%03llx-8%03llx-%012llx", h >> 32, (h >> 16) & 0xffff,
                 h & 0xfff, c & 0xfff, c);
        name = gen;
    }
    entry *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        return NULL;
    }
    e->p.name = strdup(name);
    e->p.text = malloc(ntext + 1);
    if (e->p.name == NULL || e->p.text == NULL) {
        entry_free(e);
        return NULL;
    }
    memcpy(e->p.text, text, ntext);
    e->p.text[ntext] = '\0';
    if ((e->p.plan = make_plan(e->p.name, e->p.text)) == NULL) {
        entry_free(e);
        return NULL;
    }
    entry **old = find(s, name);
    if (old != NULL) {
        entry *o = *old;
        *old = o->next;
        entry_free(o);
        s->n--;
    }
    e->next = s->head;
    s->head = e;
    if (++s->n > s->max) { /* evict the oldest */
        entry **p = &s->head;
        while ((*p)->next != NULL) {
            p = &(*p)->next;
        }
        entry_free(*p);
        *p = NULL;
        s->n--;
    }
    return &e->p;
}
