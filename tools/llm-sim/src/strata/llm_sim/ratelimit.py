"""Per-key rate limits, enforced the way Anthropic documents them.

- Three limits per API key and model: requests, input tokens and output tokens per minute. Each
  is a token bucket that holds at most one minute's worth and refills continuously at
  limit/60 per second (never reset at fixed intervals).
- Admission: a request needs 1 request, its uncached input tokens (`input_tokens` +
  `cache_creation_input_tokens`; cache reads do not count) and `max_tokens` output tokens in
  the buckets (a cost above a bucket's whole limit needs a full bucket). All are debited when it
  is admitted; when it ends, input is adjusted to what was counted and output to the tokens
  actually written (so an unused `max_tokens` comes back). A failed request costs nothing.
- Short of any: 429 `rate_limit_error`, `retry-after` = whole seconds until every short bucket
  holds the cost, nothing debited.
- Every answer carries `anthropic-ratelimit-{requests,input-tokens,output-tokens}-{limit,
  remaining,reset}` for the limits that are set, and `anthropic-ratelimit-tokens-*` (input and
  output together: limits and remainings summed, the later reset). Token remainings are rounded
  to the nearest `remaining_rounding` (1,000, as the API does); resets are RFC 3339 UTC times when
  the bucket will be full again.

Pure apart from the injected clocks; one asyncio loop calls it, so no lock is needed.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

logger = logging.getLogger(__name__)

# (header stem, the Limits field it reports)
DIMENSIONS = (
    ("requests", "requests_per_minute"),
    ("input-tokens", "input_tokens_per_minute"),
    ("output-tokens", "output_tokens_per_minute"),
)


@dataclass(frozen=True)
class Limits:
    """Per-minute limits; None means that dimension is not limited."""

    requests_per_minute: int | None = None
    input_tokens_per_minute: int | None = None
    output_tokens_per_minute: int | None = None

    @property
    def enabled(self) -> bool:
        return any(getattr(self, attr) is not None for _, attr in DIMENSIONS)

    @classmethod
    def parse(cls, raw: object) -> Limits:
        allowed = {attr for _, attr in DIMENSIONS}
        if not isinstance(raw, dict) or set(raw) - allowed:
            raise ValueError(f"limits must be an object with keys from {sorted(allowed)}")
        for name, value in raw.items():
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise ValueError(f"{name} must be a positive integer or null, got {value!r}")
        return cls(**raw)


@dataclass
class Bucket:
    """One continuously refilling bucket: `level` at time `at`, capacity `limit`."""

    limit: int
    level: float
    at: float

    @property
    def rate(self) -> float:
        return self.limit / 60.0

    def refill(self, now: float) -> None:
        self.level = min(float(self.limit), self.level + self.rate * max(0.0, now - self.at))
        self.at = max(self.at, now)

    def shortfall_s(self, cost: int) -> float:
        """Seconds until the bucket holds `cost` (capped at a full bucket); 0 when it does."""
        need = min(cost, self.limit)
        return max(0.0, (need - self.level) / self.rate)

    def seconds_to_full(self) -> float:
        return max(0.0, (self.limit - self.level) / self.rate)


class RateLimitedError(Exception):
    def __init__(self, retry_after_s: int, headers: dict[str, str], which: list[str]) -> None:
        super().__init__(f"rate limit exceeded: {', '.join(which)} per minute")
        self.retry_after_s, self.headers, self.which = retry_after_s, headers, which


@dataclass
class Ticket:
    """An admitted request: what it was charged, so the charge can be adjusted at its end."""

    limiter: RateLimiter
    key: tuple[str, str]
    input_tokens: int
    output_tokens: int
    done: bool = False

    def settle(self, *, input_tokens: int, output_tokens: int) -> None:
        """The request ended with these counted tokens (charged exactly these, from now on)."""
        if not self.done:
            self.done = True
            self.limiter.adjust(
                self.key,
                input_delta=self.input_tokens - input_tokens,
                output_delta=self.output_tokens - output_tokens,
            )

    def cancel(self) -> None:
        """The request failed: give everything back (the request slot too)."""
        if not self.done:
            self.done = True
            self.limiter.adjust(
                self.key, input_delta=self.input_tokens, output_delta=self.output_tokens, requests=1
            )

    def headers(self) -> dict[str, str]:
        return self.limiter.headers(*self.key)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class RateLimiter:
    def __init__(
        self,
        limits: Limits,
        *,
        remaining_rounding: int = 1000,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.limits = limits
        self.remaining_rounding = remaining_rounding
        self.clock, self.wall = clock, wall
        self._buckets: dict[tuple[str, str], dict[str, Bucket]] = {}
        self.rejected = self.admitted = 0

    def reset(self, limits: Limits | None = None) -> None:
        if limits is not None:
            self.limits = limits
        self._buckets.clear()
        self.rejected = self.admitted = 0

    def _for(self, api_key: str, model: str) -> dict[str, Bucket]:
        now = self.clock()
        buckets = self._buckets.setdefault((api_key, model), {})
        for stem, attr in DIMENSIONS:
            limit = getattr(self.limits, attr)
            if limit is None:
                buckets.pop(stem, None)
            elif stem not in buckets:
                buckets[stem] = Bucket(limit, float(limit), now)  # a new key starts full
            else:
                buckets[stem].limit = limit
        for bucket in buckets.values():
            bucket.refill(now)
        return buckets

    def admit(self, api_key: str, model: str, *, input_tokens: int, max_tokens: int) -> Ticket:
        """Charge a request or raise RateLimitedError (nothing charged)."""
        key = (api_key, model)
        buckets = self._for(api_key, model)
        costs = {"requests": 1, "input-tokens": input_tokens, "output-tokens": max_tokens}
        short = {stem: b.shortfall_s(costs[stem]) for stem, b in buckets.items()}
        short = {stem: s for stem, s in short.items() if s > 0}
        if short:
            self.rejected += 1
            retry_after = max(1, math.ceil(max(short.values())))
            headers = {**self.headers(api_key, model), "retry-after": str(retry_after)}
            raise RateLimitedError(retry_after, headers, sorted(short))
        for stem, bucket in buckets.items():
            bucket.level -= costs[stem]
        self.admitted += 1
        return Ticket(self, key, input_tokens, max_tokens)

    def adjust(
        self, key: tuple[str, str], *, input_delta: int, output_delta: int, requests: int = 0
    ) -> None:
        buckets = self._for(*key)
        for stem, delta in (
            ("requests", requests),
            ("input-tokens", input_delta),
            ("output-tokens", output_delta),
        ):
            if stem in buckets:
                bucket = buckets[stem]
                bucket.level = min(float(bucket.limit), bucket.level + delta)

    def headers(self, api_key: str, model: str) -> dict[str, str]:
        if not self.limits.enabled:
            return {}
        buckets = self._for(api_key, model)
        wall = self.wall()
        out: dict[str, str] = {}
        token_stems = [s for s in ("input-tokens", "output-tokens") if s in buckets]
        for stem, bucket in buckets.items():
            remaining = max(0, math.floor(bucket.level))
            if stem != "requests":
                remaining = self._rounded(remaining)
            out[f"anthropic-ratelimit-{stem}-limit"] = str(bucket.limit)
            out[f"anthropic-ratelimit-{stem}-remaining"] = str(remaining)
            out[f"anthropic-ratelimit-{stem}-reset"] = _rfc3339(wall, bucket.seconds_to_full())
        if token_stems:
            chosen = [buckets[s] for s in token_stems]
            remaining = sum(max(0, math.floor(b.level)) for b in chosen)
            out["anthropic-ratelimit-tokens-limit"] = str(sum(b.limit for b in chosen))
            out["anthropic-ratelimit-tokens-remaining"] = str(self._rounded(remaining))
            out["anthropic-ratelimit-tokens-reset"] = _rfc3339(
                wall, max(b.seconds_to_full() for b in chosen)
            )
        return out

    def _rounded(self, value: int) -> int:
        step = self.remaining_rounding
        return value if step <= 1 else math.floor(value / step + 0.5) * step


def _rfc3339(wall: datetime, seconds: float) -> str:
    when = wall + timedelta(seconds=math.ceil(seconds))
    return when.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
