#!/usr/bin/env bash
# The bundled Java runtime (runtime/ in the official archives): archive sizes with and without it, and the idle
# resident memory of an agent installed from the linux-amd64 archive, on its bundled runtime and on the system JDK.
#   itests/bench/agent-runtime.sh [RUNS]          (build first: mvn -B -q install -DskipTests)
# Sizes: every archive of platform-agent/distribution/target/releases, and which of them carry runtime/ (the archives
# of one build differ only by runtime/ and their service files, so an archive without runtime/ is the size "without").
# RSS: the archive unpacked with tar; RUNS (default 3) pairs of starts, alternated (bundled, system, bundled, ...), each
# `bin/pm-agent --data-dir <fresh> --port <free>` with the script's default JVM options (PM_JAVA_OPTS unset). The
# bundled run has JAVA_HOME unset: bin/pm-agent takes runtime/bin/java first (even though /usr/bin has a java here;
# the line printed per run names the executable of the process). The system run moves runtime/ aside and sets
# JAVA_HOME to the JDK that runs `java` here. Each run waits until the agent
# is ready, then samples VmRSS from /proc/<pid>/status every 2 s until idle (at least 30 s and the last ten samples
# within 1 MiB, at most 3 minutes); its result is the last sample. Reported: every run, and the medians in MiB.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS="${1:-3}"
RELEASES="$ROOT/platform-agent/distribution/target/releases"
[ -f "$RELEASES/SHA256SUMS" ] || die "no agent archives in $RELEASES: build first (mvn -B -q install -DskipTests)"
LINUX=$(ls "$RELEASES"/printmaster-agent-v*-linux-amd64.tar.gz | head -1)
SYSTEM_JDK=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")

echo "== archive sizes ($RELEASES)"
for a in "$RELEASES"/printmaster-agent-v*; do
  case $a in
    *.zip) has=$(unzip -Z1 "$a" | grep -c '/runtime/bin/java' || true) ;;
    *) has=$(tar -tzf "$a" | grep -c '/runtime/bin/java$' || true) ;;
  esac
  printf '  %-60s %6.1f MiB  %s\n' "$(basename "$a")" "$(awk -v b="$(stat -c %s "$a")" 'BEGIN { print b / 1048576 }')" \
    "$([ "$has" -gt 0 ] && echo 'with runtime/' || echo 'without runtime/')"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pm-bench-runtime.XXXXXX")
PID=""
trap '[ -n "$PID" ] && { kill -TERM "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }; rm -rf "$WORK"' EXIT
tar -xzf "$LINUX" -C "$WORK"
HOME_DIR=$(ls -d "$WORK"/printmaster-agent-*)
[ -x "$HOME_DIR/runtime/bin/java" ] || die "$(basename "$LINUX") carries no runtime/"
echo "  unpacked: runtime/ $(du -sm "$HOME_DIR/runtime" | cut -f1) MiB, the rest $(( $(du -sm "$HOME_DIR" | cut -f1) - $(du -sm "$HOME_DIR/runtime" | cut -f1) )) MiB"
echo "  runtime: $(grep '^JAVA_VERSION=' "$HOME_DIR/runtime/release"); $(grep '^MODULES=' "$HOME_DIR/runtime/release" | wc -w) modules"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

one_run() { # bundled|system -> sets RSS (kB)
  local which=$1 port t0 ready samples=() n lo hi last10 stable=false exe
  port=$(free_port)
  rm -rf "$WORK/data"
  if [ "$which" = system ]; then
    mv "$HOME_DIR/runtime" "$WORK/runtime.aside"
    env -u PM_JAVA_OPTS JAVA_HOME="$SYSTEM_JDK" PATH=/usr/bin:/bin \
      "$HOME_DIR/bin/pm-agent" --data-dir "$WORK/data" --port "$port" >"$WORK/console.log" 2>&1 &
  else
    env -u PM_JAVA_OPTS -u JAVA_HOME PATH=/usr/bin:/bin \
      "$HOME_DIR/bin/pm-agent" --data-dir "$WORK/data" --port "$port" >"$WORK/console.log" 2>&1 &
  fi
  PID=$!
  t0=$(now_ms)
  until is_ready agent "$port"; do
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/console.log" >&2; die "agent exited before it was ready"; }
    (( $(now_ms) - t0 < 60000 )) || die "agent not ready after 60 s"
    sleep 0.1
  done
  ready=$(( $(now_ms) - t0 ))
  exe=$(readlink "/proc/$PID/exe")
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
  echo "  $which: ready after $ready ms, idle RSS $(mib "$RSS") MiB after $(( n * 2 )) s$($stable || echo ' (still moving)'); java: $exe"
  kill -TERM "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  PID=""
  if [ "$which" = system ]; then mv "$WORK/runtime.aside" "$HOME_DIR/runtime"; fi
}

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

echo "== idle RSS, $RUNS alternated pairs; system JDK: $SYSTEM_JDK ($(java -version 2>&1 | head -1))"
echo "before: $(load_note)"
bundled=(); system=()
for _ in $(seq 1 "$RUNS"); do
  one_run bundled; bundled+=("$RSS")
  one_run system; system+=("$RSS")
done
echo "idle RSS median: bundled runtime $(mib "$(median "${bundled[@]}")") MiB, system JDK $(mib "$(median "${system[@]}")") MiB"
echo "after: $(load_note)"
