#!/usr/bin/env bash
# PrintMaster one-command entry point.
#   ./pm server [--port N] [--data-dir DIR] [--bind ADDR] [--log-level L]   build when needed, run the server
#   ./pm agent  [--port N] [--data-dir DIR] [--log-level L]                 build when needed, run the agent
#   ./pm build                                                              build the distributions (no tests)
#   ./pm test                                                               the full test run (unit + integration)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MVN=(mvn -B -q)

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

build() {
  echo "pm: building (mvn package, tests skipped)..." >&2
  (cd "$ROOT" && "${MVN[@]}" -DskipTests package)
}

run() { # role
  local role="$1"; shift
  local dist="$ROOT/platform-$role/distribution/target/printmaster-$role"
  need_java
  if stale "$dist/VERSION"; then build; fi
  local main="io.printmaster.$role.launcher.$( [ "$role" = server ] && echo ServerMain || echo AgentMain )"
  local opts=${PM_JAVA_OPTS:-}
  if [ "$role" = agent ] && [ -z "$opts" ]; then
    # the agent stays small: 64 MB heap, serial GC
    opts="-Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"
  fi
  # shellcheck disable=SC2086
  exec java $opts -cp "$dist/lib/*" "$main" --home "$dist" "$@"
}

case "${1:-}" in
  server) shift; run server "$@" ;;
  agent) shift; run agent "$@" ;;
  build) need_java; build ;;
  test) shift; need_java; cd "$ROOT" && exec mvn -B verify "$@" ;;
  ""|-h|--help|help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown command '$1' (try ./pm help)" ;;
esac
