#!/usr/bin/env bash
# Start the simulator (unless a real key is set) and every service as background processes.
# Logs: var/log/<name>.log; pids: var/run/<name>.pid. `scripts/down.sh` stops them.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
BIN="${VENV:-.venv}/bin"
mkdir -p var/log var/run "$STRATA_BLOB_ROOT"

start() { # name, command...
  local name=$1; shift
  if [ -f "var/run/$name.pid" ] && kill -0 "$(cat "var/run/$name.pid")" 2>/dev/null; then
    echo "$name already running (pid $(cat "var/run/$name.pid"))"; return
  fi
  nohup "$@" >"var/log/$name.log" 2>&1 &
  echo $! >"var/run/$name.pid"
  echo "started $name (pid $!)"
}

wait_http() { # name, url
  for _ in $(seq 1 100); do
    curl -fsS "$2" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "$1 did not answer at $2; see var/log/$1.log" >&2; tail -20 "var/log/$1.log" >&2; return 1
}

if [ "$STRATA_SIMULATED" = 1 ]; then
  start llm-sim "$BIN/strata-llm-sim" --host 127.0.0.1 --port "$LLMSIM_PORT"
  wait_http llm-sim "http://127.0.0.1:$LLMSIM_PORT/health"
fi
# The template gallery's built-ins (idempotent: only missing ones are added).
"$BIN/strata-admin" admin seed-templates
for svc in ingest conversion worker rollup export notify; do
  start "$svc" "$BIN/strata-$svc"
done
start gateway "$BIN/strata-gateway"
wait_http gateway "$STRATA_GATEWAY_URL/healthz"
echo "strata is up: gateway $STRATA_GATEWAY_URL (docs at $STRATA_GATEWAY_URL/docs), logs in var/log/"
