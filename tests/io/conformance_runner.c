#include "conformance_runner.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

typedef struct entry {
    const iopscheck_factory *f;
    const iopscheck_scenario *sc;
    char name[128];
} entry;

static void run_one(void **state)
{
    const entry *e = *state;
    char err[1024] = "";
    int rc = e->sc->run(e->f, err, sizeof(err));
    if (rc != 0) {
        fail_msg("%s: %s", e->name, err);
    }
}

void conformance_free_table(void *ctx, sofa_iops *io)
{
    (void)ctx;
    io->destroy(io); /* not sofa_iops_free: this library does not link libsofa */
}

int run_conformance(const char *group, const iopscheck_factory *factories, size_t nfactories)
{
    size_t nsc = 0;
    const iopscheck_scenario *sc = iopscheck_scenarios(&nsc);
    size_t n = nsc * nfactories;
    entry *entries = calloc(n, sizeof(*entries));
    struct CMUnitTest *tests = calloc(n, sizeof(*tests));
    if (entries == NULL || tests == NULL) {
        free(entries);
        free(tests);
        return 1;
    }
    for (size_t i = 0; i < nfactories; i++) {
        for (size_t j = 0; j < nsc; j++) {
            entry *e = &entries[i * nsc + j];
            e->f = &factories[i];
            e->sc = &sc[j];
            snprintf(e->name, sizeof(e->name), "%s/%s", factories[i].name, sc[j].name);
            tests[i * nsc + j].name = e->name;
            tests[i * nsc + j].test_func = run_one;
            tests[i * nsc + j].initial_state = e;
        }
    }
    int failed = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
    free(tests);
    free(entries);
    return failed;
}
