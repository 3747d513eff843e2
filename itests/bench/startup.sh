#!/usr/bin/env bash
# Cold and warm start to ready of the built server or agent distribution (build first with ./pm build).
#   itests/bench/startup.sh server|agent [RUNS] ["JVM OPTIONS A" ["JVM OPTIONS B"]]
# RUNS defaults to 10. Without options it uses exactly what ./pm starts the role with (`./pm jvm-options ROLE`);
# with two option sets it alternates them run by run, so a change in machine load hits both alike (A/B compare).
# Time = wall clock from spawning `java` until the readiness route answers: the server's GET /api/v1/health with
# 200 "status":"UP", the agent's GET /api/autoupdate/status with 200; polled every 20 ms over bash's /dev/tcp.
# cold = a fresh, empty data directory every run (first start: database and admin account created);
# warm = the same data directory again (a restart). The framework cache is rebuilt at every start either way.
# PM_ADMIN_PASSWORD, when set, reaches the server (it then checks that password's hash at every start).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROLE="${1:-}"; RUNS="${2:-10}"
[ "$ROLE" = server ] || [ "$ROLE" = agent ] || die "usage: startup.sh server|agent [RUNS] [\"JVM OPTIONS A\" [\"JVM OPTIONS B\"]]"
need_dist "$ROLE"
if [ $# -ge 3 ]; then VARIANTS=("${@:3}"); else VARIANTS=("$(java_opts_of "$ROLE")"); fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pm-bench-start.XXXXXX")
PID=""
trap '[ -n "$PID" ] && stop_container "$PID"; rm -rf "$WORK"' EXIT
TIMEOUT_MS=60000

one_start() { # data-dir jvm-options -> sets MS
  local port t0 polls=0
  port=$(free_port)
  t0=$(now_ms)
  start_container "$ROLE" "$WORK/console.log" "$1" "$port" "$2"
  until is_ready "$ROLE" "$port"; do
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/console.log" >&2; die "$ROLE exited before it was ready"; }
    if (( ++polls % 25 == 0 )) && port_taken "$WORK/console.log"; then  # someone took the port: not a sample, again
      stop_container "$PID"; PID=""; one_start "$1" "$2"; return
    fi
    (( $(now_ms) - t0 < TIMEOUT_MS )) || { stop_container "$PID"; PID=""; die "$ROLE not ready after ${TIMEOUT_MS} ms"; }
    sleep 0.02
  done
  MS=$(( $(now_ms) - t0 ))
  stop_container "$PID"; PID=""
}

echo "$ROLE start to ready, $RUNS cold and $RUNS warm runs per variant; $(java -version 2>&1 | head -1)"
echo "before: $(load_note)"
declare -A COLD WARM
for v in "${!VARIANTS[@]}"; do
  echo "warming up variant $v"
  one_start "$WORK/discard-$v" "${VARIANTS[$v]}"   # unmeasured: jars in the page cache, like any second start
  one_start "$WORK/warm-$v" "${VARIANTS[$v]}"      # makes the data directory the warm runs reuse
done
for i in $(seq 1 "$RUNS"); do
  for v in "${!VARIANTS[@]}"; do
    one_start "$WORK/cold-$v-$i" "${VARIANTS[$v]}"; COLD[$v]+="$MS "; rm -rf "$WORK/cold-$v-$i"
    one_start "$WORK/warm-$v" "${VARIANTS[$v]}"; WARM[$v]+="$MS "
  done
done
for v in "${!VARIANTS[@]}"; do
  # shellcheck disable=SC2086
  {
    echo "variant $v: JVM options '${VARIANTS[$v]}'"
    echo "  cold (fresh data dir) ms: ${COLD[$v]}"
    echo "  warm (reused data dir) ms: ${WARM[$v]}"
    echo "  cold: $(summary ${COLD[$v]})"
    echo "  warm: $(summary ${WARM[$v]})"
  }
done
echo "after: $(load_note)"
