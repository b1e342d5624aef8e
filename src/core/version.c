/* Copyright 2026 The sofa authors. Licensed under the Apache License, Version 2.0. */
#include "sofa/sofa.h"

const char *sofa_version(void)
{
    return SOFA_VERSION_STRING;
}
