/* The N1QL lexer and parser: accepted statements build the right tree, everything
 * else is a 3000 syntax error with a position. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "n1ql_parse.h"

typedef struct parsed {
    n1ql_arena *a;
    n1ql_stmt *s;
    int rc;
    char err[256];
} parsed;

static parsed parse(const char *text)
{
    parsed p = {n1ql_arena_new(), NULL, 0, ""};
    assert_non_null(p.a);
    p.rc = n1ql_parse(p.a, text, strlen(text), &p.s, p.err, sizeof(p.err));
    return p;
}

static void done(parsed *p)
{
    n1ql_stmt_release(p->s);
    n1ql_arena_free(p->a);
}

static void test_select_clauses(void **state)
{
    (void)state;
    parsed p = parse("SELECT b.name AS n, abv, META(b).id, COUNT(*) FROM `beer-sample` AS b "
                     "USE KEYS [\"k1\", $2] WHERE abv >= $1 AND (type = 'beer' OR x IS NOT MISSING) "
                     "ORDER BY abv DESC, n LIMIT 10 OFFSET $off;");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.s->kind, STMT_SELECT);
    n1ql_select *s = p.s->select;
    assert_int_equal(s->nproj, 4);
    assert_string_equal(s->projs[0].as, "n");
    assert_string_equal(s->projs[1].as, "abv");
    assert_string_equal(s->projs[2].as, "id");
    assert_string_equal(s->projs[3].as, "$4");
    assert_int_equal(s->naggs, 1);
    assert_string_equal(s->keyspace, "beer-sample");
    assert_string_equal(s->alias, "b");
    assert_non_null(s->use_keys);
    assert_int_equal(s->use_keys->kind, EX_ARRAY);
    assert_int_equal(s->where->kind, EX_BINARY);
    assert_int_equal(s->where->op, OP_AND);
    assert_int_equal(s->norder, 2);
    assert_int_equal(s->orders[0].desc, 1);
    assert_int_equal(s->orders[1].desc, 0);
    assert_int_equal(s->limit->kind, EX_LIT);
    assert_int_equal(s->offset->kind, EX_PARAM);
    assert_string_equal(s->offset->name, "off");
    assert_int_equal(s->nparams_pos, 2);
    done(&p);
}

static void test_raw_star_and_keyspace_forms(void **state)
{
    (void)state;
    parsed p = parse("select raw name from default:b");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.s->select->raw, 1);
    assert_string_equal(p.s->select->keyspace, "b");
    done(&p);
    p = parse("SELECT *, b.* FROM b._default._default");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.s->select->projs[0].star, 1);
    assert_null(p.s->select->projs[0].e);
    assert_int_equal(p.s->select->projs[1].star, 1);
    assert_string_equal(p.s->select->keyspace, "b");
    assert_string_equal(p.s->select->alias, "_default");
    done(&p);
    p = parse("SELECT x FROM b.s1.c1 x");
    assert_int_equal(p.rc, 0);
    assert_string_equal(p.s->select->keyspace, "b.s1.c1");
    assert_string_equal(p.s->select->alias, "x");
    done(&p);
    p = parse("SELECT 1 + 2 * 3 AS seven, 'it''s' s, \"q\\\"\" q, -4.5e1, [1, {\"a\": true}], ? , ?");
    assert_int_equal(p.rc, 0);
    assert_null(p.s->select->keyspace);
    assert_int_equal(p.s->select->nparams_pos, 2);
    done(&p);
}

static void test_prepare_and_execute(void **state)
{
    (void)state;
    parsed p = parse("PREPARE p1 FROM SELECT * FROM b WHERE x = $1");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.s->kind, STMT_PREPARE);
    assert_string_equal(p.s->name, "p1");
    assert_int_equal(p.s->nbody, strlen("SELECT * FROM b WHERE x = $1"));
    assert_memory_equal(p.s->body, "SELECT * FROM b WHERE x = $1", p.s->nbody);
    done(&p);
    p = parse("prepare select 1");
    assert_int_equal(p.rc, 0);
    assert_null(p.s->name);
    done(&p);
    p = parse("PREPARE \"my name\" AS SELECT 1");
    assert_int_equal(p.rc, 0);
    assert_string_equal(p.s->name, "my name");
    done(&p);
    p = parse("EXECUTE `p1`");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.s->kind, STMT_EXECUTE);
    assert_string_equal(p.s->name, "p1");
    done(&p);
}

static void test_predicates(void **state)
{
    (void)state;
    const char *ok[] = {"SELECT 1 FROM b WHERE a IN [1,2] AND b NOT IN [3]",
                        "SELECT 1 FROM b WHERE name LIKE 'a%' OR name NOT LIKE '_b'",
                        "SELECT 1 FROM b WHERE a BETWEEN 1 AND 5 AND NOT b NOT BETWEEN 2 AND 3",
                        "SELECT 1 FROM b WHERE a.b[0].c <> 1 AND a != 2 AND a == 3",
                        "SELECT LOWER(name), UPPER(name), LENGTH(name), TYPE(x) FROM b -- comment",
                        "SELECT /* c */ MIN(a), MAX(a), SUM(a), AVG(a), COUNT(a) FROM b",
                        "SELECT META().id FROM b WHERE META().id LIKE 'k%'",
                        "SELECT x.`value` FROM b x WHERE x.`type` IS VALUED"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        parsed p = parse(ok[i]);
        if (p.rc != 0) {
            fail_msg("rejected %s: %s", ok[i], p.err);
        }
        done(&p);
    }
}

static void test_syntax_errors(void **state)
{
    (void)state;
    const char *bad[] = {"", "SELEC 1", "SELECT", "SELECT * FROM", "SELECT * FROM b WHERE",
                         "SELECT * FROM b ORDER name", "SELECT 'unterminated", "SELECT * FROM b LIMIT",
                         "SELECT a FROM b WHERE COUNT(*) > 1", "SELECT COUNT(COUNT(a)) FROM b",
                         "SELECT RAW a, b FROM b", "SELECT DISTINCT a FROM b", "DELETE FROM b",
                         "SELECT * FROM b GROUP BY a", "SELECT $0", "SELECT $", "SELECT 1 2",
                         "SELECT nofunc(1)", "SELECT a FROM b.c", "SELECT a FROM x:b", "SELECT #",
                         "EXECUTE", "PREPARE p SELECT 1", "SELECT (1", "SELECT [1,", "SELECT {1:2}",
                         "SELECT 1 FROM b WHERE a IS 3", "SELECT * FROM b USE 1", "SELECT \"\\u00\"",
                         "SELECT 1 /* open", "SELECT 1 WHERE 1", "SELECT a FROM select"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        parsed p = parse(bad[i]);
        if (p.rc != -1) {
            fail_msg("accepted %s", bad[i]);
        }
        assert_non_null(strstr(p.err, "syntax error"));
        done(&p);
    }
}

static void test_nesting_limit(void **state)
{
    (void)state;
    char buf[4096] = "SELECT ";
    for (int i = 0; i < 200; i++) {
        strcat(buf, "(");
    }
    strcat(buf, "1");
    parsed p = parse(buf);
    assert_int_equal(p.rc, -1);
    assert_non_null(strstr(p.err, "nested"));
    done(&p);
    strcpy(buf, "SELECT ");
    for (int i = 0; i < 500; i++) {
        strcat(buf, "NOT -");
    }
    strcat(buf, "1");
    p = parse(buf);
    assert_int_equal(p.rc, -1);
    done(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_select_clauses),
        cmocka_unit_test(test_raw_star_and_keyspace_forms),
        cmocka_unit_test(test_prepare_and_execute),
        cmocka_unit_test(test_predicates),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_nesting_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
