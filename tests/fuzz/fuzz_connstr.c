/* libFuzzer target for the connection-string parser and the duration parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/connstr.h"
#include "sofa/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';

    sofa__connstr cs;
    char err[256];
    int rc = sofa__connstr_parse(text, &cs, err, sizeof(err));
    if (rc == SOFA_OK) {
        /* touch everything the parser produced */
        if (cs.nhosts == 0 || cs.hosts == NULL) {
            abort();
        }
        for (size_t i = 0; i < cs.nhosts; i++) {
            if (cs.hosts[i].host == NULL || cs.hosts[i].host[0] == '\0' || cs.hosts[i].port == 0) {
                abort();
            }
        }
        if (cs.scheme != SOFA__SCHEME_MEMCACHED && cs.bucket == NULL) {
            abort();
        }
    } else if (strlen(err) == 0 || cs.hosts != NULL || cs.nhosts != 0) {
        abort(); /* every error has a message and leaves nothing behind */
    }
    sofa__connstr_free(&cs);

    uint64_t us;
    (void)sofa__parse_duration(text, &us);
    free(text);
    return 0;
}
