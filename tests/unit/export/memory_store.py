"""An in-memory `ExportStore` for unit tests: exports as jobs, each run's rows as a list (shaped
as the Postgres store yields them: ids and values as text) streamed in small batches, committed
messages in a list."""

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID, uuid4

from strata.contracts.exports import (
    ExportContent,
    ExportFormat,
    ExportScope,
    ExportStatus,
    download_path,
)
from strata.contracts.messages import ExportCompleted, Message
from strata.export.store import ExportJob, SchemaInfo


@dataclass
class MemoryExportStore:
    jobs: dict[UUID, ExportJob] = field(default_factory=dict)
    status: dict[UUID, ExportStatus] = field(default_factory=dict)
    finished: dict[UUID, tuple[str | None, int | None, str | None]] = field(default_factory=dict)
    schemas: dict[UUID, SchemaInfo] = field(default_factory=dict)
    # rows per run, each row a dict as the Postgres store yields it (document order is list order)
    rows_by_run: dict[UUID, list[dict[str, Any]]] = field(default_factory=dict)
    emitted: list[Message] = field(default_factory=list)
    open_streams: int = 0

    def add_export(
        self,
        *,
        run_id: UUID,
        schema: SchemaInfo,
        fmt: ExportFormat = ExportFormat.JSONL,
        content: ExportContent = ExportContent.CONFIRMED,
        document_id: UUID | None = None,
    ) -> UUID:
        self.schemas[schema.id] = schema
        job = ExportJob(
            id=uuid4(),
            account_id=uuid4(),
            project_id=uuid4(),
            run_id=run_id,
            document_id=document_id,
            schema_id=schema.id,
            scope=ExportScope.DOCUMENT if document_id else ExportScope.RUN,
            content=content,
            format=fmt,
        )
        self.jobs[job.id] = job
        self.status[job.id] = ExportStatus.PENDING
        return job.id

    def forget(self, export_id: UUID) -> None:
        """What DELETE /v1/exports/{id} does to the row."""
        self.jobs.pop(export_id)
        self.status.pop(export_id)

    async def pending_export(self, export_id: UUID) -> ExportJob | None:
        if self.status.get(export_id) is not ExportStatus.PENDING:
            return None
        return replace(self.jobs[export_id])

    async def schema(self, schema_id: UUID) -> SchemaInfo | None:
        return self.schemas.get(schema_id)

    async def runs_of(self, job: ExportJob) -> list[UUID]:
        assert job.run_id is not None
        return [job.run_id]

    async def run_metadata(self, runs: list[UUID]) -> dict[str, Any]:
        return {"runs": len(runs), "policy": {"model": "claude-test"}, "usage.cost_usd": 0.25}

    async def rows(self, job: ExportJob, runs: list[UUID]) -> AsyncGenerator[list[dict], None]:
        # Counts open streams, so a test sees a stream given back (a connection, in Postgres).
        self.open_streams += 1
        try:
            for run_id in runs:
                rows = [
                    row
                    for row in self.rows_by_run.get(run_id, [])
                    if job.document_id is None or row["document_id"] == str(job.document_id)
                ]
                for start in range(0, len(rows), 2):
                    yield rows[start : start + 2]
        finally:
            self.open_streams -= 1

    async def mark_ready(self, job: ExportJob, *, blob_key: str, row_count: int) -> bool:
        if self.status.get(job.id) is not ExportStatus.PENDING:
            return False
        self.status[job.id] = ExportStatus.READY
        self.finished[job.id] = (blob_key, row_count, None)
        self.emitted.append(
            ExportCompleted(
                export_id=job.id,
                run_id=job.run_id,
                status=ExportStatus.READY,
                row_count=row_count,
                download_path=download_path(job.id),
            )
        )
        return True

    async def mark_failed(self, export_id: UUID, message: str) -> bool:
        if self.status.get(export_id) is not ExportStatus.PENDING:
            return False
        self.status[export_id] = ExportStatus.FAILED
        self.finished[export_id] = (None, None, message)
        self.emitted.append(
            ExportCompleted(export_id=export_id, status=ExportStatus.FAILED, error_message=message)
        )
        return True
