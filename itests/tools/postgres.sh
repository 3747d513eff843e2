#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: its data, socket and log in one temporary folder, listening on a free
# loopback port, trust authentication on loopback only.
#
#   itests/tools/postgres.sh start [STATE_FILE]   prints the admin URL (postgresql://postgres@127.0.0.1:PORT/postgres)
#   itests/tools/postgres.sh stop  [STATE_FILE]   stops the cluster and deletes its folder
#   itests/tools/postgres.sh available            exit 0 when the PostgreSQL server binaries are installed
#
# STATE_FILE (default /tmp/pm-test-postgres.state) remembers the folder for stop. Run as root, the server runs as the
# user postgres (initdb and postgres refuse to run as root); otherwise as the calling user.
set -euo pipefail

state="${2:-/tmp/pm-test-postgres.state}"

bindir() {
  if [ -n "${PM_POSTGRES_BIN:-}" ] && [ -x "$PM_POSTGRES_BIN/initdb" ]; then echo "$PM_POSTGRES_BIN"; return 0; fi
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then dirname "$(command -v initdb)"; return 0; fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  return 1
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
    || echo $(( 20000 + RANDOM % 20000 ))
}

case "${1:-}" in
  available)
    bindir >/dev/null
    ;;
  start)
    bin="$(bindir)" || { echo "postgres.sh: PostgreSQL server binaries (initdb, pg_ctl) not found" >&2; exit 3; }
    dir="$(mktemp -d /tmp/pm-postgres.XXXXXX)"
    chmod 0755 "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    port="$(free_port)"
    # fsync off: a test cluster never survives a crash anyway, and it makes every commit cheap on a busy machine
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "$dir $port $bin" >"$state"
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    [ -f "$state" ] || exit 0
    read -r dir port bin <"$state"
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir" "$state"
    ;;
  *)
    echo "usage: $0 start|stop|available [STATE_FILE]" >&2
    exit 2
    ;;
esac
