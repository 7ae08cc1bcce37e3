"""Why a prompt-cache prefix was not reused: Anthropic's `diagnostics.cache_miss_reason`.

A request that sends `diagnostics: {"previous_message_id": …}` is compared with the request
that produced that message; when this request read nothing from the cache although it marked
breakpoints, the answer says what diverged first (model, system, earlier messages) or, when
nothing did (the entry expired, the prefix was under the minimum), that no diagnosis is
available. A request that reused the cache gets `diagnostics: null`, as from the real API.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from strata.llm_sim.cache import Usage
from strata.llm_sim.prompt import Piece


class DiagnosticsError(ValueError):
    """A `diagnostics` field the real API would refuse."""


@dataclass(frozen=True)
class Fingerprint:
    model: str
    system: str
    messages: tuple[str, ...]  # one digest per message
    prefix_tokens: int  # what a later request could have read from the cache
    marks_messages: bool  # a breakpoint inside the messages, so they are part of the prefix


def _digest(pieces: list[Piece]) -> str:
    digest = hashlib.sha256()
    for piece in pieces:
        raw = piece.text.encode("utf-8")
        digest.update(len(raw).to_bytes(8, "big") + raw)
    return digest.hexdigest()


def fingerprint(*, model: str, pieces: list[Piece], usage: Usage) -> Fingerprint:
    messages: OrderedDict[str, list[Piece]] = OrderedDict()
    for piece in pieces:
        if piece.role != "system":
            messages.setdefault(piece.position.split("]")[0], []).append(piece)
    return Fingerprint(
        model=model,
        system=_digest([p for p in pieces if p.role == "system"]),
        messages=tuple(_digest(group) for group in messages.values()),
        prefix_tokens=usage.cache_read_input_tokens + usage.cache_creation_input_tokens,
        marks_messages=any(p.cache_control for p in pieces if p.role != "system"),
    )


def previous_message_id(body: dict[str, Any]) -> tuple[bool, str | None]:
    """(asked for diagnostics, the previous message id or None on a first turn)."""
    diagnostics = body.get("diagnostics")
    if diagnostics is None:
        return False, None
    if not isinstance(diagnostics, dict):
        raise DiagnosticsError("diagnostics: must be an object")
    previous = diagnostics.get("previous_message_id")
    if previous is not None and not isinstance(previous, str):
        raise DiagnosticsError("diagnostics.previous_message_id: must be a string or null")
    return True, previous


def miss_reason(
    previous: Fingerprint | None, current: Fingerprint, usage: Usage, *, breakpoints: bool
) -> dict[str, Any] | None:
    if previous is None:
        return {"type": "previous_message_not_found"}
    if not breakpoints or usage.cache_read_input_tokens > 0:
        return None  # the prefix was reused (or none was asked for): no divergence
    missed = {"cache_missed_input_tokens": previous.prefix_tokens}
    if previous.model != current.model:
        return {"type": "model_changed", **missed}
    if previous.system != current.system:
        return {"type": "system_changed", **missed}
    shared = current.messages[: len(previous.messages)]
    # Messages after the last breakpoint are never part of a cached prefix: changing them is
    # not why nothing was read (Strata's packs all differ there, by design).
    if current.marks_messages and shared != previous.messages[: len(shared)]:
        return {"type": "messages_changed", **missed}
    return {"type": "unavailable"}


class Fingerprints:
    """The last requests' fingerprints by (api key, message id), bounded."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._max = max_entries
        self._seen: OrderedDict[tuple[str, str], Fingerprint] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, api_key: str, message_id: str) -> Fingerprint | None:
        with self._lock:
            return self._seen.get((api_key, message_id))

    def put(self, api_key: str, message_id: str, value: Fingerprint) -> None:
        with self._lock:
            self._seen[(api_key, message_id)] = value
            while len(self._seen) > self._max:
                self._seen.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()
