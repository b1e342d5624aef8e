/* The conformance suite on the poll(2) plugin from examples/custom-iops.c: the
 * template for bindings is held to the same contract as sofa's own plugins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "conformance_runner.h"
#include "sofa/iops.h"

int custom_iops_new(sofa_iops **out); /* examples/custom-iops.c */

static int poll_create(void *ctx, sofa_iops **out)
{
    (void)ctx;
    return custom_iops_new(out);
}

int main(void)
{
    const iopscheck_factory f[] = {{"custom-poll", poll_create, conformance_free_table, NULL, NULL}};
    return run_conformance("custom poll plugin conformance", f, 1);
}
