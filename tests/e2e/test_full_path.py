"""upload → ready → schema → run → complete → export, every hop a real process and message."""

import json

import asyncpg
import pytest

from strata.client import StrataClient, wait_for
from tests.support import infra

pytestmark = pytest.mark.e2e


def _wait_ready(client: StrataClient, doc: dict) -> dict:
    return client.converted(doc["id"])


def test_documents_flow_to_a_complete_run_and_an_exact_export(stack, client, examples, tmp_path):
    project = client.create_project("e2e full path")
    docs = [
        _wait_ready(client, client.upload(project["id"], p))
        for p in sorted((examples / "documents").iterdir())
    ]
    assert all(d["status"] == "ready" and d["block_count"] > 0 for d in docs), docs

    blocks = {d["id"]: list(client.blocks(d["id"], page_size=7)) for d in docs}
    for doc in docs:
        indexes = [b["block_index"] for b in blocks[doc["id"]]]
        assert indexes == list(range(doc["block_count"]))  # numeric order, paged
    assert any(b["section_path"] for bs in blocks.values() for b in bs)
    assert any(b["block_type"] == "table" and b["table"] for bs in blocks.values() for b in bs)

    schema = client.create_schema(project["id"], json.loads((examples / "schema.json").read_text()))
    run = client.create_run({"schema_id": schema["id"], "document_ids": [d["id"] for d in docs]})
    total = sum(d["block_count"] for d in docs)
    assert run["total_blocks"] == total
    assert run["policy"]["model"]

    run = wait_for(
        lambda: client.run(run["id"]),
        lambda r: r["status"] == "complete",
        timeout_s=120,
        what="run complete",
    )
    assert run["completed_blocks"] == total and run["failed_blocks"] == 0

    counts = infra.run(_overlay_counts(stack.database_url, run["id"]))
    assert (run["completed_blocks"], run["failed_blocks"]) == (
        counts["ai_complete"],
        counts["failed"],
    )
    assert counts["calls"] >= 1 and counts["calls"] < total  # packs, not one call per block

    overlays = list(client.overlays(run["id"], page_size=5))
    assert len(overlays) == total and all(o["staged"] is not None for o in overlays)

    export = client.request_export(run["id"], content="staged")
    export = wait_for(
        lambda: client.export(export["id"]),
        lambda e: e["status"] != "pending",
        timeout_s=60,
        what="export",
    )
    assert export["status"] == "ready" and export["row_count"] == total
    lines = client.download_export(export["id"], tmp_path / "run.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == total
    assert len({r["block_uid"] for r in rows}) == total
    by_doc: dict[str, list[int]] = {}
    for row in rows:
        by_doc.setdefault(row["document_id"], []).append(row["block_index"])
        assert row["block_uid"] == f"{row['document_id']}:{row['block_index']}"
        assert row["status"] == "ai_complete" and isinstance(row["values"], dict)
        assert row["value_source"] == "staged"
        assert set(row) >= {"block_type", "section_path", "review_status", "flags", "filename"}
    assert all(ix == sorted(ix) for ix in by_doc.values())


async def _overlay_counts(dsn: str, run_id: str) -> dict:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT count(*) FILTER (WHERE status = 'ai_complete') AS ai_complete,"
            " count(*) FILTER (WHERE status = 'failed') AS failed,"
            " (SELECT count(*) FROM llm_calls WHERE run_id = $1) AS calls"
            " FROM overlays WHERE run_id = $1",
            run_id,
        )
        return dict(row)
    finally:
        await conn.close()
