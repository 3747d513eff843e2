# Shared helpers of the benchmark scripts (sourced, not run). Pure bash where it matters: the probes that poll a
# starting container use bash's /dev/tcp instead of forking curl, so polling does not steal CPU from the JVM
# being measured on a small machine.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

die() { echo "bench: $*" >&2; exit 2; }

dist_of() { echo "$ROOT/platform-$1/distribution/target/printmaster-$1"; }
main_of() { [ "$1" = server ] && echo io.printmaster.server.launcher.ServerMain || echo io.printmaster.agent.launcher.AgentMain; }
# the readiness route: the server's health (200 + "status":"UP"), the agent's local status (200)
ready_path_of() { [ "$1" = server ] && echo /api/v1/health || echo /api/autoupdate/status; }

# JVM options exactly as ./pm starts the role: PM_JAVA_OPTS or the role's default, plus the class-data archive made
# by ./pm build (PM_CDS=off leaves it out).
java_opts_of() { "$ROOT/pm" jvm-options "$1"; }

need_dist() {
  [ -f "$(dist_of "$1")/VERSION" ] || die "no built $1 distribution: run ./pm build first"
}

# A TCP port nobody listens on right now, below the kernel's ephemeral range so no outgoing connection holds it
# (checked by connecting, no extra tools needed).
free_port() {
  local p low
  low=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  for _ in $(seq 1 50); do
    p=$(( 20000 + RANDOM % (low - 20000) ))
    if ! { exec 3<>"/dev/tcp/127.0.0.1/$p"; } 2>/dev/null; then echo "$p"; return; fi
    exec 3<&-
  done
  die "no free port found"
}

now_ms() { local t; t=$(date +%s%N); echo $(( t / 1000000 )); }

# One HTTP/1.0 GET over bash's /dev/tcp; prints the whole response (status line, headers, body) or nothing.
http_get() { # port path
  local resp=""
  { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
  IFS= read -r -d '' -t 5 resp <&3 || true
  exec 3<&-
  printf '%s' "$resp"
}

# Ready = 200, and for the server a body saying "status":"UP" (its health only says so when every platform bundle
# and component is up and storage answers).
is_ready() { # role port
  local resp
  resp=$(http_get "$2" "$(ready_path_of "$1")") || return 1
  case "$resp" in
    "HTTP/1."?" 200"*) ;;
    *) return 1 ;;
  esac
  [ "$1" = agent ] || [[ "$resp" == *'"status":"UP"'* ]]
}

# Starts a container in the background with the given JVM options (from java_opts_of, looked up before the clock
# starts): sets PID; its console goes to $2.
start_container() { # role console-file data-dir port "jvm options"
  local role="$1" dist
  dist=$(dist_of "$role")
  # shellcheck disable=SC2086
  java $5 -cp "$dist/lib/*" "$(main_of "$role")" --home "$dist" --data-dir "$3" --port "$4" >"$2" 2>&1 &
  PID=$!
}

# True when the container's HTTP listener could not bind its port (taken between free_port and the bind).
port_taken() { grep -q 'Address already in use' "$1" 2>/dev/null; }

stop_container() { # pid
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# min / median / max of the numbers given as arguments
summary() {
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "no samples"; exit }
    med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "min %d  median %d  max %d  (n=%d)\n", v[1], med, v[NR], NR }'
}

load_note() { echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"; }
