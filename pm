#!/usr/bin/env bash
# PrintMaster one-command entry point.
#   ./pm server [--port N] [--data-dir DIR] [--bind ADDR] [--log-level L]   build when needed, run the server
#   ./pm agent  [--port N] [--data-dir DIR] [--log-level L]                 build when needed, run the agent
#   ./pm build                                                              build the distributions (no tests)
#   ./pm test                                                               the full test run (unit + integration)
#   ./pm jvm-options server|agent                                           print the JVM options pm starts it with
#   ./pm keys root-init|delegate|revoke ...                                 the offline root of trust (./pm keys help)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MVN=(mvn -B -q)
# The agent's JVM options unless PM_JAVA_OPTS is set: it stays small (heap at most 64 MB, starting at 16 MB so an
# idle agent does not keep the whole 64 MB resident; serial GC; C1 only); docs/benchmarks.md has the measurements.
AGENT_JAVA_OPTS_DEFAULT="-Xmx64m -Xms16m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"

die() { echo "pm: $*" >&2; exit 2; }

need_java() {
  command -v java >/dev/null || die "java not found: install a Java 17+ runtime"
  command -v mvn >/dev/null || die "mvn not found: install Apache Maven 3.8+"
}

# Rebuild when any source, POM or bnd file is newer than the built distribution.
stale() {
  local marker="$1"
  [ -f "$marker" ] || return 0
  [ -n "$(find "$ROOT" \( -path "$ROOT/var" -o -name target -o -path "$ROOT/.git" \) -prune -o \
        -type f \( -name '*.java' -o -name 'pom.xml' -o -name '*.bnd' -o -path '*/src/*' \) -newer "$marker" -print -quit)" ]
}

dist_dir() { echo "$ROOT/platform-$1/distribution/target/printmaster-$1"; }
main_class() { echo "io.printmaster.$1.launcher.$( [ "$1" = server ] && echo ServerMain || echo AgentMain )"; }

# PM_JAVA_OPTS, else the role's default; plus the distribution's class-data archive when it has one (PM_CDS=off
# leaves it out).
java_opts() { # role
  local opts=${PM_JAVA_OPTS:-}
  if [ "$1" = agent ] && [ -z "$opts" ]; then
    opts="$AGENT_JAVA_OPTS_DEFAULT"
  fi
  local jsa; jsa="$(dist_dir "$1")/lib/$1.jsa"
  if [ -f "$jsa" ] && [ "${PM_CDS:-on}" != off ]; then
    opts="${opts:+$opts }-XX:SharedArchiveFile=$jsa"
  fi
  echo "$opts"
}

build() {
  echo "pm: building (mvn package, tests skipped)..." >&2
  (cd "$ROOT" && "${MVN[@]}" -DskipTests package)
  cds_archive server
  cds_archive agent
}

# Class-data sharing: a dynamic CDS archive (lib/<role>.jsa) of the classes one start loads, made by starting the
# fresh distribution once on a throw-away data directory. Later starts map those classes instead of loading,
# verifying and linking them again, bundle classes included (the JVM matches those by their bytes). It is tied to
# this Java build and this folder: a JVM that cannot use it prints one warning and starts normally without it.
# Measured effect: docs/benchmarks.md. A failure here costs speed only, never the build.
cds_archive() { # role
  local role="$1" dist jsa tmp pid waited=0
  dist=$(dist_dir "$role"); jsa="$dist/lib/$role.jsa"
  rm -f "$jsa"
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/pm-cds.XXXXXX")
  # shellcheck disable=SC2046
  java $(PM_CDS=off java_opts "$role") -XX:ArchiveClassesAtExit="$jsa" -cp "$dist/lib/*" "$(main_class "$role")" \
      --home "$dist" --data-dir "$tmp/data" --port 0 >"$tmp/console.log" 2>&1 &
  pid=$!
  until grep -qs "PrintMaster $role started in" "$tmp/console.log"; do
    if ! kill -0 "$pid" 2>/dev/null || (( waited > 1200 )); then
      kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
      echo "pm: no class-data archive for the $role (the training start failed or took over 120 s:" \
           "$(tail -1 "$tmp/console.log")); it will start without one" >&2
      rm -rf "$tmp" "$jsa"; return 0
    fi
    sleep 0.1; waited=$((waited + 1))
  done
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$tmp"
  [ -f "$jsa" ] || echo "pm: the JVM wrote no class-data archive for the $role; it will start without one" >&2
}

run() { # role
  local role="$1"; shift
  local dist; dist=$(dist_dir "$role")
  need_java
  if stale "$dist/VERSION"; then build; fi
  # shellcheck disable=SC2046
  exec java $(java_opts "$role") -cp "$dist/lib/*" "$(main_class "$role")" --home "$dist" "$@"
}

# The offline root's tool: a plain main in the server's launcher jar, with the bundles it borrows (scrypt from Bouncy
# Castle, Jackson, the signing bundle's canonical JSON) on its class path; no server runs.
keys() {
  local dist cp jar
  dist=$(dist_dir server)
  need_java
  if stale "$dist/VERSION"; then build; fi
  cp="$dist/lib/*"
  for jar in "$dist"/bundle/bcprov-*.jar "$dist"/bundle/jackson-core-*.jar "$dist"/bundle/jackson-databind-*.jar \
             "$dist"/bundle/jackson-annotations-*.jar "$dist"/bundle/io.printmaster.server.signing-*.jar; do
    [ -f "$jar" ] || die "the server distribution lacks $(basename "$jar")"
    cp="$cp:$jar"
  done
  exec java -Xmx512m -cp "$cp" io.printmaster.server.launcher.keys.KeysCommand "$@"
}

# ./pm test on PostgreSQL as well: the store's contract tests and a set of integration tests run a second time on
# PostgreSQL when PM_TEST_DATABASE_URL names a server whose user may create databases. Unset, a throwaway cluster is
# started (itests/tools/postgres.sh) when the PostgreSQL server binaries are installed, and stopped at the end;
# without them those runs are skipped with a loud message (they fail instead under PM_REQUIRE_POSTGRES=1).
test_all() {
  need_java
  cd "$ROOT"
  local state="" code=0
  if [ -z "${PM_TEST_DATABASE_URL:-}" ]; then
    if itests/tools/postgres.sh available; then
      state="$(mktemp /tmp/pm-test-postgres.XXXXXX)"
      PM_TEST_DATABASE_URL="$(itests/tools/postgres.sh start "$state")" || die "could not start a throwaway PostgreSQL"
      export PM_TEST_DATABASE_URL
      echo "pm: tests also run on a throwaway PostgreSQL at $PM_TEST_DATABASE_URL" >&2
    else
      echo "pm: !!! PostgreSQL is not installed and PM_TEST_DATABASE_URL is not set: the PostgreSQL tests are SKIPPED" >&2
    fi
  fi
  mvn -B verify "$@" || code=$?
  if [ -n "$state" ]; then itests/tools/postgres.sh stop "$state"; fi
  return "$code"
}

case "${1:-}" in
  server) shift; run server "$@" ;;
  agent) shift; run agent "$@" ;;
  build) need_java; build ;;
  test) shift; test_all "$@" ;;
  keys) shift; keys "$@" ;;
  jvm-options) [ "${2:-}" = server ] || [ "${2:-}" = agent ] || die "usage: pm jvm-options server|agent"; java_opts "$2" ;;
  ""|-h|--help|help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown command '$1' (try ./pm help)" ;;
esac
