#!/usr/bin/env bash
# Runs the whole test suite through CTest. Usage: scripts/test.sh [BUILD_DIR] [extra cmake args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
BUILD=${1:-build}
shift || true
cmake -S . -B "$BUILD" -G Ninja -DSOFA_WERROR=ON -DSOFA_BUILD_TESTS=ON "$@" >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
cd "$BUILD"
ctest --output-on-failure -j2 --timeout 300
