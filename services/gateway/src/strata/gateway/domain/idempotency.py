"""Idempotent saves: the first answer to a request with an `Idempotency-Key` is stored in the
same transaction as the write it describes, and every retry with that key gets it back.

Claiming the key is the first statement of the transaction: a concurrent request with the same
key waits on the row until the first one commits (and then replays it) or rolls back (and then
does the work itself), so a key never produces two writes. A failed request stores nothing,
so it may be retried with the same key.

A key lives a day (as Stripe's do): long enough for any client's retries, short enough that the
table does not grow with every save ever made. After that the key is free and means a new
request; each claim of a new key purges the account's expired ones."""

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import asyncpg

from strata.gateway.sql import Q
from strata.gateway.web.errors import ApiError

KEY_LIFETIME = timedelta(hours=24)


@dataclass(frozen=True)
class Replay:
    status: int
    body: Any


def request_hash(*, scope: str, body: Any) -> str:
    canonical = json.dumps([scope, body], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def claim(
    conn: asyncpg.Connection, *, account_id: UUID, key: str | None, scope: str, body: Any
) -> Replay | None:
    """None: go ahead (and `record` the answer before commit). A Replay: answer it as is."""
    if key is None:
        return None
    digest = request_hash(scope=scope, body=body)
    if await conn.fetchval(Q.claim_idempotency_key, account_id, key, scope, digest, KEY_LIFETIME):
        await conn.execute(Q.purge_idempotency_keys, account_id, KEY_LIFETIME)
        return None
    row = await conn.fetchrow(Q.get_idempotency_key, account_id, key)
    if row["request_hash"] != digest or row["response"] is None:
        raise ApiError(
            422,
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different request: use a new key",
        )
    return Replay(row["status_code"], row["response"])


async def record(
    conn: asyncpg.Connection, *, account_id: UUID, key: str | None, status: int, body: Any
) -> None:
    if key is not None:
        await conn.execute(Q.record_idempotency_answer, account_id, key, status, body)
