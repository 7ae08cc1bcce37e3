"""`make bench-scale`: does throughput hold as the work and the history grow?

Every service is a real process over the real broker and database, the simulator answers with
no delay (as in `make bench-throughput`). Documents and their blocks are written straight into
the database as conversion would leave them (converting a million blocks through ingest would
measure conversion, not this); everything after that goes through the API and the services:

1. a small run (`--small-blocks`, 50,000) on an empty database;
2. one big run (`--blocks`, 1,000,000) over many documents: the time `POST /v1/runs` takes to
   answer, and its dry run;
3. the history: finished runs' overlays copied in until the database holds `--history`
   (5,000,000) overlays of finished runs, then vacuumed as autovacuum would;
4. the small run again, over the same documents.

Last line:
blocks=<n> blocks_per_s=<n> small_blocks_per_s=<n> scale_ratio=<big/small>
history_ratio=<small with history / without> run_create_s=<seconds> peak_rss_mb=<largest process>
followed by dry_run_s, counters_exact and history_overlays (figures, never assertions).
"""

import argparse
import os
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from harness import infra, log, running_stack

from strata.client import StrataClient, wait_for

TEXT = (
    "format('Invoice %s from supplier %s is payable within %s days; the amount due is %s EUR "
    "and the delivery deadline is %s November.', d.n * 100000 + i, i % 17, 14 + i % 60, "
    "1000 + (i * 37) % 90000, 1 + i % 28)"
)

DOCUMENTS_SQL = """
INSERT INTO documents (id, account_id, project_id, filename, content_type, byte_size, sha256,
                       blob_key, source_format, status, block_count)
SELECT gen_random_uuid(), p.account_id, p.id, 'batch-' || $2::text || '-' || n || '.md',
       'text/markdown', 0, md5($2::text || ':' || n), 'bench/none', 'markdown', 'ready', $4
FROM projects p, generate_series(1, $3) AS n
WHERE p.id = $1
"""

BLOCKS_SQL = f"""
INSERT INTO blocks (document_id, block_index, block_type, text, section_path, token_estimate)
SELECT d.id, i, 'paragraph', t.text, ARRAY['Batch'], (octet_length(t.text) + 3) / 4
FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM documents
      WHERE project_id = $1 AND filename LIKE 'batch-' || $2::text || '-%') d,
     generate_series(0, $3 - 1) AS i,
     LATERAL (SELECT {TEXT} AS text) t
"""

# Finished runs: each copies a finished run's overlays (as settled, with their answers).
HISTORY_RUN_SQL = """
INSERT INTO runs (id, account_id, project_id, schema_id, status, policy, total_blocks,
                  completed_blocks, failed_blocks, created_at, started_at, completed_at,
                  planned_at)
SELECT $2, account_id, project_id, schema_id, 'complete', policy, $3, $3, 0,
       now() - interval '1 day', now() - interval '1 day', now() - interval '1 day',
       now() - interval '1 day'
FROM runs WHERE id = $1
"""

HISTORY_OVERLAYS_SQL = """
INSERT INTO overlays (run_id, document_id, block_index, pack_id, status, staged, attempt_count,
                      settled_at, updated_at)
SELECT $2, document_id, block_index, pack_id, status, staged, attempt_count, settled_at,
       updated_at
FROM overlays WHERE run_id = $1
LIMIT $3
"""


async def _load_documents(
    dsn: str, project_id: str, *, tag: str, documents: int, per_document: int
) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        project = uuid.UUID(project_id)
        await conn.execute(DOCUMENTS_SQL, project, tag, documents, per_document)
        # One document set at a time keeps each statement's memory small.
        await conn.execute(BLOCKS_SQL, project, tag, per_document)
        await conn.execute("ANALYZE documents; ANALYZE blocks")
    finally:
        await conn.close()


async def _exact(dsn: str, run_id: str) -> tuple[bool, dict[str, Any]]:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT r.completed_blocks, r.failed_blocks, r.total_blocks, r.created_at,"
            " r.completed_at, r.planned_at,"
            " (SELECT count(*) FROM overlays WHERE run_id = r.id AND status = 'ai_complete') AS c,"
            " (SELECT count(*) FROM overlays WHERE run_id = r.id AND status = 'failed') AS f,"
            " (SELECT count(*) FROM overlays WHERE run_id = r.id) AS t,"
            " (SELECT count(*) FROM (SELECT DISTINCT document_id, block_index FROM overlays"
            "   WHERE run_id = r.id) AS u) AS distinct_blocks,"
            " (SELECT count(*) FROM llm_calls WHERE run_id = r.id) AS calls,"
            " (SELECT min(created_at) FROM llm_calls WHERE run_id = r.id) AS first_call,"
            " (SELECT max(created_at) FROM llm_calls WHERE run_id = r.id) AS last_call"
            " FROM runs r WHERE r.id = $1",
            uuid.UUID(run_id),
        )
        exact = (row["completed_blocks"], row["failed_blocks"], row["total_blocks"]) == (
            row["c"],
            row["f"],
            row["t"],
        ) and row["distinct_blocks"] == row["t"]
        return exact, dict(row)
    finally:
        await conn.close()


async def _load_history(dsn: str, source_run: str, *, overlays: int) -> int:
    """Finished runs copied from `source_run` until `overlays` finished overlays exist."""
    conn = await asyncpg.connect(dsn)
    try:
        source = uuid.UUID(source_run)
        have = await conn.fetchval(
            "SELECT count(*) FROM overlays o JOIN runs r ON r.id = o.run_id"
            " WHERE r.status = 'complete'"
        )
        while have < overlays:
            run_id = uuid.uuid4()
            async with conn.transaction():
                await conn.execute(HISTORY_RUN_SQL, source, run_id, 0)
                added = int(
                    (await conn.execute(HISTORY_OVERLAYS_SQL, source, run_id, overlays - have))
                    .split()[-1]
                )
                await conn.execute(
                    "UPDATE runs SET total_blocks = $2, completed_blocks = $2 WHERE id = $1",
                    run_id,
                    added,
                )
            have += added
            log(f"  history: {have} finished overlays")
        await conn.execute("VACUUM (ANALYZE) overlays")
        await conn.execute("VACUUM (ANALYZE) runs")
        return int(have)
    finally:
        await conn.close()


def _timed_run(client: StrataClient, body: dict[str, Any]) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    run = client.create_run(body)
    return run, time.monotonic() - started


def _settled(client: StrataClient, run_id: str) -> dict[str, Any]:
    return wait_for(
        lambda: client.run(run_id),
        lambda r: r["status"] == "complete",
        timeout_s=7200,
        every_s=1.0,
        what="run complete",
    )


def _timeline(row: dict[str, Any]) -> str:
    created = row["created_at"]
    return ", ".join(
        f"{name} +{(row[key] - created).total_seconds():.1f}s"
        for name, key in (
            ("first call", "first_call"),
            ("planned", "planned_at"),
            ("last call", "last_call"),
            ("complete", "completed_at"),
        )
        if row[key] is not None
    )


def _rate(row: dict[str, Any]) -> float:
    seconds = (row["completed_at"] - row["created_at"]).total_seconds()
    return float(row["t"]) / seconds


def _peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM), from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--blocks", type=int, default=1_000_000, help="the big run's blocks")
    parser.add_argument("--small-blocks", type=int, default=50_000)
    parser.add_argument("--blocks-per-document", type=int, default=1000)
    parser.add_argument("--history", type=int, default=5_000_000, help="finished overlays")
    args = parser.parse_args()
    per_doc = args.blocks_per_document
    env = {
        "WORKER_CONCURRENCY": os.environ.get("WORKER_CONCURRENCY", "8"),
        # The production sweep (the test stack heals every second): the lease reaper scans the
        # claims of active runs, which a benchmark of run size should not multiply by five.
        "ROLLUP_SWEEP_INTERVAL_S": os.environ.get("ROLLUP_SWEEP_INTERVAL_S", "5"),
    }
    with running_stack(extra_env=env) as (stack, client):
        dsn = stack.database_url
        small_project = client.create_project("bench-scale-small")
        big_project = client.create_project("bench-scale-big")
        started = time.monotonic()
        infra.run(
            _load_documents(
                dsn,
                small_project["id"],
                tag="small",
                documents=max(1, args.small_blocks // per_doc),
                per_document=per_doc,
            )
        )
        infra.run(
            _load_documents(
                dsn,
                big_project["id"],
                tag="big",
                documents=max(1, args.blocks // per_doc),
                per_document=per_doc,
            )
        )
        log(f"documents and blocks written in {time.monotonic() - started:.1f}s")
        definition = {
            "type": "object",
            "properties": {
                "amount": {"type": ["number", "null"]},
                "deadline": {"type": "boolean", "x-keywords": ["deadline", "due"]},
            },
        }
        small_schema = client.create_schema(
            small_project["id"], {"name": "invoice-facts", "definition": definition}
        )
        big_schema = client.create_schema(
            big_project["id"], {"name": "invoice-facts", "definition": definition}
        )
        small_body = {"schema_id": small_schema["id"], "project_id": small_project["id"]}
        big_body = {"schema_id": big_schema["id"], "project_id": big_project["id"]}

        small, small_create_s = _timed_run(client, small_body)
        _settled(client, small["id"])
        small_exact, small_row = infra.run(_exact(dsn, small["id"]))
        small_rate = _rate(small_row)
        log(f"small run: {small_row['t']} blocks, {small_rate:.0f} blocks/s "
            f"(created in {small_create_s:.2f}s, exact={small_exact}): {_timeline(small_row)}")  # fmt: skip

        started = time.monotonic()
        estimate = client.create_run({**big_body, "dry_run": True})
        dry_run_s = time.monotonic() - started
        log(f"dry run of {estimate['blocks']} blocks answered in {dry_run_s:.2f}s")
        big, run_create_s = _timed_run(client, big_body)
        log(f"big run {big['id']}: {big['total_blocks']} blocks, {big['status']}, "
            f"answered in {run_create_s:.2f}s")  # fmt: skip
        _settled(client, big["id"])
        big_exact, big_row = infra.run(_exact(dsn, big["id"]))
        big_rate = _rate(big_row)
        planned_s = (big_row["planned_at"] - big_row["created_at"]).total_seconds()
        log(f"big run: {big_row['t']} blocks, {big_rate:.0f} blocks/s, planned in "
            f"{planned_s:.1f}s, {big_row['calls']} calls, exact={big_exact}): "
            f"{_timeline(big_row)}")  # fmt: skip

        history = infra.run(_load_history(dsn, big["id"], overlays=args.history))
        again, _ = _timed_run(client, small_body)
        _settled(client, again["id"])
        again_exact, again_row = infra.run(_exact(dsn, again["id"]))
        again_rate = _rate(again_row)
        log(f"small run with {history} finished overlays: {again_rate:.0f} blocks/s "
            f"(exact={again_exact}): {_timeline(again_row)}")  # fmt: skip
        peak = {name: _peak_rss_mb(proc.pid) for name, proc in stack.procs.items()}
    log("peak RSS MB: " + ", ".join(f"{n} {mb:.0f}" for n, mb in sorted(peak.items())))
    exact = small_exact and big_exact and again_exact
    print(
        f"blocks={big_row['t']} blocks_per_s={big_rate:.0f} small_blocks_per_s={small_rate:.0f} "
        f"scale_ratio={big_rate / small_rate:.2f} history_ratio={again_rate / small_rate:.2f} "
        f"run_create_s={run_create_s:.2f} peak_rss_mb={max(peak.values()):.0f} "
        f"dry_run_s={dry_run_s:.2f} counters_exact={str(exact).lower()} "
        f"history_overlays={history}"
    )


if __name__ == "__main__":
    main()
