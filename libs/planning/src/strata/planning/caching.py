"""What prompt caching can do for a run (pure): each model's minimum cacheable prefix, the two
cache lifetimes and what a cache write costs under each.

Anthropic caches a prefix only from a model-dependent length; below it `cache_control` is
accepted and silently ignored (no error, no cache tokens), so a run would pay full input on
every call while looking cached. The estimate uses this table to say so before the run starts.

Source (checked 2026-10): Anthropic's prompt-caching guide, "Cache limitations"
(https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching), as mirrored by LiteLLM's
prompt-caching page (2026-10-07) for the 512-token Opus 5 family. The simulator keeps the same
table (`strata.llm_sim.cache_rules`); a unit test holds the two equal.
"""

from decimal import Decimal

from strata.contracts.policy import PromptCacheTtl

# Matched by the longest prefix of the model id. Unknown models get the largest minimum: an
# estimate that under-promises caching never surprises anyone with a bill.
MIN_CACHEABLE_TOKENS: dict[str, int] = {
    "claude-opus-5": 512,
    "claude-opus-4-8": 1024,
    "claude-opus-4-7": 4096,
    "claude-opus-4-6": 4096,
    "claude-opus-4-5": 4096,
    "claude-opus-4": 1024,  # Opus 4 and 4.1
    "claude-sonnet-5": 1024,
    "claude-sonnet-4-6": 2048,
    "claude-sonnet-4": 1024,  # Sonnet 4 and 4.5
    "claude-3-7-sonnet": 1024,
    "claude-haiku-4-5": 4096,
    "claude-3-5-haiku": 2048,
    "claude-3-haiku": 2048,
}
UNKNOWN_MODEL_MIN_TOKENS = 4096


def min_cacheable_tokens(model: str) -> int:
    matches = [prefix for prefix in MIN_CACHEABLE_TOKENS if model.startswith(prefix)]
    return MIN_CACHEABLE_TOKENS[max(matches, key=len)] if matches else UNKNOWN_MODEL_MIN_TOKENS


# A cache write bills at this multiple of the input price; a read at 0.1x under either TTL. The
# 1-hour write pays for itself once a prefix is read again after more than five idle minutes
# (deferred runs, long runs with gaps), never on a run whose calls follow each other closely.
CACHE_WRITE_MULTIPLIERS: dict[PromptCacheTtl, Decimal] = {
    PromptCacheTtl.FIVE_MINUTES: Decimal("1.25"),
    PromptCacheTtl.ONE_HOUR: Decimal("2"),
}
CACHE_READ_MULTIPLIER = Decimal("0.1")


def cache_control(ttl: PromptCacheTtl) -> dict[str, str]:
    """The `cache_control` marker for a breakpoint; 5 minutes is the API's default, left implicit
    so requests stay byte-identical to those of runs created before TTLs were a choice."""
    marker = {"type": "ephemeral"}
    if ttl is not PromptCacheTtl.FIVE_MINUTES:
        marker["ttl"] = ttl.value
    return marker


def caching_note(*, model: str, system_tokens: int, enabled: bool) -> str | None:
    """Why the run's constant prompt will not be cached, or None when it will (or is off)."""
    minimum = min_cacheable_tokens(model)
    if not enabled or system_tokens >= minimum:
        return None
    return (
        f"the constant prompt is about {system_tokens} tokens, below the {minimum}-token minimum"
        f" {model} caches: caching will not happen and every call pays it as plain input"
    )
