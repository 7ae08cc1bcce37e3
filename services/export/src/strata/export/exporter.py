"""export.requested → a file in blob storage → export.completed."""

import logging
import os
import uuid
from uuid import UUID

from strata.contracts.exports import ExportStatus
from strata.contracts.messages import ExportCompleted, ExportRequested
from strata.export.formats import jsonl_line
from strata.runtime.blobs import LocalBlobStore
from strata.runtime.db import Queries
from strata.runtime.outbox import Outbox

logger = logging.getLogger(__name__)


class Exporter:
    def __init__(
        self, *, outbox: Outbox, queries: Queries, blobs: LocalBlobStore, fetch_rows: int
    ) -> None:
        self._outbox = outbox
        self._queries = queries
        self._blobs = blobs
        self._fetch_rows = fetch_rows

    async def export(self, msg: ExportRequested) -> None:
        pool = self._outbox.pool
        job = await pool.fetchrow(self._queries.pending_export, msg.export_id)
        if job is None:
            return  # finished already, or unknown
        key = f"exports/{job['id']}.{job['format']}"
        rows = await self._write_jsonl(job["run_id"], key)
        async with self._outbox.transaction() as uow:
            run_id = await uow.conn.fetchval(self._queries.mark_ready, msg.export_id, key, rows)
            if run_id is not None:
                uow.emit(
                    ExportCompleted(
                        export_id=msg.export_id,
                        run_id=run_id,
                        status=ExportStatus.READY,
                        row_count=rows,
                    ),
                )
        logger.info("export %s ready: %d rows at %s", msg.export_id, rows, key)

    async def _write_jsonl(self, run_id: UUID, key: str) -> int:
        """Stream the run's rows into a temp file, then move it into place atomically."""
        target = self._blobs.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
        count = 0
        try:
            async with self._outbox.pool.acquire() as conn, conn.transaction():
                with tmp.open("w", encoding="utf-8") as out:
                    cursor = conn.cursor(self._queries.run_rows, run_id, prefetch=self._fetch_rows)
                    async for row in cursor:
                        out.write(jsonl_line(dict(row)))
                        count += 1
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return count
