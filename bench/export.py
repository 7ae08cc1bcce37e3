"""`make bench-export`: a run of N settled overlays (default 1,000,000) built in the real tables
with a nested schema, exported once in each format by the real `strata-export` process, which
consumes `export.requested` from the broker like in production.

Rows per second per format are measured from the export row's `created_at` (set in the same
transaction that emits `export.requested`) to its `completed_at` (set when the file is in place):
the whole path, queue hop included. Peak RSS is the export process's own high-water mark
(`VmHWM` in /proc), over its whole life and all four exports.

Last line: rows=<n> jsonl_rows_per_s=<n> csv_rows_per_s=<n> xlsx_rows_per_s=<n> md_rows_per_s=<n>
peak_rss_mb=<n>
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aio_pika
from harness import ROOT, infra, log

from strata.contracts.messages import ExportRequested
from strata.runtime.broker import build_broker, consumer_queue, declare_topology
from strata.runtime.db import create_pool
from strata.runtime.outbox import Outbox

SCHEMA = {
    "type": "object",
    "properties": {
        "invoice_number": {"type": "string"},
        "supplier": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "vat_id": {"type": ["string", "null"]},
                "address": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
                },
            },
        },
        "amount": {"type": "number"},
        "currency": {"type": "string", "enum": ["EUR", "USD", "GBP"]},
        "due_in_days": {"type": "integer"},
        "paid": {"type": "boolean"},
        "line_items": {"type": "array", "items": {"type": "object"}},
        "notes": {"type": ["string", "null"]},
    },
    "required": ["invoice_number", "amount"],
}
BLOCKS_PER_DOCUMENT = 10_000
# Staged values computed by Postgres from the block number: every row differs, as in real data.
VALUES = """jsonb_build_object(
    'invoice_number', 'INV-' || g,
    'supplier', jsonb_build_object('name', 'Supplier ' || (g % 97), 'vat_id',
        CASE WHEN g % 5 = 0 THEN NULL ELSE 'FR' || (10000000 + g % 89999) END,
        'address', jsonb_build_object('city', (ARRAY['Lyon','Paris','Köln','Zürich'])[1 + g % 4],
                                      'country', (ARRAY['FR','FR','DE','CH'])[1 + g % 4])),
    'amount', round(((g * 37) % 90000) / 3.0, 2),
    'currency', (ARRAY['EUR','USD','GBP'])[1 + g % 3],
    'due_in_days', 14 + g % 60,
    'paid', g % 2 = 0,
    'line_items', jsonb_build_array(jsonb_build_object('sku', 'A' || (g % 13), 'qty', 1 + g % 4),
                                    jsonb_build_object('sku', 'B' || (g % 7), 'qty', 2)),
    'notes', CASE WHEN g % 11 = 0 THEN '=HYPERLINK("x")' ELSE NULL END)"""


async def build(dsn: str, rows: int) -> dict:
    """Account, project, schema, run and `rows` blocks + settled overlays, by set-based SQL."""
    pool = await create_pool(dsn, size=2)
    ids = {k: uuid.uuid4() for k in ("account", "project", "schema", "run")}
    try:
        await pool.execute("INSERT INTO accounts (id, name) VALUES ($1, 'bench')", ids["account"])
        await pool.execute("INSERT INTO projects (id, account_id, name) VALUES ($1, $2, 'bench')",
                           ids["project"], ids["account"])
        await pool.execute(
            "INSERT INTO schemas (id, account_id, project_id, name, version, definition,"
            " prompt_config) VALUES ($1, $2, $3, 'invoices', 1, $4, '{}')",
            ids["schema"], ids["account"], ids["project"], SCHEMA)
        await pool.execute(
            "INSERT INTO runs (id, account_id, project_id, schema_id, status, policy, total_blocks,"
            " completed_blocks, completed_at) VALUES ($1, $2, $3, $4, 'complete', $5, $6, $6, now())",
            ids["run"], ids["account"], ids["project"], ids["schema"],
            {"model": "claude-sonnet-4-5", "batching": True}, rows)
        start, documents = 0, 0
        while start < rows:
            n = min(BLOCKS_PER_DOCUMENT, rows - start)
            await _document(pool, ids, documents, start, n)
            start, documents = start + n, documents + 1
        await pool.execute("ANALYZE blocks; ANALYZE overlays")
        return {**ids, "documents": documents}
    finally:
        await pool.close()


async def _document(pool, ids: dict, number: int, first: int, n: int) -> None:
    doc = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO documents (id, account_id, project_id, filename, byte_size, sha256,"
            " blob_key, status, block_count) VALUES ($1, $2, $3, $4, 1, $5, 'k', 'ready', $6)",
            doc, ids["account"], ids["project"], f"invoices-{number:03d}.pdf", uuid.uuid4().hex, n)
        await conn.execute(
            "INSERT INTO blocks (document_id, block_index, block_type, text, section_path,"
            " page_start, page_end, token_estimate)"
            " SELECT $1, i, CASE WHEN i % 50 = 0 THEN 'heading' ELSE 'paragraph' END,"
            "  CASE WHEN i % 50 = 0 THEN 'Invoices, batch ' || (i / 50) ELSE"
            "  'Invoice INV-' || ($2 + i) || ' from supplier ' || (($2 + i) % 97) || ' is payable'"
            "  || ' within ' || (14 + ($2 + i) % 60) || ' days; the amount due is '"
            "  || round(((($2 + i) * 37) % 90000) / 3.0, 2) || '.' END,"
            "  ARRAY['Invoices', 'Batch ' || (i / 50)], 1 + i / 40, 1 + i / 40, 30"
            " FROM generate_series(0, $3 - 1) AS i", doc, first, n)
        await conn.execute("INSERT INTO run_documents (run_id, document_id) VALUES ($1, $2)",
                           ids["run"], doc)
        # Review states mixed as a real review leaves them; flags on some blocks.
        await conn.execute(
            "INSERT INTO overlays (run_id, document_id, block_index, status, staged, confirmed,"
            " review_status, flags, attempt_count, settled_at)"
            f" SELECT $1, $2, i, 'ai_complete', v, CASE WHEN g % 4 IN (1, 2) THEN v END,"
            "  (ARRAY['unreviewed','confirmed','edited','rejected'])[1 + g % 4],"
            "  CASE WHEN g % 9 = 0 THEN ARRAY['number_not_in_text'] ELSE '{}' END, 1, now()"
            f" FROM generate_series(0, $3 - 1) AS i, LATERAL (SELECT $4 + i AS g) s,"
            f" LATERAL (SELECT {VALUES} AS v) val",
            ids["run"], doc, n, first)


async def wait_for_consumer(amqp_url: str, timeout_s: float = 60) -> None:
    """Until strata-export consumes its queue, so no measurement includes its start-up."""
    queue_name = consumer_queue(ExportRequested.route).name
    connection = await aio_pika.connect(amqp_url)
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            channel = await connection.channel()
            try:
                queue = await channel.declare_queue(queue_name, passive=True)
                if queue.declaration_result.consumer_count:
                    return
            except aio_pika.exceptions.ChannelClosed:
                pass  # not declared yet
            finally:
                if not channel.is_closed:
                    await channel.close()
            await asyncio.sleep(0.2)
        raise SystemExit("strata-export never started consuming")
    finally:
        await connection.close()


async def _size_then_delete(pool, blobs: Path, export_id: uuid.UUID) -> int:
    """What DELETE /v1/exports/{id} does (a million-row run makes gigabytes of files)."""
    key = await pool.fetchval("DELETE FROM exports WHERE id = $1 RETURNING blob_key", export_id)
    path = blobs / key
    size = path.stat().st_size
    path.unlink()
    return size


async def export_all(
    dsn: str, amqp_url: str, blobs: Path, ids: dict, rows: int
) -> tuple[dict[str, float], dict[str, int]]:
    await wait_for_consumer(amqp_url)
    pool = await create_pool(dsn, size=2)
    broker = build_broker(amqp_url)
    await broker.connect()
    await declare_topology(broker)
    outbox = Outbox(pool, broker, producer="bench")
    speeds: dict[str, float] = {}
    sizes: dict[str, int] = {}
    try:
        for fmt in ("jsonl", "csv", "xlsx", "md"):
            export_id = uuid.uuid4()
            async with outbox.transaction() as uow:  # exactly what the gateway does
                await uow.conn.execute(
                    "INSERT INTO exports (id, account_id, project_id, run_id, scope, content,"
                    " schema_id, format) VALUES ($1, $2, $3, $4, 'run', 'merged', $5, $6)",
                    export_id, ids["account"], ids["project"], ids["run"], ids["schema"], fmt)
                uow.emit(ExportRequested(export_id=export_id))
            while True:
                row = await pool.fetchrow(
                    "SELECT status, row_count, error_message,"
                    " extract(epoch FROM completed_at - created_at)::float8 AS seconds"
                    " FROM exports WHERE id = $1", export_id)
                if row["status"] != "pending":
                    break
                await asyncio.sleep(0.1)
            if row["status"] != "ready" or row["row_count"] != rows:
                raise SystemExit(f"{fmt} export: {dict(row)}")
            speeds[fmt] = rows / row["seconds"]
            log(f"{fmt}: {rows} rows in {row['seconds']:.1f}s = {speeds[fmt]:,.0f} rows/s")
            sizes[fmt] = await _size_then_delete(pool, blobs, export_id)
    finally:
        await broker.stop()
        await pool.close()
    return speeds, sizes


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="overlays in the run")
    args = parser.parse_args()
    template = infra.run(infra.create_template())
    database = infra.run(infra.clone_database(template))
    vhost, amqp_url = infra.create_vhost()
    dsn = infra.dsn_for(database)
    proc = None
    try:
        with tempfile.TemporaryDirectory(prefix="strata-bench-export-") as tmp:
            t0 = time.monotonic()
            ids = infra.run(build(dsn, args.rows))
            log(f"built {args.rows} overlays in {ids['documents']} documents"
                f" in {time.monotonic() - t0:.0f}s")
            env = {**os.environ, "STRATA_DATABASE_URL": dsn, "STRATA_AMQP_URL": amqp_url,
                   "STRATA_BLOB_ROOT": str(Path(tmp) / "blobs"), "HF_HUB_OFFLINE": "1"}
            with (Path(tmp) / "export.log").open("ab") as out:
                proc = subprocess.Popen([str(Path(sys.executable).parent / "strata-export")],
                                        env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
            speeds, sizes = infra.run(
                export_all(dsn, amqp_url, Path(tmp) / "blobs", ids, args.rows))
            peak = peak_rss_mb(proc.pid)
            log(f"file sizes (bytes): {json.dumps(sizes)}")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        infra.delete_vhost(vhost)
        infra.run(infra.drop_database(database))
        infra.run(infra.drop_database(template))
    print(f"rows={args.rows} jsonl_rows_per_s={speeds['jsonl']:.0f}"
          f" csv_rows_per_s={speeds['csv']:.0f} xlsx_rows_per_s={speeds['xlsx']:.0f}"
          f" md_rows_per_s={speeds['md']:.0f} peak_rss_mb={peak:.0f}")


if __name__ == "__main__":
    main()
