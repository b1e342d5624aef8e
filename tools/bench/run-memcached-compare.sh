#!/usr/bin/env bash
# Compare sofa-bench with compare-libmemcached (libmemcached from Debian) against real
# memcached: the same pipelined workload (one thread, batch 100, 90% gets, 100-byte values),
# each for DURATION seconds. Prints both figures and the ratio. See docs/bench.md.
#
# usage: tools/bench/run-memcached-compare.sh [BUILD_DIR]      (default: ./build)
# environment: DURATION (seconds, default 5), KEYS (default 1000), BATCH (default 100),
#              SETPCT (default 10), SIZE (default 100), MEMCACHED (default: memcached on PATH)
set -euo pipefail

BUILD=${1:-build}
DURATION=${DURATION:-5}
KEYS=${KEYS:-1000}
BATCH=${BATCH:-100}
SETPCT=${SETPCT:-10}
SIZE=${SIZE:-100}
MEMCACHED=${MEMCACHED:-$(command -v memcached || true)}
BENCH=$BUILD/tools/bench/sofa-bench
LMC=$BUILD/tools/bench/compare-libmemcached

for f in "$BENCH" "$LMC"; do
  [ -x "$f" ] || { echo "missing $f: build first (cmake --build $BUILD)" >&2; exit 2; }
done
[ -n "$MEMCACHED" ] || { echo "memcached not found (apt-get install memcached)" >&2; exit 2; }

# A free loopback port: bind port 0 and read what the kernel chose.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
USER_OPT=()
[ "$(id -u)" -eq 0 ] && USER_OPT=(-u root)
"$MEMCACHED" "${USER_OPT[@]}" -l 127.0.0.1 -p "$PORT" -U 0 -B binary -m 256 &
MC_PID=$!
trap 'kill "$MC_PID" 2>/dev/null || true; wait "$MC_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done

COMMON_SOFA=(-U "memcached://127.0.0.1:$PORT" -t 1 -B "$BATCH" -I "$KEYS" -r "$SETPCT" -m "$SIZE" -M "$SIZE")
COMMON_LMC=(-p "$PORT" -B "$BATCH" -I "$KEYS" -r "$SETPCT" -s "$SIZE")

echo "== memcached $("$MEMCACHED" -V | awk '{print $2}') on 127.0.0.1:$PORT; one thread, batch $BATCH, $((100 - SETPCT))% gets, $SIZE-byte values, $KEYS keys, ${DURATION}s each"
# populate once (not measured), then the timed runs
"$BENCH" "${COMMON_SOFA[@]}" --populate -n 1 --json >/dev/null
SOFA_JSON=$("$BENCH" "${COMMON_SOFA[@]}" -d "$DURATION" --json)
LMC_JSON=$("$LMC" "${COMMON_LMC[@]}" -d "$DURATION" --json)

python3 - "$SOFA_JSON" "$LMC_JSON" <<'PY'
import json, sys
s, l = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print("sofa-bench:           %10.0f ops/s  (%d ops, %d errors, p50 %.1f us, p99 %.1f us per op)"
      % (s["ops_per_sec"], s["ops"], s["errors"], s["latency_us"]["p50"], s["latency_us"]["p99"]))
print("compare-libmemcached: %10.0f ops/s  (%d ops, %d errors; %s)"
      % (l["ops_per_sec"], l["ops"], l["errors"], l["client"]))
print("ratio sofa / libmemcached: %.2fx" % (s["ops_per_sec"] / l["ops_per_sec"]))
PY
