#!/usr/bin/env bash
# Install (if needed) and start a throwaway PostgreSQL server on 127.0.0.1 for the tests.
#   bash scripts/postgres.sh start   -> starts it, prints `export BEACON_TEST_POSTGRES_URL=...`
#   bash scripts/postgres.sh stop
# Trust authentication is safe here only because it listens on loopback and holds test data.
set -euo pipefail

PORT="${BEACON_PG_PORT:-54329}"
DIR="${BEACON_PG_DIR:-/tmp/beacon-pg-$PORT}"
URL="postgresql://postgres@127.0.0.1:$PORT/postgres"

log() { echo "postgres.sh: $*" >&2; }

find_bin() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$found" ] && command -v pg_ctl >/dev/null 2>&1; then
    found=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
  fi
  echo "$found"
}

install_postgres() {
  log "PostgreSQL not found; installing Debian's postgresql package"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >&2
  $sudo apt-get install -y -qq postgresql >&2
}

as_owner() {
  # initdb and postgres refuse to run as root: use the postgres system user then
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  local bin
  bin=$(find_bin)
  if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then
    install_postgres
    bin=$(find_bin)
  fi
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  fi
  if ! as_owner "$bin/pg_isready" -q -h 127.0.0.1 -p "$PORT" 2>/dev/null; then
    if [ ! -f "$DIR/PG_VERSION" ]; then
      mkdir -p "$DIR"
      [ "$(id -u)" -eq 0 ] && chown postgres: "$DIR"
      as_owner "$bin/initdb" -D "$DIR" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    [ "$(id -u)" -eq 0 ] && chown -R postgres: "$DIR"
    # a server killed with its machine leaves a stale pid file behind
    if [ -f "$DIR/postmaster.pid" ] && ! kill -0 "$(head -n 1 "$DIR/postmaster.pid")" 2>/dev/null; then
      rm -f "$DIR/postmaster.pid"
    fi
    as_owner "$bin/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >&2
  fi
  log "PostgreSQL is up on 127.0.0.1:$PORT"
  echo "export BEACON_TEST_POSTGRES_URL=$URL"
}

stop() {
  local bin
  bin=$(find_bin)
  [ -n "$bin" ] && [ -f "$DIR/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$DIR" -m fast stop >&2 || true
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  env) echo "export BEACON_TEST_POSTGRES_URL=$URL" ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
