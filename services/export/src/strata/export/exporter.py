"""export.requested → a file in blob storage → export.completed.

Rows stream from the store through the format's writer into a local temp file (xlsx and the
markdown table need a seekable file), which is then streamed to blob storage in parts (a
multipart upload on S3) and deleted; nothing holds more than one row or one part. The blob
appears only when complete, and an export deleted while it was being built leaves none.
"""

import contextlib
import logging
import os
import tempfile
import time
from collections.abc import Sequence
from contextlib import aclosing
from pathlib import Path
from typing import Any
from uuid import UUID

from opentelemetry import trace
from opentelemetry.trace import Link

from strata.contracts.exports import MEDIA_TYPES, ExportScope
from strata.contracts.messages import ExportRequested
from strata.export import metrics
from strata.export.columns import value_columns
from strata.export.content import select_values
from strata.export.counters import ReviewCounts
from strata.export.store import ExportJob, ExportStore, SchemaInfo
from strata.export.writers import open_writer
from strata.runtime.blobs import BlobStore
from strata.runtime.errors import StrataError
from strata.runtime.tracing import distinct_links, link_from_ids

logger = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


class ExportSourceGoneError(StrataError):
    """What the export was built from no longer exists."""

    code = "export_source_gone"


class Exporter:
    def __init__(self, *, store: ExportStore, blobs: BlobStore) -> None:
        self._store = store
        self._blobs = blobs

    async def export(self, msg: ExportRequested) -> None:
        job = await self._store.pending_export(msg.export_id)
        if job is None:
            return  # finished already, or unknown
        schema = await self._store.schema(job.schema_id)
        if schema is None:
            raise ExportSourceGoneError(f"schema {job.schema_id} is gone")
        runs = await self._store.runs_of(job)
        metadata = _metadata(job, schema, await self._store.run_metadata(runs))
        key = f"exports/{job.id}.{job.format.value}"
        started = time.perf_counter()
        rows = await self._write(job, schema, runs, key, metadata)
        metrics.EXPORT_SECONDS.labels(format=job.format.value).observe(
            time.perf_counter() - started
        )
        if not await self._store.mark_ready(job, blob_key=key, row_count=rows):
            await self._blobs.delete(key)  # deleted (or finished) while we wrote it
            metrics.EXPORTS.labels(format=job.format.value, outcome="discarded").inc()
            return
        metrics.EXPORTS.labels(format=job.format.value, outcome="ready").inc()
        logger.info("export %s ready: %d rows at %s", job.id, rows, key)

    async def give_up(self, msg: ExportRequested, code: str, reason: str) -> None:
        """The message is being dead-lettered: fail the export, so nobody waits for ever."""
        await self._store.mark_failed(msg.export_id, f"{code}: {reason}"[:500])
        metrics.EXPORTS.labels(format="unknown", outcome="failed").inc()

    async def _write(
        self,
        job: ExportJob,
        schema: SchemaInfo,
        runs: list[UUID],
        key: str,
        metadata: list[tuple[str, Any]],
    ) -> int:
        fd, name = tempfile.mkstemp(prefix="strata-export-", suffix=f".{job.format.value}")
        os.close(fd)
        tmp = Path(name)
        try:
            rows = await self._write_file(job, schema, runs, tmp, metadata)
            await self._blobs.put_file(key, tmp, content_type=MEDIA_TYPES[job.format])
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.remove(tmp)
        return rows

    async def _write_file(
        self,
        job: ExportJob,
        schema: SchemaInfo,
        runs: list[UUID],
        tmp: Path,
        metadata: list[tuple[str, Any]],
    ) -> int:
        writer = open_writer(
            job.format, tmp, columns=value_columns(schema.definition), title=_title(job, schema)
        )
        counts, content = ReviewCounts(), job.content
        try:
            async with aclosing(self._store.rows(job, runs)) as batches:
                async for batch in batches:
                    # A span per batch, linked to the pack spans that settled its rows (their
                    # overlays' trace ids): a block's trace reaches the export that wrote it.
                    with tracer.start_as_current_span(
                        "strata.export.batch", links=_pack_links(batch)
                    ) as span:
                        span.set_attribute("strata.export_id", str(job.id))
                        span.set_attribute("strata.rows", len(batch))
                        for row in batch:
                            status = row["review_status"]
                            counts.add(status, row["flags"])
                            source, values_json = select_values(
                                content,
                                review_status=status,
                                staged=row["staged"],
                                confirmed=row["confirmed"],
                            )
                            writer.write(row, source, values_json)
        except BaseException:
            writer.abort()
            raise
        writer.finish([*metadata, *counts.items()])
        for status, n in counts.by_status.items():
            metrics.ROWS.labels(review_status=status).inc(n)
        return counts.rows


def _pack_links(batch: Sequence[Any]) -> list[Link]:
    # A row of a block never settled by a traced pack (or from a store without the trace
    # columns) links nothing.
    return distinct_links(
        link_from_ids(row.get("trace_id"), row.get("span_id"), **{"strata.run_id": row["run_id"]})
        for row in batch
    )


def _title(job: ExportJob, schema: SchemaInfo) -> str:
    where = f"project {job.project_id}" if job.scope is ExportScope.PROJECT else f"run {job.run_id}"
    return f"{schema.name} v{schema.version} — {where} ({job.content.value} values)"


def _metadata(job: ExportJob, schema: SchemaInfo, runs: dict[str, Any]) -> list[tuple[str, Any]]:
    head: list[tuple[str, Any]] = [
        ("export_id", str(job.id)),
        ("scope", job.scope.value),
        ("content", job.content.value),
        ("project_id", str(job.project_id)),
        ("run_id", str(job.run_id) if job.run_id else None),
        ("document_id", str(job.document_id) if job.document_id else None),
        ("schema_id", str(schema.id)),
        ("schema.name", schema.name),
        ("schema.version", schema.version),
        ("schema.definition", schema.definition),
    ]
    return head + [(k, float(v) if k == "usage.cost_usd" else v) for k, v in runs.items()]
