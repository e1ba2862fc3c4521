#!/usr/bin/env bash
# Install (Debian package) and start a PostgreSQL server on 127.0.0.1 for the Postgres tests.
# Prints the line to export: WENSHU_TEST_PG_DSN=postgresql://wenshu@127.0.0.1:PORT/wenshu
# Idempotent: a server already running on the port is reused. Stop it with: scripts/ci_postgres.sh stop
set -euo pipefail
PORT="${WENSHU_PG_PORT:-55432}"
DATA="${WENSHU_PG_DATA:-/tmp/wenshu-pg}"
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql
fi
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
# initdb and postgres refuse to run as root: run them as the postgres user then.
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
  AS="runuser -u postgres --"
else
  AS=""
fi
if [ "${1:-}" = stop ]; then
  $AS "$BIN/pg_ctl" -D "$DATA" -m fast stop || true
  exit 0
fi
if ! "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
  if [ ! -s "$DATA/PG_VERSION" ]; then
    mkdir -p "$DATA"
    [ -n "$AS" ] && chown postgres "$DATA"
    chmod 700 "$DATA"
    # Loopback only, trust auth: a throwaway test server. Real servers use passwords from the environment.
    $AS "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  $AS "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DATA" start >/dev/null
fi
PSQL=("$BIN/psql" -q -h 127.0.0.1 -p "$PORT" -U postgres -v ON_ERROR_STOP=1)
"${PSQL[@]}" -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'wenshu'" | grep -q 1 || "${PSQL[@]}" -c "CREATE ROLE wenshu LOGIN"
"${PSQL[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = 'wenshu'" | grep -q 1 || "${PSQL[@]}" -c "CREATE DATABASE wenshu OWNER wenshu"
echo "WENSHU_TEST_PG_DSN=postgresql://wenshu@127.0.0.1:$PORT/wenshu"
