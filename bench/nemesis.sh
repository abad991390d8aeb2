#!/usr/bin/env bash
# The long nemesis run (issue 12): NemesisIT from tests-integration for NEMESIS_SECONDS (default 600) of
# random kill -9, partitions, pauses and flapping links, with the history checked for
# linearizability and the replica digests compared at the end. Prints the test's report line.
# SEED=S replays a run's choice of faults. Runs one 3-node cluster on loopback.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_OF_FAULTS="${NEMESIS_SECONDS:-600}"
ARGS=(-Dshardkv.nemesis.seconds="$SECONDS_OF_FAULTS")
[[ -n "${SEED:-}" ]] && ARGS+=(-Dshardkv.seed="$SEED")
echo "bench/nemesis.sh  # $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start, $(date -u +%FT%TZ), ${SECONDS_OF_FAULTS} s"
cd "$ROOT"
mvn -B -q verify -pl tests-integration -am -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=NemesisIT -Dfailsafe.failIfNoSpecifiedTests=false "${ARGS[@]}" | grep -E '^NemesisIT' || true
grep -h 'Tests run' tests-integration/target/failsafe-reports/io.shardkv.it.NemesisIT.txt
