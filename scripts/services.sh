#!/usr/bin/env bash
# The real servers of the production tests, on loopback, for one test run: PostgreSQL (Debian's
# `postgresql`, a throw-away cluster in a temp dir) and a Chroma server (`chroma run` from .venv).
# No broker: the task queue (Procrastinate) lives in the same PostgreSQL.
#   eval "$(bash scripts/services.sh start)"   installs what is missing (as root), starts both, waits until
#                                               each answers and prints the export lines the tests read:
#                                               JINNANG_TEST_DATABASE_URL, JINNANG_TEST_CHROMA_PORT and
#                                               JINNANG_SERVICES_DIR (where their data, logs and pids are)
#   bash scripts/services.sh stop [DIR]         stops them and removes DIR (default: $JINNANG_SERVICES_DIR)
# Only the export lines go to stdout; everything else goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "services: $*" >&2; }

pg_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# as root the cluster belongs to the `postgres` user (the server refuses to run as root)
as_pg() {
  if [ "$(id -u)" = "0" ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

install_postgres() {
  pg_bindir >/dev/null && return 0
  if [ "$(id -u)" = "0" ]; then
    say "installing postgresql from Debian"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
  else
    say "PostgreSQL is missing; run as root, then run this script again:"
    say "  sudo apt-get update && sudo apt-get install -y --no-install-recommends postgresql"
    exit 1
  fi
  # Debian's package starts its own cluster on 5432; ours runs beside it in the temp dir
}

stop() {
  local dir=${1:-${JINNANG_SERVICES_DIR:-}}
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    say "nothing to stop (no services dir given)"
    return 0
  fi
  if [ -f "$dir/chroma.pid" ]; then
    local pid
    pid=$(cat "$dir/chroma.pid")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  if [ -f "$dir/pg/data/postmaster.pid" ]; then
    as_pg "$(pg_bindir)/pg_ctl" -D "$dir/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  say "stopped (removed $dir)"
}

wait_for() {  # wait_for WHAT LOG PID COMMAND...: until COMMAND succeeds, up to 60 s, or PID (if given) is gone
  local what=$1 log=$2 pid=$3
  shift 3
  for _ in $(seq 600); do
    "$@" >/dev/null 2>&1 && return 0
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      say "$what exited; the end of its log ($log):"
      tail -n 30 "$log" >&2 || true
      return 1
    fi
    sleep 0.1
  done
  say "$what did not answer within 60 s; the end of its log ($log):"
  tail -n 30 "$log" >&2 || true
  return 1
}

start() {
  install_postgres
  [ -x .venv/bin/chroma ] || { say ".venv/bin/chroma is missing: run scripts/setup.sh --dev first"; exit 1; }
  local bin dir pg_port chroma_port
  bin=$(pg_bindir)
  dir=$(mktemp -d "${TMPDIR:-/tmp}/jinnang-services.XXXXXX")
  chmod 755 "$dir"  # the postgres user must reach its own subdir
  # a failed start leaves nothing running
  trap 'stop "$dir"' ERR

  mkdir -p "$dir/pg"
  [ "$(id -u)" = "0" ] && chown postgres: "$dir/pg"
  as_pg "$bin/initdb" -D "$dir/pg/data" -U postgres --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
    || { tail -n 20 "$dir/initdb.log" >&2; false; }
  pg_port=$(free_port)
  # fsync off: a crashed test cluster is thrown away anyway; 200 connections for the workers' pools
  as_pg "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 60 start \
    -o "-p $pg_port -k $dir/pg -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    >&2 || { tail -n 20 "$dir/pg/server.log" >&2; false; }
  wait_for PostgreSQL "$dir/pg/server.log" "" "$bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" -U postgres

  chroma_port=$(free_port)
  mkdir -p "$dir/chroma"
  ANONYMIZED_TELEMETRY=False nohup .venv/bin/chroma run --path "$dir/chroma" --host 127.0.0.1 --port "$chroma_port" \
    >"$dir/chroma.log" 2>&1 </dev/null &
  echo $! >"$dir/chroma.pid"
  wait_for "The Chroma server" "$dir/chroma.log" "$(cat "$dir/chroma.pid")" curl -fsS "http://127.0.0.1:$chroma_port/api/v2/heartbeat"
  trap - ERR

  say "PostgreSQL on 127.0.0.1:$pg_port, Chroma on 127.0.0.1:$chroma_port (data and logs in $dir)"
  echo "export JINNANG_SERVICES_DIR=$dir"
  echo "export JINNANG_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:$pg_port/postgres"
  echo "export JINNANG_TEST_CHROMA_PORT=$chroma_port"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop [DIR]" >&2; exit 2 ;;
esac
