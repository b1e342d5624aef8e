/* The intrusive list (src/core/dlist.h): order, count, unlinking anywhere, unlinking a node
 * that is on no list, and getting the node back from its link. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/dlist.h"

typedef struct item {
    int id;
    sofa__dlink link;
} item;

/* The ids from head to tail into @p ids (at most @p max); returns how many, checking the
 * back links on the way. */
static size_t walk(const sofa__dlist *l, int *ids, size_t max)
{
    size_t n = 0;
    const sofa__dlink *prev = NULL;
    for (sofa__dlink *e = l->head; e; e = e->next) {
        assert_ptr_equal(e->prev, prev);
        assert_true(n < max);
        ids[n++] = SOFA__DLIST_ENTRY(e, item, link)->id;
        prev = e;
    }
    return n;
}

static void test_push_and_unlink(void **state)
{
    (void)state;
    item it[4] = {{1, {NULL, NULL}}, {2, {NULL, NULL}}, {3, {NULL, NULL}}, {4, {NULL, NULL}}};
    sofa__dlist l = {NULL, 0};
    int ids[8];
    for (int i = 0; i < 4; i++)
        sofa__dlist_push(&l, &it[i].link);
    assert_int_equal(l.n, 4);
    assert_int_equal(walk(&l, ids, 8), 4);
    assert_int_equal(ids[0], 4); /* newest first */
    assert_int_equal(ids[3], 1);
    /* middle, then head, then tail */
    assert_int_equal(sofa__dlist_unlink(&l, &it[2].link), 1);
    assert_null(it[2].link.prev);
    assert_null(it[2].link.next);
    assert_int_equal(sofa__dlist_unlink(&l, &it[3].link), 1);
    assert_int_equal(sofa__dlist_unlink(&l, &it[0].link), 1);
    assert_int_equal(l.n, 1);
    assert_int_equal(walk(&l, ids, 8), 1);
    assert_int_equal(ids[0], 2);
    /* a node on no list (again) is left alone and the count kept */
    assert_int_equal(sofa__dlist_unlink(&l, &it[0].link), 0);
    assert_int_equal(l.n, 1);
    assert_ptr_equal(l.head, &it[1].link);
    assert_int_equal(sofa__dlist_unlink(&l, &it[1].link), 1);
    assert_null(l.head);
    assert_int_equal(l.n, 0);
    assert_int_equal(sofa__dlist_unlink(&l, &it[1].link), 0);
    assert_int_equal(l.n, 0);
}

static void test_entry(void **state)
{
    (void)state;
    item x = {7, {NULL, NULL}};
    assert_ptr_equal(SOFA__DLIST_ENTRY(&x.link, item, link), &x);
    sofa__dlink *none = NULL;
    assert_null(SOFA__DLIST_ENTRY(none, item, link));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_and_unlink),
        cmocka_unit_test(test_entry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
