#!/usr/bin/env bash
# The main job: build sofa, start the bundled mock cluster (3 nodes, 1 replica, sample data),
# run the demo programs and the CLI against it, print what each step did, stop the mock.
# Usage: scripts/demo.sh            (fresh Debian 12, as root: installs what it needs)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
BUILD=${BUILD:-build}
step() { printf '\n== %s\n' "$*"; }

step "configure and build (cmake + ninja) into $BUILD/"
cmake -S . -B "$BUILD" -G Ninja >/dev/null
cmake --build "$BUILD" -j"$(nproc)" | tail -n 1
B=$PWD/$BUILD

WORK=$(mktemp -d)
MOCK_PID=""
cleanup() {
  if [ -n "$MOCK_PID" ]; then kill "$MOCK_PID" 2>/dev/null || true; wait "$MOCK_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

step "a throwaway CA and a server certificate for 127.0.0.1 (openssl), for the TLS ports"
mkdir "$WORK/tls" && sh tests/tls/gen_certs.sh "$WORK/tls" && ls "$WORK/tls"

step "start sofa-mock: 3 nodes, 1 replica, bucket 'default', sample dataset 'beers', simulated replication 20 ms / persistence 50 ms, plain and TLS ports"
"$B/tools/mock/sofa-mock" --nodes 3 --replicas 1 --bucket default --sample beers \
  --replicate-delay-ms 20 --persist-delay-ms 50 \
  --tls-cert "$WORK/tls/server.pem" --tls-key "$WORK/tls/server.key" \
  --ready-file "$WORK/ready.json" >"$WORK/mock.log" 2>&1 &
MOCK_PID=$!
for _ in $(seq 100); do [ -s "$WORK/ready.json" ] && break; sleep 0.05; done
[ -s "$WORK/ready.json" ] || { echo "mock did not start:"; cat "$WORK/mock.log"; exit 1; }
CONNSTR=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["connstr"])' "$WORK/ready.json")
echo "mock is up (pid $MOCK_PID): $CONNSTR"
USER=Administrator PASS=password
export SOFA_CONNSTR=$CONNSTR

run() { printf -- '-- $ %s\n' "$*"; "$@"; }

step "sync KV (examples/kv-sync.c): connect, upsert, get, wait"
run "$B/examples/kv-sync" "$CONNSTR" $USER $PASS

step "multi-get of 10,000 keys in one batch (examples/kv-multi.c)"
run "$B/examples/kv-multi" "$CONNSTR" $USER $PASS

step "async KV on an application-owned libevent loop (examples/async-libevent.c)"
run "$B/examples/async-libevent" "$CONNSTR" $USER $PASS

step "async KV on an application-owned libev loop (examples/async-libev.c)"
run "$B/examples/async-libev" "$CONNSTR" $USER $PASS

step "the IOPS plugin chosen at run time: SOFA_IOPS=libev (debug log shows the plugin)"
export SOFA_PLUGIN_PATH="$B/plugins"   # the build tree; an installed sofa finds them in its libdir
SOFA_IOPS=libev SOFA_LOG_LEVEL=debug run "$B/examples/choose-iops" "$CONNSTR" $USER $PASS 2>&1 \
  | grep -iE 'plugin|stored|got|result' | head -n 8 || true
printf -- '-- $ SOFA_IOPS=nosuch choose-iops ...   (expect a clear error naming what it tried)\n'
SOFA_IOPS=nosuch "$B/examples/choose-iops" "$CONNSTR" $USER $PASS 2>&1 | head -n 3 || true

if [ -x "$B/tools/cli/sofa" ]; then
  step "the sofa command-line tool"
  SOFA="$B/tools/cli/sofa -u $USER -P $PASS"
  run $SOFA set demo:greeting '{"hello":"sofa"}'
  run $SOFA get demo:greeting; echo
  run $SOFA --json get demo:greeting; echo
  run $SOFA incr demo:counter --delta 5 --initial 100
  run $SOFA exists demo:greeting
  run $SOFA rm demo:greeting
  printf -- '-- $ sofa get demo:greeting   (expect E_NOT_FOUND and its exit code)\n'
  $SOFA get demo:greeting || echo "exit code $?"
  run $SOFA ping
fi

if [ -x "$B/examples/n1ql-stream" ]; then
  step "N1QL, rows printed as they stream in (examples/n1ql-stream.c)"
  run "$B/examples/n1ql-stream" "$CONNSTR" \
    "SELECT name, abv FROM default WHERE type = 'beer' AND abv > 11 ORDER BY abv DESC LIMIT 5" $USER $PASS
fi
if [ -x "$B/examples/view-stream" ]; then
  step "a view with include_docs, rows streamed in order with their documents (examples/view-stream.c)"
  run "$B/examples/view-stream" "$CONNSTR" beers by_name $USER $PASS
fi
if [ -x "$B/examples/durability" ]; then
  step "durability: persist_to/replicate_to, endure, server-side levels (examples/durability.c)"
  run "$B/examples/durability" "$CONNSTR" $USER $PASS
fi

TLS_CONNSTR=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tls_connstr"])' "$WORK/ready.json")
step "TLS (couchbases://, docs/tls.md): KV and N1QL over verified TLS, trusting the demo CA"
run "$B/examples/kv-sync" "$TLS_CONNSTR?truststorepath=$WORK/tls/ca.pem" $USER $PASS
if [ -x "$B/examples/n1ql-stream" ]; then
  run "$B/examples/n1ql-stream" "$TLS_CONNSTR?truststorepath=$WORK/tls/ca.pem" \
    "SELECT name FROM default WHERE type = 'brewery' ORDER BY name LIMIT 3" $USER $PASS
fi
printf -- '-- $ kv-sync %s ...   (no trust store: expect E_TLS_VERIFY and the reason per seed)\n' "$TLS_CONNSTR"
"$B/examples/kv-sync" "$TLS_CONNSTR" $USER $PASS 2>&1 || true

step "stop the mock"
kill "$MOCK_PID"; wait "$MOCK_PID" 2>/dev/null || true; MOCK_PID=""
echo "done"
