#!/usr/bin/env bash
# Compare sofa-bench with compare-libmemcached (libmemcached from Debian) against real
# memcached: the same pipelined workload (one thread, batch 100, 90% gets, 100-byte values),
# each for DURATION seconds. libmemcached runs in its three set modes (noreply, buffered,
# sync; see compare-libmemcached.c). Prints ops/s, the CPU time the client and the memcached
# server spent per operation during each run, and the ratios. See docs/bench.md.
#
# usage: tools/bench/run-memcached-compare.sh [BUILD_DIR]      (default: ./build)
# environment: DURATION (seconds, default 5), KEYS (default 1000), BATCH (default 100),
#              SETPCT (default 10), SIZE (default 100), MEMCACHED (default: memcached on PATH),
#              MC_THREADS (memcached -t, default 4 = memcached's default),
#              MC_ARGS (more memcached options for both clients alike, e.g. "-R 200"),
#              ROUNDS (default 1: the runs are repeated ROUNDS times, interleaved, and the
#              median round of each client is shown - use 5 or more on a busy machine),
#              WINDOW (default 2: sofa-bench is also run with -W WINDOW, that many batches in
#              flight, and libmemcached noreply with a batch of BATCH*WINDOW, the same number
#              of operations in flight; WINDOW=1 skips both)
set -euo pipefail

BUILD=${1:-build}
DURATION=${DURATION:-5}
KEYS=${KEYS:-1000}
BATCH=${BATCH:-100}
SETPCT=${SETPCT:-10}
SIZE=${SIZE:-100}
MC_THREADS=${MC_THREADS:-4}
ROUNDS=${ROUNDS:-1}
WINDOW=${WINDOW:-2}
read -r -a MC_EXTRA <<<"${MC_ARGS:-}"
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
"$MEMCACHED" "${USER_OPT[@]}" -l 127.0.0.1 -p "$PORT" -U 0 -B binary -m 256 -t "$MC_THREADS" "${MC_EXTRA[@]}" &
MC_PID=$!
trap 'kill "$MC_PID" 2>/dev/null || true; wait "$MC_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done

COMMON_SOFA=(-U "memcached://127.0.0.1:$PORT" -t 1 -B "$BATCH" -I "$KEYS" -r "$SETPCT" -m "$SIZE" -M "$SIZE")
COMMON_LMC=(-p "$PORT" -I "$KEYS" -r "$SETPCT" -s "$SIZE")

echo "== memcached $("$MEMCACHED" -V | awk '{print $2}') -t $MC_THREADS ${MC_ARGS:-} on 127.0.0.1:$PORT; one thread, batch $BATCH, $((100 - SETPCT))% gets, $SIZE-byte values, $KEYS keys, ${DURATION}s each"
# populate once (not measured), then the timed runs
"$BENCH" "${COMMON_SOFA[@]}" --populate -n 1 --json >/dev/null

TICK=$(getconf CLK_TCK)
server_ticks() { awk '{print $14 + $15}' "/proc/$MC_PID/stat"; }
# timed NAME CMD...: runs CMD, keeps its JSON in OUT_NAME and "client_cpu server_cpu" seconds
# in CPU_NAME (client: user+sys of the process; server: memcached's utime+stime delta).
timed() {
  local name=$1 s0 s1 t
  shift
  s0=$(server_ticks)
  t=$( { TIMEFORMAT='%U %S'; time "$@" >"$TMPD/$name.json"; } 2>&1 )
  s1=$(server_ticks)
  echo "$t $(( s1 - s0 ))" >"$TMPD/$name.cpu"
}
TMPD=$(mktemp -d)
trap 'kill "$MC_PID" 2>/dev/null || true; wait "$MC_PID" 2>/dev/null || true; rm -rf "$TMPD"' EXIT
for round in $(seq 1 "$ROUNDS"); do
  timed "sofa.$round" "$BENCH" "${COMMON_SOFA[@]}" -d "$DURATION" --json
  for mode in noreply buffered sync; do
    timed "lmc-$mode.$round" "$LMC" "${COMMON_LMC[@]}" -B "$BATCH" -d "$DURATION" --json --sets "$mode"
  done
  if [ "$WINDOW" -gt 1 ]; then
    timed "sofa-w.$round" "$BENCH" "${COMMON_SOFA[@]}" -W "$WINDOW" -d "$DURATION" --json
    timed "lmc-big.$round" "$LMC" "${COMMON_LMC[@]}" -B "$((BATCH * WINDOW))" -d "$DURATION" --json --sets noreply
  fi
done

python3 - "$TMPD" "$TICK" "$ROUNDS" "$WINDOW" "$BATCH" <<'PY'
import json, sys, os
d, tick, rounds = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
window, batch = int(sys.argv[4]), int(sys.argv[5])
def load1(name):
    j = json.load(open(os.path.join(d, name + ".json")))
    u, s, st = open(os.path.join(d, name + ".cpu")).read().split()
    j["client_cpu"] = float(u) + float(s)
    j["server_cpu"] = float(st) / tick
    return j
def load(name, label):
    # the median round by ops/s (all rounds listed when there are several)
    rs = sorted((load1("%s.%d" % (name, r)) for r in range(1, rounds + 1)),
                key=lambda j: j["ops_per_sec"])
    if rounds > 1:
        print("%-30s rounds ops/s: %s" % (label, " ".join("%.0f" % j["ops_per_sec"] for j in rs)))
    return rs[len(rs) // 2]
sofas = [("sofa-bench -W 1", "sofa")]
lmcs = [("libmemcached noreply", "lmc-noreply"), ("libmemcached buffered", "lmc-buffered"),
        ("libmemcached sync", "lmc-sync")]
if window > 1:
    sofas.append(("sofa-bench -W %d" % window, "sofa-w"))
    lmcs.append(("libmemcached noreply -B %d" % (batch * window), "lmc-big"))
runs = [(label, load(name, label)) for label, name in sofas + lmcs]
if rounds > 1:
    print("median round of %d:" % rounds)
print("%-30s %12s %8s %13s %13s %9s" % ("client", "ops/s", "errors", "client us/op",
                                         "server us/op", "server %"))
for name, j in runs:
    ops = j["ops"]
    print("%-30s %12.0f %8d %13.3f %13.3f %8.0f%%" % (
        name, j["ops_per_sec"], j["errors"], 1e6 * j["client_cpu"] / ops,
        1e6 * j["server_cpu"] / ops, 100 * j["server_cpu"] / j["seconds"]))
res = dict(runs)
names = dict(sofas + lmcs)
for sname, _ in sofas:
    for lname, _ in lmcs:
        line = "ratio %s / %s: %.2fx (medians)" % (
            sname, lname, res[sname]["ops_per_sec"] / res[lname]["ops_per_sec"])
        if rounds > 1:
            # the two runs of one round are seconds apart: their ratio is the least disturbed
            # by the machine's speed drifting between rounds
            rr = sorted(load1("%s.%d" % (names[sname], r))["ops_per_sec"] /
                        load1("%s.%d" % (names[lname], r))["ops_per_sec"]
                        for r in range(1, rounds + 1))
            line += "; per round %s, median %.2fx" % (" ".join("%.2f" % x for x in rr),
                                                      rr[len(rr) // 2])
        print(line)
print("(-W 1: sofa-bench schedules a batch and waits for it, like libmemcached; -W N keeps N "
      "batches in flight, which libmemcached's blocking calls cannot. noreply: libmemcached "
      "sets are not confirmed (SETQ), less work than sofa; buffered: the same server work, "
      "statuses discarded; sync: the same guarantee as sofa, one round trip per set)")
PY
