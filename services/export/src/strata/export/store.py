"""Exports and the rows they are built from, in Postgres. Rows stream through server-side
cursors, one document at a time in primary-key order (no sort of a whole run), inside one
read-only repeatable-read transaction so a long export sees one consistent snapshot. Marking an
export ready or failed commits with its `export.completed` (outbox)."""

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

from strata.contracts.exports import ExportContent, ExportFormat, ExportScope, ExportStatus
from strata.contracts.exports import download_path as download_path_of
from strata.contracts.messages import ExportCompleted
from strata.runtime.db import Queries
from strata.runtime.outbox import Outbox

QUERIES = Queries.load(Path(__file__).with_name("queries.sql"))
Row = Mapping[str, Any]


@dataclass(frozen=True)
class ExportJob:
    id: UUID
    account_id: UUID
    project_id: UUID
    run_id: UUID | None
    document_id: UUID | None
    schema_id: UUID
    scope: ExportScope
    content: ExportContent
    format: ExportFormat


@dataclass(frozen=True)
class SchemaInfo:
    id: UUID
    name: str
    version: int
    definition: dict[str, Any]


class ExportStore(Protocol):
    async def pending_export(self, export_id: UUID) -> ExportJob | None:
        """The export if it is still to build; None once built (a redelivery) or unknown."""
        ...

    async def schema(self, schema_id: UUID) -> SchemaInfo | None: ...

    async def runs_of(self, job: ExportJob) -> list[UUID]:
        """The runs an export reads: its run, or every run of its schema in its project."""
        ...

    async def run_metadata(self, runs: list[UUID]) -> dict[str, Any]:
        """Policy snapshot (one run only), run status, usage and cost summed over `runs`."""
        ...

    def rows(self, job: ExportJob, runs: list[UUID]) -> AsyncGenerator[Sequence[Row], None]:
        """The export's rows in document and block order, in batches, streamed: never a run in
        memory. Each row maps column names to values, ids as text and `staged`/`confirmed` as
        JSON text. Close it (`contextlib.aclosing`) so an abandoned stream gives its
        connection back at once."""
        ...

    async def mark_ready(self, job: ExportJob, *, blob_key: str, row_count: int) -> bool:
        """Finish a pending export and announce it; False if it is no longer pending."""
        ...

    async def mark_failed(self, export_id: UUID, message: str) -> bool: ...


async def _read_ahead(cursor: Any, size: int) -> AsyncGenerator[list[Any], None]:
    """Batches, not rows (one await per `size` rows), each asked for before the previous one is
    handed out: Postgres reads the next batch while the caller writes this one, instead of the
    two taking turns."""
    pending = asyncio.ensure_future(cursor.fetch(size))
    try:
        while records := await pending:
            pending = asyncio.ensure_future(cursor.fetch(size))
            await asyncio.sleep(0)  # let the request go out before the caller's CPU-bound work
            yield records
    finally:
        if not pending.done():
            pending.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await pending  # never leave a fetch running on a connection going back to the pool


class PgExportStore:
    def __init__(self, *, outbox: Outbox, fetch_rows: int, queries: Queries = QUERIES) -> None:
        self._outbox = outbox
        self._fetch_rows = fetch_rows
        self._q = queries

    async def pending_export(self, export_id: UUID) -> ExportJob | None:
        row = await self._outbox.pool.fetchrow(self._q.pending_export, export_id)
        if row is None:
            return None
        fields = dict(row)
        return ExportJob(
            **fields
            | {
                "scope": ExportScope(fields["scope"]),
                "content": ExportContent(fields["content"]),
                "format": ExportFormat(fields["format"]),
            }
        )

    async def schema(self, schema_id: UUID) -> SchemaInfo | None:
        row = await self._outbox.pool.fetchrow(self._q.export_schema, schema_id)
        return None if row is None else SchemaInfo(**dict(row))

    async def runs_of(self, job: ExportJob) -> list[UUID]:
        if job.run_id is not None:
            return [job.run_id]
        rows = await self._outbox.pool.fetch(self._q.schema_runs, job.project_id, job.schema_id)
        return [r["id"] for r in rows]

    async def run_metadata(self, runs: list[UUID]) -> dict[str, Any]:
        pool = self._outbox.pool
        meta: dict[str, Any] = {"runs": len(runs)}
        if len(runs) == 1:
            run = await pool.fetchrow(self._q.run_info, runs[0])
            meta |= {"run.status": run["status"], "run.total_blocks": run["total_blocks"]}
            meta["policy"] = run["policy"]
        usage = await pool.fetchrow(self._q.runs_usage, runs)
        meta |= {f"usage.{key}": value for key, value in dict(usage).items()}
        return meta

    async def rows(self, job: ExportJob, runs: list[UUID]) -> AsyncGenerator[Sequence[Row], None]:
        q, batch = self._q, self._fetch_rows
        async with (
            self._outbox.pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            if job.scope is ExportScope.PROJECT:
                documents = await conn.fetch(q.project_documents, runs)
            else:
                documents = await conn.fetch(q.run_documents, job.run_id, job.document_id)
            for document in documents:
                if job.scope is ExportScope.PROJECT:
                    query = q.project_document_rows
                    args: tuple[Any, ...] = (runs, document["id"], job.content.value)
                else:
                    query, args = q.document_rows, (job.run_id, document["id"])
                cursor = await conn.cursor(query, *args, document["filename"])
                async for records in _read_ahead(cursor, batch):
                    yield records

    async def mark_ready(self, job: ExportJob, *, blob_key: str, row_count: int) -> bool:
        async with self._outbox.transaction() as uow:
            done = await uow.conn.fetchval(self._q.mark_ready, job.id, blob_key, row_count)
            if done is None:
                return False
            uow.emit(
                ExportCompleted(
                    export_id=job.id,
                    run_id=job.run_id,
                    account_id=job.account_id,
                    project_id=job.project_id,
                    status=ExportStatus.READY,
                    row_count=row_count,
                    download_path=download_path_of(job.id),
                ),
            )
        return True

    async def mark_failed(self, export_id: UUID, message: str) -> bool:
        async with self._outbox.transaction() as uow:
            row = await uow.conn.fetchrow(self._q.mark_failed, export_id, message)
            if row is None:
                return False
            uow.emit(
                ExportCompleted(
                    export_id=export_id,
                    status=ExportStatus.FAILED,
                    error_message=message,
                    **dict(row),
                )
            )
        return True
