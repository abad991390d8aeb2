#!/usr/bin/env bash
# shardkv against etcd on this machine, same workloads, one table with the ratio shardkv/etcd.
# Installs Debian's etcd-server if missing; bin/shardkv-bench compare starts a 3-member etcd and
# a 3-node shardkv on loopback (ephemeral ports, data under a temp dir), warms each up with 20 s of
# mixed load (not reported: the JVM compiles its hot paths meanwhile, as a server that has been up
# a while has), runs every workload at every client count against each in turn (1 KiB values),
# prints the table and stops both.
# Options after the script name override the defaults, e.g. bench/vs-etcd.sh --duration 30s
# Writes bench/results/vs-etcd.{md,json} (OUT=dir to write elsewhere).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-$ROOT/bench/results}"

if ! command -v etcd >/dev/null; then
  SUDO=""; [[ "$(id -u)" == "0" ]] || SUDO="sudo"
  echo "vs-etcd: installing etcd-server (Debian)" >&2
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq etcd-server >&2
fi
mkdir -p "$OUT"
echo "bench/vs-etcd.sh $*  # $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start, $(date -u +%F)" > "$OUT/vs-etcd.cmd"
echo "vs-etcd: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), etcd $(etcd --version | head -1 | cut -d' ' -f3)" >&2
"$ROOT/bin/shardkv-bench" compare --clients 1,16,64,256 --channels 4 --value-bytes 1024 --keys 10000 \
  --workloads put,get,get-stale,mixed,scan --write-percent 50 --scan-limit 100 --duration 10s --warmup 20s \
  --json "$OUT/vs-etcd.json" --md "$OUT/vs-etcd.md" "$@"
