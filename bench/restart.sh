#!/usr/bin/env bash
# Restart time against data size, shardkv (skip and forced restore, after SIGTERM and after
# SIGKILL during writes) and etcd with the same data (up to --etcd-max-gb, default 8: etcd's
# documented maximum), then the restart under a steady writer (bench/restart-under-load.sh,
# UNDER_LOAD_RUNS=3 runs; --no-under-load skips it). Default sizes are tiny (a quick run); the
# documented curve is bench/restart.sh --sizes-gb 0.1,1,4,8,10 --runs 2 --value-bytes 4000 (4000-byte
# values fill one 4 KiB LMDB overflow page; 4096-byte ones take two, doubling the disk needed).
# Nodes start through bin/shardkv with its class cache (SHARDKV_JVM_CACHE=off to measure without).
# Writes bench/results/restart.csv, restart-under-load.txt and docs/img/restart.png (OUT / PNG
# to write elsewhere).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-$ROOT/bench/results}"
PNG="${PNG:-$ROOT/docs/img/restart.png}"
ARGS=() UNDER_LOAD=yes
for a in "$@"; do if [[ "$a" == --no-under-load ]]; then UNDER_LOAD=no; else ARGS+=("$a"); fi; done
ETCD=()
command -v etcd >/dev/null || { echo "restart: no etcd on the PATH: shardkv only (apt-get install etcd-server)" >&2; ETCD=(--no-etcd); }
mkdir -p "$OUT" "$(dirname "$PNG")"
echo "bench/restart.sh $*  # $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start, $(date -u +%FT%TZ), $(${SHARDKV_JAVA:-java} -version 2>&1 | head -1), class cache ${SHARDKV_JVM_CACHE:-on}" > "$OUT/restart.cmd"
"$ROOT/bin/shardkv-bench" restart --sizes-gb 0.01 --runs 1 --csv "$OUT/restart.csv" --png "$PNG" "${ETCD[@]}" "${ARGS[@]}"
if [[ "$UNDER_LOAD" == yes ]]; then
  RUNS="${UNDER_LOAD_RUNS:-3}" "$ROOT/bench/restart-under-load.sh" | tee "$OUT/restart-under-load.txt"
fi
