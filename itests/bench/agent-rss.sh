#!/usr/bin/env bash
# Resident memory of an idle agent (build first with ./pm build).
#   itests/bench/agent-rss.sh [--nmt] [RUNS] ["JVM OPTIONS"]
# RUNS (default 3) separate starts, each on a fresh data directory; the JVM options default to exactly what ./pm
# starts the agent with (`./pm jvm-options agent`). Each run waits until the agent is ready, then samples VmRSS from
# /proc/<pid>/status every 2 s until it is idle: at least 30 s and the last ten samples within 1 MiB of each other
# (at most 3 minutes). The run's result is its last sample; reported: each run and the median, in MiB.
# --nmt adds -XX:NativeMemoryTracking=summary and prints the JVM's own account of committed memory by area after
# each run (it costs a little memory itself: use it to explain a number, not to measure it).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NMT=false
if [ "${1:-}" = --nmt ]; then NMT=true; shift; fi
RUNS="${1:-3}"
OPTS="${2:-$(java_opts_of agent)}"
if $NMT; then OPTS="$OPTS -XX:NativeMemoryTracking=summary"; fi
need_dist agent
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pm-bench-rss.XXXXXX")
PID=""
trap '[ -n "$PID" ] && stop_container "$PID"; rm -rf "$WORK"' EXIT

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

one_run() { # -> sets RSS (kB)
  local port t0 ready samples=() n lo hi last10 stable=false
  port=$(free_port)
  rm -rf "$WORK/data"
  start_container agent "$WORK/console.log" "$WORK/data" "$port" "$OPTS"
  t0=$(now_ms)
  until is_ready agent "$port"; do
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/console.log" >&2; die "agent exited before it was ready"; }
    ! port_taken "$WORK/console.log" || die "port $port was taken by another process: run again"
    (( $(now_ms) - t0 < 60000 )) || die "agent not ready after 60 s"
    sleep 0.1
  done
  ready=$(( $(now_ms) - t0 ))
  for _ in $(seq 1 90); do
    sleep 2
    samples+=("$(rss_kb "$PID")")
    n=${#samples[@]}
    if (( n >= 15 )); then
      last10=$(printf '%s\n' "${samples[@]:n-10}" | sort -n)
      lo=$(head -1 <<<"$last10"); hi=$(tail -1 <<<"$last10")
      if (( hi - lo <= 1024 )); then stable=true; break; fi
    fi
  done
  RSS=${samples[-1]}
  echo "  run: ready after $ready ms; idle RSS $(mib "$RSS") MiB after $(( n * 2 )) s$($stable || echo ' (still moving)')"
  if $NMT; then
    jcmd "$PID" VM.native_memory summary | sed -n '/^Total/,$p' | grep -E '^(Total|-)' | sed 's/^-/   /'
  fi
  stop_container "$PID"; PID=""
}

echo "agent idle RSS, $RUNS runs; JVM options: '$OPTS'; $(java -version 2>&1 | head -1)"
echo "before: $(load_note)"
all=()
for _ in $(seq 1 "$RUNS"); do one_run; all+=("$RSS"); done
med=$(printf '%s\n' "${all[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }')
echo "idle RSS median: $(mib "$med") MiB ($med kB); target < 96 MiB: $( (( med < 96 * 1024 )) && echo met || echo missed)"
echo "after: $(load_note)"
