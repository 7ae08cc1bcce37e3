"""The provider's caching rules the simulator enforces: each model's minimum cacheable prefix
and the two cache lifetimes a `cache_control` breakpoint may ask for.

The simulator plays the provider, so it keeps its own copy of the table rather than importing
Strata's cost model (which must predict the provider, not define it); a unit test holds the two
equal. Source: Anthropic's prompt-caching guide, "Cache limitations" (checked 2026-10).
"""

from __future__ import annotations

from typing import Any

MIN_CACHEABLE_TOKENS: dict[str, int] = {
    "claude-opus-5": 512,
    "claude-opus-4-8": 1024,
    "claude-opus-4-7": 4096,
    "claude-opus-4-6": 4096,
    "claude-opus-4-5": 4096,
    "claude-opus-4": 1024,
    "claude-sonnet-5": 1024,
    "claude-sonnet-4-6": 2048,
    "claude-sonnet-4": 1024,
    "claude-3-7-sonnet": 1024,
    "claude-haiku-4-5": 4096,
    "claude-3-5-haiku": 2048,
    "claude-3-haiku": 2048,
}
UNKNOWN_MODEL_MIN_TOKENS = 4096

SHORT_TTL, LONG_TTL = "5m", "1h"
TTLS = (SHORT_TTL, LONG_TTL)


class CacheRuleError(ValueError):
    """A cache_control the real API would refuse with a 400."""


def min_cacheable_tokens(model: str) -> int:
    matches = [prefix for prefix in MIN_CACHEABLE_TOKENS if model.startswith(prefix)]
    return MIN_CACHEABLE_TOKENS[max(matches, key=len)] if matches else UNKNOWN_MODEL_MIN_TOKENS


def breakpoint_ttl(cache_control: Any, *, where: str) -> str | None:
    """The TTL a content block's `cache_control` asks for; None when it has none."""
    if cache_control is None:
        return None
    if not isinstance(cache_control, dict) or cache_control.get("type") != "ephemeral":
        raise CacheRuleError(f"{where}.cache_control: type must be 'ephemeral'")
    ttl = cache_control.get("ttl", SHORT_TTL)
    if ttl not in TTLS:
        raise CacheRuleError(f"{where}.cache_control.ttl: must be one of '5m', '1h' (got {ttl!r})")
    return str(ttl)


def check_ttl_order(ttls: list[str]) -> None:
    """Longer-lived entries must come first: a 1h breakpoint after a 5m one is refused."""
    seen_short = False
    for ttl in ttls:
        if ttl == LONG_TTL and seen_short:
            raise CacheRuleError(
                "a cache_control with ttl='1h' must not come after one with ttl='5m'"
            )
        seen_short = seen_short or ttl == SHORT_TTL
