"""Paces model calls to the provider's rate limits across every worker process.

One mirror of each key's buckets (`rate_limits.BucketState`, per key and model) lives in one
database row that every worker updates under a row lock, with the database's clock:

- before a call, `acquire` estimates its cost (1 request; the prompt's tokens less the cached
  prefix the previous call with the same system prompt read; `max_tokens` of output: the
  provider's own admission rule) and debits it when the mirror holds it, or sleeps until it
  would. One coroutine per process and key polls at a time (the others queue behind it, in
  order), so three workers make three pollers, not three hundred;
- after it, `finish` gives back what was reserved and not used (the usage the answer reports),
  adopts the limits the answer's `anthropic-ratelimit-*` headers report, and after a 429 holds
  the key shut for every worker until its `retry-after`.

A key whose limits are not known yet lets one call at a time through per process until an
answer says; a key whose answers carry no such headers (an OpenAI-compatible endpoint, the
simulator with limits off) is not metered at all and costs no database round trip.
"""

import asyncio
import contextlib
import hashlib
import json
import logging
import random
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from strata.contracts.overlays import ModelErrorCode
from strata.planning.tokens import estimate_tokens
from strata.worker import metrics
from strata.worker.provider import ModelError, ModelProvider, ModelRequest, ModelResponse
from strata.worker.rate_limits import (
    BucketState,
    Cost,
    RateLimitReport,
    give_back,
    learn,
    take,
    throttled,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")
Change = Callable[[BucketState | None, float], tuple[BucketState | None, T]]


class LimiterStore(Protocol):
    async def update(self, bucket: str, change: Change[T]) -> T:
        """Run `change(state or None, now)` on the bucket's stored state under a lock every
        worker shares, `now` from the shared clock; store the state it returns (None: as is)."""
        ...


@dataclass
class Probe:
    """A call finding out a key's limits; the process's other calls wait for it until
    `deadline` (loop time) at most, so a stalled first call cannot hold them all up."""

    deadline: float
    answered: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Ticket:
    bucket: str
    prefix: str
    cost: Cost | None  # None: not metered (the key's limits are unknown or not advertised)
    probe: Probe | None = None  # set on the call that finds out the key's limits
    done: bool = field(default=False)


def _texts(content: object) -> list[str]:
    if isinstance(content, str):
        return [content]
    if isinstance(content, list):
        return [p["text"] for p in content if isinstance(p, dict) and p.get("type") == "text"]
    return []


class RateLimiter:
    def __init__(
        self,
        store: LimiterStore,
        *,
        headroom: float = 0.02,
        max_poll_s: float = 5.0,
        probe_wait_s: float = 10.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._store = store
        self._headroom = headroom
        self._max_poll_s = max_poll_s
        self._probe_wait_s = probe_wait_s
        self._probes: dict[str, Probe] = {}
        self._sleep = sleep
        self._jitter = jitter
        self._locks: dict[str, asyncio.Lock] = {}
        self._advertised: dict[str, bool] = {}  # bucket -> limits reported (False: none)
        self._reads: OrderedDict[str, int] = OrderedDict()  # prompt prefix -> tokens read

    def estimate(self, bucket: str, request: ModelRequest) -> tuple[Cost, str]:
        """What the provider will charge this call, and the key of its cacheable prefix."""
        system = [b.get("text", "") for b in request.system if isinstance(b, dict)]
        prefix = hashlib.sha256(json.dumps([bucket, system]).encode()).hexdigest()
        pieces = system + [t for m in request.messages for t in _texts(m.get("content"))]
        total = sum(estimate_tokens(text) for text in pieces)
        read = self._reads.get(prefix, 0)
        return Cost(1, max(0, total - read), request.max_tokens), prefix

    async def acquire(self, bucket: str, request: ModelRequest) -> Ticket:
        cost, prefix = self.estimate(bucket, request)
        if self._advertised.get(bucket) is False:
            return Ticket(bucket, prefix, None)
        async with self._locks.setdefault(bucket, asyncio.Lock()):
            waited = 0.0
            while True:
                wait = await self._store.update(bucket, self._taker(cost))
                if wait is None:  # nothing known about the key's limits yet
                    ticket = await self._unknown(bucket, prefix)
                    if ticket is None:
                        continue  # the probe answered: look again
                    return ticket
                if wait <= 0:
                    if waited:
                        metrics.RATE_LIMIT_WAIT.observe(waited)
                    return Ticket(bucket, prefix, cost)
                pause = min(wait, self._max_poll_s) + 0.05 * self._jitter()
                waited += pause
                await self._sleep(pause)

    async def _unknown(self, bucket: str, prefix: str) -> Ticket | None:
        """The first call finds the limits out (the probe); the others wait for its answer up
        to its deadline (None: look again), then go unmetered."""
        if self._advertised.get(bucket) is False:
            return Ticket(bucket, prefix, None)
        loop = asyncio.get_running_loop()
        probe = self._probes.get(bucket)
        if probe is None:
            probe = self._probes[bucket] = Probe(loop.time() + self._probe_wait_s)
            return Ticket(bucket, prefix, None, probe=probe)
        left = probe.deadline - loop.time()
        if left <= 0:
            return Ticket(bucket, prefix, None)  # the probe is stalled: do not wait on it
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(probe.answered.wait(), left)
        return None

    def _taker(self, cost: Cost) -> Change[float | None]:
        headroom = self._headroom

        def change(
            state: BucketState | None, now: float
        ) -> tuple[BucketState | None, float | None]:
            if state is None:
                return None, None
            return take(state, cost, now, headroom=headroom)

        return change

    async def finish(
        self,
        ticket: Ticket,
        *,
        response: ModelResponse | None = None,
        error: ModelError | None = None,
    ) -> None:
        """Never raises: the call is over (and maybe paid for) whatever happens here."""
        if ticket.done:
            return
        ticket.done = True
        try:
            await self._finish(ticket, response, error)
        except Exception:
            logger.exception(
                "rate limiter: could not record the end of a call on %s", ticket.bucket
            )
        finally:
            if ticket.probe is not None:
                ticket.probe.answered.set()
                if self._probes.get(ticket.bucket) is ticket.probe:
                    del self._probes[ticket.bucket]

    async def _finish(
        self, ticket: Ticket, response: ModelResponse | None, error: ModelError | None
    ) -> None:
        report = (response.rate_limits if response else None) or (
            error.rate_limits if error else None
        )
        report = report or RateLimitReport()
        if response is not None:
            self._remember_read(ticket.prefix, response.cache_read_input_tokens)
            if not report.advertised:
                self._advertised[ticket.bucket] = False
        if report.advertised:
            self._advertised[ticket.bucket] = True
        if ticket.cost is None and not report.advertised:
            return
        used = _used(ticket.cost, response, error, answered=report.advertised)
        limited = error is not None and error.error_code is ModelErrorCode.RATE_LIMITED
        retry_after = (error.retry_after_s or 1.0) if error is not None else 0.0
        reserved = ticket.cost

        def change(state: BucketState | None, now: float) -> tuple[BucketState | None, None]:
            created = state is None  # by this answer, whose remaining already counts its usage
            if report.advertised:
                state = learn(state, now, report)
            if state is None:
                return None, None
            if reserved is not None:
                state = give_back(state, now, reserved=reserved, used=used)
            elif not created:  # an unmetered call (a probe) the mirror has not seen yet
                state = give_back(state, now, reserved=Cost(), used=used)
            if limited:
                state = throttled(state, now, report=report, retry_after_s=retry_after)
            return state, None

        await self._store.update(ticket.bucket, change)

    def _remember_read(self, prefix: str, read: int) -> None:
        self._reads[prefix] = read
        self._reads.move_to_end(prefix)
        while len(self._reads) > 1024:
            self._reads.popitem(last=False)


def _used(
    reserved: Cost | None,
    response: ModelResponse | None,
    error: ModelError | None,
    *,
    answered: bool,
) -> Cost:
    """What the provider charged: the reported usage of an answer; nothing for a refusal or an
    error it answered (a failed request costs nothing); everything reserved when no answer came
    (a timeout may have run)."""
    if response is not None:
        return Cost(
            1,
            response.input_tokens + response.cache_creation_input_tokens,
            response.output_tokens,
        )
    if error is not None and answered:
        return Cost()
    return reserved or Cost()


@dataclass(frozen=True)
class LimitedProvider:
    """A provider whose calls are paced by the limiter under one key's buckets."""

    inner: ModelProvider
    limiter: RateLimiter
    key: str  # "platform" or "key:<id>": the bucket is per key and model

    async def complete(self, request: ModelRequest) -> ModelResponse:
        ticket = await self.limiter.acquire(f"{self.key}:{request.model}", request)
        try:
            response = await self.inner.complete(request)
        except ModelError as exc:
            await self.limiter.finish(ticket, error=exc)
            raise
        except BaseException:
            await asyncio.shield(self.limiter.finish(ticket))
            raise
        await self.limiter.finish(ticket, response=response)
        return response

    async def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            with contextlib.suppress(Exception):
                await close()
