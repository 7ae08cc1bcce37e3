"""Ingest and conversion running in-process against a real broker and database, with an
observer on `document.*`: shared by the pipeline and hostile-file integration tests."""

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from faststream.rabbit import RabbitBroker, RabbitMessage, RabbitQueue

from strata.contracts import routing
from strata.contracts.messages import DocumentReceived, Message
from strata.conversion.main import ConversionService
from strata.conversion.main import build as build_conversion
from strata.conversion.settings import ConversionSettings
from strata.ingest.main import build as build_ingest
from strata.ingest.settings import IngestSettings
from strata.runtime.broker import EVENTS
from strata.runtime.service import ServiceRuntime
from strata.runtime.settings import CommonSettings

WAIT_S = 30.0


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


@dataclass
class Pipeline:
    ingest: ServiceRuntime
    conversion: ConversionService
    conn: asyncpg.Connection
    account_id: UUID
    project_id: UUID
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def add_document(
        self, filename: str, data: bytes, *, sha256: str | None = None, blob: bool = True
    ) -> UUID:
        """What the gateway does on upload: the blob, then a `received` row."""
        doc_id = uuid4()
        key = f"uploads/{doc_id}"
        if blob:
            await self.ingest.blobs.put_stream(key, _one(data), max_bytes=len(data))
        await self.conn.execute(
            """INSERT INTO documents (id, account_id, project_id, filename, content_type,
                                      byte_size, sha256, blob_key)
               VALUES ($1, $2, $3, $4, 'application/octet-stream', $5, $6, $7)""",
            doc_id,
            self.account_id,
            self.project_id,
            filename,
            len(data),
            sha256 or hashlib.sha256(data).hexdigest(),
            key,
        )
        return doc_id

    async def publish(self, message: Message) -> None:
        await self.ingest.broker.publish(
            message.model_dump(mode="json"),
            exchange=EVENTS,
            routing_key=message.route.routing_key,
            persist=True,
        )

    async def receive(self, doc_id: UUID) -> None:
        await self.publish(
            DocumentReceived(document_id=doc_id, project_id=self.project_id),
        )

    async def settled(self, doc_id: UUID) -> asyncpg.Record:
        """The document row once it is ready or failed, and its event has been seen."""
        deadline = asyncio.get_running_loop().time() + WAIT_S
        while asyncio.get_running_loop().time() < deadline:
            row = await self.conn.fetchrow("SELECT * FROM documents WHERE id = $1", doc_id)
            if row["status"] in ("ready", "failed") and self.events_for(doc_id):
                return row
            await asyncio.sleep(0.05)
        raise AssertionError(f"document {doc_id} did not settle: {dict(row)}")

    async def ingest_and_wait(self, filename: str, data: bytes) -> asyncpg.Record:
        doc_id = await self.add_document(filename, data)
        await self.receive(doc_id)
        return await self.settled(doc_id)

    def events_for(self, doc_id: UUID) -> list[tuple[str, dict[str, Any]]]:
        keys = (routing.DOCUMENT_CONVERTED.routing_key, routing.DOCUMENT_FAILED.routing_key)
        return [
            (k, body) for k, body in self.events if k in keys and body["document_id"] == str(doc_id)
        ]

    async def blocks(self, doc_id: UUID) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            "SELECT * FROM blocks WHERE document_id = $1 ORDER BY block_index", doc_id
        )


@contextlib.asynccontextmanager
async def running_pipeline(
    *,
    database_url: str,
    amqp_url: str,
    blob_root: Path,
    max_bytes: int,
    observer_queue: str,
    **conversion_settings: Any,
) -> AsyncIterator[Pipeline]:
    common = CommonSettings(
        database_url=database_url, amqp_url=amqp_url, blob_root=blob_root, db_pool_size=4
    )
    # Probe ports: any free one, so tests never collide with a running stack's fixed ports.
    ingest = build_ingest(IngestSettings(common=common, max_bytes=max_bytes, http_port=0))
    conversion = build_conversion(
        ConversionSettings(common=common, **{"http_port": 0, **conversion_settings})
    )
    observer = RabbitBroker(amqp_url)
    events: list[tuple[str, dict[str, Any]]] = []

    @observer.subscriber(
        RabbitQueue(observer_queue, routing_key="document.*", auto_delete=True), EVENTS
    )
    async def observe(body: dict[str, Any], message: RabbitMessage) -> None:
        events.append((message.raw_message.routing_key, body))

    conn = await asyncpg.connect(database_url)
    account_id, project_id = uuid4(), uuid4()
    await conn.execute("INSERT INTO accounts (id, name) VALUES ($1, 'acme')", account_id)
    await conn.execute(
        "INSERT INTO projects (id, account_id, name) VALUES ($1, $2, 'p')", project_id, account_id
    )
    await observer.start()
    for runtime in (ingest, conversion.runtime):
        await runtime.start()  # pool, outbox relay, topology
    for runtime in (ingest, conversion.runtime):
        await runtime.broker.start()  # consuming
    try:
        yield Pipeline(
            ingest=ingest,
            conversion=conversion,
            conn=conn,
            account_id=account_id,
            project_id=project_id,
            events=events,
        )
    finally:
        for runtime in (ingest, conversion.runtime):
            await runtime.broker.stop()
            await runtime.stop()
        await conversion.pool.close()
        await observer.stop()
        await conn.close()
