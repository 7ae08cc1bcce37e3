"""The exporter against the in-memory store and a real local blob store (a temp folder)."""

import json
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from strata.contracts import routing
from strata.contracts.blocks import make_block_uid
from strata.contracts.exports import ExportStatus
from strata.contracts.messages import ExportRequested
from strata.export.exporter import Exporter
from strata.runtime.blobs import LocalBlobStore
from tests.unit.export.memory_store import MemoryExportStore


def _row(document_id: UUID, block_index: int, text: str) -> dict:
    return {
        "document_id": document_id,
        "block_index": block_index,
        "block_type": "paragraph",
        "section_path": ["Intro"],
        "page_start": 1,
        "page_end": 1,
        "text": text,
        "status": "ai_complete",
        "review_status": "unreviewed",
        "staged": {"name": text.upper()},
        "confirmed": None,
    }


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Exporter, MemoryExportStore, LocalBlobStore]:
    store, blobs = MemoryExportStore(), LocalBlobStore(tmp_path)
    return Exporter(store=store, blobs=blobs), store, blobs


def _request(store: MemoryExportStore, export_id: UUID) -> ExportRequested:
    return ExportRequested(export_id=export_id, run_id=store.exports[export_id].run_id)


async def test_one_jsonl_line_per_block_in_order_then_ready(setup) -> None:
    exporter, store, blobs = setup
    run_id, first, second = uuid4(), uuid4(), uuid4()
    store.rows[run_id] = [_row(first, 0, "a"), _row(first, 1, "ü b"), _row(second, 0, "c")]
    export_id = store.add_export(run_id)

    await exporter.export(_request(store, export_id))

    done = store.exports[export_id]
    assert (done.status, done.blob_key, done.row_count) == (
        ExportStatus.READY,
        f"exports/{export_id}.jsonl",
        3,
    )
    lines = blobs.path(done.blob_key).read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["block_uid"] for r in records] == [
        make_block_uid(first, 0),
        make_block_uid(first, 1),
        make_block_uid(second, 0),
    ]
    assert records[1]["text"] == "ü b" and records[1]["staged"] == {"name": "Ü B"}
    (completed,) = store.emitted
    assert completed.route == routing.EXPORT_COMPLETED
    assert (completed.export_id, completed.run_id, completed.row_count) == (export_id, run_id, 3)
    assert store.open_streams == 0
    assert [p.name for p in blobs.path("exports").iterdir()] == [f"{export_id}.jsonl"]


async def test_a_duplicate_request_does_nothing(setup) -> None:
    exporter, store, blobs = setup
    run_id = uuid4()
    store.rows[run_id] = [_row(uuid4(), 0, "a")]
    export_id = store.add_export(run_id)
    await exporter.export(_request(store, export_id))
    written = blobs.path(f"exports/{export_id}.jsonl").read_bytes()

    store.rows[run_id].append(_row(uuid4(), 0, "added later"))
    await exporter.export(_request(store, export_id))  # a redelivery

    assert blobs.path(f"exports/{export_id}.jsonl").read_bytes() == written
    assert len(store.emitted) == 1 and store.exports[export_id].row_count == 1


async def test_an_unknown_export_does_nothing(setup) -> None:
    exporter, store, blobs = setup
    await exporter.export(ExportRequested(export_id=uuid4(), run_id=uuid4()))
    assert store.emitted == [] and not blobs.path("exports").exists()


async def test_a_run_without_rows_gives_an_empty_ready_file(setup) -> None:
    exporter, store, blobs = setup
    export_id = store.add_export(uuid4())
    await exporter.export(_request(store, export_id))
    assert store.exports[export_id].row_count == 0
    assert blobs.path(f"exports/{export_id}.jsonl").read_bytes() == b""


async def test_a_failure_midway_leaves_no_file_and_the_export_pending(setup) -> None:
    exporter, store, blobs = setup
    run_id = uuid4()
    store.rows[run_id] = [_row(uuid4(), 0, "a"), {"broken": True}]
    export_id = store.add_export(run_id)
    with pytest.raises(KeyError):
        await exporter.export(_request(store, export_id))
    assert store.exports[export_id].status is ExportStatus.PENDING and store.emitted == []
    assert list(blobs.path("exports").iterdir()) == []  # neither the file nor its temp part
    assert store.open_streams == 0  # the stream was closed, not left to the garbage collector
