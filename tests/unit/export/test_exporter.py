"""The exporter against the in-memory store and a real local blob store (a temp folder); every
file is read back with a real reader (json, csv, openpyxl)."""

import csv
import json
from pathlib import Path
from uuid import UUID, uuid4

import openpyxl
import pytest

from strata.contracts import routing
from strata.contracts.exports import ExportContent, ExportFormat, ExportStatus
from strata.contracts.messages import ExportRequested
from strata.export.exporter import Exporter, ExportSourceGoneError
from strata.export.store import SchemaInfo
from strata.export.writers.xlsx import XlsxWriter
from strata.runtime.blobs import ObjectBlobStore
from tests.support.blobs import blob_path, local_blobs
from tests.unit.export.memory_store import MemoryExportStore

SCHEMA = SchemaInfo(
    id=uuid4(),
    name="facts",
    version=2,
    definition={
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "party": {"type": "object", "properties": {"city": {"type": "string"}}},
            "amount": {"type": ["number", "null"]},
            "paid": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
    },
)
EVIL = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


def _row(
    run_id: UUID,
    document_id: UUID,
    index: int,
    *,
    review="unreviewed",
    staged=None,
    confirmed=None,
    filename="a.md",
    flags=(),
) -> dict:
    return {
        "run_id": str(run_id),
        "document_id": str(document_id),
        "filename": filename,
        "block_index": index,
        "block_type": "paragraph",
        "section_path": ["Intro"],
        "page_start": 1,
        "page_end": 1,
        "text": f"text {index}",
        "status": "ai_complete",
        "review_status": review,
        "flags": list(flags),
        "staged": None if staged is None else json.dumps(staged),
        "confirmed": None if confirmed is None else json.dumps(confirmed),
    }


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Exporter, MemoryExportStore, ObjectBlobStore]:
    store, blobs = MemoryExportStore(), local_blobs(tmp_path)
    return Exporter(store=store, blobs=blobs), store, blobs


def _reviewed_run(store: MemoryExportStore) -> tuple[UUID, UUID, UUID]:
    run_id, first, second = uuid4(), uuid4(), uuid4()
    staged = {
        "name": "model",
        "party": {"city": "Lyon"},
        "amount": 1.5,
        "paid": True,
        "tags": ["a", "b"],
    }
    store.rows_by_run[run_id] = [
        _row(run_id, first, 0, staged=staged),
        _row(
            run_id,
            first,
            1,
            review="confirmed",
            staged=staged,
            confirmed=staged | {"name": "person"},
            flags=["number_not_in_text"],
        ),
        _row(run_id, first, 2, review="rejected", staged=staged),
        _row(
            run_id,
            second,
            0,
            review="edited",
            staged=staged,
            confirmed={
                "name": EVIL[0],
                "party": {"city": EVIL[1]},
                "amount": -7,
                "paid": False,
                "tags": EVIL[2:],
            },
            filename="=evil.md",
        ),
    ]
    return run_id, first, second


async def _export(exporter, store, blobs, run_id, fmt, content, document_id=None) -> Path:
    export_id = store.add_export(
        run_id=run_id, schema=SCHEMA, fmt=fmt, content=content, document_id=document_id
    )
    await exporter.export(ExportRequested(export_id=export_id))
    assert store.status[export_id] is ExportStatus.READY
    blob_key, _, _ = store.finished[export_id]
    assert blob_key == f"exports/{export_id}.{fmt.value}"
    return blob_path(blobs, blob_key)


async def test_jsonl_rows_in_order_with_provenance_and_confirmed_values_only(setup):
    exporter, store, blobs = setup
    run_id, first, second = _reviewed_run(store)
    path = await _export(
        exporter, store, blobs, run_id, ExportFormat.JSONL, ExportContent.CONFIRMED
    )
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["block_uid"] for r in rows] == [
        f"{first}:0",
        f"{first}:1",
        f"{first}:2",
        f"{second}:0",
    ]
    assert [r["value_source"] for r in rows] == [None, "confirmed", None, "confirmed"]
    assert rows[1]["values"]["name"] == "person" and rows[2]["values"] is None
    assert rows[1]["flags"] == ["number_not_in_text"] and rows[3]["filename"] == "=evil.md"
    assert set(rows[0]) >= {
        "document_id",
        "page_start",
        "section_path",
        "block_type",
        "review_status",
        "run_id",
        "text",
    }
    (completed,) = store.emitted
    assert completed.route == routing.EXPORT_COMPLETED and completed.row_count == 4
    assert completed.download_path == f"/v1/exports/{completed.export_id}/download"
    assert store.open_streams == 0


async def test_csv_flattens_neutralises_and_merges(setup):
    exporter, store, blobs = setup
    run_id, _, _ = _reviewed_run(store)
    path = await _export(exporter, store, blobs, run_id, ExportFormat.CSV, ExportContent.MERGED)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:10] == [
        "block_uid",
        "document_id",
        "filename",
        "page",
        "section_path",
        "block_type",
        "review_status",
        "flags",
        "run_id",
        "value_source",
    ]
    assert list(rows[0])[10:] == ["name", "party.city", "amount", "paid", "tags"]
    assert [r["value_source"] for r in rows] == ["staged", "confirmed", "", "confirmed"]
    assert rows[0]["party.city"] == "Lyon" and json.loads(rows[0]["tags"]) == ["a", "b"]
    assert rows[2]["name"] == ""  # rejected: no staged values offered in place of confirmed ones
    evil = rows[3]
    assert evil["filename"] == "'=evil.md"
    assert evil["name"] == "'" + EVIL[0] and evil["party.city"] == "'" + EVIL[1]
    assert evil["amount"] == "-7"  # a number, not a formula
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")) or value == "-7"


async def test_xlsx_typed_cells_neutralised_strings_and_metadata(setup):
    exporter, store, blobs = setup
    run_id, first, _ = _reviewed_run(store)
    path = await _export(exporter, store, blobs, run_id, ExportFormat.XLSX, ExportContent.STAGED)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["rows", "metadata"]
    rows = list(book["rows"].iter_rows(values_only=True))
    header, data = rows[0], rows[1:]
    assert header[10:] == ("name", "party.city", "amount", "paid", "tags")
    assert len(data) == 4
    first_row = dict(zip(header, data[0], strict=True))
    assert first_row["block_uid"] == f"{first}:0" and first_row["page"] == 1
    assert first_row["amount"] == 1.5 and first_row["paid"] is True
    assert first_row["value_source"] == "staged"
    assert dict(zip(header, data[3], strict=True))["filename"] == "'=evil.md"
    for row in data:
        for cell in row:
            assert not (isinstance(cell, str) and cell.startswith(tuple("=+-@\t\r")))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)  # no formula anywhere
    meta = {k: v for k, v in book["metadata"].iter_rows(min_row=2, values_only=True)}
    assert meta["schema.version"] == 2 and meta["content"] == "staged"
    assert json.loads(meta["policy"]) == {"model": "claude-test"}
    assert meta["usage.cost_usd"] == 0.25
    assert (
        meta["review.unreviewed"],
        meta["review.confirmed"],
        meta["review.edited"],
        meta["review.rejected"],
        meta["review.flagged"],
    ) == (1, 1, 1, 1, 1)


def test_xlsx_starts_a_new_sheet_with_a_header_when_one_is_full(tmp_path: Path):
    path = tmp_path / "x.xlsx"
    writer = XlsxWriter(path, columns=[], max_sheet_rows=3)  # header + 2 rows per sheet
    run_id, doc = uuid4(), uuid4()
    for i in range(5):
        writer.write(_row(run_id, doc, i), None, None)  # header + 2 rows per sheet
    writer.finish([("rows", 5)])
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["rows", "rows 2", "rows 3", "metadata"]
    uids = []
    for name in book.sheetnames[:3]:
        rows = list(book[name].iter_rows(values_only=True))
        assert rows[0][0] == "block_uid"
        uids += [r[0] for r in rows[1:]]
    assert uids == [f"{doc}:{i}" for i in range(5)]


async def test_markdown_and_document_scope(setup):
    exporter, store, blobs = setup
    run_id, first, _ = _reviewed_run(store)
    path = await _export(
        exporter, store, blobs, run_id, ExportFormat.MD, ExportContent.MERGED, document_id=first
    )
    text = path.read_text(encoding="utf-8")
    assert "text 0" in text and "text 2" in text and "=evil" not in text
    assert "**staged (unreviewed)**" in text and "**confirmed**" in text and "**rejected**" in text
    assert store.emitted[-1].row_count == 3


async def test_a_duplicate_request_does_nothing(setup):
    exporter, store, blobs = setup
    run_id, _, _ = _reviewed_run(store)
    path = await _export(exporter, store, blobs, run_id, ExportFormat.JSONL, ExportContent.STAGED)
    written = path.read_bytes()
    store.rows_by_run[run_id].append(_row(run_id, uuid4(), 0))
    await exporter.export(ExportRequested(export_id=store.emitted[0].export_id))  # redelivery
    assert path.read_bytes() == written and len(store.emitted) == 1


async def test_an_export_deleted_while_built_leaves_no_file(setup, monkeypatch):
    exporter, store, blobs = setup
    run_id, _, _ = _reviewed_run(store)
    export_id = store.add_export(run_id=run_id, schema=SCHEMA, fmt=ExportFormat.CSV)
    rows = store.rows

    async def rows_then_delete(job, runs):
        async for row in rows(job, runs):
            yield row
        store.forget(export_id)  # DELETE /v1/exports/{id} while the file was written

    monkeypatch.setattr(store, "rows", rows_then_delete)
    await exporter.export(ExportRequested(export_id=export_id))
    assert store.emitted == [] and list(blob_path(blobs, "exports").iterdir()) == []


async def test_unknown_export_and_gone_schema(setup):
    exporter, store, blobs = setup
    await exporter.export(ExportRequested(export_id=uuid4()))
    assert store.emitted == [] and not blob_path(blobs, "exports").exists()
    export_id = store.add_export(run_id=uuid4(), schema=SCHEMA)
    store.schemas.clear()
    with pytest.raises(ExportSourceGoneError):
        await exporter.export(ExportRequested(export_id=export_id))
    await exporter.give_up(ExportRequested(export_id=export_id), "export_source_gone", "gone")
    assert store.status[export_id] is ExportStatus.FAILED
    assert store.emitted[-1].status is ExportStatus.FAILED
