/* Built against an installed sofa by the install test (pkg-config and find_package). */
#include <stdio.h>
#include <string.h>

#include <sofa/sofa.h>

int main(void)
{
    const char *v = sofa_version();
    const char *msg = sofa_strerror(SOFA_E_NOT_FOUND);
    printf("sofa %s: %s: %s\n", v, sofa_status_name(SOFA_E_NOT_FOUND), msg);
    if (strcmp(v, SOFA_VERSION_STRING) != 0) {
        fprintf(stderr, "header says %s, library says %s\n", SOFA_VERSION_STRING, v);
        return 1;
    }
    if (strcmp(msg, "document not found") != 0) {
        return 1;
    }
    char err[128];
    if (sofa_connstr_check("couchbase://localhost/default", err, sizeof(err)) != SOFA_OK ||
        sofa_connstr_check("couchbase://localhost?nope=1", err, sizeof(err)) !=
            SOFA_E_CONNSTR_OPTION) {
        fprintf(stderr, "connection string check: %s\n", err);
        return 1;
    }
    return 0;
}
