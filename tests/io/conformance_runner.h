/* Runs every IOPS conformance scenario (tools/iops-check) as one cmocka test
 * per (plugin mode, scenario). */
#ifndef SOFA_TESTS_IO_CONFORMANCE_RUNNER_H
#define SOFA_TESTS_IO_CONFORMANCE_RUNNER_H

#include <stddef.h>

#include "conformance.h"

/* A factory's destroy for tables that own their loop (not loaded from a library):
 * io->destroy(io). */
void conformance_free_table(void *ctx, sofa_iops *io);

/* @return the number of failed tests (cmocka's group result). */
int run_conformance(const char *group, const iopscheck_factory *factories, size_t nfactories);

#endif
