/* The endure decisions as pure functions: limits ("too many", negative = all), what an
 * OBSERVE state or an OBSERVE_SEQNO answer means for one copy, and the criteria. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "durability/endure.h"
#include "proto/opcodes.h"
#include "sofa/status.h"

static sofa__config cfg_of(size_t nkv, int nreplicas)
{
    sofa__config c;
    memset(&c, 0, sizeof(c));
    c.nkv = nkv;
    c.nreplicas = nreplicas;
    c.nvbuckets = 64;
    return c;
}

static void test_resolve_limits(void **state)
{
    (void)state;
    int p = -7, r = -7;
    sofa__config c = cfg_of(3, 2);
    assert_int_equal(sofa__endure_resolve(&c, 3, 2, &p, &r), 0);
    assert_int_equal(p, 3);
    assert_int_equal(r, 2);
    assert_int_equal(sofa__endure_resolve(&c, -1, -1, &p, &r), 0);
    assert_int_equal(p, 3);
    assert_int_equal(r, 2);
    assert_int_equal(sofa__endure_resolve(&c, 4, 0, &p, &r), SOFA_E_DURABILITY_TOO_MANY);
    assert_int_equal(sofa__endure_resolve(&c, 0, 3, &p, &r), SOFA_E_DURABILITY_TOO_MANY);
    /* 3 replicas configured but only 2 nodes: one replica can exist */
    c = cfg_of(2, 3);
    assert_int_equal(sofa__endure_resolve(&c, -5, -1, &p, &r), 0);
    assert_int_equal(p, 2);
    assert_int_equal(r, 1);
    assert_int_equal(sofa__endure_resolve(&c, 0, 2, &p, &r), SOFA_E_DURABILITY_TOO_MANY);
    c = cfg_of(1, 0);
    assert_int_equal(sofa__endure_resolve(&c, 1, 0, &p, &r), 0);
    assert_int_equal(sofa__endure_resolve(&c, 0, 1, &p, &r), SOFA_E_DURABILITY_TOO_MANY);
    c.is_ketama = 1;
    assert_int_equal(sofa__endure_resolve(&c, 1, 0, &p, &r), SOFA_E_NOT_SUPPORTED);
    assert_int_equal(sofa__endure_resolve(NULL, 1, 0, &p, &r), SOFA_E_NOT_CONNECTED);
}

static void test_observe_states(void **state)
{
    (void)state;
    int mm = -1;
    /* found / persisted with the right CAS */
    assert_int_equal(sofa__endure_observe_have(SOFA__OBS_FOUND, 7, 7, 1, 0, &mm),
                     SOFA__HAVE_MEMORY);
    assert_int_equal(mm, 0);
    assert_int_equal(sofa__endure_observe_have(SOFA__OBS_PERSISTED, 7, 7, 0, 0, &mm),
                     SOFA__HAVE_DISK);
    /* any CAS when none is wanted */
    assert_int_equal(sofa__endure_observe_have(SOFA__OBS_PERSISTED, 9, 0, 1, 0, &mm),
                     SOFA__HAVE_DISK);
    /* another CAS: on the master the document changed; on a replica it is just older */
    assert_int_equal(sofa__endure_observe_have(SOFA__OBS_FOUND, 8, 7, 1, 0, &mm), SOFA__HAVE_NONE);
    assert_int_equal(mm, 1);
    assert_int_equal(sofa__endure_observe_have(SOFA__OBS_PERSISTED, 8, 7, 0, 0, &mm),
                     SOFA__HAVE_NONE);
    assert_int_equal(mm, 0);
    /* gone on the master while we wait for a version of it */
    assert_int_equal(sofa__endure_observe_have(SOFA__OBS_NOT_FOUND, 0, 7, 1, 0, &mm),
                     SOFA__HAVE_NONE);
    assert_int_equal(mm, 1);
    assert_int_equal(sofa__endure_observe_have(SOFA__OBS_NOT_FOUND, 0, 0, 1, 0, &mm),
                     SOFA__HAVE_NONE);
    assert_int_equal(mm, 0);
    assert_int_equal(sofa__endure_observe_have(SOFA__OBS_NOT_FOUND, 0, 7, 0, 0, &mm),
                     SOFA__HAVE_NONE);
    assert_int_equal(mm, 0);
    /* check_removed */
    assert_int_equal(sofa__endure_observe_have(SOFA__OBS_NOT_FOUND, 0, 0, 1, 1, &mm),
                     SOFA__HAVE_DISK);
    assert_int_equal(sofa__endure_observe_have(SOFA__OBS_LOGICALLY_DELETED, 5, 0, 0, 1, &mm),
                     SOFA__HAVE_MEMORY);
    assert_int_equal(sofa__endure_observe_have(SOFA__OBS_FOUND, 5, 5, 1, 1, &mm), SOFA__HAVE_NONE);
    assert_int_equal(mm, 0);
    assert_int_equal(sofa__endure_observe_have(0x42, 5, 5, 1, 1, &mm), SOFA__HAVE_NONE);
    assert_int_equal(sofa__endure_observe_have(0x42, 5, 5, 1, 0, &mm), SOFA__HAVE_NONE);
}

static void test_seqno_answers(void **state)
{
    (void)state;
    sofa__observe_seqno os;
    memset(&os, 0, sizeof(os));
    os.vbuuid = 0xabc;
    os.current_seqno = 10;
    os.persisted_seqno = 8;
    assert_int_equal(sofa__endure_seqno_have(&os, 0xabc, 8), SOFA__HAVE_DISK);
    assert_int_equal(sofa__endure_seqno_have(&os, 0xabc, 9), SOFA__HAVE_MEMORY);
    assert_int_equal(sofa__endure_seqno_have(&os, 0xabc, 11), SOFA__HAVE_NONE);
    assert_int_equal(sofa__endure_seqno_have(&os, 0xdef, 5), SOFA__HAVE_NONE);
    /* hard failover: new uuid, the old history kept up to last_seqno */
    os.format = 1;
    os.vbuuid = 0x123;
    os.old_vbuuid = 0xabc;
    os.last_seqno = 9;
    assert_int_equal(sofa__endure_seqno_have(&os, 0xabc, 10), SOFA_E_MUTATION_LOST);
    assert_int_equal(sofa__endure_seqno_have(&os, 0xabc, 9), SOFA__HAVE_MEMORY);
    assert_int_equal(sofa__endure_seqno_have(&os, 0xabc, 7), SOFA__HAVE_DISK);
    assert_int_equal(sofa__endure_seqno_have(&os, 0x777, 7), SOFA__HAVE_NONE);
}

static void test_criteria(void **state)
{
    (void)state;
    unsigned np = 9, nr = 9;
    uint8_t h[4] = {SOFA__HAVE_DISK, SOFA__HAVE_MEMORY, SOFA__HAVE_DISK, SOFA__HAVE_NONE};
    assert_int_equal(sofa__endure_met(h, 4, 2, 2, &np, &nr), 1);
    assert_int_equal(np, 2);
    assert_int_equal(nr, 2);
    assert_int_equal(sofa__endure_met(h, 4, 3, 0, &np, &nr), 0);
    assert_int_equal(sofa__endure_met(h, 4, 0, 3, &np, &nr), 0);
    assert_int_equal(sofa__endure_met(h, 4, 0, 0, &np, &nr), 1);
    /* the master must hold it, whatever the replicas say */
    uint8_t m[3] = {SOFA__HAVE_NONE, SOFA__HAVE_DISK, SOFA__HAVE_DISK};
    assert_int_equal(sofa__endure_met(m, 3, 1, 1, &np, &nr), 0);
    assert_int_equal(np, 2);
    assert_int_equal(sofa__endure_met(m, 0, 0, 0, &np, &nr), 0);
    /* the master alone */
    uint8_t one[1] = {SOFA__HAVE_MEMORY};
    assert_int_equal(sofa__endure_met(one, 1, 0, 0, &np, &nr), 1);
    assert_int_equal(sofa__endure_met(one, 1, 1, 0, &np, &nr), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve_limits),
        cmocka_unit_test(test_observe_states),
        cmocka_unit_test(test_seqno_answers),
        cmocka_unit_test(test_criteria),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
