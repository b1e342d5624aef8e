#!/usr/bin/env bash
# The main job: build sofa, start the bundled mock cluster, run the demo programs against it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
BUILD=${BUILD:-build}
cmake -S . -B "$BUILD" -G Ninja >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
echo "== built sofa $(cat CMakeLists.txt | sed -n 's/^project(sofa VERSION \([0-9.]*\).*/\1/p')"
echo "== (the mock cluster and demo programs are added as they land)"
