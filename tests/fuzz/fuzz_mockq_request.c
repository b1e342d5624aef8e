/* libFuzzer target: sofa-mock's query-service request parsing (the JSON body of
 * POST /query/service, including prepared/encoded_plan handling) end to end. */
#include <stddef.h>
#include <stdint.h>

#include "mockq_fuzz_store.h"
#include "n1ql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mock_cluster c = {{"b"}};
    static mock_n1ql *q; /* kept across inputs so prepared statements accumulate */
    if (q == NULL && (q = mock_n1ql_new()) == NULL) {
        return 0;
    }
    mock_http_producer p;
    int status = 0;
    if (mock_n1ql_handle(q, &c, "POST", "/query/service", (const char *)data, size, &status, &p) == 0) {
        fuzz_drain(&p);
    }
    return 0;
}
