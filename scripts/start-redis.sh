#!/usr/bin/env bash
# Starts a throwaway Redis on loopback (no persistence) for the BullMQ tests and benchmarks, and prints the URL
# to use as REDIS_URL. Needs Debian's redis-server package (installed when missing).
# Usage: eval "$(scripts/start-redis.sh)"   # exports REDIS_URL
set -euo pipefail
port="${KEEL_REDIS_PORT:-56379}"
dir="${KEEL_REDIS_DIR:-/tmp/keel-redis-$port}"
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server) >&2
fi
if ! redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
  rm -rf "$dir"; mkdir -p "$dir"
  # Debian's package starts its own redis-server on 6379; ours is separate, on its own port and directory.
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
    --logfile "$dir/log" --pidfile "$dir/pid" --daemonize yes >&2
  for _ in $(seq 1 100); do
    redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null || { cat "$dir/log" >&2; exit 1; }
fi
echo "export REDIS_URL=redis://127.0.0.1:$port"
