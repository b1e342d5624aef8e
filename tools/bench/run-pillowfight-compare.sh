#!/usr/bin/env bash
# Compare sofa-bench with cbc-pillowfight from libcouchbase 3.3.4 on the same workload
# against the same sofa-mock cluster: operations per second (wall clock of a fixed number
# of operations, each tool's own populate done beforehand) and CPU instructions per
# operation (valgrind --tool=callgrind: the difference between two fixed-op runs divided
# by the difference in operations, so start-up and bootstrap cancel out). See docs/bench.md.
#
# libcouchbase is fetched from the npm package couchbase@3.2.7 (package/deps/lcb) and
# built outside the repository, cached in $SOFA_LCB_CACHE (default ~/.cache/sofa-lcb).
#
# usage: tools/bench/run-pillowfight-compare.sh [BUILD_DIR]      (default: ./build)
# environment: OPS (default 500000), IR_OPS (default 20000), NODES (default 1),
#              BATCH (100), KEYS (1000), SETPCT (33), MINSIZE (50), MAXSIZE (5120),
#              SKIP_IR=1 to skip instructions/op, IR_TOOL=perf|callgrind (default: perf
#              when hardware counters work, else callgrind)
set -euo pipefail

BUILD=$(cd "${1:-build}" && pwd)
OPS=${OPS:-500000}
IR_OPS=${IR_OPS:-20000}
NODES=${NODES:-1}
BATCH=${BATCH:-100}
KEYS=${KEYS:-1000}
SETPCT=${SETPCT:-33}
MINSIZE=${MINSIZE:-50}
MAXSIZE=${MAXSIZE:-5120}
CACHE=${SOFA_LCB_CACHE:-$HOME/.cache/sofa-lcb}
BENCH=$BUILD/tools/bench/sofa-bench
MOCK=$BUILD/tools/mock/sofa-mock
PILLOW=$CACHE/build/bin/cbc-pillowfight

for f in "$BENCH" "$MOCK"; do
  [ -x "$f" ] || { echo "missing $f: build first (cmake --build $BUILD)" >&2; exit 2; }
done

# ------------------------------------------------------------ libcouchbase 3.3.4
if [ ! -x "$PILLOW" ]; then
  echo "== building cbc-pillowfight (libcouchbase 3.3.4 from npm couchbase@3.2.7) in $CACHE"
  mkdir -p "$CACHE"
  if [ ! -f "$CACHE/src/package/deps/lcb/CMakeLists.txt" ]; then
    TMP=$(mktemp -d)
    (cd "$TMP" && npm pack --silent couchbase@3.2.7 >/dev/null)
    mkdir -p "$CACHE/src"
    tar -xzf "$TMP"/couchbase-3.2.7.tgz -C "$CACHE/src"
    rm -rf "$TMP"
  fi
  grep -q 'project(libcouchbase VERSION 3.3.4' "$CACHE/src/package/deps/lcb/CMakeLists.txt" ||
    { echo "unexpected libcouchbase version in the npm package" >&2; exit 1; }
  GEN=()
  command -v ninja >/dev/null && GEN=(-G Ninja)
  cmake -S "$CACHE/src/package/deps/lcb" -B "$CACHE/build" "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release \
        -DLCB_NO_TESTS=ON -DLCB_NO_MOCK=ON -DLCB_SKIP_GIT_VERSION=ON >"$CACHE/cmake.log"
  cmake --build "$CACHE/build" --target cbc-pillowfight -j2 >"$CACHE/build.log"
fi

# ------------------------------------------------------------ the mock cluster
WORK=$(mktemp -d)
"$MOCK" --nodes "$NODES" --ready-file "$WORK/ready.json" 2>"$WORK/mock.log" &
MOCK_PID=$!
trap 'kill "$MOCK_PID" 2>/dev/null || true; wait "$MOCK_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do [ -s "$WORK/ready.json" ] && break; sleep 0.1; done
CONNSTR=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["connstr"])' "$WORK/ready.json")
# libcouchbase: an explicit port is a KV (memcached) port when marked =mcd
LCB_CONNSTR=$(echo "$CONNSTR" | sed -E 's#(127\.0\.0\.1:[0-9]+)#\1=mcd#g')
AUTH=(-u Administrator -P password)
SOFA_W=(-U "$CONNSTR" "${AUTH[@]}" -t 1 -B "$BATCH" -I "$KEYS" -r "$SETPCT" -m "$MINSIZE" -M "$MAXSIZE")
LCB_W=(-U "$LCB_CONNSTR" "${AUTH[@]}" -t 1 -B "$BATCH" -I "$KEYS" -r "$SETPCT" -m "$MINSIZE" -M "$MAXSIZE")
echo "== sofa-mock, $NODES node(s); one thread, batch $BATCH, $SETPCT% sets, values $MINSIZE..$MAXSIZE bytes, $KEYS keys"

# populate both key spaces first (not measured)
"$BENCH" "${SOFA_W[@]}" --populate -n 1 >/dev/null
"$PILLOW" "${LCB_W[@]}" --populate-only >/dev/null 2>&1

now() { date +%s.%N; }
rate() { python3 -c "import sys; print('%.0f' % (float(sys.argv[1]) / (float(sys.argv[3]) - float(sys.argv[2]))))" "$@"; }

CYCLES=$(( (OPS + BATCH - 1) / BATCH ))
OPS=$(( CYCLES * BATCH ))
t0=$(now); "$BENCH" "${SOFA_W[@]}" -n "$OPS" --json >"$WORK/sofa.json"; t1=$(now)
t2=$(now); "$PILLOW" "${LCB_W[@]}" -n -c "$CYCLES" >"$WORK/pillow.out" 2>&1; t3=$(now)
SOFA_RATE=$(rate "$OPS" "$t0" "$t1")
LCB_RATE=$(rate "$OPS" "$t2" "$t3")
SOFA_INNER=$(python3 -c 'import json,sys; print("%.0f" % json.load(open(sys.argv[1]))["ops_per_sec"])' "$WORK/sofa.json")
echo "ops/s over $OPS ops (wall clock of the whole process, populate excluded):"
echo "  sofa-bench       $SOFA_RATE ops/s   (its own timer, connect excluded: $SOFA_INNER ops/s)"
echo "  cbc-pillowfight  $LCB_RATE ops/s"
python3 -c "import sys; print('  ratio sofa / libcouchbase: %.2fx' % (float(sys.argv[1]) / float(sys.argv[2])))" "$SOFA_RATE" "$LCB_RATE"

[ "${SKIP_IR:-0}" = 1 ] && exit 0
# Instructions of the client process only (the mock is a separate process): perf's hardware
# counter when the machine has one (IR_TOOL=perf), else callgrind (IR_TOOL=callgrind).
IR_TOOL=${IR_TOOL:-auto}
if [ "$IR_TOOL" = auto ]; then
  IR_TOOL=callgrind
  if command -v perf >/dev/null &&
     perf stat -x, -e instructions:u -o "$WORK/perf.probe" true >/dev/null 2>&1 &&
     grep -q '^[0-9]' "$WORK/perf.probe"; then
    IR_TOOL=perf
  fi
fi
if [ "$IR_TOOL" = callgrind ] && ! command -v valgrind >/dev/null; then
  echo "neither perf counters nor valgrind available: instructions/op skipped"; exit 0
fi
ir() { # ir OUTFILE COMMAND... -> instructions executed by COMMAND
  local out=$1; shift
  if [ "$IR_TOOL" = perf ]; then
    perf stat -x, -e instructions:u -o "$out" "$@" >/dev/null 2>&1 || true
    awk -F, '/instructions/ {print $1}' "$out" | tail -1
  else
    valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >/dev/null 2>"$out.log" || true
    awk '/Collected :/ {print $NF}' "$out.log" | tail -1
  fi
}
C1=$(( IR_OPS / BATCH )); C2=$(( 3 * IR_OPS / BATCH ))
S1=$(ir "$WORK/cg.s1" "$BENCH" "${SOFA_W[@]}" -n $(( C1 * BATCH )) -T 30)
S2=$(ir "$WORK/cg.s2" "$BENCH" "${SOFA_W[@]}" -n $(( C2 * BATCH )) -T 30)
L1=$(ir "$WORK/cg.l1" "$PILLOW" "${LCB_W[@]}" -n -c "$C1" -D timeout=30)
L2=$(ir "$WORK/cg.l2" "$PILLOW" "${LCB_W[@]}" -n -c "$C2" -D timeout=30)
python3 - "$S1" "$S2" "$L1" "$L2" "$(( (C2 - C1) * BATCH ))" "$IR_TOOL" <<'PY'
import sys
s1, s2, l1, l2, n = (int(x) for x in sys.argv[1:6])
s, l = (s2 - s1) / n, (l2 - l1) / n
print("instructions per operation (%s, marginal over %d ops):" % (sys.argv[6], n))
print("  sofa-bench       %8.0f" % s)
print("  cbc-pillowfight  %8.0f" % l)
print("  ratio sofa / libcouchbase: %.2f" % (s / l))
PY
