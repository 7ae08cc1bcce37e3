"""In-memory prompt cache with Anthropic-like accounting.

Breakpoints are pieces carrying cache_control. A read happens on the LAST breakpoint
whose prefix is cached; every later cacheable breakpoint is written, for the lifetime it
asks for (5 minutes or 1 hour) and only from the model's minimum cacheable length. The
three usage numbers always add up to the request's total tokens.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from strata.llm_sim.cache_rules import LONG_TTL, min_cacheable_tokens
from strata.llm_sim.prompt import Piece
from strata.llm_sim.tokens import tokens

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    cache_creation_1h_input_tokens: int = 0  # the part of the creation written for 1 hour


@dataclass(frozen=True)
class _Breakpoint:
    key: str
    prefix_tokens: int
    ttl: str


def _breakpoints(*, api_key: str, model: str, pieces: list[Piece]) -> tuple[list[_Breakpoint], int]:
    """Prefix key (sha256 over key, model and every piece up to the breakpoint, with
    role and position) and prefix tokens for each breakpoint, plus the total tokens."""
    digest = hashlib.sha256()
    for part in (api_key, model):
        digest.update(part.encode("utf-8") + b"\x00")
    running, found = 0, []
    for piece in pieces:
        # Lengths make the encoding unambiguous, so different splits never collide.
        for part in (piece.role, piece.position, piece.text):
            raw = part.encode("utf-8")
            digest.update(len(raw).to_bytes(8, "big") + raw)
        running += tokens(piece.text)
        if piece.cache_control:
            found.append(_Breakpoint(digest.copy().hexdigest(), running, piece.ttl))
    return found, running


class PromptCache:
    def __init__(
        self,
        *,
        ttl_seconds: float,
        min_cacheable_tokens: int | None,
        long_ttl_seconds: float = 3600.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._long_ttl = long_ttl_seconds
        self._min_tokens = min_cacheable_tokens  # None: the model's own minimum
        self._max_entries = max_entries
        self._clock = clock
        self._expiry: OrderedDict[str, float] = OrderedDict()  # key -> expiry, oldest first
        # account() never awaits, so one event loop is already safe; the lock also
        # covers servers or tests that call it from several threads.
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._expiry)

    def clear(self) -> None:
        with self._lock:
            self._expiry.clear()

    def _store(self, bp: _Breakpoint, now: float) -> None:
        key = bp.key
        lifetime = self._long_ttl if bp.ttl == LONG_TTL else self._ttl
        # A 5-minute hit never shortens what a 1-hour write promised.
        self._expiry[key] = max(self._expiry.get(key, 0.0), now + lifetime)
        self._expiry.move_to_end(key)
        while len(self._expiry) > self._max_entries:
            self._expiry.popitem(last=False)

    def read_tokens(self, *, api_key: str, model: str, pieces: list[Piece]) -> int:
        """The prefix tokens `account` would read now, without touching the cache (the rate
        limiter charges a request's uncached input before it runs)."""
        breakpoints, _ = _breakpoints(api_key=api_key, model=model, pieces=pieces)
        with self._lock:
            now = self._clock()
            hits = [bp.prefix_tokens for bp in breakpoints if self._expiry.get(bp.key, 0.0) > now]
        return hits[-1] if hits else 0

    def account(self, *, api_key: str, model: str, pieces: list[Piece]) -> Usage:
        """Charge a request against the cache, reading and writing prefixes."""
        breakpoints, total = _breakpoints(api_key=api_key, model=model, pieces=pieces)
        minimum = self._min_tokens if self._min_tokens is not None else min_cacheable_tokens(model)
        long_written = 0
        with self._lock:
            now = self._clock()
            read_index, read_tokens = -1, 0
            for index, bp in enumerate(breakpoints):
                expiry = self._expiry.get(bp.key)
                if expiry is not None and expiry > now:
                    read_index, read_tokens = index, bp.prefix_tokens
            if read_index >= 0:
                self._store(breakpoints[read_index], now)  # a hit refreshes the TTL
            written = read_tokens
            for bp in breakpoints[read_index + 1 :]:
                # Below the minimum a prefix is simply not cached: plain input tokens.
                if bp.prefix_tokens >= minimum:
                    self._store(bp, now)
                    if bp.ttl == LONG_TTL:
                        long_written += bp.prefix_tokens - written
                    written = max(written, bp.prefix_tokens)
        creation = written - read_tokens
        return Usage(
            input_tokens=total - read_tokens - creation,
            cache_creation_input_tokens=creation,
            cache_read_input_tokens=read_tokens,
            cache_creation_1h_input_tokens=long_written,
        )
