"""Exports and the run rows they are built from, in Postgres. Marking an export ready commits
with its `export.completed` (outbox)."""

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

from strata.contracts.exports import ExportStatus
from strata.contracts.messages import ExportCompleted
from strata.runtime.db import Queries
from strata.runtime.outbox import Outbox

QUERIES = Queries.load(Path(__file__).with_name("queries.sql"))


@dataclass(frozen=True)
class PendingExport:
    id: UUID
    run_id: UUID
    format: str


class ExportStore(Protocol):
    async def pending_export(self, export_id: UUID) -> PendingExport | None:
        """The export if it is still to build; None once built (a redelivery) or unknown."""
        ...

    def run_rows(self, run_id: UUID) -> AsyncGenerator[dict[str, Any], None]:
        """The run's rows in export order, streamed: never the whole run in memory. Close it
        (`contextlib.aclosing`) so an abandoned stream gives its connection back at once."""
        ...

    async def mark_ready(self, export_id: UUID, *, blob_key: str, row_count: int) -> bool:
        """Finish a pending export and announce it; False if it was finished already."""
        ...


class PgExportStore:
    def __init__(self, *, outbox: Outbox, fetch_rows: int, queries: Queries = QUERIES) -> None:
        self._outbox = outbox
        self._fetch_rows = fetch_rows
        self._q = queries

    async def pending_export(self, export_id: UUID) -> PendingExport | None:
        row = await self._outbox.pool.fetchrow(self._q.pending_export, export_id)
        return None if row is None else PendingExport(**dict(row))

    async def run_rows(self, run_id: UUID) -> AsyncGenerator[dict[str, Any], None]:
        # A server-side cursor (it needs a transaction) fetches `fetch_rows` per round trip.
        async with self._outbox.pool.acquire() as conn, conn.transaction():
            async for row in conn.cursor(self._q.run_rows, run_id, prefetch=self._fetch_rows):
                yield dict(row)

    async def mark_ready(self, export_id: UUID, *, blob_key: str, row_count: int) -> bool:
        async with self._outbox.transaction() as uow:
            done = await uow.conn.fetchrow(self._q.mark_ready, export_id, blob_key, row_count)
            if done is None:
                return False
            uow.emit(
                ExportCompleted(
                    export_id=export_id,
                    run_id=done["run_id"],
                    account_id=done["account_id"],
                    project_id=done["project_id"],
                    status=ExportStatus.READY,
                    row_count=row_count,
                ),
            )
        return True
