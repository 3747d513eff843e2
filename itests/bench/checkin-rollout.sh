#!/usr/bin/env bash
# Check-in throughput with an active rollout against the same without, on the same server process, driven by wrk
# on loopback.
#   itests/bench/checkin-rollout.sh [ROUNDS] [AGENTS]      (3 and 1000 by default; build first with ./pm build)
# Setup: a fresh data directory, the server as ./pm starts it (its built-in release source publishes and signs the
# distribution's agent archives), a fleet "bench" with the default policy (minor pin: the agents' 0.0.1 is never
# moved to the published 0.1.x by the policy), one join token with max_uses = AGENTS, AGENTS agents enrolled through
# POST /api/v1/agents/enroll (four at a time), each with its own credential.
# Every check-in is an update run's: {current_version, platform, arch, hostname, run_id} with the agent's own
# credential (checkin.lua with BENCH_RUN_ID=1); wrk cycles through all agents but the first.
# Each round measures two phases, alternately, on the same server:
#   without  no rollout for the fleet: the answer offers nothing (retry_after_seconds 0);
#   rollout  a running admin rollout of the published version over the fleet (one wave of 100 %, max_concurrent 1,
#            jitter 300 s) whose only slot the first agent holds (it took the offer and never reports), so every
#            measured check-in goes through the gate's slot step and is held back (no offer, retry_after_seconds
#            >= 1). The rollout is aborted after the phase, so the next round starts without one again.
# Both answers carry no offer, so the difference is what the rollout gate costs. Checked before each measured phase
# with one check-in; a run with any non-2xx answer is rejected. Reported: medians of requests/s and of p99, and the
# ratio rollout / without.
# Knobs (environment): BENCH_THREADS (2), BENCH_CONNECTIONS (16), BENCH_DURATION (15s), BENCH_WARMUP (10s).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS="${1:-3}"
AGENTS="${2:-1000}"
THREADS="${BENCH_THREADS:-2}"; CONNECTIONS="${BENCH_CONNECTIONS:-16}"
DURATION="${BENCH_DURATION:-15s}"; WARMUP="${BENCH_WARMUP:-10s}"
HERE="$ROOT/itests/bench"
command -v wrk >/dev/null || die "wrk not found: apt-get install -y wrk"
command -v curl >/dev/null || die "curl not found: apt-get install -y curl"
need_dist server

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pm-bench-rollout.XXXXXX")
PID=""
trap '[ -n "$PID" ] && stop_container "$PID"; rm -rf "$WORK"' EXIT

PASSWORD="bench-$(date +%s)-pw"
port=$(free_port)
PM_ADMIN_PASSWORD="$PASSWORD" start_container server "$WORK/console.log" "$WORK/data" "$port" "$(java_opts_of server)"
t0=$(now_ms)
until is_ready server "$port"; do
  kill -0 "$PID" 2>/dev/null || { cat "$WORK/console.log" >&2; die "the server exited before it was ready"; }
  ! port_taken "$WORK/console.log" || die "port $port was taken by another process: run again"
  (( $(now_ms) - t0 < 90000 )) || die "server not ready after 90 s"
  sleep 0.1
done
BASE="http://127.0.0.1:$port"
JAR="$WORK/cookies"
csrf=$(curl -sf -c "$JAR" -H 'Content-Type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$PASSWORD\"}" "$BASE/api/v1/auth/login" | sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p')
[ -n "$csrf" ] || die "login failed"
admin() { curl -sS -f -b "$JAR" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' "$@"; }

echo "waiting for the built-in release source to cache and sign the linux-amd64 agent archive..."
t0=$(now_ms)
until [ -n "${VERSION:-}" ]; do
  VERSION=$(admin "$BASE/api/v1/releases/manifests?component=agent&platform=linux&arch=amd64&format=tar.gz" 2>/dev/null \
    | sed -n 's/.*"version":"\([^"]*\)".*/\1/p' | head -1) || true
  [ -n "$VERSION" ] && break
  (( $(now_ms) - t0 < 120000 )) || die "no signed linux-amd64 agent manifest after 120 s (is agent-releases/ in the distribution?)"
  sleep 1
done
echo "  agent $VERSION is published"

admin -d '{"id":"bench","name":"Benchmark fleet"}' "$BASE/api/v1/fleets" >/dev/null
join=$(admin -d "{\"max_uses\":$AGENTS}" "$BASE/api/v1/fleets/bench/join-tokens" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$join" ] || die "no join token"

AGENT_VERSION=0.0.1
echo "enrolling $AGENTS agents (one join token, max_uses $AGENTS, four at a time)..."
t0=$(now_ms)
enroll_one() { # index
  local cred
  cred=$(curl -sf -H 'Content-Type: application/json' \
    -d "{\"join_token\":\"$JOIN\",\"hostname\":\"bench-$1\",\"platform\":\"linux\",\"arch\":\"amd64\",\"current_version\":\"$AGENT_VERSION\"}" \
    "$BASE/api/v1/agents/enroll" | sed -n 's/.*"credential":"\([^"]*\)".*/\1/p') || { echo "enrollment $1 failed" >&2; exit 1; }
  [ -n "$cred" ] || { echo "enrollment $1 answered no credential" >&2; exit 1; }
  echo "$cred bench-$1"
}
export -f enroll_one
export JOIN="$join" BASE AGENT_VERSION
seq -f '%04g' 1 "$AGENTS" | xargs -P 4 -I{} bash -c 'enroll_one {}' >"$WORK/all-agents.txt" \
  || die "enrollment failed"
[ "$(cut -d' ' -f1 "$WORK/all-agents.txt" | sort -u | wc -l)" = "$AGENTS" ] || die "the credentials are not all distinct"
echo "  $AGENTS agents enrolled in $(( ($(now_ms) - t0) / 1000 )) s"
# the first agent holds the rollout's only slot; wrk drives the others
head -1 "$WORK/all-agents.txt" >"$WORK/holder.txt"
tail -n +2 "$WORK/all-agents.txt" >"$WORK/agents.txt"

check_in() { # "credential hostname" -> the answer
  local cred="${1%% *}" host="${1##* }"
  curl -sf -H "Authorization: Bearer $cred" -H 'Content-Type: application/json' \
    -d "{\"current_version\":\"$AGENT_VERSION\",\"platform\":\"linux\",\"arch\":\"amd64\",\"hostname\":\"$host\",\"run_id\":\"bench-$host\"}" \
    "$BASE/api/v1/agents/update/manifest"
}

ROLLOUT=""
start_rollout() {
  local created
  created=$(admin -d '{"component":"agent","version":"'"$VERSION"'","fleets":["bench"],"plan":{"canary":null,"waves":[{"percent":100}],"delay_between_waves_seconds":0,"max_concurrent":1,"jitter_seconds":300,"success_threshold_percent":90,"failure_threshold_percent":50},"require_approval":false}' \
    "$BASE/api/v1/rollouts") || die "could not create the rollout"
  ROLLOUT=$(sed -n 's/^{"rollout":{"id":"\([^"]*\)".*/\1/p' <<<"$created")
  [ -n "$ROLLOUT" ] || ROLLOUT=$(grep -o '"id":"rol_[^"]*"' <<<"$created" | head -1 | cut -d'"' -f4)
  [ -n "$ROLLOUT" ] || die "no rollout id in $created"
  [[ "$created" == *'"state":"running"'* ]] || die "the rollout is not running: $created"
  local taken
  taken=$(check_in "$(cat "$WORK/holder.txt")") || die "the holder's check-in failed"
  [[ "$taken" == *'"update_available":true'* && "$taken" == *"\"rollout_id\":\"$ROLLOUT\""* ]] \
    || die "the first agent was not offered the rollout's slot: $taken"
  local held
  held=$(check_in "$(head -1 "$WORK/agents.txt")") || die "a check-in failed"
  [[ "$held" == *'"update_available":false'* ]] || die "a check-in was offered the update beside the slot holder: $held"
  local retry
  retry=$(sed -n 's/.*"retry_after_seconds":\([0-9]*\).*/\1/p' <<<"$held")
  (( ${retry:-0} >= 1 )) || die "a held check-in says no retry_after_seconds: $held"
  echo "  rollout $ROLLOUT running, its only slot held by the first agent; a held check-in answers retry_after_seconds $retry ($(printf '%s' "$held" | wc -c) bytes)"
}
stop_rollout() {
  admin -X POST "$BASE/api/v1/rollouts/$ROLLOUT/abort" >/dev/null || die "could not abort $ROLLOUT"
  ROLLOUT=""
}
check_without() {
  local answer
  answer=$(check_in "$(head -1 "$WORK/agents.txt")") || die "a check-in failed"
  [[ "$answer" == *'"update_available":false'* && "$answer" == *'"retry_after_seconds":0'* ]] \
    || die "without a rollout a check-in should offer nothing and not hold: $answer"
  echo "  no active rollout; a check-in answers $(printf '%s' "$answer" | wc -c) bytes, offers nothing, retry_after_seconds 0"
}

export BENCH_AGENTS="$WORK/agents.txt" BENCH_AGENT_VERSION="$AGENT_VERSION" BENCH_THREADS="$THREADS" BENCH_RUN_ID=1

p99_ms() {
  awk '$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
    printf "%.2f", (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : v }'
}
measure() { # label -> sets RPS, P99
  local out non2xx
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s "$HERE/checkin.lua" "$BASE/api/v1/agents/update/manifest" >/dev/null
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$HERE/checkin.lua" "$BASE/api/v1/agents/update/manifest")
  RPS=$(awk '/^Requests\/sec:/ { printf "%d", $2 }' <<<"$out")
  P99=$(p99_ms <<<"$out")
  non2xx=$(awk '/Non-2xx/ { print $NF }' <<<"$out")
  [ -z "$non2xx" ] || die "$1 answered $non2xx requests with an error status: not a valid run"$'\n'"$out"
  echo "  $1: $RPS req/s  (latency p50 $(awk '$1 == "50%" { print $2 }' <<<"$out"), p99 ${P99} ms)"
}

echo "check-ins without vs with an active rollout: wrk -t$THREADS -c$CONNECTIONS -d$DURATION after a $WARMUP warm-up each, $ROUNDS rounds, $AGENTS agents"
echo "JVM options: '$(java_opts_of server)'; $(java -version 2>&1 | head -1); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "before: $(load_note)"
wrps=(); wp99=(); rrps=(); rp99=()
for r in $(seq 1 "$ROUNDS"); do
  echo "round $r ($(load_note))"
  check_without
  measure "without rollout" ; wrps+=("$RPS"); wp99+=("$P99")
  start_rollout
  measure "with rollout   " ; rrps+=("$RPS"); rp99+=("$P99")
  stop_rollout
done
# the agents list pages (keyset cursor): every page is read
seen=0; cursor=""
while :; do
  page=$(admin "$BASE/api/v1/agents?fleet=bench&limit=500${cursor:+&cursor=$cursor}")
  seen=$(( seen + $(grep -o '"last_seen_at":"' <<<"$page" | wc -l) ))
  cursor=$(sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p' <<<"$page")
  [ -n "$cursor" ] || break
done
[ "$seen" = "$AGENTS" ] || die "only $seen of $AGENTS agents have checked in"
med() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
w=$(med "${wrps[@]}"); ro=$(med "${rrps[@]}"); wp=$(med "${wp99[@]}"); rp=$(med "${rp99[@]}")
echo "all $AGENTS agents checked in (each has a last_seen_at)"
echo "without rollout req/s: ${wrps[*]}  median $w;  p99 ms: ${wp99[*]}  median $wp"
echo "with rollout    req/s: ${rrps[*]}  median $ro;  p99 ms: ${rp99[*]}  median $rp"
awk -v w="$w" -v r="$ro" -v wp="$wp" -v rp="$rp" 'BEGIN {
  printf "ratio with / without: throughput %.3f, p99 latency %.2fx\n", r / w, rp / wp }'
echo "after: $(load_note)"
