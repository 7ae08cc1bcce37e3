#!/usr/bin/env bash
# Stop what scripts/up.sh started (TERM, then KILL after a grace period).
set -uo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
for pidfile in var/run/*.pid; do
  name=$(basename "$pidfile" .pid); pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    echo "stopped $name"
  fi
  rm -f "$pidfile"
done
