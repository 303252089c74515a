#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on loopback for the contract tests and benchmarks, and prints
# the URL to use as POSTGRES_URL. Needs Debian's postgresql package (installed when missing).
# Usage: eval "$(scripts/start-postgres.sh)"   # exports POSTGRES_URL
set -euo pipefail
port="${KEEL_PG_PORT:-55432}"
dir="${KEEL_PG_DIR:-/tmp/keel-pg-$port}"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if ! run "$bin/pg_isready" -h 127.0.0.1 -p "$port" -q 2>/dev/null; then
  rm -rf "$dir"; mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  run "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync >&2
  run "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >&2
fi
echo "export POSTGRES_URL=postgres://postgres@127.0.0.1:$port/postgres"
