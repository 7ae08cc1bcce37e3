"""An in-memory `ExportStore` for unit tests: exports as rows, each run's rows as a list that
is streamed one row at a time, committed messages in a list."""

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from strata.contracts.exports import ExportStatus
from strata.contracts.messages import ExportCompleted, Message
from strata.export.store import PendingExport


@dataclass
class ExportRow:
    run_id: UUID
    format: str = "jsonl"
    status: ExportStatus = ExportStatus.PENDING
    blob_key: str | None = None
    row_count: int | None = None


@dataclass
class MemoryExportStore:
    exports: dict[UUID, ExportRow] = field(default_factory=dict)
    rows: dict[UUID, list[dict[str, Any]]] = field(default_factory=dict)
    emitted: list[Message] = field(default_factory=list)
    open_streams: int = 0

    def add_export(self, run_id: UUID) -> UUID:
        export_id = uuid4()
        self.exports[export_id] = ExportRow(run_id=run_id)
        return export_id

    async def pending_export(self, export_id: UUID) -> PendingExport | None:
        row = self.exports.get(export_id)
        if row is None or row.status is not ExportStatus.PENDING:
            return None
        return PendingExport(id=export_id, run_id=row.run_id, format=row.format)

    async def run_rows(self, run_id: UUID) -> AsyncGenerator[dict[str, Any], None]:
        # Counts open streams, so a test sees a stream given back (a connection, in Postgres).
        self.open_streams += 1
        try:
            for row in self.rows.get(run_id, []):
                yield row
        finally:
            self.open_streams -= 1

    async def mark_ready(self, export_id: UUID, *, blob_key: str, row_count: int) -> bool:
        row = self.exports[export_id]
        if row.status is not ExportStatus.PENDING:
            return False
        row.status, row.blob_key, row.row_count = ExportStatus.READY, blob_key, row_count
        completed = ExportCompleted(
            export_id=export_id, run_id=row.run_id, status=ExportStatus.READY, row_count=row_count
        )
        self.emitted.append(completed)
        return True
