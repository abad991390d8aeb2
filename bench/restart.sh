#!/usr/bin/env bash
# Restart time against data size, shardkv (skip and forced restore, after SIGTERM and after
# SIGKILL during writes) and etcd with the same data. Default sizes are tiny (a quick run);
# e.g. bench/restart.sh --sizes-gb 0.1,0.5,1,2 --runs 3 for the full curve.
# Writes bench/results/restart.csv and docs/img/restart.png (OUT / PNG to write elsewhere).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-$ROOT/bench/results}"
PNG="${PNG:-$ROOT/docs/img/restart.png}"
ETCD=()
command -v etcd >/dev/null || { echo "restart: no etcd on the PATH: shardkv only (apt-get install etcd-server)" >&2; ETCD=(--no-etcd); }
mkdir -p "$OUT" "$(dirname "$PNG")"
echo "bench/restart.sh $*  # $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start, $(date -u +%F)" > "$OUT/restart.cmd"
"$ROOT/bin/shardkv-bench" restart --sizes-gb 0.01 --runs 1 --csv "$OUT/restart.csv" --png "$PNG" "${ETCD[@]}" "$@"
