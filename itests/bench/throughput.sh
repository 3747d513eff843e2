#!/usr/bin/env bash
# Requests per second of GET /api/v1/health on the built server against a bare Jetty 12.0.32 handler that returns
# the same JSON body and headers (itests/bench/bare-jetty), both on loopback, both under the same JVM options.
#   itests/bench/throughput.sh [ROUNDS]        (ROUNDS defaults to 3; build first with ./pm build)
# Each round: start the target, wait until ready, a warm-up run (JIT), then the measured run; server and bare
# Jetty alternate so a change in machine load hits both. Reported: median requests/s of each and their ratio.
# Knobs (environment): BENCH_THREADS (2), BENCH_CONNECTIONS (16), BENCH_DURATION (15s), BENCH_WARMUP (10s).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS="${1:-3}"
THREADS="${BENCH_THREADS:-2}"; CONNECTIONS="${BENCH_CONNECTIONS:-16}"
DURATION="${BENCH_DURATION:-15s}"; WARMUP="${BENCH_WARMUP:-10s}"
command -v wrk >/dev/null || die "wrk not found: apt-get install -y wrk"
need_dist server
BARE="$ROOT/itests/bench/bare-jetty"
if [ ! -f "$BARE/target/classes/io/printmaster/bench/BareJetty.class" ] || [ "$BARE/src/main/java/io/printmaster/bench/BareJetty.java" -nt "$BARE/target/classes/io/printmaster/bench/BareJetty.class" ]; then
  echo "building the bare Jetty baseline (mvn -f itests/bench/bare-jetty/pom.xml package)..."
  mvn -B -q -f "$BARE/pom.xml" package >/dev/null
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pm-bench-rps.XXXXXX")
PID=""
trap '[ -n "$PID" ] && stop_container "$PID"; rm -rf "$WORK"' EXIT
OPTS=$(java_opts_of server)
# the same options for bare Jetty, less the server's class-data archive (made for the server's class path only)
BARE_OPTS=$(sed 's/ *-XX:SharedArchiveFile=[^ ]*//' <<<"$OPTS")

wait_ready() { # role port
  local t0; t0=$(now_ms)
  until is_ready "$1" "$2"; do
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/console.log" >&2; die "$1 exited before it was ready"; }
    ! port_taken "$WORK/console.log" || die "port $2 was taken by another process: run again"
    (( $(now_ms) - t0 < 60000 )) || die "$1 not ready after 60 s"
    sleep 0.05
  done
}

measure() { # port label -> sets RPS
  local out non2xx
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "http://127.0.0.1:$1/api/v1/health" >/dev/null
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "http://127.0.0.1:$1/api/v1/health")
  RPS=$(awk '/^Requests\/sec:/ { printf "%d", $2 }' <<<"$out")
  non2xx=$(awk '/Non-2xx/ { print $NF }' <<<"$out")
  [ -z "$non2xx" ] || die "$2 answered $non2xx requests with an error status: not a valid run"$'\n'"$out"
  echo "  $2: $RPS req/s  (latency p50 $(awk '$1 == "50%" { print $2 }' <<<"$out"), p99 $(awk '$1 == "99%" { print $2 }' <<<"$out"))"
}

echo "GET /api/v1/health: wrk -t$THREADS -c$CONNECTIONS -d$DURATION after a $WARMUP warm-up, $ROUNDS rounds"
echo "JVM options: server '$OPTS', bare Jetty '$BARE_OPTS'; $(java -version 2>&1 | head -1); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "before: $(load_note)"
server=(); bare=()
for r in $(seq 1 "$ROUNDS"); do
  echo "round $r ($(load_note))"
  port=$(free_port)
  start_container server "$WORK/console.log" "$WORK/data" "$port" "$OPTS"
  wait_ready server "$port"
  measure "$port" "server   "; server+=("$RPS")
  stop_container "$PID"; PID=""

  port=$(free_port)
  # shellcheck disable=SC2086
  java $BARE_OPTS -cp "$BARE/target/classes:$BARE/target/lib/*" io.printmaster.bench.BareJetty "$port" >"$WORK/console.log" 2>&1 &
  PID=$!
  wait_ready agent "$port"   # any 200 will do
  measure "$port" "bare Jetty"; bare+=("$RPS")
  stop_container "$PID"; PID=""
done
med() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
s=$(med "${server[@]}"); b=$(med "${bare[@]}")
echo "server     req/s: ${server[*]}  median $s"
echo "bare Jetty req/s: ${bare[*]}  median $b"
awk -v s="$s" -v b="$b" 'BEGIN { printf "ratio server / bare Jetty: %.2f (%.1f%% of bare Jetty)\n", s / b, 100 * s / b }'
echo "after: $(load_note)"
