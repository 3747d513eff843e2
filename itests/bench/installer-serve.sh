#!/usr/bin/env bash
# Time to serve a cached installer: GET /api/v1/installers/{fleet}/linux-amd64?format=tar.gz on the built server
# (the installer is built by the first request, then served from the encrypted cache) against nginx serving the same
# bytes as a static file (sendfile), both on loopback, downloaded with curl to /dev/null.
#   itests/bench/installer-serve.sh [SIZE_MB] [ROUNDS]      (200 and 11 by default; build first with ./pm build)
# The official archive is the real linux-amd64 agent archive with SIZE_MB of random bytes added (lib/padding.bin,
# incompressible like the jars of a real distribution), published as version 9.0.0 through a directory release source.
# Each round downloads from the server and from nginx, alternating; reported: the median time of each, and the ratio.
# BENCH_WARMUP (3) untimed downloads of each come first. BENCH_TTFB=1 also prints the server's time to first byte per round (one more request each).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SIZE_MB="${1:-200}"
ROUNDS="${2:-11}"
command -v nginx >/dev/null || command -v /usr/sbin/nginx >/dev/null || die "nginx not found: apt-get install -y nginx-light"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
command -v curl >/dev/null || die "curl not found"
need_dist server
OFFICIAL=$(ls "$ROOT"/platform-agent/distribution/target/releases/printmaster-agent-v*-linux-amd64.tar.gz 2>/dev/null | head -1)
[ -n "$OFFICIAL" ] || die "no official linux-amd64 archive: run ./pm build"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pm-bench-serve.XXXXXX")
PID=""; NGINX_PID=""
cleanup() {
  [ -n "$PID" ] && stop_container "$PID"
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "making a ${SIZE_MB} MB official archive (version 9.0.0)..."
mkdir -p "$WORK/unpacked" "$WORK/releases" "$WORK/www"
tar -xzf "$OFFICIAL" -C "$WORK/unpacked"
top=$(ls "$WORK/unpacked")
mv "$WORK/unpacked/$top" "$WORK/unpacked/printmaster-agent-9.0.0"
echo 9.0.0 >"$WORK/unpacked/printmaster-agent-9.0.0/VERSION"
head -c "$((SIZE_MB * 1024 * 1024))" /dev/urandom >"$WORK/unpacked/printmaster-agent-9.0.0/lib/padding.bin"
ASSET=printmaster-agent-v9.0.0-linux-amd64.tar.gz
tar -czf "$WORK/releases/$ASSET" -C "$WORK/unpacked" printmaster-agent-9.0.0
rm -rf "$WORK/unpacked"
(cd "$WORK/releases" && sha256sum "$ASSET" >SHA256SUMS)

PASSWORD="bench-$(date +%s)-pw"
port=$(free_port)
PM_ADMIN_PASSWORD="$PASSWORD" start_container server "$WORK/console.log" "$WORK/data" "$port" "$(java_opts_of server)"
t0=$(now_ms)
until is_ready server "$port"; do
  kill -0 "$PID" 2>/dev/null || { cat "$WORK/console.log" >&2; die "the server exited before it was ready"; }
  (( $(now_ms) - t0 < 90000 )) || die "server not ready after 90 s"
  sleep 0.1
done
BASE="http://127.0.0.1:$port"
JAR="$WORK/cookies"
csrf=$(curl -sf -c "$JAR" -H 'Content-Type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$PASSWORD\"}" "$BASE/api/v1/auth/login" | sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p')
[ -n "$csrf" ] || die "login failed"
admin() { curl -sf -b "$JAR" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' "$@"; }
admin -d '{"id":"bench","name":"Benchmark fleet"}' "$BASE/api/v1/fleets" >/dev/null
admin -d "{\"type\":\"directory\",\"name\":\"bench\",\"config\":{\"path\":\"$WORK/releases\"}}" "$BASE/api/v1/release-sources" >/dev/null
token=$(admin -d '{"name":"bench","scopes":["installers.download"]}' "$BASE/api/v1/auth/tokens" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || die "no API token"
echo "waiting for the intake to cache version 9.0.0..."
t0=$(now_ms)
until admin "$BASE/api/v1/releases/artifacts?component=agent&version=9.0.0" | grep -q '"sha256"'; do
  (( $(now_ms) - t0 < 300000 )) || die "version 9.0.0 not cached after 300 s"
  admin -X POST "$BASE/api/v1/releases/sync" >/dev/null || true
  sleep 1
done

URL="$BASE/api/v1/installers/bench/linux-amd64?format=tar.gz"
echo "first request (builds and caches the installer):"
build=$(curl -sf -H "Authorization: Bearer $token" -o "$WORK/www/installer.tar.gz" -w '%{time_total}' "$URL")
echo "  built and served in ${build} s, $(stat -c %s "$WORK/www/installer.tar.gz") bytes"
[ "$(curl -sf -H "Authorization: Bearer $token" -o /dev/null -D - "$URL" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-printmaster-installer-cache" { print $2 }')" = hit ] \
  || die "the second request was not served from the cache"

nport=$(free_port)
# nginx's workers run as an unprivileged user when started by root: let them read the file
chmod 755 "$WORK" "$WORK/www"; chmod 644 "$WORK/www/installer.tar.gz"
cat >"$WORK/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 64; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path $WORK/nginx-tmp;
  proxy_temp_path $WORK/nginx-tmp;
  fastcgi_temp_path $WORK/nginx-tmp;
  uwsgi_temp_path $WORK/nginx-tmp;
  scgi_temp_path $WORK/nginx-tmp;
  types { application/gzip gz; }
  server { listen 127.0.0.1:$nport; root $WORK/www; }
}
EOF
mkdir -p "$WORK/nginx-tmp"
"$NGINX" -c "$WORK/nginx.conf" -p "$WORK" &
NGINX_PID=$!
t0=$(now_ms)
until curl -sf -o /dev/null "http://127.0.0.1:$nport/installer.tar.gz"; do
  (( $(now_ms) - t0 < 10000 )) || die "nginx did not start: $(cat "$WORK/nginx-error.log")"
  sleep 0.05
done

echo "serving the cached installer: $ROUNDS rounds, curl to /dev/null, alternating; $(java -version 2>&1 | head -1); $("$NGINX" -v 2>&1)"
echo "before: $(load_note)"
# untimed warm-up downloads first: the server's copy loop and crypto run compiled, as they do on a server in use
for w in $(seq 1 "${BENCH_WARMUP:-3}"); do
  curl -sf -H "Authorization: Bearer $token" -o /dev/null "$URL"
  curl -sf -o /dev/null "http://127.0.0.1:$nport/installer.tar.gz"
done
srv=(); ngx=()
for r in $(seq 1 "$ROUNDS"); do
  s=$(curl -sf -H "Authorization: Bearer $token" -o /dev/null -w '%{time_total}' "$URL")
  [ -n "${BENCH_TTFB:-}" ] && curl -sf -H "Authorization: Bearer $token" -o /dev/null -w 'server first byte %{time_starttransfer} total %{time_total}\n' "$URL" >&2
  n=$(curl -sf -o /dev/null -w '%{time_total}' "http://127.0.0.1:$nport/installer.tar.gz")
  srv+=("$s"); ngx+=("$n")
done
med() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ms=$(med "${srv[@]}"); mn=$(med "${ngx[@]}")
echo "server s: ${srv[*]}  median $ms"
echo "nginx  s: ${ngx[*]}  median $mn"
awk -v s="$ms" -v n="$mn" 'BEGIN { printf "ratio server / nginx: %.2f (target: at most 1.25)\n", s / n }'
echo "after: $(load_note)"
