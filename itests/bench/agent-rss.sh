#!/usr/bin/env bash
# Resident memory of an idle agent: start the built agent with ./pm's JVM options (PM_JAVA_OPTS, else the agent
# default), wait until it is ready, then sample VmRSS from /proc/<pid>/status every 2 s until it is stable (at least
# 30 s idle and the last ten samples within 1 MB of each other; at most 3 minutes), and report the last sample.
#   itests/bench/agent-rss.sh [--nmt]      (build first with ./pm build)
# --nmt adds -XX:NativeMemoryTracking=summary and prints the JVM's own account of committed memory by area
# (costs a little memory itself: use it to explain a number, not to measure it).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NMT=false
[ "${1:-}" = --nmt ] && NMT=true
need_dist agent
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pm-bench-rss.XXXXXX")
PID=""
trap '[ -n "$PID" ] && stop_container "$PID"; rm -rf "$WORK"' EXIT
OPTS=$(java_opts_of agent)
if $NMT; then OPTS="$OPTS -XX:NativeMemoryTracking=summary"; fi

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

port=$(free_port)
echo "agent idle RSS; JVM options: '$OPTS'; $(load_note)"
start_container agent "$WORK/console.log" "$WORK/data" "$port" "$OPTS"
t0=$(now_ms)
until is_ready agent "$port"; do
  kill -0 "$PID" 2>/dev/null || { cat "$WORK/console.log" >&2; die "agent exited before it was ready"; }
  ! port_taken "$WORK/console.log" || die "port $port was taken by another process: run again"
  (( $(now_ms) - t0 < 60000 )) || die "agent not ready after 60 s"
  sleep 0.1
done
echo "ready after $(( $(now_ms) - t0 )) ms, RSS $(( $(rss_kb "$PID") / 1024 )) MB"
samples=()
stable=false
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
printf 'RSS samples (MB):'; for s in "${samples[@]}"; do printf ' %d.%d' $(( s / 1024 )) $(( s % 1024 * 10 / 1024 )); done; echo
final=${samples[-1]}
$stable || echo "warning: RSS still moving after $(( ${#samples[@]} * 2 )) s"
echo "idle RSS: $(( final / 1024 )) MB ($final kB) after $(( ${#samples[@]} * 2 )) s idle"
if $NMT; then
  jcmd "$PID" VM.native_memory summary | sed -n '/^Total/,$p' | grep -E '^(Total|-)' | sed 's/^-/  /'
fi
