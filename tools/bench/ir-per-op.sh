#!/usr/bin/env bash
# CPU instructions per key-value operation of sofa-bench, measured with callgrind, which
# counts instructions (independent of the machine's load). The marginal cost is taken
# between a run of N and a run of 3N operations, so start-up, bootstrap and populate cancel
# out: Ir/op = (Ir(3N) - Ir(N)) / 2N. Then the same difference per function
# (callgrind_annotate of both runs, exclusive cost), divided by 2N: the top functions' own
# instructions per operation.
#
# usage: tools/bench/ir-per-op.sh [BUILD_DIR]          (default: ./build)
# environment:
#   TARGET=memcached|mock|both (default both): Debian's memcached (binary protocol, -t 4)
#          and/or sofa-mock (1 node), each started on an ephemeral port by the script
#   N (default 20000)    operations of the short run (the long one does 3N)
#   TOP (default 25)     functions listed per target; TOP=0 lists none
#   BATCH (100), KEYS (1000), SETPCT (10), MINSIZE (100), MAXSIZE (100): the workload for
#          memcached (the defaults are the memcached comparison's); the mock run uses
#          pillowfight's mix (33 % sets, 50..5120 bytes) unless MOCK_SETPCT, MOCK_MINSIZE,
#          MOCK_MAXSIZE say otherwise
#   KEEP=DIR             keep the callgrind outputs in DIR
# See docs/bench.md ("Instructions per operation").
set -euo pipefail

BUILD=$(cd "${1:-build}" && pwd)
TARGET=${TARGET:-both}
N=${N:-20000}
TOP=${TOP:-25}
BATCH=${BATCH:-100}
KEYS=${KEYS:-1000}
SETPCT=${SETPCT:-10}
MINSIZE=${MINSIZE:-100}
MAXSIZE=${MAXSIZE:-100}
MOCK_SETPCT=${MOCK_SETPCT:-33}
MOCK_MINSIZE=${MOCK_MINSIZE:-50}
MOCK_MAXSIZE=${MOCK_MAXSIZE:-5120}
BENCH=$BUILD/tools/bench/sofa-bench
MOCK=$BUILD/tools/mock/sofa-mock

[ -x "$BENCH" ] || { echo "missing $BENCH: build first (cmake --build $BUILD)" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 2; }
case "$TARGET" in memcached|mock|both) ;; *) echo "TARGET: memcached, mock or both" >&2; exit 2;; esac

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [ -n "${KEEP:-}" ]; then
    mkdir -p "$KEEP"
    cp "$WORK"/cg.* "$KEEP"/ 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# measure NAME ARGS...: prints the per-op figures for sofa-bench ARGS (plus -n)
measure() {
  local name=$1; shift
  local n1=$N n3=$(( 3 * N )) ir1 ir3
  for n in "$n1" "$n3"; do
    valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.$name.$n" \
      "$BENCH" "$@" -n "$n" >"$WORK/out.$name.$n" 2>"$WORK/vg.$name.$n" ||
      { echo "sofa-bench failed ($name, -n $n):" >&2; cat "$WORK/out.$name.$n" >&2
        grep -v '^==' "$WORK/vg.$name.$n" | tail -20 >&2; exit 1; }
  done
  ir1=$(awk '/Collected :/ {print $NF}' "$WORK/vg.$name.$n1" | tail -1)
  ir3=$(awk '/Collected :/ {print $NF}' "$WORK/vg.$name.$n3" | tail -1)
  python3 - "$name" "$ir1" "$ir3" "$(( n3 - n1 ))" <<'PY'
import sys
name, ir1, ir3, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print("== %s: %.0f instructions per operation (Ir %d at N, %d at 3N, %d ops apart)"
      % (name, (ir3 - ir1) / n, ir1, ir3, n))
PY
  [ "$TOP" -gt 0 ] || return 0
  for n in "$n1" "$n3"; do
    callgrind_annotate --inclusive=no --tree=none --auto=no --threshold=100 "$WORK/cg.$name.$n" >"$WORK/ann.$name.$n" 2>/dev/null
  done
  python3 - "$WORK/ann.$name.$n1" "$WORK/ann.$name.$n3" "$(( n3 - n1 ))" "$TOP" <<'PY'
import re, sys
def load(path):
    d = {}
    for line in open(path, errors="replace"):
        m = re.match(r"^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?([^=\s].*?)\s*$", line)
        if not m or ":" not in m.group(2):
            continue
        fn = m.group(2)
        fn = re.sub(r"\s+\[[^\]]*\]$", "", fn)  # the object file
        d[fn] = d.get(fn, 0) + int(m.group(1).replace(",", ""))
    return d
a, b = load(sys.argv[1]), load(sys.argv[2])
n, top = int(sys.argv[3]), int(sys.argv[4])
rows = sorted(((b.get(k, 0) - a.get(k, 0)) / n, k) for k in set(a) | set(b))
rows.reverse()
print("   Ir/op  function (exclusive, marginal)")
for per, fn in rows[:top]:
    print("%8.1f  %s" % (per, fn))
PY
}

if [ "$TARGET" != mock ]; then
  command -v memcached >/dev/null || { echo "memcached is needed (apt-get install memcached)" >&2; exit 2; }
  PORT=$(free_port)
  memcached -u "$(id -un)" -l 127.0.0.1 -p "$PORT" -U 0 -B binary -t 4 &
  PIDS+=($!)
  for _ in $(seq 1 100); do
    (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break
    sleep 0.05
  done
  measure memcached -U "memcached://127.0.0.1:$PORT" -t 1 -B "$BATCH" -I "$KEYS" -r "$SETPCT" \
    -m "$MINSIZE" -M "$MAXSIZE" --populate
fi

if [ "$TARGET" != memcached ]; then
  [ -x "$MOCK" ] || { echo "missing $MOCK: build first" >&2; exit 2; }
  "$MOCK" --nodes 1 --ready-file "$WORK/ready.json" 2>"$WORK/mock.log" &
  PIDS+=($!)
  for _ in $(seq 1 100); do [ -s "$WORK/ready.json" ] && break; sleep 0.1; done
  CONNSTR=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["connstr"])' "$WORK/ready.json")
  # valgrind makes the SCRAM handshake slow (and slower still on a loaded machine): generous
  # bootstrap timeouts; no config polling, whose work depends on the run's duration
  case "$CONNSTR" in *\?*) SEP='&' ;; *) SEP='?' ;; esac
  CONNSTR="$CONNSTR${SEP}config_node_timeout=60s&config_total_timeout=120s&config_poll_interval=0"
  measure mock -U "$CONNSTR" -u Administrator -P password -t 1 -B "$BATCH" -I "$KEYS" \
    -r "$MOCK_SETPCT" -m "$MOCK_MINSIZE" -M "$MOCK_MAXSIZE" --populate -T 30
fi
