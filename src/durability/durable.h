/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/*
 * Durable writes: store / remove / counter with opts->persist_to or opts->replicate_to.
 * The KV submit functions hand such calls here (the only hook in src/kv/); the write is
 * scheduled as an ordinary operation and, once it succeeded, an endure for its CAS and
 * token follows. The user's mutation callback fires once, after both.
 */
#ifndef SOFA_DURABILITY_DURABLE_H
#define SOFA_DURABILITY_DURABLE_H

#include <stddef.h>
#include <stdint.h>

#include "sofa/kv.h"

/* Non-zero when @p o asks for client-side durability. */
static inline int sofa__wants_endure(const sofa_kv_opts *o)
{
    return o && (o->persist_to != 0 || o->replicate_to != 0);
}

int sofa__durable_store(sofa_client *c, sofa_store_op op, const void *key, size_t nkey,
                        const void *value, size_t nvalue, const sofa_kv_opts *o,
                        sofa_mutation_cb cb, void *cookie);
int sofa__durable_remove(sofa_client *c, const void *key, size_t nkey, const sofa_kv_opts *o,
                         sofa_mutation_cb cb, void *cookie);
int sofa__durable_counter(sofa_client *c, const void *key, size_t nkey, int64_t delta,
                          uint64_t initial, int create, const sofa_kv_opts *o, sofa_mutation_cb cb,
                          void *cookie);

#endif /* SOFA_DURABILITY_DURABLE_H */
