#!/usr/bin/env bash
# Check-in throughput of the built server with many enrolled agents, as a ratio to GET /api/v1/health on the same
# server process, both driven by wrk on loopback.
#   itests/bench/checkin.sh [ROUNDS] [AGENTS]      (3 and 10000 by default; build first with ./pm build)
# Setup: a fresh data directory, the server as ./pm starts it (its built-in release source publishes the official
# agent archives of the distribution and signs their manifests), a fleet "bench" whose policy targets the cached
# linux-amd64 agent version, one join token with max_uses = AGENTS, and AGENTS agents enrolled through
# POST /api/v1/agents/enroll, each with its own credential. A check-in is POST /api/v1/agents/update/manifest with the
# agent's own credential and {current_version, platform, arch, hostname}; wrk cycles through all the agents
# (checkin.lua), so every credential is used in turn, and every answer carries the signed update offer (checked once
# before the runs). Health goes through the same wrk Lua path (health.lua).
# Each round: a check-in run, then a health run, each after its own warm-up (JIT); reported: medians of requests/s
# and of p99 latency of each, and the ratios. A run with any non-2xx answer is rejected. After the runs the script
# checks that every agent has a last_seen_at (each agent did check in).
# Knobs (environment): BENCH_PRIME (1: every agent checks in once before the runs), BENCH_KNOWN (1: send the
# answer's etags as known), BENCH_THREADS (2), BENCH_CONNECTIONS (16), BENCH_DURATION (15s), BENCH_WARMUP (10s);
# BENCH_JSTACK_DIR=<dir> keeps ten jstack samples (one a second) of the server per measured check-in run there.
# BENCH_ENROLL_PARALLEL (4): enrollments running at once.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS="${1:-3}"
AGENTS="${2:-10000}"
ENROLL_PARALLEL="${BENCH_ENROLL_PARALLEL:-4}"
THREADS="${BENCH_THREADS:-2}"; CONNECTIONS="${BENCH_CONNECTIONS:-16}"
DURATION="${BENCH_DURATION:-15s}"; WARMUP="${BENCH_WARMUP:-10s}"
HERE="$ROOT/itests/bench"
command -v wrk >/dev/null || die "wrk not found: apt-get install -y wrk"
command -v curl >/dev/null || die "curl not found: apt-get install -y curl"
need_dist server

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pm-bench-checkin.XXXXXX")
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
admin() { curl -sf -b "$JAR" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' "$@"; }

echo "waiting for the built-in release source to cache and sign the linux-amd64 agent archive..."
t0=$(now_ms)
until [ -n "${VERSION:-}" ]; do
  VERSION=$(admin "$BASE/api/v1/releases/manifests?component=agent&platform=linux&arch=amd64&format=tar.gz" \
    | sed -n 's/.*"version":"\([^"]*\)".*/\1/p' | head -1) || true
  [ -n "$VERSION" ] && break
  (( $(now_ms) - t0 < 120000 )) || die "no signed linux-amd64 agent manifest after 120 s (is agent-releases/ in the distribution?)"
  sleep 1
done
echo "  agent $VERSION is published"

admin -d '{"id":"bench","name":"Benchmark fleet"}' "$BASE/api/v1/fleets" >/dev/null
# An explicit target: every check-in is offered $VERSION (whatever its channel), with its signed manifest.
policy='{"policy":{"update_check_days":7,"version_pin_strategy":"minor","allow_major_upgrade":false,"target_version":"'"$VERSION"'","collect_telemetry":true,"maintenance_window":{"enabled":false,"start_hour":2,"start_min":0,"end_hour":4,"end_min":0,"timezone":"UTC","days_of_week":[0,1,2,3,4,5,6]},"rollout_control":{"staggered":false,"max_concurrent":10,"batch_size":50,"delay_between_waves":1800,"jitter_seconds":300,"emergency_abort":false}}}'
admin -X PUT -d "$policy" "$BASE/api/v1/update-policies/bench" >/dev/null || die "could not set the fleet's policy"
join=$(admin -d "{\"max_uses\":$AGENTS}" "$BASE/api/v1/fleets/bench/join-tokens" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$join" ] || die "no join token"

AGENT_VERSION=0.0.1
echo "enrolling $AGENTS agents (one join token, max_uses $AGENTS, $ENROLL_PARALLEL at a time)..."
t0=$(now_ms)
# Each enrollment is one POST /api/v1/agents/enroll (the real API, one transaction each). ENROLL_PARALLEL curl
# processes each enroll their share of the agents one after another over one kept-alive connection (a curl config
# file of requests): 10,000 agents enroll in seconds rather than by forking a curl each. A curl writes one answer a
# line in the order of its requests, so the answers pair with the hostnames by line.
mkdir -p "$WORK/enroll"
curls=()
for ((p = 0; p < ENROLL_PARALLEL; p++)); do
  awk -v n="$AGENTS" -v p="$p" -v k="$ENROLL_PARALLEL" -v base="$BASE" -v join="$join" -v ver="$AGENT_VERSION" \
    -v hosts="$WORK/enroll/$p.hosts" 'BEGIN {
    for (i = 1 + p; i <= n; i += k) {
      h = sprintf("bench-%05d", i); print h > hosts
      if (i > 1 + p) print "next"
      printf "url = \"%s/api/v1/agents/enroll\"\nheader = \"Content-Type: application/json\"\n", base
      printf "data = \"{\\\"join_token\\\":\\\"%s\\\",\\\"hostname\\\":\\\"%s\\\",\\\"platform\\\":\\\"linux\\\",\\\"arch\\\":\\\"amd64\\\",\\\"current_version\\\":\\\"%s\\\"}\"\n", join, h, ver
      print "write-out = \"\\n\""
    } }' >"$WORK/enroll/$p.conf"
  curl -s -K "$WORK/enroll/$p.conf" >"$WORK/enroll/$p.out" &
  curls+=("$!")
done
wait "${curls[@]}" || true # a failed enrollment shows as a line without a credential
for ((p = 0; p < ENROLL_PARALLEL; p++)); do
  sed -n 's/.*"credential":"\([^"]*\)".*/\1/p; t; s/.*/FAILED/p' "$WORK/enroll/$p.out" | paste -d' ' - "$WORK/enroll/$p.hosts"
done >"$WORK/agents.txt"
! grep -q '^FAILED ' "$WORK/agents.txt" || die "$(grep -c '^FAILED ' "$WORK/agents.txt") enrollments failed"
[ "$(wc -l <"$WORK/agents.txt")" = "$AGENTS" ] || die "not every agent was enrolled"
[ "$(cut -d' ' -f1 "$WORK/agents.txt" | sort -u | wc -l)" = "$AGENTS" ] || die "the credentials are not all distinct"
echo "  $AGENTS agents enrolled in $(( ($(now_ms) - t0) / 1000 )) s"

first=$(head -1 "$WORK/agents.txt")
answer=$(curl -sf -H "Authorization: Bearer ${first%% *}" -H 'Content-Type: application/json' \
  -d "{\"current_version\":\"$AGENT_VERSION\",\"platform\":\"linux\",\"arch\":\"amd64\",\"hostname\":\"${first##* }\"}" \
  "$BASE/api/v1/agents/update/manifest") || die "the first check-in failed"
# The policy's version reaches the agents through the fleet's automatic rollout (one wave, everyone): a check-in
# is either offered the signed manifest or, without an update run, held with retry_after_seconds (the rollout wants
# the agent back with its run). Both are valid answers here; which one is said.
if [[ "$answer" == *'"update_available":true'* && "$answer" == *'"signature":"'* ]]; then
  echo "  a full check-in answer is $(printf '%s' "$answer" | wc -c) bytes and offers $VERSION with its signed manifest"
elif [[ "$answer" == *'"retry_after_seconds":'[1-9]* ]]; then
  echo "  a full check-in answer is $(printf '%s' "$answer" | wc -c) bytes: the fleet's rollout of $VERSION holds the agent (no run_id)"
else
  die "the check-in answer neither offers a signed update nor is held by the rollout: $answer"
fi
# An agent that holds its policy and offer sends their etags ("known", wire 1.4) and gets "unchanged" instead of
# them. BENCH_KNOWN=0 (or a server without etags) sends none: every answer is then the full one.
POLICY_ETAG=$(sed -n 's/.*"policy_etag":"\([^"]*\)".*/\1/p' <<<"$answer")
MANIFEST_ETAG=$(sed -n 's/.*"manifest_etag":"\([^"]*\)".*/\1/p' <<<"$answer")
if [ "${BENCH_KNOWN:-1}" = 1 ] && [ -n "$POLICY_ETAG" ]; then
  known="{\"policy_etag\":\"$POLICY_ETAG\"${MANIFEST_ETAG:+,\"manifest_etag\":\"$MANIFEST_ETAG\"}}"
  small=$(curl -sf -H "Authorization: Bearer ${first%% *}" -H 'Content-Type: application/json' \
    -d "{\"current_version\":\"$AGENT_VERSION\",\"platform\":\"linux\",\"arch\":\"amd64\",\"hostname\":\"${first##* }\",\"known\":$known}" \
    "$BASE/api/v1/agents/update/manifest") || die "a check-in with known etags failed"
  [[ "$small" == *'"unchanged":['* ]] || die "known etags did not yield unchanged: $small"
  echo "  with known etags an answer is $(printf '%s' "$small" | wc -c) bytes: $small"
  export BENCH_POLICY_ETAG="$POLICY_ETAG" BENCH_MANIFEST_ETAG="$MANIFEST_ETAG"
else
  echo "  every check-in sends no etags (BENCH_KNOWN=${BENCH_KNOWN:-1}; policy_etag in the answer: ${POLICY_ETAG:-none})"
fi

# Priming: every agent checks in once before the runs, as a real fleet has after its first poll: the fleet's
# rollout places each agent in its wave then (one transaction each), and later check-ins are the steady state the
# runs measure (BENCH_PRIME=0 leaves it out: the first round then measures the placements).
if [ "${BENCH_PRIME:-1}" = 1 ]; then
  t0=$(now_ms)
  curls=()
  for ((p = 0; p < ENROLL_PARALLEL; p++)); do
    awk -v p="$p" -v k="$ENROLL_PARALLEL" -v base="$BASE" -v ver="$AGENT_VERSION" '(NR - 1) % k == p {
      if (n++) print "next"
      printf "url = \"%s/api/v1/agents/update/manifest\"\nheader = \"Content-Type: application/json\"\n", base
      printf "header = \"Authorization: Bearer %s\"\n", $1
      printf "data = \"{\\\"current_version\\\":\\\"%s\\\",\\\"platform\\\":\\\"linux\\\",\\\"arch\\\":\\\"amd64\\\",\\\"hostname\\\":\\\"%s\\\"}\"\n", ver, $2
      print "write-out = \"%{http_code}\\n\""; print "output = /dev/null"
    }' "$WORK/agents.txt" >"$WORK/enroll/prime-$p.conf"
    curl -s -K "$WORK/enroll/prime-$p.conf" >"$WORK/enroll/prime-$p.out" &
    curls+=("$!")
  done
  wait "${curls[@]}" || true
  bad=$(cat "$WORK"/enroll/prime-*.out | grep -vc '^200$' || true)
  [ "$bad" = 0 ] || die "$bad priming check-ins did not answer 200"
  echo "  primed: each of the $AGENTS agents checked in once in $(( ($(now_ms) - t0) / 1000 )) s"
fi

export BENCH_AGENTS="$WORK/agents.txt" BENCH_AGENT_VERSION="$AGENT_VERSION" BENCH_THREADS="$THREADS"

# p99 of wrk's --latency output in milliseconds (wrk prints us, ms or s)
p99_ms() {
  awk '$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
    printf "%.2f", (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : v }'
}
measure() { # label lua-script path -> sets RPS, P99
  local out non2xx
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s "$HERE/$2" "$BASE$3" >/dev/null
  local sampler=""
  if [ -n "${BENCH_JSTACK_DIR:-}" ] && [ "$2" = checkin.lua ]; then
    mkdir -p "$BENCH_JSTACK_DIR"
    ( for s in $(seq 1 10); do sleep 1; jstack "$PID" >"$BENCH_JSTACK_DIR/r$r-$s.txt" 2>/dev/null || true; done ) &
    sampler=$!
  fi
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$HERE/$2" "$BASE$3")
  [ -z "$sampler" ] || wait "$sampler"
  RPS=$(awk '/^Requests\/sec:/ { printf "%d", $2 }' <<<"$out")
  P99=$(p99_ms <<<"$out")
  non2xx=$(awk '/Non-2xx/ { print $NF }' <<<"$out")
  [ -z "$non2xx" ] || die "$1 answered $non2xx requests with an error status: not a valid run"$'\n'"$out"
  echo "  $1: $RPS req/s  (latency p50 $(awk '$1 == "50%" { print $2 }' <<<"$out"), p99 ${P99} ms)"
}

echo "check-in vs health: wrk -t$THREADS -c$CONNECTIONS -d$DURATION after a $WARMUP warm-up each, $ROUNDS rounds, $AGENTS agents"
echo "JVM options: '$(java_opts_of server)'; $(java -version 2>&1 | head -1); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "before: $(load_note)"
crps=(); cp99=(); hrps=(); hp99=()
for r in $(seq 1 "$ROUNDS"); do
  echo "round $r ($(load_note))"
  measure "check-in" checkin.lua /api/v1/agents/update/manifest; crps+=("$RPS"); cp99+=("$P99")
  measure "health  " health.lua /api/v1/health; hrps+=("$RPS"); hp99+=("$P99")
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
c=$(med "${crps[@]}"); h=$(med "${hrps[@]}"); cp=$(med "${cp99[@]}"); hp=$(med "${hp99[@]}")
echo "all $AGENTS agents checked in (each has a last_seen_at)"
echo "check-in req/s: ${crps[*]}  median $c;  p99 ms: ${cp99[*]}  median $cp"
echo "health   req/s: ${hrps[*]}  median $h;  p99 ms: ${hp99[*]}  median $hp"
awk -v c="$c" -v h="$h" -v cp="$cp" -v hp="$hp" 'BEGIN {
  printf "ratio check-in / health: throughput %.3f (health is %.1fx faster), p99 latency %.1fx\n", c / h, h / c, cp / hp }'
echo "after: $(load_note)"
