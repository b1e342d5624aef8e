/* sofa-mock: KV data operations. */
#ifndef SOFA_TOOLS_MOCK_KVDATA_H
#define SOFA_TOOLS_MOCK_KVDATA_H

#include "kv.h"

/* Handle a data opcode; returns 0 if the opcode is not a data operation. */
int kv_data_dispatch(mock_kvconn *c, const mock_req *r);

#endif /* SOFA_TOOLS_MOCK_KVDATA_H */
