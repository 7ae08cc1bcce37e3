"""Events to SSE streams: replay from the `events` table, then follow new rows.

One `EventHub` per gateway process LISTENs on `strata_events` (the notify service's pg_notify at
each commit) on a connection of its own, reads each new row once and hands it to every open
stream that wants it. Any gateway serves any stream, since the rows come from the database.
Ids are committed in order (the notify service's advisory lock), so "every id above the last
one seen" is exactly what a stream has not seen yet."""

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg

from strata.gateway.sql import Q

logger = logging.getLogger(__name__)
CHANNEL = "strata_events"
PAGE = 500
TERMINAL = frozenset({"run.completed"})


@dataclass(eq=False)
class Subscription:
    wants: Callable[[Any], bool]
    queue: "asyncio.Queue[Any]" = field(default_factory=lambda: asyncio.Queue(maxsize=2000))
    # Set when the stream fell so far behind that rows were dropped: it re-reads the table.
    overflowed: bool = False


class EventHub:
    def __init__(self, *, dsn: str, pool: asyncpg.Pool, poll_s: float = 1.0) -> None:
        self._dsn = dsn
        self._pool = pool
        # Also read every poll_s without a notification: a lost LISTEN connection heals.
        self._poll_s = poll_s
        self._subs: set[Subscription] = set()
        self._wake = asyncio.Event()
        self._last = 0
        self._task: asyncio.Task[None] | None = None
        # Each event is encoded once for all the streams that send it (a few hundred streams
        # of one run get the same bytes).
        self._encoded: OrderedDict[int, str] = OrderedDict()

    def encode(self, row: Any) -> str:
        event_id = row["event_id"]
        text = self._encoded.get(event_id)
        if text is None:
            text = json.dumps(event_body(row), separators=(",", ":"), default=str)
            self._encoded[event_id] = text
            if len(self._encoded) > 10_000:
                self._encoded.popitem(last=False)
        return text

    async def start(self) -> None:
        self._last = await self._pool.fetchval(Q.last_event_id)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def subscribe(self, wants: Callable[[Any], bool]) -> Subscription:
        sub = Subscription(wants)
        self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)

    async def _run(self) -> None:
        conn: asyncpg.Connection | None = None
        try:
            while True:
                if conn is None or conn.is_closed():
                    conn = await self._listen()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll_s)
                self._wake.clear()
                try:
                    await self._fan_out()
                except (OSError, asyncpg.PostgresError):
                    logger.warning("reading new events failed; retrying", exc_info=True)
        finally:
            if conn is not None and not conn.is_closed():
                await conn.close()

    async def _listen(self) -> asyncpg.Connection | None:
        try:
            conn = await asyncpg.connect(self._dsn)
            await conn.add_listener(CHANNEL, lambda *_: self._wake.set())
            return conn
        except (OSError, asyncpg.PostgresError):
            logger.warning("LISTEN %s failed; polling until it works", CHANNEL, exc_info=True)
            return None

    async def _fan_out(self) -> None:
        while True:
            rows = await self._pool.fetch(Q.events_since, self._last, PAGE)
            for row in rows:
                self._last = row["event_id"]
                for sub in list(self._subs):
                    if sub.overflowed or not sub.wants(row):
                        continue
                    try:
                        sub.queue.put_nowait(row)
                    except asyncio.QueueFull:
                        sub.overflowed = True
            if len(rows) < PAGE:
                return


def event_body(row: Any) -> dict[str, Any]:
    """An event as clients receive it (the `Event` model of the API, built without pydantic
    because it is built once per event and sent to every stream)."""
    return {
        "id": row["event_id"],
        "type": row["type"],
        "project_id": str(row["project_id"]),
        "run_id": None if row["run_id"] is None else str(row["run_id"]),
        "created_at": row["event_at"].isoformat(),
        "caused_at": row["caused_at"].isoformat(),
        "data": row["payload"],
    }


def matcher(
    *, account_id: UUID, project_id: UUID | None, run_id: UUID | None
) -> Callable[[Any], bool]:
    def wants(row: Any) -> bool:
        return (
            row["account_id"] == account_id
            and (project_id is None or row["project_id"] == project_id)
            and (run_id is None or row["run_id"] == run_id)
        )

    return wants


async def follow(
    hub: EventHub,
    pool: asyncpg.Pool,
    *,
    account_id: UUID,
    project_id: UUID | None,
    run_id: UUID | None,
    after: int,
) -> AsyncIterator[Any]:
    """The stream's rows after `after`: the table first, then the hub; a run's stream ends
    after its completion event."""
    sub = hub.subscribe(matcher(account_id=account_id, project_id=project_id, run_id=run_id))
    last = after
    try:
        while True:
            # Subscribed before reading: a row committed meanwhile is in the queue (or read
            # here), and anything at or below `last` is skipped, so nothing is lost or doubled.
            while True:
                rows = await pool.fetch(
                    Q.page_events, account_id, last, project_id, run_id, None, PAGE
                )
                for row in rows:
                    last = row["event_id"]
                    yield row
                    if run_id is not None and row["type"] in TERMINAL:
                        return
                if len(rows) < PAGE:
                    break
            if run_id is not None and await pool.fetchval(Q.run_finished_by, run_id, last):
                return  # resumed after the completion event: nothing more will come
            while not sub.overflowed:
                row = await sub.queue.get()
                if row["event_id"] <= last:
                    continue
                last = row["event_id"]
                yield row
                if run_id is not None and row["type"] in TERMINAL:
                    return
            hub.unsubscribe(sub)
            sub = hub.subscribe(sub.wants)  # fell behind: read the table again from `last`
    finally:
        hub.unsubscribe(sub)
