#!/usr/bin/env bash
# Cold and warm start to ready of the built server or agent distribution.
#   itests/bench/startup.sh server|agent [RUNS]      (RUNS defaults to 10; build first with ./pm build)
# Time = wall clock from spawning `java` until the readiness route answers: the server's GET /api/v1/health
# with 200 "status":"UP", the agent's GET /api/autoupdate/status with 200. Polled every 20 ms.
# cold = a fresh, empty data directory every run (first start: database created, admin account made);
# warm = the same data directory again (database exists). The framework cache is rebuilt at every start anyway.
# JVM options as ./pm uses them (PM_JAVA_OPTS, else the role's default). PM_ADMIN_PASSWORD is passed through.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROLE="${1:-}"; RUNS="${2:-10}"
[ "$ROLE" = server ] || [ "$ROLE" = agent ] || die "usage: startup.sh server|agent [RUNS]"
need_dist "$ROLE"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pm-bench-start.XXXXXX")
PID=""
trap '[ -n "$PID" ] && stop_container "$PID"; rm -rf "$WORK"' EXIT
TIMEOUT_MS=60000
OPTS=$(java_opts_of "$ROLE")

one_start() { # data-dir -> sets MS
  local port t0 t polls=0
  port=$(free_port)
  t0=$(now_ms)
  start_container "$ROLE" "$WORK/console.log" "$1" "$port" "$OPTS"
  until is_ready "$ROLE" "$port"; do
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/console.log" >&2; die "$ROLE exited before it was ready"; }
    if (( ++polls % 25 == 0 )) && port_taken "$WORK/console.log"; then  # someone else took the port: not a measurement, run again
      stop_container "$PID"; PID=""; one_start "$1"; return
    fi
    (( $(now_ms) - t0 < TIMEOUT_MS )) || { stop_container "$PID"; die "$ROLE not ready after ${TIMEOUT_MS} ms"; }
    sleep 0.02
  done
  t=$(( $(now_ms) - t0 ))
  stop_container "$PID"; PID=""
  MS=$t
}

echo "$ROLE start to ready, $RUNS runs each; JVM options: '$OPTS'; $(java -version 2>&1 | head -1)"
echo "before: $(load_note)"
one_start "$WORK/discard"  # one unmeasured start: page cache holds the jars, like any second start
cold=(); warm=()
for i in $(seq 1 "$RUNS"); do
  one_start "$WORK/cold-$i"; cold+=("$MS"); rm -rf "$WORK/cold-$i"
done
one_start "$WORK/warm" # creates the data directory the warm runs reuse
for i in $(seq 1 "$RUNS"); do
  one_start "$WORK/warm"; warm+=("$MS")
done
echo "cold (fresh data dir) ms: ${cold[*]}"
echo "warm (reused data dir) ms: ${warm[*]}"
echo "cold: $(summary "${cold[@]}")"
echo "warm: $(summary "${warm[@]}")"
echo "after: $(load_note)"
