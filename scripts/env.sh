# Defaults for running Strata on this machine; every value can be overridden from the environment.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export STRATA_DATABASE_URL="${STRATA_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/strata}"
export STRATA_AMQP_URL="${STRATA_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/}"
export STRATA_BLOB_ROOT="${STRATA_BLOB_ROOT:-$ROOT/var/blobs}"
export STRATA_GATEWAY_URL="${STRATA_GATEWAY_URL:-http://127.0.0.1:8000}"
export GATEWAY_PORT="${GATEWAY_PORT:-8000}"
export LLMSIM_PORT="${LLMSIM_PORT:-8787}"
export HF_HUB_OFFLINE=1
# The model: the real Anthropic API when a key is given, else the local simulator.
if [ -n "${ANTHROPIC_API_KEY:-}" ]; then
  export WORKER_ANTHROPIC_API_KEY="$ANTHROPIC_API_KEY"
  export WORKER_ANTHROPIC_BASE_URL="${WORKER_ANTHROPIC_BASE_URL:-https://api.anthropic.com}"
  export STRATA_SIMULATED=0
else
  export WORKER_ANTHROPIC_API_KEY="${WORKER_ANTHROPIC_API_KEY:-sim-key}"
  export WORKER_ANTHROPIC_BASE_URL="${WORKER_ANTHROPIC_BASE_URL:-http://127.0.0.1:$LLMSIM_PORT}"
  export STRATA_SIMULATED=1
fi
