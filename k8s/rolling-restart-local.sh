#!/usr/bin/env bash
# What a StatefulSet RollingUpdate of k8s/statefulset.yaml does, simulated on one machine with no
# Kubernetes: three `bin/shardkv serve` processes (node ids shardkv-0..2, as the pods have),
# filled with data, then restarted one after another from the highest ordinal down, the way the
# StatefulSet controller does it: SIGTERM the node, wait for it to exit, start it again, wait
# until its readiness (grpc.health.v1 service "") is SERVING, then the next. Writes go on
# during the roll, never to the node being restarted (a Service stops routing to a terminating
# pod), and every acknowledged write is read back from every node at the end.
#
#   k8s/rolling-restart-local.sh                 (on a shared machine:
#   flock /tmp/shardkv-heavy.lock k8s/rolling-restart-local.sh)
#
# Environment: DATA_MB (64) MiB written before the roll, in VALUE_KB (32) KiB values;
# SHARDS (4); BASE_PORT (17000: client BASE+1.., Raft BASE+101.., metrics BASE+201..);
# SHARDKV_HEAP (384m); WORK_DIR (a new /tmp/shardkv-roll.*, deleted on success unless KEEP=1).
# Needs a built project (bin/shardkv builds it) and, for the client, the Debian packages
# python3-grpcio python3-protobuf protobuf-compiler protobuf-compiler-grpc.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARDKV="$ROOT/bin/shardkv"
LOAD="$ROOT/k8s/rolling_restart_load.py"
N=3
BASE="${BASE_PORT:-17000}"
DATA_MB="${DATA_MB:-64}"
VALUE_KB="${VALUE_KB:-32}"
SHARDS="${SHARDS:-4}"
export SHARDKV_HEAP="${SHARDKV_HEAP:-384m}"
WORK="${WORK_DIR:-$(mktemp -d /tmp/shardkv-roll.XXXXXX)}"
mkdir -p "$WORK"

client_port() { echo $((BASE + 1 + $1)); }
raft_port() { echo $((BASE + 101 + $1)); }
metrics_port() { echo $((BASE + 201 + $1)); }
now() { echo "$EPOCHREALTIME"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

for i in $(seq 0 $((N - 1))); do
  for port in "$(client_port "$i")" "$(raft_port "$i")" "$(metrics_port "$i")"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "rolling-restart: port $port is in use; set BASE_PORT" >&2
      exit 1
    fi
  done
done

{
  echo "# Written by k8s/rolling-restart-local.sh: the k8s/configmap.yaml cluster on loopback."
  echo "shardkv {"
  echo "  cluster-id = \"shardkv-roll\""
  echo "  shards = $SHARDS"
  echo "  peers = ["
  for i in $(seq 0 $((N - 1))); do
    echo "    { id = \"shardkv-$i\", host = \"127.0.0.1\", raft-port = $(raft_port "$i"), client-port = $(client_port "$i") }"
  done
  echo "  ]"
  echo "  client.host = \"127.0.0.1\""
  echo "  metrics.host = \"127.0.0.1\""
  echo "}"
} > "$WORK/shardkv.conf"

pids=()
writer=""
addresses=()
for i in $(seq 0 $((N - 1))); do addresses+=(--address "127.0.0.1:$(client_port "$i")"); done

cleanup() {
  local rc=$?
  touch "$WORK/stop"
  if [[ -n "$writer" ]]; then kill "$writer" 2>/dev/null || true; wait "$writer" 2>/dev/null || true; fi
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ $rc -eq 0 && -z "${KEEP:-}" ]]; then
    rm -rf "$WORK"
  else
    echo "rolling-restart: logs and data kept in $WORK" >&2
  fi
}
trap cleanup EXIT

start_node() {
  local i=$1
  SHARDKV_NODE_ID="shardkv-$i" SHARDKV_CLIENT_PORT="$(client_port "$i")" \
    SHARDKV_METRICS_PORT="$(metrics_port "$i")" SHARDKV_DATA_DIR="$WORK/shardkv-$i" \
    "$SHARDKV" serve --config "$WORK/shardkv.conf" >>"$WORK/shardkv-$i.log" 2>&1 &
  pids[$i]=$!
}

# Returns once the node's overall health is SERVING: what the readinessProbe checks.
await_ready() {
  local i=$1
  until "$SHARDKV" health --address "127.0.0.1:$(client_port "$i")" --wait 30 >/dev/null 2>&1; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "rolling-restart: shardkv-$i exited; the end of its log:" >&2
      tail -n 30 "$WORK/shardkv-$i.log" >&2
      exit 1
    fi
  done
}

# When node $1 last logged a line containing $2, from its timestamp: "listening: client" is
# when the port opened (liveness turns SERVING), " SERVING (min applied" when readiness did.
# The node's own clock is exact; the health command can notice later, because its gRPC channel
# backs off between connection attempts while the port is still closed (as a probe does not).
logged_at() {
  local line
  line=$(grep -F "$2" "$WORK/shardkv-$1.log" | tail -n 1)
  date -d "${line:0:23}" +%s.%N
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)," \
  "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM;" \
  "$(java -version 2>&1 | head -1); heap per node $SHARDKV_HEAP"
echo "cluster: $N nodes, $SHARDS shards, client ports $(client_port 0)-$(client_port $((N - 1))), work dir $WORK"

t=$(now)
for i in $(seq 0 $((N - 1))); do start_node "$i"; done
for i in $(seq 0 $((N - 1))); do await_ready "$i"; done
echo "cold start of $N nodes to all SERVING: $(secs "$t" "$(now)") s"

/usr/bin/python3 "$LOAD" fill "${addresses[@]}" --mb "$DATA_MB" --value-kb "$VALUE_KB"
echo "data per node: $(du -sm "$WORK/shardkv-0" | cut -f1) MiB on disk (Raft log + LMDB)"

/usr/bin/python3 "$LOAD" write "${addresses[@]}" --unready "$WORK/unready" --stop "$WORK/stop" \
  > "$WORK/writer.out" 2>&1 &
writer=$!
# Let the writer get going before the first SIGTERM, so the roll happens under load.
until grep -q "^writer: started" "$WORK/writer.out" 2>/dev/null; do
  if ! kill -0 "$writer" 2>/dev/null; then
    echo "rolling-restart: the writer exited:" >&2; cat "$WORK/writer.out" >&2; exit 1
  fi
  sleep 0.1 # polling another process's output: there is nothing to block on
done

roll_start=$(now)
echo "load average before the roll: $(loadavg)"
for i in $(seq $((N - 1)) -1 0); do
  t0=$(now)
  echo "127.0.0.1:$(client_port "$i")" > "$WORK/unready"
  kill -TERM "${pids[$i]}"
  wait "${pids[$i]}" || true
  t1=$(now)
  start_node "$i"
  await_ready "$i"
  t2=$(now)
  rm -f "$WORK/unready"
  echo "shardkv-$i: SIGTERM to exit $(secs "$t0" "$t1") s; start to listening (liveness) $(secs "$t1" "$(logged_at "$i" "listening: client")") s," \
    "to SERVING (ready, node log) $(secs "$t1" "$(logged_at "$i" " SERVING (min applied")") s, seen by the health command" \
    "$(secs "$t1" "$t2") s; SIGTERM to next pod $(secs "$t0" "$t2") s"
done
echo "rolling restart of $N nodes: $(secs "$roll_start" "$(now)") s (load average after: $(loadavg))"

touch "$WORK/stop"
writer_rc=0
wait "$writer" || writer_rc=$?
writer=""
cat "$WORK/writer.out"
exit "$writer_rc"
