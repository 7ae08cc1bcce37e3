"""The worker's Prometheus series: model calls, tokens, cost and errors by model; claims and
what became of them. Labels are model names and error codes (bounded sets), never ids."""

from prometheus_client import Counter, Histogram

from strata.contracts.overlays import ModelErrorCode
from strata.worker.store import LlmCall

MODEL_CALLS = Counter(
    "strata_model_calls",
    "Calls made to the model provider, by model and outcome",
    ["model", "outcome"],
)
MODEL_TOKENS = Counter(
    "strata_model_tokens",
    "Tokens billed by the provider, by model and kind (input, cache_write, cache_read, output)",
    ["model", "kind"],
)
MODEL_COST = Counter(
    "strata_model_cost_usd", "Cost of model calls in US dollars, by model", ["model"]
)
MODEL_ERRORS = Counter(
    "strata_model_errors", "Failed model calls, by model and error code", ["model", "code"]
)
MODEL_LATENCY = Histogram(
    "strata_model_call_duration_seconds",
    "Time a model call took, by model",
    ["model"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160),
)
MODEL_RATE_LIMITED = Counter(
    "strata_model_rate_limited",
    "Calls the provider refused with 429 (rate limited), by model: retried after retry-after,"
    " never counted as an attempt of the blocks",
    ["model"],
)
RATE_LIMIT_WAIT = Histogram(
    "strata_rate_limit_wait_seconds",
    "Time a call waited for room under the key's rate limits before it was sent",
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160),
)
CLAIMS = Counter(
    "strata_claims", "Claims of a pack's blocks, by result (claimed, nothing_to_claim)", ["result"]
)
CLAIMED_BLOCKS = Counter("strata_claimed_blocks", "Blocks claimed by this worker")
SETTLED_BLOCKS = Counter(
    "strata_settled_blocks", "Blocks settled, by whether the claim was still ours", ["result"]
)


def record_call(call: LlmCall) -> None:
    model = call.model
    outcome = call.error_code or "ok"
    MODEL_CALLS.labels(model=model, outcome=outcome).inc()
    if call.error_code:
        MODEL_ERRORS.labels(model=model, code=call.error_code).inc()
    if call.error_code == ModelErrorCode.RATE_LIMITED:
        MODEL_RATE_LIMITED.labels(model=model).inc()
    for kind, tokens in (
        ("input", call.input_tokens),
        ("cache_write", call.cache_creation_input_tokens),
        ("cache_read", call.cache_read_input_tokens),
        ("output", call.output_tokens),
    ):
        MODEL_TOKENS.labels(model=model, kind=kind).inc(tokens)
    MODEL_COST.labels(model=model).inc(float(call.cost_usd))
    MODEL_LATENCY.labels(model=model).observe(call.latency_ms / 1000)


def record_claim(blocks: int) -> None:
    CLAIMS.labels(result="claimed" if blocks else "nothing_to_claim").inc()
    CLAIMED_BLOCKS.inc(blocks)


FLAGGED_BLOCKS = Counter(
    "strata_flagged_blocks",
    "Blocks settled with at least one review flag (strata.planning.flags)",
)


def record_flagged(flagged: int) -> None:
    FLAGGED_BLOCKS.inc(flagged)


def record_settled(*, settled: int, offered: int) -> None:
    SETTLED_BLOCKS.labels(result="settled").inc(settled)
    SETTLED_BLOCKS.labels(result="claim_lost").inc(offered - settled)
