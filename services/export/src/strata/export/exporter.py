"""export.requested → a file in blob storage → export.completed."""

import logging
import os
import uuid
from contextlib import aclosing
from uuid import UUID

from strata.contracts.messages import ExportRequested
from strata.export.formats import jsonl_line
from strata.export.store import ExportStore
from strata.runtime.blobs import LocalBlobStore

logger = logging.getLogger(__name__)


class Exporter:
    def __init__(self, *, store: ExportStore, blobs: LocalBlobStore) -> None:
        self._store = store
        self._blobs = blobs

    async def export(self, msg: ExportRequested) -> None:
        job = await self._store.pending_export(msg.export_id)
        if job is None:
            return  # finished already, or unknown
        key = f"exports/{job.id}.{job.format}"
        rows = await self._write_jsonl(job.run_id, key)
        await self._store.mark_ready(msg.export_id, blob_key=key, row_count=rows)
        logger.info("export %s ready: %d rows at %s", msg.export_id, rows, key)

    async def _write_jsonl(self, run_id: UUID, key: str) -> int:
        """Stream the run's rows into a temp file, then move it into place atomically."""
        target = self._blobs.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
        count = 0
        try:
            with tmp.open("w", encoding="utf-8") as out:
                async with aclosing(self._store.run_rows(run_id)) as rows:
                    async for row in rows:
                        out.write(jsonl_line(row))
                        count += 1
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return count
