#!/usr/bin/env bash
# Restart under a steady writer, beside bench/restart.sh's idle case: three dev-config nodes as
# separate `bin/shardkv serve` processes (data under a temp dir; ports 7001-7003, 7101-7103 and
# 7201-7203, so no `bin/shardkv dev` may run meanwhile), 20,000 keys of 1 KiB loaded, then
# CLIENTS (8) clients of 50% writes through n1 and n3 for 60 s. KILL_AFTER (15) seconds in, n2 is
# killed with SIGKILL and started again on the same data. Per run it prints the time from
# spawning n2 to its SERVING, n2's start-up timeline, the clients' result, and what the leaders
# logged about n2. RUNS=N repeats on a fresh cluster each time.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-1}" CLIENTS="${CLIENTS:-8}" KILL_AFTER="${KILL_AFTER:-15}"
[[ -f "$ROOT/service-main/target/service-main-0.1.0-SNAPSHOT.jar" ]] || (cd "$ROOT" && mvn -B -q -DskipTests install)
for port in 7001 7002 7003 7101 7102 7103 7201 7202 7203; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "restart-under-load: port $port is in use" >&2; exit 1; fi
done

WORK="$(mktemp -d)"
PIDS=()
cleanup() { kill -9 "${PIDS[@]}" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

serving() { (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && grep -q '^shardkv_node_serving 1' <&3) 2>/dev/null; }
start_node() { # $1 = 1..3, $2 = data dir; sets PIDS[$1-1]
  SHARDKV_HEAP=384m SHARDKV_NODE_ID="n$1" SHARDKV_CLIENT_PORT="700$1" SHARDKV_METRICS_PORT="720$1" \
    SHARDKV_DATA_DIR="$2/n$1" SHARDKV_ADMIN_TOKEN_FILE="$2/admin-token" \
    "$ROOT/bin/shardkv" serve --config "$ROOT/conf/dev.conf" >>"$2/n$1.log" 2>&1 &
  PIDS[$(($1 - 1))]=$!
}
await_serving() { # $1 = metrics port, $2 = seconds
  local deadline=$((SECONDS + $2))
  until serving "$1"; do (( SECONDS < deadline )) || { echo "restart-under-load: no SERVING on :$1" >&2; exit 1; }; sleep 0.1; done
}

echo "bench/restart-under-load.sh  # $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start, $(date -u +%FT%TZ), $(${SHARDKV_JAVA:-java} -version 2>&1 | head -1), class cache ${SHARDKV_JVM_CACHE:-on}"
for run in $(seq 1 "$RUNS"); do
  data="$WORK/run$run"; mkdir -p "$data"
  (umask 077; od -An -tx1 -N24 /dev/urandom | tr -d ' \n' > "$data/admin-token")
  for i in 1 2 3; do start_node "$i" "$data"; done
  for p in 7201 7202 7203; do await_serving "$p" 120; done
  "$ROOT/bin/shardkv-bench" load --target shardkv --address 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003 \
    --workload put --keys 20000 --count 20000 --clients 64 --no-progress >"$data/fill.txt" 2>&1
  "$ROOT/bin/shardkv-bench" load --target shardkv --address 127.0.0.1:7001,127.0.0.1:7003 --workload mixed \
    --write-percent 50 --keys 20000 --clients "$CLIENTS" --duration 60s --no-progress >"$data/mixed.txt" 2>&1 &
  load=$!
  sleep "$KILL_AFTER" # the writer's time before the kill is the point of the case, not a wait for a condition
  kill -9 "${PIDS[1]}"; wait "${PIDS[1]}" 2>/dev/null || true
  before=$(grep -c 'phase=serving' "$data/n2.log" || true)
  spawned=$(date +%s%N)
  start_node 2 "$data"
  until (( $(grep -c 'phase=serving' "$data/n2.log" || true) > before )); do
    kill -0 "${PIDS[1]}" 2>/dev/null || { echo "restart-under-load: n2 exited; its log:" >&2; tail -20 "$data/n2.log" >&2; exit 1; }
    sleep 0.05
  done
  echo "run $run: n2 killed ${KILL_AFTER} s into the load, spawn to SERVING $(( ($(date +%s%N) - spawned) / 1000000 )) ms"
  wait "$load" || true
  echo "  clients (${CLIENTS}, mixed 50% writes, 60 s): $(tail -1 "$data/mixed.txt")"
  echo "  n2 start-up timeline (ms since its JVM started):"
  awk -v b="$before" '/startup phase=main/ {n++} n > b && /startup phase=/ { sub(/.*startup /, "    "); print }' "$data/n2.log"
  echo "  leaders' log about n2: $(cat "$data/n1.log" "$data/n3.log" | grep -c 'follower n2 stopped answering' || true) 'stopped answering' and $(cat "$data/n1.log" "$data/n3.log" | grep -c 'follower n2 answers' || true) 'answers again' lines, $(cat "$data/n1.log" "$data/n3.log" | grep -c 'Timed out HEARTBEAT' || true) per-request timeout lines"
  kill -TERM "${PIDS[@]}" 2>/dev/null || true; wait "${PIDS[@]}" 2>/dev/null || true
done
