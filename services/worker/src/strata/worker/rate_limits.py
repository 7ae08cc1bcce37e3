"""The provider's rate limits as the worker mirrors them (pure: every function takes `now`).

Anthropic limits each key (organisation) and model by requests, input tokens and output tokens
per minute, each a token bucket holding one minute's worth and refilling continuously at
limit/60 per second. A request is admitted when every bucket holds its cost: 1 request, its
uncached input (`input_tokens` + `cache_creation_input_tokens`) and `max_tokens` of output,
adjusted to the output actually written when it ends. Every answer reports each limit and what
remains (`anthropic-ratelimit-*`, token remainings rounded to the nearest thousand).

`BucketState` is the worker fleet's mirror of one key's buckets: learned from those headers,
debited before each call by the same rule the provider applies (`take`), corrected with the
usage each answer reports (`give_back`), and held shut after a 429 until its `retry-after`
(`throttled`). It is shared by every worker process through one database row (limiter.py).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

DIMENSIONS = ("requests", "input_tokens", "output_tokens")
_STEM = {"requests": "requests", "input_tokens": "input-tokens", "output_tokens": "output-tokens"}
# Token remainings are rounded to the nearest thousand: a report may be this much too high.
ROUNDING_SLACK = 500
# A wait shorter than this is no wait: float rounding must not make a caller sleep for nothing
# over and over (a clock cannot advance by less than its resolution).
NO_WAIT_S = 0.001


@dataclass(frozen=True)
class Reported:
    limit: int
    remaining: int


@dataclass(frozen=True)
class RateLimitReport:
    """What one answer (or 429) said about the key's limits; empty when it said nothing."""

    dims: dict[str, Reported] = field(default_factory=dict)

    @property
    def advertised(self) -> bool:
        return bool(self.dims)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def parse_headers(headers: Mapping[str, str]) -> RateLimitReport:
    """The `anthropic-ratelimit-{requests,input-tokens,output-tokens}-{limit,remaining}` pairs
    that are present and well formed. Resets are not needed: a bucket refills at limit/60 per
    second, which does not depend on our clock agreeing with the provider's."""
    dims: dict[str, Reported] = {}
    for dim, stem in _STEM.items():
        limit = _int(headers.get(f"anthropic-ratelimit-{stem}-limit"))
        remaining = _int(headers.get(f"anthropic-ratelimit-{stem}-remaining"))
        if limit is not None and limit > 0 and remaining is not None:
            dims[dim] = Reported(limit, max(0, remaining))
    return RateLimitReport(dims)


@dataclass(frozen=True)
class Cost:
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    def of(self, dim: str) -> int:
        value: int = getattr(self, dim)
        return value


@dataclass(frozen=True)
class Level:
    limit: int  # per minute, and the bucket's capacity
    level: float  # what the bucket holds at the state's `at`

    @property
    def rate(self) -> float:
        return self.limit / 60.0


@dataclass(frozen=True)
class BucketState:
    at: float  # seconds (the database clock, so every worker agrees)
    levels: dict[str, Level]
    hold_until: float = 0.0  # after a 429: nobody calls before this

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "hold_until": self.hold_until,
            "levels": {d: [v.limit, v.level] for d, v in self.levels.items()},
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> "BucketState":
        levels = {
            d: Level(int(v[0]), float(v[1])) for d, v in raw["levels"].items() if d in DIMENSIONS
        }
        return cls(float(raw["at"]), levels, float(raw.get("hold_until", 0.0)))


def refilled(state: BucketState, now: float) -> BucketState:
    elapsed = max(0.0, now - state.at)
    levels = {
        d: Level(v.limit, min(float(v.limit), v.level + v.rate * elapsed))
        for d, v in state.levels.items()
    }
    return replace(state, at=max(state.at, now), levels=levels)


def take(
    state: BucketState, cost: Cost, now: float, *, headroom: float
) -> tuple[BucketState, float]:
    """Debit `cost` when every bucket holds it plus `headroom` (a fraction of the limit, kept
    back for estimates that run short) and the key is not held after a 429: (debited state, 0).
    Otherwise (refilled state, seconds until it would)."""
    state = refilled(state, now)
    wait = max(0.0, state.hold_until - now)
    for dim, bucket in state.levels.items():
        need = min(cost.of(dim) + headroom * bucket.limit, float(bucket.limit))
        wait = max(wait, (need - bucket.level) / bucket.rate)
    if wait > NO_WAIT_S:
        return state, wait
    levels = {d: Level(v.limit, v.level - cost.of(d)) for d, v in state.levels.items()}
    return replace(state, levels=levels), 0.0


def give_back(state: BucketState, now: float, *, reserved: Cost, used: Cost) -> BucketState:
    """A call ended having used `used` of what `take` reserved: the difference returns."""
    state = refilled(state, now)
    levels = {
        d: Level(v.limit, min(float(v.limit), v.level + reserved.of(d) - used.of(d)))
        for d, v in state.levels.items()
    }
    return replace(state, levels=levels)


def learn(state: BucketState | None, now: float, report: RateLimitReport) -> BucketState:
    """Adopt the limits a response reported. A bucket seen for the first time starts from its
    reported remaining (less the rounding); a changed limit rescales nothing but the cap."""
    state = refilled(state, now) if state is not None else BucketState(now, {})
    levels = {}
    for dim, seen in report.dims.items():
        known = state.levels.get(dim)
        if known is None:
            start = float(seen.remaining - (0 if dim == "requests" else ROUNDING_SLACK))
            levels[dim] = Level(seen.limit, min(float(seen.limit), start))
        else:
            levels[dim] = Level(seen.limit, min(float(seen.limit), known.level))
    return replace(state, levels=levels)


def throttled(
    state: BucketState, now: float, *, report: RateLimitReport, retry_after_s: float
) -> BucketState:
    """The provider refused a call (429): nobody calls before its retry-after, and no bucket is
    believed fuller than the provider said (something we did not see spent it: another client
    of the key, a cache read that did not happen)."""
    state = refilled(state, now)
    levels = dict(state.levels)
    for dim, seen in report.dims.items():
        if dim in levels:
            levels[dim] = Level(seen.limit, min(levels[dim].level, float(seen.remaining)))
    return replace(
        state, levels=levels, hold_until=max(state.hold_until, now + max(retry_after_s, 0.0))
    )
