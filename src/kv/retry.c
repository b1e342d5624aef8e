/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
/* Retry decisions: pure functions of (status, operation kind, attempts). */
#include "kv/engine.h"
#include "proto/errmap.h"
#include "sofa/status.h"

uint64_t sofa__retry_backoff(uint32_t attempts)
{
    /* 1 ms, 2 ms, 4 ms ... capped: fast enough for a rebalance, no storm. */
    uint64_t d = SOFA__RETRY_MIN_US;
    for (uint32_t i = 0; i < attempts && d < SOFA__RETRY_MAX_US; i++)
        d *= 2;
    return d > SOFA__RETRY_MAX_US ? SOFA__RETRY_MAX_US : d;
}

sofa__retry_action sofa__retry_decide(int status, unsigned op_flags, uint32_t attempts,
                                      uint64_t *delay_us)
{
    *delay_us = sofa__retry_backoff(attempts);
    switch (status) {
    case SOFA_E_NOT_MY_VBUCKET:
    case SOFA_E_TEMPORARY_FAILURE:
    case SOFA_E_SERVER_BUSY:
    case SOFA_E_SERVER_NO_MEMORY:
    case SOFA_E_NOT_INITIALIZED:
    case SOFA_E_SYNC_WRITE_IN_PROGRESS:
    case SOFA_E_SYNC_WRITE_RECOMMIT:
        /* The server refused without executing: safe for mutations too. */
        return SOFA__RETRY_BACKOFF;
    case SOFA_E_LOCKED:
        return (op_flags & SOFA__OPF_RETRY_LOCKED) ? SOFA__RETRY_BACKOFF : SOFA__RETRY_NO;
    default:
        return SOFA__RETRY_NO;
    }
}

int sofa__timeout_status(unsigned op_flags, int sent, int maybe_executed)
{
    if (!sent && !maybe_executed)
        return SOFA_E_TIMEOUT;
    if (op_flags & SOFA__OPF_MUTATION)
        return SOFA_E_TIMEOUT_AMBIGUOUS;
    return SOFA_E_TIMEOUT_READ;
}

sofa__retry_action sofa__retry_decide_attrs(unsigned attrs, uint32_t attempts, uint64_t *delay_us,
                                            int *refresh)
{
    *refresh = (attrs & SOFA__ERRATTR_FETCH_CONFIG) != 0;
    *delay_us = sofa__retry_backoff(attempts);
    if (attrs & (SOFA__ERRATTR_NO_RETRY | SOFA__ERRATTR_AUTH | SOFA__ERRATTR_INVALID_INPUT))
        return SOFA__RETRY_NO;
    if (attrs & SOFA__ERRATTR_RETRY_LATER) {
        /* "later": start from a longer delay than "now" */
        *delay_us = sofa__retry_backoff(attempts + 4);
        return SOFA__RETRY_BACKOFF;
    }
    if (attrs & (SOFA__ERRATTR_RETRY_NOW | SOFA__ERRATTR_TEMP))
        return SOFA__RETRY_BACKOFF;
    return SOFA__RETRY_NO;
}
