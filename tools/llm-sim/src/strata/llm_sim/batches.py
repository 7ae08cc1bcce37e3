"""The Message Batches API (`/v1/messages/batches`), shaped like the official SDK 2.x types
(`MessageBatch`, `MessageBatchIndividualResponse`).

A batch is processed in one go once its processing delay has passed (lazily, on the first read
after that): each request runs through the same pipeline as `POST /v1/messages`, so answers,
cache accounting and faults are those of a realtime call, and its usage says
`service_tier: "batch"` (billed at half price by whoever prices it). Until then every request
counts as `processing`, as the real API reports. Partial errors and expiries come from seeded
rates; a batch whose delay reaches its expiry ends with every request `expired`; a cancelled
batch ends at once with its unprocessed requests `canceled`.

State lives in memory per simulator process, per API key (another key's batch is a 404).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from strata.llm_sim.engine import SimError, Simulator, invalid

MAX_REQUESTS = 100_000
MAX_BATCH_BYTES = 256 * 1024 * 1024
_CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_RESULT_ERRORS = (
    ("api_error", "simulated: Internal server error"),
    ("overloaded_error", "simulated: Overloaded"),
)


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Batch:
    id: str
    api_key: str
    requests: list[tuple[str, dict[str, Any]]]
    created_at: float
    ends_at: float  # when processing ends on its own (delay, or expiry if sooner)
    expires_at: float
    cancel_initiated_at: float | None = None
    ended_at: float | None = None
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("processing", "succeeded", "errored", "canceled", "expired"), 0)
        if self.ended_at is None:
            counts["processing"] = len(self.requests)
            return counts
        for result in self.results.values():
            counts[result["type"]] += 1
        return counts

    def as_dict(self, base_url: str) -> dict[str, Any]:
        if self.ended_at is not None:
            status = "ended"
        elif self.cancel_initiated_at is not None:
            status = "canceling"
        else:
            status = "in_progress"
        return {
            "id": self.id,
            "type": "message_batch",
            "processing_status": status,
            "request_counts": self.counts(),
            "created_at": _iso(self.created_at),
            "expires_at": _iso(self.expires_at),
            "ended_at": _iso(self.ended_at),
            "cancel_initiated_at": _iso(self.cancel_initiated_at),
            "archived_at": None,
            "results_url": (
                f"{base_url}/v1/messages/batches/{self.id}/results" if self.ended_at else None
            ),
        }


def _requests(body: Any, raw_size: int) -> list[tuple[str, dict[str, Any]]]:
    if raw_size > MAX_BATCH_BYTES:
        raise SimError(413, "request_too_large", f"a batch is limited to {MAX_BATCH_BYTES} bytes")
    requests = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(requests, list) or not requests:
        raise invalid("requests: Field required (a non-empty list)")
    if len(requests) > MAX_REQUESTS:
        raise invalid(f"requests: a batch holds at most {MAX_REQUESTS} requests")
    seen: set[str] = set()
    out: list[tuple[str, dict[str, Any]]] = []
    for index, item in enumerate(requests):
        custom_id = item.get("custom_id") if isinstance(item, dict) else None
        params = item.get("params") if isinstance(item, dict) else None
        if not isinstance(custom_id, str) or not _CUSTOM_ID.match(custom_id):
            raise invalid(f"requests.{index}.custom_id: 1 to 64 of [a-zA-Z0-9_-] required")
        if custom_id in seen:
            raise invalid(f"requests.{index}.custom_id: {custom_id!r} is not unique in the batch")
        if not isinstance(params, dict):
            raise invalid(f"requests.{index}.params: Field required (an object)")
        if params.get("stream"):
            raise invalid(f"requests.{index}.params.stream: not allowed in a batch")
        seen.add(custom_id)
        out.append((custom_id, params))
    return out


class BatchDesk:
    """Every batch of one simulator process and how it is processed."""

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim
        settings = sim.settings
        self._delay_s = settings.batch_processing_seconds
        self._expiry_s = settings.batch_expiry_seconds
        self._error_rate = settings.batch_error_rate
        self._expired_rate = settings.batch_expired_rate
        self._rng = random.Random(settings.fault_seed)  # noqa: S311 - replayable, not security
        self._batches: dict[str, Batch] = {}

    def reset(self) -> None:
        self._batches.clear()
        self._rng = random.Random(self._sim.settings.fault_seed)  # noqa: S311

    def create(self, *, api_key: str, body: Any, raw_size: int) -> Batch:
        requests = _requests(body, raw_size)
        now = time.time()
        batch = Batch(
            id=f"msgbatch_sim_{secrets.token_hex(12)}",
            api_key=api_key,
            requests=requests,
            created_at=now,
            ends_at=now + min(self._delay_s, self._expiry_s),
            expires_at=now + self._expiry_s,
        )
        self._batches[batch.id] = batch
        self._sim.stats.tokens["batches"] += 1
        return batch

    async def get(self, *, api_key: str, batch_id: str) -> Batch:
        batch = self._batches.get(batch_id)
        if batch is None or batch.api_key != api_key:
            raise SimError(404, "not_found_error", f"no message batch {batch_id!r}")
        await self._settle_if_due(batch)
        return batch

    async def list(
        self, *, api_key: str, limit: int, after_id: str | None, before_id: str | None
    ) -> tuple[list[Batch], bool]:
        """Newest first, cursor paging on ids as the real API does."""
        mine = sorted(
            (b for b in self._batches.values() if b.api_key == api_key),
            key=lambda b: b.created_at,
            reverse=True,
        )
        ids = [b.id for b in mine]
        if after_id is not None:
            mine = mine[ids.index(after_id) + 1 :] if after_id in ids else []
        if before_id is not None:
            mine = mine[: ids.index(before_id)] if before_id in ids else []
        page = mine[:limit]
        for batch in page:
            await self._settle_if_due(batch)
        return page, len(mine) > limit

    async def cancel(self, *, api_key: str, batch_id: str) -> Batch:
        batch = await self.get(api_key=api_key, batch_id=batch_id)
        async with batch.lock:
            if batch.ended_at is None:
                batch.cancel_initiated_at = time.time()
                # Nothing is processed before the delay: every request is cancelled unbilled.
                batch.results = {cid: {"type": "canceled"} for cid, _ in batch.requests}
                batch.ended_at = time.time()
        return batch

    async def results_jsonl(self, *, api_key: str, batch_id: str) -> str:
        batch = await self.get(api_key=api_key, batch_id=batch_id)
        if batch.ended_at is None:
            raise invalid(f"message batch {batch_id!r} has not ended; its results are not ready")
        lines = (
            json.dumps({"custom_id": cid, "result": batch.results[cid]}, separators=(",", ":"))
            for cid, _ in batch.requests
        )
        return "".join(f"{line}\n" for line in lines)

    async def _settle_if_due(self, batch: Batch) -> None:
        if batch.ended_at is not None or time.time() < batch.ends_at:
            return
        async with batch.lock:
            if batch.ended_at is not None:
                return
            expired_batch = batch.ends_at >= batch.expires_at
            for custom_id, params in batch.requests:
                batch.results[custom_id] = await self._result(
                    params, api_key=batch.api_key, expired=expired_batch
                )
            batch.ended_at = time.time()

    async def _result(
        self, params: dict[str, Any], *, api_key: str, expired: bool
    ) -> dict[str, Any]:
        if expired or (self._expired_rate and self._rng.random() < self._expired_rate):
            return {"type": "expired"}
        if self._error_rate and self._rng.random() < self._error_rate:
            error_type, message = self._rng.choice(_RESULT_ERRORS)
            return _errored(error_type, message)
        try:
            message_body = await self._sim.messages(
                # The key's prompt cache is shared with its realtime calls, as the API does.
                body=params,
                api_key=api_key,
                forced_kind=None,
                request_rate=None,
            )
        except SimError as exc:
            return _errored(exc.error_type, exc.message)
        message_body["usage"]["service_tier"] = "batch"
        self._sim.stats.tokens["batch_requests"] += 1
        return {"type": "succeeded", "message": message_body}


def _errored(error_type: str, message: str) -> dict[str, Any]:
    return {
        "type": "errored",
        "error": {
            "type": "error",
            "error": {"type": error_type, "message": message},
            "request_id": f"req_sim_{secrets.token_hex(12)}",
        },
    }
