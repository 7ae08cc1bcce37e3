"""Exports over the real services: a finished run exported in every format at run, document and
project scope, each file read back with a real reader (json, csv, openpyxl).

Review actions belong to the review half of the product; here the reviewed state is written to
the overlays directly, exactly as those actions leave it (confirmed/edited with values,
rejected without), so the exports have every review state to show.
"""

import csv
import json

import asyncpg
import openpyxl
import pytest

from strata.client import StrataClient, wait_for
from tests.support import infra

pytestmark = pytest.mark.e2e

FORMULA = '=HYPERLINK("http://evil.example","x")'


async def _review(dsn: str, run_id: str) -> dict[str, str]:
    """Confirm the first block of every document, edit one (with a formula-looking value),
    reject one; flag one. Returns block_uid → what was done."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT document_id, block_index FROM overlays WHERE run_id = $1"
            " ORDER BY document_id, block_index",
            run_id,
        )
        done: dict[str, str] = {}
        firsts = [r for r in rows if r["block_index"] == 0]
        for r in firsts:
            await conn.execute(
                "UPDATE overlays SET review_status = 'confirmed', confirmed = staged"
                " WHERE run_id = $1 AND document_id = $2 AND block_index = 0",
                run_id,
                r["document_id"],
            )
            done[f"{r['document_id']}:0"] = "confirmed"
        edited, rejected = rows[1], rows[2]
        await conn.execute(
            "UPDATE overlays SET review_status = 'edited', flags = '{number_not_in_text}',"
            " confirmed = staged || jsonb_build_object('summary', $4::text, 'amount', -12.5)"
            " WHERE run_id = $1 AND document_id = $2 AND block_index = $3",
            run_id,
            edited["document_id"],
            edited["block_index"],
            FORMULA,
        )
        done[f"{edited['document_id']}:{edited['block_index']}"] = "edited"
        await conn.execute(
            "UPDATE overlays SET review_status = 'rejected', confirmed = NULL"
            " WHERE run_id = $1 AND document_id = $2 AND block_index = $3",
            run_id,
            rejected["document_id"],
            rejected["block_index"],
        )
        done[f"{rejected['document_id']}:{rejected['block_index']}"] = "rejected"
        return done
    finally:
        await conn.close()


def _finished_run(client: StrataClient, schema_id: str, document_ids: list[str]) -> dict:
    run = client.create_run({"schema_id": schema_id, "document_ids": document_ids})
    return wait_for(
        lambda: client.run(run["id"]),
        lambda r: r["status"] == "complete",
        timeout_s=120,
        what="run complete",
    )


def test_every_format_and_scope_read_back(stack, client, examples, tmp_path):
    project = client.create_project("exports e2e")
    docs = [
        client.converted(client.upload(project["id"], p)["id"])
        for p in sorted((examples / "documents").iterdir())
    ]
    schema = client.create_schema(project["id"], json.loads((examples / "schema.json").read_text()))
    ids = [d["id"] for d in docs]
    run = _finished_run(client, schema["id"], ids)
    total = run["total_blocks"]
    reviewed = infra.run(_review(stack.database_url, run["id"]))

    # JSONL, confirmed (the default): every block, values only where a person confirmed.
    export = client.request_export(run["id"], "jsonl")
    rows = [
        json.loads(x)
        for x in client.export_to(export["id"], tmp_path / "r.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
    ]
    assert len(rows) == total == client.export(export["id"])["row_count"]
    with_values = {r["block_uid"]: r["value_source"] for r in rows if r["values"] is not None}
    assert with_values == {uid: "confirmed" for uid, what in reviewed.items() if what != "rejected"}
    for row in rows:
        assert row["block_uid"] == f"{row['document_id']}:{row['block_index']}"
        assert row["run_id"] == run["id"] and row["filename"] in {d["filename"] for d in docs}

    # CSV, merged: staged where nothing is confirmed, never for the rejected block; neutralised.
    export = client.request_export(run["id"], "csv", content="merged")
    path = client.export_to(export["id"], tmp_path / "r.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == total
    assert list(table[0])[:3] == ["block_uid", "document_id", "filename"]
    assert {"summary", "amount", "deadline", "category", "value_source"} <= set(table[0])
    by_uid = {r["block_uid"]: r for r in table}
    for uid, what in reviewed.items():
        expected = {"confirmed": "confirmed", "edited": "confirmed", "rejected": ""}[what]
        assert by_uid[uid]["value_source"] == expected
    edited = next(by_uid[u] for u, w in reviewed.items() if w == "edited")
    assert edited["summary"] == "'" + FORMULA and edited["amount"] == "-12.5"
    assert edited["flags"] == "number_not_in_text" and edited["review_status"] == "edited"
    assert sum(r["value_source"] == "staged" for r in table) == total - len(reviewed)

    # XLSX, staged: typed cells, no formula anywhere, a metadata sheet with the counters.
    export = client.request_export(run["id"], "xlsx", content="staged")
    book = openpyxl.load_workbook(client.export_to(export["id"], tmp_path / "r.xlsx"))
    assert book.sheetnames == ["rows", "metadata"]
    sheet = list(book["rows"].iter_rows(values_only=True))
    header, data = sheet[0], sheet[1:]
    assert len(data) == total
    deadline = header.index("deadline")
    assert all(isinstance(r[deadline], bool) for r in data)
    assert all(
        cell.data_type != "f" for ws in book.worksheets for row in ws.iter_rows() for cell in row
    )
    meta = dict(book["metadata"].iter_rows(min_row=2, values_only=True))
    assert meta["schema.version"] == 1 and json.loads(meta["policy"])["model"]
    assert meta["usage.calls"] >= 1 and meta["usage.cost_usd"] >= 0
    assert (meta["review.confirmed"], meta["review.edited"], meta["review.rejected"]) == (
        len(docs),
        1,
        1,
    )

    # Markdown of one document: its blocks in order, headings kept, values beside them.
    doc = docs[0]
    export = client.request_export(run["id"], "md", content="merged", document_id=doc["id"])
    text = client.export_to(export["id"], tmp_path / "d.md").read_text(encoding="utf-8")
    assert export["scope"] == "document"
    assert text.count(f"<!-- document {doc['id']} -->") == 1 and "<!-- document" in text
    assert text.count("`" + doc["id"] + ":") == doc["block_count"]
    assert "###" in text and "**confirmed**" in text and "**staged (unreviewed)**" in text

    # Project scope: a second run of the same schema confirms block 0 of the first document
    # again; the project export takes that newer value and says which run it came from.
    second = _finished_run(client, schema["id"], [doc["id"]])
    infra.run(_confirm_first(stack.database_url, second["id"], doc["id"]))
    export = client.request_project_export(project["id"], schema["id"], "csv")
    path = client.export_to(export["id"], tmp_path / "p.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        project_rows = {r["block_uid"]: r for r in csv.DictReader(fh)}
    assert len(project_rows) == total
    assert project_rows[f"{doc['id']}:0"]["run_id"] == second["id"]
    other_doc = docs[1]["id"]
    assert project_rows[f"{other_doc}:0"]["run_id"] == run["id"]
    listed = [e["id"] for e in client.exports(project_id=project["id"], page_size=2)]
    assert listed[0] == export["id"] and len(listed) == 5

    # Download headers, and delete removes the file.
    response = client._http.get(f"/v1/exports/{export['id']}/download")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    client.delete_export(export["id"])
    assert export["id"] not in [e["id"] for e in client.exports(project_id=project["id"])]
    assert not list((stack.blob_root / "exports").glob(f"{export['id']}*"))


async def _confirm_first(dsn: str, run_id: str, document_id: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "UPDATE overlays SET review_status = 'confirmed', confirmed = staged"
            " WHERE run_id = $1 AND document_id = $2 AND block_index = 0",
            run_id,
            document_id,
        )
    finally:
        await conn.close()
