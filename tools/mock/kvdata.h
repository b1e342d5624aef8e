/* sofa-mock: KV data operations. */
#ifndef SOFA_TOOLS_MOCK_KVDATA_H
#define SOFA_TOOLS_MOCK_KVDATA_H

#include "kv.h"

/* Handle a data opcode; returns 0 if the opcode is not a data operation. */
int mock_kv_data_dispatch(mock_kvconn *c, const mock_req *r);

/* Common checks (bucket selected, key, value size, vbucket ownership; role 0 = master needed,
 * 1 = replica needed). Answers and returns 0 when the request must not go on. */
int mock_kv_prelude(mock_kvconn *c, const mock_req *r, int role);
int mock_kv_quiet(uint8_t opcode);
/* GET-style response: flags extras, value, key for GETK/GETKQ. */
void mock_kv_respond_get(mock_kvconn *c, const mock_req *r, const mock_item *it, uint64_t cas);

void mock_kv_op_get(mock_kvconn *c, const mock_req *r);        /* kvread.c */
void mock_kv_op_getl(mock_kvconn *c, const mock_req *r);
void mock_kv_op_unlock(mock_kvconn *c, const mock_req *r);
void mock_kv_op_get_replica(mock_kvconn *c, const mock_req *r);
void mock_kv_op_get_meta(mock_kvconn *c, const mock_req *r);
void mock_kv_observe(mock_kvconn *c, const mock_req *r);       /* kvobserve.c */
void mock_kv_observe_seqno(mock_kvconn *c, const mock_req *r);

static inline uint32_t mock_rd32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t mock_rd64(const unsigned char *p)
{
    return (uint64_t)mock_rd32(p) << 32 | mock_rd32(p + 4);
}

static inline void mock_wr32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static inline void mock_wr64(unsigned char *p, uint64_t v)
{
    mock_wr32(p, (uint32_t)(v >> 32));
    mock_wr32(p + 4, (uint32_t)v);
}

#endif /* SOFA_TOOLS_MOCK_KVDATA_H */
