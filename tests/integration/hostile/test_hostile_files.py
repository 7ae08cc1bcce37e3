"""Hostile and broken files through ingest and conversion in-process, on the real broker and
database: each ends `failed` with its own error_code, within the limits, and a normal document
uploaded right after converts fine (nothing else was hurt)."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from faststream.rabbit import RabbitBroker, RabbitMessage, RabbitQueue

from strata.conversion.main import build as build_conversion
from strata.conversion.settings import ConversionSettings
from strata.ingest.main import build as build_ingest
from strata.ingest.settings import IngestSettings
from strata.runtime.broker import EVENTS
from strata.runtime.settings import CommonSettings
from tests.integration.pipeline.test_ingest_conversion import Pipeline
from tests.support import hostile

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

MAX_BYTES = 16 * 1024 * 1024
CASES = hostile.hostile(MAX_BYTES)


@pytest.fixture
async def pipeline(database_url: str, amqp_url: str, blob_root: Path) -> AsyncIterator[Pipeline]:
    common = CommonSettings(
        database_url=database_url, amqp_url=amqp_url, blob_root=blob_root, db_pool_size=4
    )
    ingest = build_ingest(IngestSettings(common=common, max_bytes=MAX_BYTES))
    conversion = build_conversion(ConversionSettings(common=common, timeout_s=90))
    observer = RabbitBroker(amqp_url)
    events: list[tuple[str, dict[str, Any]]] = []

    @observer.subscriber(
        RabbitQueue("test.observer.hostile", routing_key="document.*", auto_delete=True), EVENTS
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
        await runtime.start()
    for runtime in (ingest, conversion.runtime):
        await runtime.broker.start()
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


async def test_every_hostile_file_fails_with_its_own_code_and_the_next_converts(
    pipeline: Pipeline,
) -> None:
    ids = []
    for name, filename, make, _ in CASES:
        ids.append((name, await pipeline.add_document(filename, make())))
    for _, doc_id in ids:  # all at once: one bad file must not hold up or break the others
        await pipeline.receive(doc_id)
    normal = hostile.docx(["Quarterly report", "Revenue grew."])
    normal_id = await pipeline.add_document("after.docx", normal)
    await pipeline.receive(normal_id)

    outcomes = {}
    for (name, doc_id), (_, _, _, code) in zip(ids, CASES, strict=True):
        row = await pipeline.settled(doc_id)
        outcomes[name] = (row["status"], row["error_code"])
        assert row["error_message"], name
        assert await pipeline.blocks(doc_id) == [], name
        assert outcomes[name] == ("failed", code), (name, row["error_message"])
    assert len({code for _, _, _, code in CASES}) == 9  # distinct reasons, not one catch-all

    row = await pipeline.settled(normal_id)
    assert (row["status"], row["conversion_path"]) == ("ready", "docling")
    assert [b["text"] for b in await pipeline.blocks(normal_id)] == [
        "Quarterly report",
        "Revenue grew.",
    ]


async def test_a_pdf_and_a_csv_convert_through_the_services(pipeline: Pipeline) -> None:
    """The model-free PDF path and the CSV path through the real services."""
    pdf_row = await pipeline.ingest_and_wait("two.pdf", hostile.pdf(["Alpha page", "Beta page"]))
    assert (pdf_row["status"], pdf_row["source_format"], pdf_row["conversion_path"]) == (
        "ready",
        "pdf",
        "pdf-native",
    )
    blocks = await pipeline.blocks(pdf_row["id"])
    assert [(b["text"], b["page_start"]) for b in blocks] == [("Alpha page", 1), ("Beta page", 2)]
    assert all(b["bbox"] is not None for b in blocks)

    csv_row = await pipeline.ingest_and_wait("data.csv", b"a;b\n1;2\n3;4\n")
    assert (csv_row["status"], csv_row["conversion_path"]) == ("ready", "csv")
    (table,) = await pipeline.blocks(csv_row["id"])
    assert table["block_type"] == "table"
    assert table["text"] == "| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |"
