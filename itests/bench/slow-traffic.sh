#!/usr/bin/env bash
# Health latency of the built server under hostile slow traffic (issue 13): 300 connections trickling a request body
# one byte every 3 s into POST /api/v1/auth/login and POST /api/v1/agents/enroll, and 300 open sync event streams,
# while GET /api/v1/health is requested again and again on fresh connections until every slow body is cut off.
#   itests/bench/slow-traffic.sh [ROUNDS]        (3 by default; build first with ./pm build or mvn install)
# Each round runs HostileTrafficProcessIT (the real server process, as ./pm test runs it) and prints its result line:
# health p50/p99/max over all samples of the round, and when the last slow body was cut off. The lines are also in
# itests/target/bench/slow-traffic.txt (the last round's). Knobs: BENCH_SLOW_BODIES (300), BENCH_STREAMS (300).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS="${1:-3}"
need_dist server
cd "$ROOT"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$ROUNDS"); do
  mvn -B -q -o -Dstyle.color=never -pl itests verify -Dit.test=HostileTrafficProcessIT -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
      -Dpm.bench.slowBodies="${BENCH_SLOW_BODIES:-300}" -Dpm.bench.streams="${BENCH_STREAMS:-300}" >/dev/null \
    || die "round $round failed: see itests/target/failsafe-reports"
  echo "round $round: $(cat itests/target/bench/slow-traffic.txt) (load $(cut -d' ' -f1 /proc/loadavg))"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
