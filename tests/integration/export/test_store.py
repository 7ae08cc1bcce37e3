"""PgExportStore against real Postgres: rows stream per scope in document and block order, the
project scope picks the latest value per block across runs, and an export commits with its
`export.completed` (carrying the download path) in the outbox."""

import csv
import json
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path
from uuid import UUID, uuid4

import asyncpg
import pytest
from faststream.rabbit import RabbitBroker

from strata.contracts.exports import ExportContent, ExportScope, ExportStatus
from strata.contracts.messages import ExportRequested
from strata.export.exporter import Exporter
from strata.export.store import ExportJob, PgExportStore
from strata.runtime.broker import build_broker, declare_topology
from strata.runtime.db import create_pool
from strata.runtime.outbox import Outbox
from tests.support.blobs import blob_path, local_blobs

pytestmark = pytest.mark.integration

DEFINITION = {
    "properties": {
        "name": {"type": "string"},
        "party": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
}


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, size=4)
    yield pool
    await pool.close()


@pytest.fixture
async def broker(amqp_url: str) -> AsyncIterator[RabbitBroker]:
    broker = build_broker(amqp_url)
    await broker.connect()
    await declare_topology(broker)
    yield broker
    await broker.stop()


class World:
    """Account, project, one schema, documents with blocks, runs with overlays — by SQL."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.account, self.project, self.schema = uuid4(), uuid4(), uuid4()

    async def setup(self) -> None:
        await self.pool.execute("INSERT INTO accounts (id, name) VALUES ($1, 'a')", self.account)
        await self.pool.execute(
            "INSERT INTO projects (id, account_id, name) VALUES ($1, $2, 'p')",
            self.project,
            self.account,
        )
        await self.pool.execute(
            "INSERT INTO schemas (id, account_id, project_id, name, version, definition,"
            " prompt_config) VALUES ($1, $2, $3, 'facts', 1, $4, '{}')",
            self.schema,
            self.account,
            self.project,
            DEFINITION,
        )

    async def document(self, filename: str, blocks: int) -> UUID:
        doc = uuid4()
        await self.pool.execute(
            "INSERT INTO documents (id, account_id, project_id, filename, byte_size, sha256,"
            " blob_key, status, block_count) VALUES ($1, $2, $3, $4, 1, $5, 'k', 'ready', $6)",
            doc,
            self.account,
            self.project,
            filename,
            uuid4().hex,
            blocks,
        )
        await self.pool.executemany(
            "INSERT INTO blocks (document_id, block_index, block_type, text, section_path,"
            " page_start) VALUES ($1, $2, 'paragraph', $3, '{S}', 1)",
            [(doc, i, f"{filename} block {i}") for i in range(blocks)],
        )
        return doc

    async def run(self, documents: list[UUID], overlays: dict[tuple[UUID, int], dict]) -> UUID:
        run = uuid4()
        await self.pool.execute(
            "INSERT INTO runs (id, account_id, project_id, schema_id, status, policy)"
            " VALUES ($1, $2, $3, $4, 'complete', '{\"model\": \"m\"}')",
            run,
            self.account,
            self.project,
            self.schema,
        )
        await self.pool.executemany(
            "INSERT INTO run_documents (run_id, document_id) VALUES ($1, $2)",
            [(run, d) for d in documents],
        )
        rows = [
            (
                run,
                doc,
                index,
                o.get("review", "unreviewed"),
                o.get("staged"),
                o.get("confirmed"),
                o.get("flags", []),
            )
            for (doc, index), o in overlays.items()
        ]
        await self.pool.executemany(
            "INSERT INTO overlays (run_id, document_id, block_index, status, review_status,"
            " staged, confirmed, flags) VALUES ($1, $2, $3, 'ai_complete', $4, $5, $6, $7)",
            rows,
        )
        return run

    def job(
        self,
        *,
        run: UUID | None,
        scope: str,
        content: str = "confirmed",
        document: UUID | None = None,
        fmt: str = "jsonl",
    ) -> ExportJob:
        return ExportJob(
            id=uuid4(),
            account_id=self.account,
            project_id=self.project,
            run_id=run,
            document_id=document,
            schema_id=self.schema,
            scope=scope,
            content=content,
            format=fmt,
        )


async def _rows(store: PgExportStore, job: ExportJob, runs: list[UUID]) -> list[dict]:
    """The rows as Python values: the store gives ids as text and values as JSON text."""
    out = []
    async with aclosing(store.rows(job, runs)) as batches:
        async for batch in batches:
            assert 0 < len(batch) <= 2  # fetch_rows
            for raw in batch:
                row = dict(raw)
                assert isinstance(row["document_id"], str) and isinstance(row["run_id"], str)
                for key in ("document_id", "run_id"):
                    row[key] = UUID(row[key])
                for key in ("staged", "confirmed"):
                    row[key] = None if row[key] is None else json.loads(row[key])
                out.append(row)
    return out


async def test_rows_per_scope(pool: asyncpg.Pool, broker: RabbitBroker):
    world = World(pool)
    await world.setup()
    first = await world.document("first.md", 3)
    second = await world.document("second.md", 2)
    staged = {"name": "m", "party": {"city": "x"}}
    old = await world.run(
        [first, second],
        {
            (first, 0): {"review": "confirmed", "staged": staged, "confirmed": {"name": "old"}},
            (first, 1): {"review": "confirmed", "staged": staged, "confirmed": {"name": "kept"}},
            (first, 2): {"staged": staged},
            (second, 0): {"staged": staged},
            (second, 1): {"staged": staged},
        },
    )
    new = await world.run(
        [first],
        {
            (first, 0): {"review": "edited", "staged": staged, "confirmed": {"name": "new"}},
            (first, 1): {"review": "rejected", "staged": staged, "flags": ["enum_mismatch"]},
            (first, 2): {"staged": {"name": "newer staged"}},
        },
    )
    store = PgExportStore(outbox=Outbox(pool, broker, producer="export"), fetch_rows=2)

    run_rows = await _rows(store, world.job(run=old, scope=ExportScope.RUN), [old])
    assert [(r["document_id"], r["block_index"]) for r in run_rows] == [
        (first, 0),
        (first, 1),
        (first, 2),
        (second, 0),
        (second, 1),
    ]
    assert run_rows[3]["filename"] == "second.md" and run_rows[0]["section_path"] == ["S"]
    assert run_rows[0]["confirmed"] == {"name": "old"} and run_rows[0]["flags"] == []

    doc_job = world.job(run=old, scope=ExportScope.DOCUMENT, document=second)
    assert [r["block_index"] for r in await _rows(store, doc_job, [old])] == [0, 1]

    preview = await world.run([first], {(first, 0): {"staged": {"name": "a preview"}}})
    await pool.execute("UPDATE runs SET kind = 'preview' WHERE id = $1", preview)
    project = world.job(run=None, scope=ExportScope.PROJECT, content=ExportContent.CONFIRMED)
    runs = await store.runs_of(project)
    assert runs == [old, new]  # a preview is a trial of the schema, not the project's data
    picked = {(r["document_id"], r["block_index"]): r for r in await _rows(store, project, runs)}
    assert list(picked) == [(first, 0), (first, 1), (first, 2), (second, 0), (second, 1)]
    assert (picked[first, 0]["run_id"], picked[first, 0]["confirmed"]) == (new, {"name": "new"})
    # Rejected in the newer run: the latest *confirmed* value is the older run's.
    assert (picked[first, 1]["run_id"], picked[first, 1]["confirmed"]) == (old, {"name": "kept"})
    assert picked[first, 2]["run_id"] == new  # nothing confirmed anywhere: the latest run

    staged_job = world.job(run=None, scope=ExportScope.PROJECT, content=ExportContent.STAGED)
    rows = await _rows(store, staged_job, runs)
    assert rows[2]["staged"] == {"name": "newer staged"} and rows[2]["run_id"] == new

    merged_job = world.job(run=None, scope=ExportScope.PROJECT, content=ExportContent.MERGED)
    merged = await _rows(store, merged_job, runs)
    assert [r["run_id"] for r in merged[:3]] == [new, old, new]

    meta = await store.run_metadata([old])
    assert meta["policy"] == {"model": "m"} and meta["usage.calls"] == 0


async def test_an_export_through_the_pg_store_commits_with_its_message(
    pool: asyncpg.Pool, broker: RabbitBroker, tmp_path: Path
):
    world = World(pool)
    await world.setup()
    doc = await world.document("=x.md", 2)
    run = await world.run(
        [doc],
        {
            (doc, 0): {
                "review": "confirmed",
                "staged": {"name": "a"},
                "confirmed": {"name": "=1+1"},
            },
            (doc, 1): {"staged": {"name": "b"}},
        },
    )
    export_id = uuid4()
    await pool.execute(
        "INSERT INTO exports (id, account_id, project_id, run_id, scope, content, format)"
        " VALUES ($1, $2, $3, $4, 'run', 'confirmed', 'csv')",
        export_id,
        world.account,
        world.project,
        run,
    )
    store = PgExportStore(outbox=Outbox(pool, broker, producer="export"), fetch_rows=10)
    blobs = local_blobs(tmp_path)
    await Exporter(store=store, blobs=blobs).export(ExportRequested(export_id=export_id))

    row = await pool.fetchrow("SELECT * FROM exports WHERE id = $1", export_id)
    assert (row["status"], row["row_count"]) == (ExportStatus.READY, 2)
    with blob_path(blobs, row["blob_key"]).open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["name"] for r in rows] == ["'=1+1", ""]
    assert rows[0]["filename"] == "'=x.md" and rows[0]["party.city"] == ""
    payload = await pool.fetchval(
        "SELECT payload FROM outbox WHERE routing_key = 'export.completed'"
    )
    message = payload if isinstance(payload, dict) else json.loads(payload)
    assert message["download_path"] == f"/v1/exports/{export_id}/download"
    assert message["project_id"] == str(world.project) and message["run_id"] == str(run)
