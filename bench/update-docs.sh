#!/usr/bin/env bash
# Regenerates the generated sections of docs/benchmarks.md (between <!-- NAME --> and
# <!-- /NAME --> markers) from this machine's facts and bench/results/*: run it after
# bench/vs-etcd.sh, bench/restart.sh and bench/jmh.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RES="$ROOT/bench/results"
DOC="$ROOT/docs/benchmarks.md"
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT

{
  echo "| what | value |"
  echo "|---|---|"
  echo "| cores (nproc) | $(nproc) ($(lscpu | sed -n 's/^Model name: *//p' | head -1)) |"
  echo "| memory | $(free -g | awk '/^Mem:/{print $2}') GiB |"
  disk="$(df -P "$ROOT" | awk 'NR==2{print $1}')"; dev="$(basename "$disk")"
  rot="$(cat "/sys/block/${dev%%[0-9]*}/queue/rotational" 2>/dev/null || echo '?')"
  echo "| disk | $disk, $(df -h "$ROOT" | awk 'NR==2{print $2}'), rotational=$rot (virtual disk) |"
  echo "| JDK | $(java -version 2>&1 | head -1) |"
  echo "| etcd | $(command -v etcd >/dev/null && etcd --version | head -1 || echo 'not installed') |"
} > "$TMP/machine"

cmd() { [[ -f "$RES/$1.cmd" ]] && { echo '```'; cat "$RES/$1.cmd"; echo '```'; echo; }; true; }
{ cmd vs-etcd; cat "$RES/vs-etcd.md" 2>/dev/null || echo "(no results yet: run bench/vs-etcd.sh)"; } > "$TMP/vs-etcd"
{
  cmd restart
  if [[ -f "$RES/restart.csv" ]]; then
    echo "| system | mode | size asked (GB) | loaded MiB | on disk MiB | runs | restart s (each run) |"
    echo "|---|---|---:|---:|---:|---:|---|"
    awk -F, 'NR>1 { k=$1"|"$2"|"$3; if (!(k in n)) { order[++m]=k; loaded[k]=$4; disk[k]=$5 }
                    n[k]++; t[k]=t[k] (n[k]>1?", ":"") $7 }
             END { for (i=1;i<=m;i++) { k=order[i]; split(k,p,"|");
                   printf "| %s | %s | %s | %s | %s | %d | %s |\n", p[1],p[2],p[3],loaded[k],disk[k],n[k],t[k] } }' "$RES/restart.csv"
    echo
    echo '![restart time against data size](img/restart.png)'
  else
    echo "(no results yet: run bench/restart.sh)"
  fi
} > "$TMP/restart"
if [[ -f "$RES/restart-under-load.txt" ]]; then
  { echo '```'; cat "$RES/restart-under-load.txt"; echo '```'; } > "$TMP/restart-under-load"
else
  echo "(no results yet: run bench/restart.sh)" > "$TMP/restart-under-load"
fi
{ cmd restart-cluster; if [[ -f "$RES/restart-cluster.txt" ]]; then echo '```'; cat "$RES/restart-cluster.txt"; echo '```'; else echo "(no results yet: run bin/shardkv-bench restart-cluster)"; fi; } > "$TMP/restart-cluster"
{
  cmd jmh
  if [[ -f "$RES/jmh.txt" ]]; then
    echo '```'; sed -n '/^Benchmark /,$p' "$RES/jmh.txt" | grep -v "^Benchmark result is saved"; echo '```'
  else
    echo "(no results yet: run bench/jmh.sh)"
  fi
} > "$TMP/jmh"

{ cmd soak; if [[ -f "$RES/soak.txt" ]]; then echo '```'; cat "$RES/soak.txt"; echo '```'; else echo "(no results yet: run bin/shardkv-bench soak)"; fi; } > "$TMP/soak"

for name in machine vs-etcd restart restart-cluster restart-under-load jmh soak; do
  awk -v name="$name" -v file="$TMP/$name" '
    $0 == "<!-- " name " -->" { print; while ((getline line < file) > 0) print line; skip=1; next }
    $0 == "<!-- /" name " -->" { skip=0 }
    !skip { print }' "$DOC" > "$TMP/doc" && cp "$TMP/doc" "$DOC"
done
echo "updated $DOC"
