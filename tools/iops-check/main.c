/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * sofa-iops-check PATH [SYMBOL]: load an IOPS plugin (a path, or a short name
 * such as "libev") with sofa_iops_load() and run every conformance scenario
 * against it. Prints one line per scenario and "N passed, N failed".
 * Exit status: 0 all passed, 1 some failed, 2 the plugin could not be loaded.
 */
#include <stdio.h>
#include <string.h>

#include "conformance.h"
#include "sofa/iops.h"
#include "sofa/status.h"

typedef struct loader_ctx {
    const char *path;
    const char *symbol;
    char err[2048];
} loader_ctx;

static int load_create(void *ctx, sofa_iops **out)
{
    loader_ctx *c = ctx;
    return sofa_iops_load(c->path, c->symbol, NULL, out, c->err, sizeof(c->err));
}

static void load_destroy(void *ctx, sofa_iops *io)
{
    (void)ctx;
    sofa_iops_free(io);
}

static void usage(FILE *to)
{
    fprintf(to, "usage: sofa-iops-check PATH|NAME [SYMBOL]\n"
                "  Loads the IOPS plugin (default entry symbol %s) and runs the sofa\n"
                "  conformance scenarios against it, with the plugin owning its loop.\n",
            SOFA_IOPS_ENTRY_SYMBOL);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 || argc > 3 ? stderr : stdout);
        return argc < 2 || argc > 3 ? 2 : 0;
    }
    loader_ctx ctx = {argv[1], argc == 3 ? argv[2] : NULL, {0}};
    sofa_iops *io = NULL;
    int rc = load_create(&ctx, &io);
    if (rc != 0) {
        fprintf(stderr, "sofa-iops-check: %s: %s\n  %s\n", sofa_status_name(rc),
                sofa_strerror(rc), ctx.err);
        return 2;
    }
    printf("plugin: %s (struct_size %zu, sofa's %zu)\n", io->name ? io->name : "?",
           io->struct_size, sizeof(sofa_iops));
    sofa_iops_free(io);

    iopscheck_factory f = {"loaded", load_create, load_destroy, NULL, &ctx};
    size_t n = 0;
    const iopscheck_scenario *sc = iopscheck_scenarios(&n);
    int passed = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        char err[1024] = "";
        fflush(stdout);
        if (sc[i].run(&f, err, sizeof(err)) == 0) {
            printf("ok    %s\n", sc[i].name);
            passed++;
        } else {
            printf("FAIL  %s: %s\n", sc[i].name, err[0] ? err : ctx.err);
            failed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
