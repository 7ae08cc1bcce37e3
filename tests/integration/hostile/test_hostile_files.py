"""Hostile and broken files through ingest and conversion in-process, on the real broker and
database: each ends `failed` with its own error_code, within the limits, and a normal document
uploaded right after converts fine (nothing else was hurt)."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support import hostile
from tests.support.pipeline import Pipeline, running_pipeline

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

MAX_BYTES = 16 * 1024 * 1024
CASES = hostile.hostile(MAX_BYTES)


@pytest.fixture
async def pipeline(database_url: str, amqp_url: str, blob_root: Path) -> AsyncIterator[Pipeline]:
    async with running_pipeline(
        database_url=database_url,
        amqp_url=amqp_url,
        blob_root=blob_root,
        max_bytes=MAX_BYTES,
        observer_queue="test.observer.hostile",
        timeout_s=90,
    ) as running:
        yield running


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
    assert len({code for _, _, _, code in CASES}) == 10  # distinct reasons, not one catch-all

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


async def test_a_scanned_image_is_read_and_its_provenance_stored(pipeline: Pipeline) -> None:
    """Issue 14: a PNG (sniffed from its bytes, whatever its name) is read by OCR; the line
    boxes and confidence reach the blocks table."""
    from tests.unit.conversion.test_ocr import _scan  # noqa: PLC0415

    row = await pipeline.ingest_and_wait("scan.bin", _scan("PNG"))
    assert (row["status"], row["source_format"], row["conversion_path"]) == (
        "ready",
        "png",
        "tesseract",
    )
    (block, *_) = await pipeline.blocks(row["id"])
    assert "Invoice number 4711" in block["text"]
    assert block["ocr_confidence"] > 0.5 and len(block["line_boxes"]) >= 1
