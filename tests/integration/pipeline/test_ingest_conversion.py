"""Ingest and conversion together, in-process, against real RabbitMQ (a fresh vhost) and
Postgres (a fresh database): a received document becomes ready with ordered blocks, or failed
with a reason, exactly once however often its messages are delivered."""

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from strata.contracts import routing
from strata.contracts.messages import ConversionRequested
from tests.support.corpus import CORPUS
from tests.support.pipeline import Pipeline, running_pipeline

pytestmark = pytest.mark.integration


@pytest.fixture
async def pipeline(database_url: str, amqp_url: str, blob_root: Path) -> AsyncIterator[Pipeline]:
    async with running_pipeline(
        database_url=database_url,
        amqp_url=amqp_url,
        blob_root=blob_root,
        max_bytes=1024 * 1024,
        observer_queue="test.observer.documents",
        timeout_s=60,
        warm_up=False,
    ) as running:
        yield running


MARKDOWN = b"""# Guide

Intro with a [link](http://example.com).

## Install

- download
  - check the *checksum*
- run

| step | time |
|------|------|
| a    | 1s   |

```sh
make install
```

> mind the gap

# Appendix

Last words.
"""


async def test_markdown_becomes_ready_with_ordered_blocks(pipeline: Pipeline) -> None:
    doc = await pipeline.ingest_and_wait("guide.md", MARKDOWN)
    assert (doc["status"], doc["source_format"], doc["conversion_path"]) == (
        "ready",
        "md",
        "markdown-it",
    )
    blocks = await pipeline.blocks(doc["id"])
    assert [b["block_index"] for b in blocks] == list(range(len(blocks)))
    assert doc["block_count"] == len(blocks)
    assert [(b["block_type"], b["text"], list(b["section_path"])) for b in blocks] == [
        ("heading", "Guide", []),
        ("paragraph", "Intro with a link.", ["Guide"]),
        ("heading", "Install", ["Guide"]),
        ("list_item", "download", ["Guide", "Install"]),
        ("list_item", "check the checksum", ["Guide", "Install"]),
        ("list_item", "run", ["Guide", "Install"]),
        ("table", "| step | time |\n|---|---|\n| a | 1s |", ["Guide", "Install"]),
        ("code", "make install", ["Guide", "Install"]),
        ("quote", "mind the gap", ["Guide", "Install"]),
        ("heading", "Appendix", []),
        ("paragraph", "Last words.", ["Appendix"]),
    ]
    table = blocks[6]
    # This connection has no JSON codec: jsonb arrives as its text, a JSON object.
    assert json.loads(table["table_cells"]) == {
        "rows": [["step", "time"], ["a", "1s"]],
        "has_header": True,
    }
    assert all(b["table_cells"] is None for b in blocks if b["block_type"] != "table")
    assert all(b["token_estimate"] > 0 and b["page_start"] is None for b in blocks)
    [(key, event)] = pipeline.events_for(doc["id"])
    assert key == routing.DOCUMENT_CONVERTED.routing_key
    assert event["block_count"] == len(blocks)


async def test_plain_text_becomes_ready(pipeline: Pipeline) -> None:
    # Two "- " lines would read as a Markdown list; bullets are plain text's own list marker.
    text = "Dear reader,\r\nthis is plain.\r\n\r\nItems:\r\n• one\r\n• two\r\n\r\nBye.\r\n"
    doc = await pipeline.ingest_and_wait("letter.txt", text.encode())
    assert (doc["status"], doc["source_format"], doc["conversion_path"]) == (
        "ready",
        "txt",
        "plaintext",
    )
    blocks = await pipeline.blocks(doc["id"])
    assert [(b["block_type"], b["text"]) for b in blocks] == [
        ("paragraph", "Dear reader, this is plain."),
        ("paragraph", "Items:"),
        ("list_item", "one"),
        ("list_item", "two"),
        ("paragraph", "Bye."),
    ]


@pytest.mark.parametrize(
    ("filename", "data", "kwargs", "code", "message"),
    [
        (
            "x.pdf",
            b"\x7fELF\x02\x01\x01\x00" + bytes(64),
            {},
            "unsupported_format",
            "detected an ELF executable from the file's bytes; "
            "this deployment converts md, txt, csv, html, pdf, docx, pptx, xlsx",
        ),
        ("x.md", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", {}, "corrupt_file", None),
        ("empty.txt", b"", {}, "empty_file", "The file is empty (0 bytes)."),
        ("a.txt", b"hello", {"sha256": "0" * 64}, "checksum_mismatch", None),
        ("gone.txt", b"hello", {"blob": False}, "blob_missing", None),
        ("rule.md", b"---\n\n***\n", {}, "no_content", None),
    ],
)
async def test_a_failed_document_then_a_normal_one(
    pipeline: Pipeline,
    filename: str,
    data: bytes,
    kwargs: dict[str, Any],
    code: str,
    message: str | None,
) -> None:
    doc_id = await pipeline.add_document(filename, data, **kwargs)
    await pipeline.receive(doc_id)
    doc = await pipeline.settled(doc_id)
    assert (doc["status"], doc["error_code"]) == ("failed", code)
    assert doc["error_message"]
    if message is not None:
        assert doc["error_message"] == message
    assert await pipeline.blocks(doc_id) == []
    [(key, event)] = pipeline.events_for(doc_id)
    assert (key, event["error_code"], event["error_message"]) == (
        routing.DOCUMENT_FAILED.routing_key,
        code,
        doc["error_message"],
    )
    # The services carry on: the next document converts.
    after = await pipeline.ingest_and_wait("next.md", b"# Next\n\nfine\n")
    assert after["status"] == "ready"


async def test_a_duplicate_conversion_request_changes_nothing(pipeline: Pipeline) -> None:
    doc = await pipeline.ingest_and_wait("guide.md", MARKDOWN)
    before = [dict(b) for b in await pipeline.blocks(doc["id"])]
    await pipeline.publish(
        ConversionRequested(document_id=doc["id"], source_format="md"),
    )
    # Conversion consumes in order (one in flight): once a later document is ready, the
    # duplicate has been handled.
    assert (await pipeline.ingest_and_wait("later.txt", b"later\n"))["status"] == "ready"
    again = await pipeline.conn.fetchrow("SELECT * FROM documents WHERE id = $1", doc["id"])
    assert (again["status"], again["block_count"], again["updated_at"]) == (
        "ready",
        len(before),
        doc["updated_at"],
    )
    assert [dict(b) for b in await pipeline.blocks(doc["id"])] == before
    assert len(pipeline.events_for(doc["id"])) == 1


async def test_a_document_received_twice_is_converted_once(pipeline: Pipeline) -> None:
    doc_id = await pipeline.add_document("twice.md", b"# Twice\n\nonce only\n")
    await pipeline.receive(doc_id)
    await pipeline.receive(doc_id)
    doc = await pipeline.settled(doc_id)
    assert doc["status"] == "ready"
    assert (await pipeline.ingest_and_wait("later.txt", b"later\n"))["status"] == "ready"
    requested = await pipeline.conn.fetchval(
        """SELECT count(*) FROM outbox
           WHERE routing_key = $1 AND payload->>'document_id' = $2""",
        routing.CONVERSION_REQUESTED.routing_key,
        str(doc_id),
    )
    assert requested == 1
    assert len(pipeline.events_for(doc_id)) == 1
    assert [b["text"] for b in await pipeline.blocks(doc_id)] == ["Twice", "once only"]


async def test_a_document_with_thousands_of_blocks(pipeline: Pipeline) -> None:
    sections = [
        f"## Part {s}\n\n" + "".join(f"- item {s}.{i}\n" for i in range(150)) for s in range(20)
    ]
    doc = await pipeline.ingest_and_wait("big.md", ("# Big\n\n" + "\n".join(sections)).encode())
    assert (doc["status"], doc["block_count"]) == ("ready", 1 + 20 * 151)
    rows = await pipeline.conn.fetch(
        "SELECT block_index, text FROM blocks WHERE document_id = $1 ORDER BY block_index",
        doc["id"],
    )
    assert [r["block_index"] for r in rows] == list(range(doc["block_count"]))
    # Numeric order, not text order: block 10 follows block 9.
    assert [r["text"] for r in rows[8:12]] == ["item 0.6", "item 0.7", "item 0.8", "item 0.9"]




@pytest.mark.parametrize(
    ("path", "fmt", "conversion_path"),
    [
        ("docx/word_sample.docx", "docx", "docling"),
        ("pdf/multi_page.pdf", "pdf", "pdf-native"),
        ("xlsx/xlsx_01.xlsx", "xlsx", "docling"),
        ("pptx/powerpoint_sample.pptx", "pptx", "docling"),
        ("html/example_03.html", "html", "docling"),
        ("csv/csv-semicolon.csv", "csv", "csv"),
    ],
)
async def test_corpus_files_through_the_services(
    pipeline: Pipeline, path: str, fmt: str, conversion_path: str
) -> None:
    """Real files from the shared corpus (read in place) through ingest and conversion; the
    filename is deliberately wrong: the bytes decide."""
    doc = await pipeline.ingest_and_wait("upload.bin", (CORPUS / path).read_bytes())
    if fmt == "csv":  # text needs its name to be read as CSV rather than plain text
        doc = await pipeline.ingest_and_wait("upload.csv", (CORPUS / path).read_bytes() + b"\n")
    assert (doc["status"], doc["source_format"], doc["conversion_path"]) == (
        "ready",
        fmt,
        conversion_path,
    )
    blocks = await pipeline.blocks(doc["id"])
    assert doc["block_count"] == len(blocks) > 0
    assert [b["block_index"] for b in blocks] == list(range(len(blocks)))
    if fmt in ("pdf", "pptx", "xlsx"):
        assert all(b["page_start"] is not None for b in blocks)
    if any(b["block_type"] == "heading" for b in blocks):
        assert any(b["section_path"] for b in blocks)
    tables = [b for b in blocks if b["block_type"] == "table"]
    if fmt in ("docx", "xlsx", "pptx", "html", "csv"):
        assert tables and all(json.loads(t["table_cells"])["rows"] for t in tables)
