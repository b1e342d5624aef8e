/* The deadline queue: heap order, removal from the middle, moving entries, and that it
 * arms exactly one IOPS timer for the earliest entry (a fake plugin records the calls). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "io/timerq.h"

typedef struct fake {
    sofa_iops io;
    uint64_t now;
    int arms, unwatches;
    uint64_t last_delay;
} fake;

static uint64_t fake_now(sofa_iops *io)
{
    return ((fake *)io)->now;
}

static int fake_update_timer(sofa_iops *io, sofa_io_timer *t, sofa_io_action a, uint64_t us)
{
    fake *f = (fake *)io;
    (void)t;
    if (a == SOFA_IO_WATCH) {
        f->arms++;
        f->last_delay = us;
    } else {
        f->unwatches++;
    }
    return 0;
}

static void init_fake(fake *f)
{
    memset(f, 0, sizeof(*f));
    f->io.struct_size = sizeof(sofa_iops);
    f->io.update_timer = fake_update_timer;
    f->io.now = fake_now;
    f->now = 1000;
}

static int order[64];
static int norder;

static void record(sofa__tentry *e, void *arg)
{
    (void)e;
    order[norder++] = (int)(intptr_t)arg;
}

static void test_fires_in_deadline_order(void **state)
{
    (void)state;
    fake f;
    init_fake(&f);
    sofa__timerq q;
    sofa__timerq_init(&q, &f.io);
    sofa_io_timer t;
    q.timer = &t;
    sofa__tentry e[10];
    uint64_t whens[10] = {50, 10, 90, 30, 70, 20, 80, 40, 60, 100};
    for (int i = 0; i < 10; i++) {
        sofa__tentry_init(&e[i], record, (void *)(intptr_t)i);
        assert_int_equal(sofa__timerq_add(&q, &e[i], 1000 + whens[i]), 0);
    }
    assert_int_equal(sofa__timerq_top(&q)->when, 1010);
    /* armed only when the earliest entry changed: 50, then 10 */
    assert_int_equal(f.arms, 2);
    assert_int_equal(f.last_delay, 10);
    sofa__timerq_remove(&q, &e[2]); /* 90: from the middle */
    assert_false(sofa__tentry_queued(&e[2]));
    assert_int_equal(sofa__timerq_add(&q, &e[9], 1005), 0); /* move 100 to the front */
    norder = 0;
    f.now = 1075;
    sofa__timerq_run(&q, 1075, NULL);
    int want[] = {9, 1, 5, 3, 7, 0, 8, 4};
    assert_int_equal(norder, 8);
    for (int i = 0; i < 8; i++)
        assert_int_equal(order[i], want[i]);
    sofa__timerq_arm(&q);
    assert_int_equal(f.last_delay, 80 - 75);
    norder = 0;
    sofa__timerq_run(&q, 5000, NULL);
    assert_int_equal(norder, 1);
    assert_int_equal(order[0], 6);
    int arms = f.arms;
    sofa__timerq_arm(&q); /* empty after a run: the one-shot timer is left unarmed */
    assert_int_equal(f.arms, arms);
    assert_int_equal(q.armed_for, 0);
    sofa__timerq_free(&q);
}

static int stop_flag;

static void record_and_stop(sofa__tentry *e, void *arg)
{
    record(e, arg);
    stop_flag = 1;
}

/* The stop flag (the client's free_asked) ends a run after the callback that set it, and a
 * run that starts with it set fires nothing: that entry stays queued. */
static void test_stop_flag(void **state)
{
    (void)state;
    fake f;
    init_fake(&f);
    sofa__timerq q;
    sofa__timerq_init(&q, &f.io);
    sofa_io_timer t;
    q.timer = &t;
    sofa__tentry e[3];
    sofa__tentry_init(&e[0], record, (void *)(intptr_t)0);
    sofa__tentry_init(&e[1], record_and_stop, (void *)(intptr_t)1);
    sofa__tentry_init(&e[2], record, (void *)(intptr_t)2);
    for (int i = 0; i < 3; i++)
        assert_int_equal(sofa__timerq_add(&q, &e[i], 1010 + (uint64_t)i), 0);
    norder = 0;
    stop_flag = 0;
    sofa__timerq_run(&q, 2000, &stop_flag);
    assert_int_equal(norder, 2);
    assert_int_equal(order[0], 0);
    assert_int_equal(order[1], 1);
    assert_true(sofa__tentry_queued(&e[2]));
    sofa__timerq_run(&q, 2000, &stop_flag); /* already set: nothing fires */
    assert_int_equal(norder, 2);
    assert_true(sofa__tentry_queued(&e[2]));
    stop_flag = 0;
    sofa__timerq_run(&q, 2000, &stop_flag);
    assert_int_equal(norder, 3);
    assert_int_equal(order[2], 2);
    sofa__timerq_free(&q);
}

static void test_large_heap_random(void **state)
{
    (void)state;
    fake f;
    init_fake(&f);
    sofa__timerq q;
    sofa__timerq_init(&q, &f.io);
    enum { N = 20000 };
    sofa__tentry *e = calloc(N, sizeof(*e));
    assert_non_null(e);
    srand(7);
    for (int i = 0; i < N; i++) {
        sofa__tentry_init(&e[i], record, NULL);
        assert_int_equal(sofa__timerq_add(&q, &e[i], (uint64_t)(rand() % 100000)), 0);
    }
    for (int i = 0; i < N; i += 3)
        sofa__timerq_remove(&q, &e[i]);
    uint64_t last = 0;
    size_t popped = 0;
    while (sofa__timerq_top(&q)) {
        sofa__tentry *t = sofa__timerq_top(&q);
        assert_true(t->when >= last);
        last = t->when;
        sofa__timerq_remove(&q, t);
        popped++;
    }
    assert_int_equal(popped, N - (N + 2) / 3);
    sofa__timerq_free(&q);
    free(e);
}

/* A random mixture of monotone adds (the sorted list), earlier adds (the heap), moves,
 * removals and runs, checked against the entries' own times. */
static uint64_t fired_when[4096];
static int nfired;
static sofa__tentry *tq_ent;
static sofa__timerq *tq_q;
static int tq_readd;

static void fire_record(sofa__tentry *e, void *arg)
{
    (void)arg;
    fired_when[nfired++] = e->when;
    /* callbacks may add entries (to the list or the heap) and remove others */
    if (tq_readd && nfired % 7 == 0)
        (void)sofa__timerq_add(tq_q, e, e->when + 1000);
    if (tq_readd && nfired % 11 == 0)
        sofa__timerq_remove(tq_q, &tq_ent[(nfired * 13) % 512]);
}

static void test_list_and_heap_model(void **state)
{
    (void)state;
    fake f;
    init_fake(&f);
    sofa__timerq q;
    sofa__timerq_init(&q, &f.io);
    sofa_io_timer t;
    q.timer = &t;
    enum { N = 512 };
    sofa__tentry *e = calloc(N, sizeof(*e));
    assert_non_null(e);
    tq_ent = e;
    tq_q = &q;
    srand(11);
    uint64_t now = 1000, mono = 1000;
    for (int i = 0; i < N; i++)
        sofa__tentry_init(&e[i], fire_record, NULL);
    for (int round = 0; round < 200; round++) {
        tq_readd = round % 2;
        for (int k = 0; k < 20; k++) {
            int i = rand() % N;
            switch (rand() % 4) {
            case 0: /* monotone: the list */
                mono += (uint64_t)(rand() % 50);
                assert_int_equal(sofa__timerq_add(&q, &e[i], mono), 0);
                break;
            case 1: /* anywhere: mostly the heap */
                assert_int_equal(sofa__timerq_add(&q, &e[i], now + (uint64_t)(rand() % 3000)), 0);
                break;
            case 2:
                sofa__timerq_remove(&q, &e[i]);
                break;
            default: {
                sofa__tentry *top = sofa__timerq_top(&q);
                if (top) { /* top is the earliest of every queued entry */
                    for (int j = 0; j < N; j++)
                        if (sofa__tentry_queued(&e[j]))
                            assert_true(e[j].when >= top->when);
                }
                break;
            }
            }
        }
        now += (uint64_t)(rand() % 400);
        if (mono < now)
            mono = now;
        nfired = 0;
        f.now = now;
        sofa__timerq_run(&q, now, NULL);
        for (int j = 0; j < nfired; j++)
            assert_true(fired_when[j] <= now);
        for (int j = 1; j < nfired; j++)
            assert_true(fired_when[j] >= fired_when[j - 1] || tq_readd);
        for (int j = 0; j < N; j++)
            if (sofa__tentry_queued(&e[j]))
                assert_true(e[j].when > now);
        sofa__timerq_arm(&q);
    }
    sofa__timerq_free(&q);
    for (int j = 0; j < N; j++)
        assert_false(sofa__tentry_queued(&e[j]));
    free(e);
}

/* When the list's head leaves (an operation answered), the head's proxy in the heap keeps its
 * earlier time; top, arm and run must still see the real earliest entry. */
static void test_answered_head_keeps_order_and_arming(void **state)
{
    (void)state;
    fake f;
    init_fake(&f);
    sofa__timerq q;
    sofa__timerq_init(&q, &f.io);
    sofa_io_timer t;
    q.timer = &t;
    sofa__tentry a, b, c, h;
    sofa__tentry_init(&a, record, (void *)(intptr_t)0);
    sofa__tentry_init(&b, record, (void *)(intptr_t)1);
    sofa__tentry_init(&c, record, (void *)(intptr_t)2);
    sofa__tentry_init(&h, record, (void *)(intptr_t)3);
    assert_int_equal(sofa__timerq_add(&q, &a, 1100), 0); /* the list: a b c */
    assert_int_equal(sofa__timerq_add(&q, &b, 1200), 0);
    assert_int_equal(sofa__timerq_add(&q, &c, 1300), 0);
    assert_int_equal(sofa__timerq_add(&q, &h, 1150), 0); /* earlier than the tail: the heap */
    assert_int_equal(f.last_delay, 100);
    sofa__timerq_remove(&q, &a); /* answered: b is the list's head, h the earliest */
    assert_ptr_equal(sofa__timerq_top(&q), &h);
    q.armed_for = 0;
    sofa__timerq_arm(&q);
    assert_int_equal(f.last_delay, 150);
    sofa__timerq_remove(&q, &h);
    assert_ptr_equal(sofa__timerq_top(&q), &b);
    q.armed_for = 0;
    sofa__timerq_arm(&q);
    assert_int_equal(f.last_delay, 200);
    sofa__timerq_remove(&q, &b);
    assert_int_equal(sofa__timerq_add(&q, &h, 1250), 0);
    norder = 0;
    f.now = 1260;
    sofa__timerq_run(&q, 1260, NULL); /* the proxy may fire early: nothing else may */
    assert_int_equal(norder, 1);
    assert_int_equal(order[0], 3);
    assert_true(sofa__tentry_queued(&c));
    sofa__timerq_arm(&q);
    assert_int_equal(f.last_delay, 40);
    sofa__timerq_run(&q, 1300, NULL);
    assert_int_equal(norder, 2);
    assert_int_equal(order[1], 2);
    assert_null(sofa__timerq_top(&q));
    sofa__timerq_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fires_in_deadline_order),
        cmocka_unit_test(test_stop_flag),
        cmocka_unit_test(test_large_heap_random),
        cmocka_unit_test(test_list_and_heap_model),
        cmocka_unit_test(test_answered_head_keeps_order_and_arming),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
