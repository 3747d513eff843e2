#!/usr/bin/env bash
# Fleet simulation: AGENTS simulated agents against the built server over the real API, polling on a cadence with
# jitter, a rollout wave opening for a tenth of them and "Update now" sent to a hundredth; see docs/benchmarks.md
# ("Fleet simulation") for what is measured and the results.
#   itests/bench/fleet-sim.sh [AGENTS] [MINUTES]      (100000 and 5 by default; build first with ./pm build, which
#                                                      also compiles the simulator, itests' FleetSimulator)
# Setup: a fresh data directory, the server as ./pm starts it (its built-in release source publishes and signs the
# distribution's agent archives); the simulator (io.printmaster.itests.bench.FleetSimulator, a plain main on the
# JDK's HttpClient and the distribution's Jackson) logs in as admin, creates the fleet "sim" and one join token with
# max_uses = AGENTS, enrolls every agent through POST /api/v1/agents/enroll (measuring the rate), lets them check in
# for one interval (warm-up), then measures MINUTES: a rollout of the published version opens 20 s in (first wave
# SIM_WAVE agents), "Update now" goes to SIM_PUSH agents half-way (they hold a long poll on
# GET /api/v1/agents/update/wait when the server has it). Any non-2xx answer, an agent that never checked in or a
# command that never arrived fails the run (exit 1).
# Database: embedded Derby by default. SIM_DATABASE=postgres starts a throwaway PostgreSQL cluster on loopback for the
# run (Debian's server binaries; durable defaults: fsync and synchronous_commit on, as Derby commits; shared_buffers
# 256MB) and deletes it after; its CPU (postmaster and backends) is reported beside the server's. SIM_DATABASE (or
# PM_DATABASE_URL) = postgresql://user:pass@host:port/db uses that EMPTY database instead (the server's --database).
# Knobs (environment): SIM_INTERVAL (60 s between an agent's check-ins), SIM_JITTER (0.1 = ±10 %), SIM_WAVE
# (AGENTS/10), SIM_PUSH (AGENTS/100), SIM_CONNECTIONS (128 requests in flight at most), SIM_ENROLL_CONCURRENCY (16),
# SIM_DOWNLOAD_SAMPLE (10 agents really download the artifact and check its SHA-256), SIM_ROLLOUT_JITTER (30 s),
# SIM_JAVA_OPTS (the simulator's JVM: -Xms512m -Xmx1g), SIM_KEEP=1 keeps the work folder (server log, report).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

AGENTS="${1:-100000}"
MINUTES="${2:-5}"
need_dist server
CLASSES="$ROOT/itests/target/test-classes"
[ -f "$CLASSES/io/printmaster/itests/bench/FleetSimulator.class" ] \
  || die "the simulator is not compiled: run ./pm build (or mvn -o -q -pl itests test-compile)"
command -v curl >/dev/null || die "curl not found: apt-get install -y curl"
DIST=$(dist_of server)
CP="$CLASSES"
for jar in "$DIST"/bundle/jackson-core-*.jar "$DIST"/bundle/jackson-databind-*.jar "$DIST"/bundle/jackson-annotations-*.jar; do
  [ -f "$jar" ] || die "the server distribution lacks $(basename "$jar")"
  CP="$CP:$jar"
done

DATABASE="${SIM_DATABASE:-${PM_DATABASE_URL:-}}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pm-bench-fleet.XXXXXX")
PID=""
PG_DIR=""; PG_BIN=""; PG_PID=""
pg_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  [ -n "$PID" ] && stop_container "$PID"
  if [ -n "$PG_DIR" ]; then
    pg_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
  if [ "${SIM_KEEP:-0}" = 1 ]; then echo "work folder kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

if [ "$DATABASE" = postgres ]; then
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -x "$PG_BIN/initdb" ] || die "SIM_DATABASE=postgres needs PostgreSQL's server binaries: apt-get install -y postgresql"
  PG_DIR=$(mktemp -d /tmp/pm-bench-pg.XXXXXX); chmod 0755 "$PG_DIR"
  [ "$(id -u)" -ne 0 ] || chown postgres: "$PG_DIR"
  pg_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --no-locale >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
  pg_port=$(free_port)
  pg_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $pg_port -k $PG_DIR -c max_connections=200 -c shared_buffers=256MB" start >/dev/null \
    || { cat "$PG_DIR/server.log" >&2; die "PostgreSQL did not start"; }
  pg_owner "$PG_BIN/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -qc 'CREATE DATABASE sim' postgres >/dev/null \
    || die "could not create the database"
  PG_PID=$(head -1 "$PG_DIR/data/postmaster.pid")
  DATABASE="postgresql://postgres@127.0.0.1:$pg_port/sim"
  echo "throwaway PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $3 }') on port $pg_port (postmaster pid $PG_PID), fsync on"
fi

PASSWORD="bench-$(date +%s)-pw"
port=$(free_port)
# Every simulated agent enrolls from 127.0.0.1, and the enrollment limiter counts an attempt as a failure until its
# token proved good, so more than 10 enrollments in flight from one address answer 429: the limit is raised for
# this run (a real fleet enrolls from many addresses).
mkdir -p "$WORK/data/etc"
printf 'max_failures=100000\nfailure_window_minutes=1\n' >"$WORK/data/etc/io.printmaster.server.agents.impl.EnrollResource.cfg"
if [ -n "$DATABASE" ]; then export PM_DATABASE_URL="$DATABASE"; else unset PM_DATABASE_URL; fi
PM_ADMIN_PASSWORD="$PASSWORD" start_container server "$WORK/console.log" "$WORK/data" "$port" "$(java_opts_of server)"
t0=$(now_ms)
until is_ready server "$port"; do
  kill -0 "$PID" 2>/dev/null || { cat "$WORK/console.log" >&2; die "the server exited before it was ready"; }
  ! port_taken "$WORK/console.log" || die "port $port was taken by another process: run again"
  (( $(now_ms) - t0 < 120000 )) || die "server not ready after 120 s"
  sleep 0.1
done
BASE="http://127.0.0.1:$port"
storage=$(curl -sf "$BASE/api/v1/health" | sed -n 's/.*"storage":{\([^}]*\)}.*/\1/p')
echo "server pid $PID on $BASE; storage: $storage"
JAR="$WORK/cookies"
csrf=$(curl -sf -c "$JAR" -H 'Content-Type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$PASSWORD\"}" "$BASE/api/v1/auth/login" | sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p')
[ -n "$csrf" ] || die "login failed"
echo "waiting for the built-in release source to cache and sign the linux-amd64 agent archive..."
t0=$(now_ms)
VERSION=""
until [ -n "$VERSION" ]; do
  VERSION=$(curl -sf -b "$JAR" "$BASE/api/v1/releases/manifests?component=agent&platform=linux&arch=amd64&format=tar.gz" \
    | sed -n 's/.*"version":"\([^"]*\)".*/\1/p' | head -1) || true
  [ -n "$VERSION" ] && break
  (( $(now_ms) - t0 < 120000 )) || die "no signed linux-amd64 agent manifest after 120 s"
  sleep 1
done
echo "  agent $VERSION is published"
echo "JVM options (server): '$(java_opts_of server)'; $(java -version 2>&1 | head -1); $(nproc) cores; $(load_note)"
echo "the simulator shares the machine with the server (same cores): its own CPU is reported beside the server's"

# shellcheck disable=SC2086
set +e
java ${SIM_JAVA_OPTS:--Xms512m -Xmx1g} -cp "$CP" io.printmaster.itests.bench.FleetSimulator \
  --base="$BASE" --password="$PASSWORD" --agents="$AGENTS" --minutes="$MINUTES" --version="$VERSION" \
  --interval="${SIM_INTERVAL:-60}" --jitter="${SIM_JITTER:-0.1}" \
  --wave="${SIM_WAVE:-$(( AGENTS / 10 > 0 ? AGENTS / 10 : 1 ))}" --push="${SIM_PUSH:-$(( AGENTS / 100 > 0 ? AGENTS / 100 : 1 ))}" \
  --connections="${SIM_CONNECTIONS:-128}" --enroll-concurrency="${SIM_ENROLL_CONCURRENCY:-16}" \
  --download-sample="${SIM_DOWNLOAD_SAMPLE:-10}" --rollout-jitter="${SIM_ROLLOUT_JITTER:-30}" \
  --server-pid="$PID" ${PG_PID:+--db-pid="$PG_PID"} --clk-tck="$(getconf CLK_TCK)" --report="$WORK/report.txt"
code=$?
set -e
echo "storage: $storage; after: $(load_note)"
[ -f "$WORK/report.txt" ] && { echo "---- report"; cat "$WORK/report.txt"; }
grep -E ' (ERROR|WARN) ' "$WORK/console.log" | tail -5 || true
exit "$code"
