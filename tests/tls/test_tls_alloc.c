/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* Allocation-failure sweep over the creation of a couchbases:// client (connection string
 * with TLS options, the client's TLS context): each failure is SOFA_E_NO_MEMORY with no
 * client and nothing leaked. OpenSSL's own allocations (a shared library) are not
 * counted; sofa's are. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sofa/client.h"
#include "sofa/status.h"
#include "support/failalloc.h"

static char connstr[512];

static int create(void *arg)
{
    (void)arg;
    sofa_client_options o = SOFA_CLIENT_OPTIONS_INIT;
    o.connstr = connstr;
    sofa_client *c = NULL;
    char err[256] = "";
    int rc = sofa_client_new(&c, &o, err, sizeof(err));
    if (rc != 0) {
        assert_null(c);
        return rc;
    }
    assert_non_null(c);
    sofa_client_free(c);
    return 0;
}

static void sweep(const char *opts)
{
    snprintf(connstr, sizeof(connstr), "couchbases://127.0.0.1,10.0.0.2:11207/b?%s", opts);
    failalloc_start(-1);
    assert_int_equal(create(NULL), 0);
    long total = failalloc_calls();
    failalloc_stop();
    assert_int_equal(failalloc_live(), 0);
    assert_true(total > 3);
    for (long n = 0; n < total; n++) {
        int rc = failalloc_run(n, create, NULL);
        if (rc != SOFA_E_NO_MEMORY) {
            print_error("%s: allocation %ld of %ld failed, got %s\n", connstr, n, total,
                        sofa_status_name(rc));
            fail();
        }
        assert_int_equal(failalloc_live(), 0);
    }
}

static void client_new_with_tls_survives_every_allocation_failure(void **state)
{
    (void)state;
    sweep("ssl=no_verify&username=u&password=p");
    sweep("truststorepath=%2Fetc%2Fssl%2Fcerts%2Fca-certificates.crt&iops=select");
    sweep("ssl=on&operation_timeout=1s");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(client_new_with_tls_survives_every_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
