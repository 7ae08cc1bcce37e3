"""The event log and webhook deliveries in Postgres: everything the notify service reads or
writes. `NotifyStore` is what the recorder and the deliverer need; `PgNotifyStore` is it on
asyncpg (the unit tests use an in-memory one)."""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

import asyncpg

from strata.notify.events import NewEvent, finishing_payload, follow_ups
from strata.runtime.db import Queries
from strata.runtime.outbox import Outbox

QUERIES = Queries.load(Path(__file__).with_name("queries.sql"))


@dataclass(frozen=True)
class DueDelivery:
    id: UUID
    subscription_id: UUID
    account_id: UUID
    url: str
    secret_sealed: bytes
    attempt_count: int
    created_at: datetime
    event_id: int
    event_type: str
    event_at: datetime
    body: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: delivered, retry at `retry_at`, or failed (neither)."""

    status_code: int | None
    error: str | None
    duration_ms: int
    delivered: bool
    retry_at: datetime | None


class NotifyStore(Protocol):
    async def record(self, event: NewEvent) -> int | None:
        """Store the event once, with a delivery per matching subscription, and announce it;
        its id, or None when it was recorded before or its tenant no longer exists."""
        ...

    async def claim_due(self, *, limit: int, lease_s: float) -> list[DueDelivery]: ...

    async def finish(self, delivery: DueDelivery, outcome: Outcome) -> datetime | None:
        """Record the attempt and its outcome; on a failure, when the subscription's failing
        streak started (None after a success)."""
        ...

    async def disable(self, subscription_id: UUID, *, reason: str) -> None: ...


def event_body(row: Any) -> dict[str, Any]:
    """What a client receives for an event row: the same over SSE, polling and webhooks."""
    return {
        "id": row["event_id"],
        "type": row["type"],
        "project_id": str(row["project_id"]),
        "run_id": None if row["run_id"] is None else str(row["run_id"]),
        "created_at": row["event_at"].isoformat(),
        "data": row["payload"],
    }


class PgNotifyStore:
    def __init__(self, *, outbox: Outbox, queries: Queries = QUERIES) -> None:
        self._outbox = outbox
        self._q = queries

    def _pool(self) -> asyncpg.Pool:
        return self._outbox.pool

    async def record(self, event: NewEvent) -> int | None:
        async with self._outbox.transaction() as uow:
            conn = uow.conn
            if event.run_id is not None:
                tenant = await conn.fetchrow(self._q.tenant_of_run, event.run_id)
            elif event.export_id is not None:
                tenant = await conn.fetchrow(self._q.tenant_of_export, event.export_id)
            else:
                tenant = await conn.fetchrow(self._q.tenant_of_document, event.document_id)
            if tenant is None:
                return None
            await conn.execute(self._q.lock_event_log)
            event_id = await conn.fetchval(
                self._q.insert_event,
                event.message_id,
                tenant["account_id"],
                tenant["project_id"],
                event.run_id,
                event.type,
                finishing_payload(event, stages=tenant["stages"]),
                event.caused_at,
            )
            if event_id is None:
                return None
            await conn.execute(
                self._q.insert_deliveries, event_id, tenant["project_id"], event.type
            )
            await conn.execute(self._q.notify_event, str(event_id))
            for message in follow_ups(event):
                uow.emit(message)
        return int(event_id)

    async def claim_due(self, *, limit: int, lease_s: float) -> list[DueDelivery]:
        pool: asyncpg.Pool = self._pool()
        rows = await pool.fetch(self._q.claim_due_deliveries, limit, lease_s)
        return [
            DueDelivery(
                id=r["id"],
                subscription_id=r["subscription_id"],
                account_id=r["account_id"],
                url=r["url"],
                secret_sealed=r["secret_sealed"],
                attempt_count=r["attempt_count"],
                created_at=r["created_at"],
                event_id=r["event_id"],
                event_type=r["type"],
                event_at=r["event_at"],
                body=event_body(r),
            )
            for r in rows
        ]

    async def finish(self, delivery: DueDelivery, outcome: Outcome) -> datetime | None:
        pool: asyncpg.Pool = self._pool()
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(
                self._q.insert_attempt,
                delivery.id,
                outcome.status_code,
                outcome.error,
                outcome.duration_ms,
            )
            if outcome.delivered:
                await conn.execute(self._q.mark_delivered, delivery.id, outcome.status_code)
                await conn.execute(self._q.subscription_succeeded, delivery.subscription_id)
                return None
            await conn.execute(
                self._q.mark_retry,
                delivery.id,
                outcome.status_code,
                outcome.error,
                outcome.retry_at,
            )
            return await conn.fetchval(self._q.subscription_failed, delivery.subscription_id)

    async def disable(self, subscription_id: UUID, *, reason: str) -> None:
        pool: asyncpg.Pool = self._pool()
        await pool.execute(self._q.disable_subscription, subscription_id, reason)
