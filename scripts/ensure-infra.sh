#!/usr/bin/env bash
# Make sure RabbitMQ and Postgres answer, starting them if they are installed but down, and that
# the `strata` database exists. Used by `make`, `.ci/run` and the tests' own setup.
set -euo pipefail

wait_for() { # name, command
  for _ in $(seq 1 60); do eval "$2" >/dev/null 2>&1 && return 0; sleep 1; done
  echo "$1 did not come up" >&2; return 1
}

if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  wait_for PostgreSQL "pg_isready -h 127.0.0.1 -p 5432 -q"
fi
if ! rabbitmq-diagnostics -q check_port_connectivity >/dev/null 2>&1; then
  echo "starting RabbitMQ"
  rabbitmq-server -detached || true
  wait_for RabbitMQ "rabbitmq-diagnostics -q check_port_connectivity"
fi
if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='strata'" | grep -q 1; then
  psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE strata"
fi
echo "infra ok: PostgreSQL and RabbitMQ are up"
# Conversion reads scans with the system's OCR engine (issue 14).
bash "$(dirname "$0")/ensure-ocr.sh"
