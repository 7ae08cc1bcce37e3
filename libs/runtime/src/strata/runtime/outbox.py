"""Transactional outbox: a message is published if and only if the change that caused it
committed (invariant 6).

A unit of work inserts its messages into `outbox` inside its own transaction, then publishes
exactly those messages right after commit, in the background (the fast path). If the process
dies between commit and publish, the relay loop finds rows older than a few seconds and
publishes them. Consumers are idempotent, so the rare double publish (crash after publish,
before marking) changes nothing.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
from faststream.rabbit import RabbitBroker
from opentelemetry import context as otel_context
from opentelemetry import propagate

from strata.contracts.messages import Message
from strata.contracts.routing import COMMAND_ANSWERS, NOTIFICATIONS
from strata.runtime.broker import COMMAND_ROUTING_KEYS, EVENTS
from strata.runtime.metrics import OUTBOX_PUBLISHED

logger = logging.getLogger(__name__)

_INSERT = """
INSERT INTO outbox (id, producer, routing_key, payload, headers)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::jsonb[])
"""
_LOCK_STALE = """
SELECT id, routing_key, payload, headers FROM outbox
WHERE producer = $1 AND published_at IS NULL AND created_at < now() - make_interval(secs => $2)
  AND NOT (id = ANY($4::uuid[]))
ORDER BY created_at, id LIMIT $3 FOR UPDATE SKIP LOCKED
"""
_MARK_PUBLISHED = "UPDATE outbox SET published_at = now() WHERE id = ANY($1::uuid[])"
_PUBLISH_CONCURRENCY = 64
# Published one after another in emission order (an integration's `command.accepted` comes
# before the `command.document-ready` of the same transaction).
NOTIFICATION_KEYS = frozenset(route.routing_key for route in (*NOTIFICATIONS, *COMMAND_ANSWERS))


@dataclass
class UnitOfWork:
    """An open transaction plus the messages it will publish once it commits."""

    conn: asyncpg.Connection
    producer: str
    # Each message as it is stored and published (serialised once): id, routing_key, payload,
    # headers.
    pending: list[dict[str, Any]] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)

    def emit(self, message: Message) -> None:
        headers: dict[str, str] = {}
        propagate.inject(headers)  # keep the causing trace for a relayed publish
        self.pending.append(_row(message, headers))

    def notify(self, message: Message) -> None:
        """A message about derived state, published after commit with no outbox row: for
        notices whose loss a periodic re-derivation heals (run.recount-requested: the rollup
        sweep recounts active runs), so the hot path saves an insert and an update per message.
        It carries the causing trace too: the rollup's recount of a settle joins the pack's."""
        headers: dict[str, str] = {}
        propagate.inject(headers)
        self.notices.append(_row(message, headers))

    async def _write(self) -> None:
        if not self.pending:
            return
        await self.conn.execute(
            _INSERT,
            [row["id"] for row in self.pending],
            [self.producer] * len(self.pending),
            [row["routing_key"] for row in self.pending],
            [row["payload"] for row in self.pending],
            [row["headers"] for row in self.pending],
        )


def _row(message: Message, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "id": message.message_id,
        "routing_key": message.route.routing_key,
        "payload": message.model_dump(mode="json"),
        "headers": headers,
    }


class Outbox:
    def __init__(
        self,
        pool: asyncpg.Pool | Callable[[], asyncpg.Pool],
        broker: RabbitBroker,
        *,
        producer: str,
    ) -> None:
        # A callable lets a service build its outbox (and the domain objects that use it) before
        # the pool exists; the pool is looked up at first use.
        self._pool = pool
        self.broker = broker
        self.producer = producer
        self._publishing: set[asyncio.Task[None]] = set()
        self._in_flight: set[UUID] = set()

    @property
    def pool(self) -> asyncpg.Pool:
        return self._pool if isinstance(self._pool, asyncpg.Pool) else self._pool()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        """Yield a unit of work; on a clean exit commit it, then publish what it emitted.

        The publish runs in the background: the caller (a handler about to ack, a request about
        to answer) does not wait for the broker's confirms. The rows are committed, so a publish
        that fails or never finishes (broker away, process killed) is the relay's job. An
        exception out of transaction() therefore always means "nothing committed"."""
        async with self.pool.acquire() as conn, conn.transaction():
            unit = UnitOfWork(conn=conn, producer=self.producer)
            yield unit
            await unit._write()
        if unit.pending or unit.notices:
            task = asyncio.create_task(self._publish_committed(unit.pending, unit.notices))
            self._publishing.add(task)
            task.add_done_callback(self._publishing.discard)

    async def _publish_committed(
        self, rows: list[dict[str, Any]], notices: list[dict[str, Any]]
    ) -> None:
        # While this process is publishing them, its relay leaves them alone (a burst of many
        # messages can take longer than the relay's age threshold).
        ids = [row["id"] for row in rows]
        self._in_flight.update(ids)
        try:
            # Marked chunk by chunk: a long burst leaves little for the relay if it is cut.
            for chunk in _chunks(rows):
                await self._publish_rows(chunk)
                await self.pool.execute(_MARK_PUBLISHED, [row["id"] for row in chunk])
                OUTBOX_PUBLISHED.labels(producer=self.producer, path="after_commit").inc(len(chunk))
            await self._publish_rows(notices)
        except Exception:
            logger.warning("publish after commit failed; the relay will retry", exc_info=True)
        finally:
            self._in_flight.difference_update(ids)

    async def drain(self) -> None:
        """Wait for the background publishes of committed units (at shutdown)."""
        while self._publishing:
            await asyncio.gather(*list(self._publishing), return_exceptions=True)

    async def relay_once(self, *, older_than_s: float, limit: int = 500) -> int:
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                _LOCK_STALE, self.producer, older_than_s, limit, list(self._in_flight)
            )
            await self._send(conn, rows)
        if rows:
            OUTBOX_PUBLISHED.labels(producer=self.producer, path="relay").inc(len(rows))
            logger.warning("outbox relay re-published %d message(s)", len(rows))
        return len(rows)

    async def run_relay(self, *, every_s: float, older_than_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                while await self.relay_once(older_than_s=older_than_s) > 0:
                    pass
            except Exception:  # the relay must outlive a broker or database outage
                logger.exception("outbox relay pass failed; will try again")

    async def _send(self, conn: asyncpg.Connection, rows: list[asyncpg.Record]) -> None:
        await self._publish_rows(rows)
        if rows:
            await conn.execute(_MARK_PUBLISHED, [row["id"] for row in rows])

    async def _publish_rows(self, rows: Sequence[Mapping[str, Any]]) -> None:
        commands = [row for row in rows if row["routing_key"] not in NOTIFICATION_KEYS]
        for chunk in _chunks(commands):
            await asyncio.gather(*(self._publish_row(row) for row in chunk))
        # Notifications one after another, in the order they were emitted: on one channel the
        # broker keeps that order, and the event log records them as they arrive, so a run's
        # last progress and stage change come before its completion (which ends its stream).
        for row in rows:
            if row["routing_key"] in NOTIFICATION_KEYS:
                await self._publish_row(row)

    async def _publish_row(self, row: Mapping[str, Any]) -> None:
        # The publish span continues the trace stored with the row, not whatever is current: a
        # relayed row's cause is long gone, and the telemetry middleware re-injects `traceparent`
        # from the current context. Each row publishes in a task of its own (gather), so the
        # attach is local to it.
        token = otel_context.attach(propagate.extract(row["headers"] or {}))
        try:
            await self._publish(row)
        finally:
            otel_context.detach(token)

    async def _publish(self, row: Mapping[str, Any]) -> None:
        await self.broker.publish(
            row["payload"],
            exchange=EVENTS,
            routing_key=row["routing_key"],
            # A command that reaches no queue comes back and raises (the broker's channel has
            # on_return_raises), so the row stays unpublished and the relay tries again.
            # Notifications (run.progress, …) may legitimately have no subscriber yet.
            mandatory=row["routing_key"] in COMMAND_ROUTING_KEYS,
            persist=True,
            message_id=str(row["id"]),
            headers=row["headers"],
        )


def _chunks(rows: Sequence[Mapping[str, Any]]) -> list[Sequence[Mapping[str, Any]]]:
    """Publishes are awaited this many at a time (confirms pipelined, memory bounded)."""
    return [rows[i : i + _PUBLISH_CONCURRENCY] for i in range(0, len(rows), _PUBLISH_CONCURRENCY)]
