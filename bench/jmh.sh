#!/usr/bin/env bash
# The JMH microbenchmarks (store apply path: batch size x sync mode; router merge scan).
# Options after the script name go to JMH, e.g. bench/jmh.sh -f 2 -wi 5 -i 10 StoreApply
# Writes bench/results/jmh.{txt,json} (OUT=dir to write elsewhere).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-$ROOT/bench/results}"
mkdir -p "$OUT"
ARGS=(-f 1 -wi 2 -i 3 -w 1s -r 2s "$@")
echo "bench/jmh.sh ${ARGS[*]}" > "$OUT/jmh.cmd"
"$ROOT/bin/shardkv-bench" jmh "${ARGS[@]}" -rf json -rff "$OUT/jmh.json" | tee "$OUT/jmh.txt"
