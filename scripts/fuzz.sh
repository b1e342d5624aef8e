#!/usr/bin/env bash
# Builds every libFuzzer target with clang (ASan + UBSan) and runs each for SECONDS (default 10),
# starting from its seed corpus in tests/fuzz/corpus/<target>/ when there is one.
# Usage: scripts/fuzz.sh [SECONDS] [BUILD_DIR]    Exits non-zero if any target finds a crash.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
SECONDS_EACH=${1:-10}
BUILD=${2:-build-fuzz}
CC=clang cmake -S . -B "$BUILD" -G Ninja -DSOFA_FUZZ=ON -DSOFA_BUILD_TESTS=OFF \
  -DSOFA_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$BUILD" -j"$(nproc)" >/dev/null
failed=0
ran=0
for f in "$BUILD"/tests/fuzz/fuzz_*; do
  [ -x "$f" ] || continue
  name=$(basename "$f")
  work=$(mktemp -d)
  args=("$work")
  [ -d "tests/fuzz/corpus/$name" ] && args+=("tests/fuzz/corpus/$name")
  dict=()
  [ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
  if "$f" -max_total_time="$SECONDS_EACH" -print_final_stats=0 "${dict[@]}" "${args[@]}" \
       >"$work.log" 2>&1; then
    echo "fuzz $name: ok ($(grep -o 'Done [0-9]* runs' "$work.log" | head -n1))"
  else
    echo "fuzz $name: FAILED"; tail -n 40 "$work.log"; failed=$((failed + 1))
  fi
  ran=$((ran + 1))
  rm -rf "$work" "$work.log"
done
echo "fuzz: $((ran - failed)) passed, $failed failed"
[ "$ran" -gt 0 ] && [ "$failed" -eq 0 ]
