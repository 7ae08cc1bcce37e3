"""`make bench-throughput`: the pipeline's own overhead. A run of ≥50,000 blocks over many
documents with the default policy, the simulator answering with no delay, every service a real
process over the real broker and database.

Last line: blocks_per_s=<n> counters_exact=<true|false> run_create_s=<seconds>
(blocks settled per second from run creation to `complete`; time to create the run: policy
snapshot + one overlay row per block).
"""

import argparse
import os
import time
import uuid
from pathlib import Path

import asyncpg
from harness import ROOT, infra, log, running_stack

from strata.client import wait_for

PARAGRAPH = (
    "Invoice {n} from supplier {s} is payable within {d} days; the amount due is {a} EUR "
    "and the delivery deadline is {day} November."
)


def _document(doc: int, blocks: int) -> str:
    lines = [f"# Batch {doc}", ""]
    for i in range(blocks - 1):
        lines += [
            PARAGRAPH.format(
                n=doc * 100_000 + i,
                s=i % 17,
                d=14 + i % 60,
                a=1000 + (i * 37) % 90_000,
                day=1 + i % 28,
            ),
            "",
        ]
    return "\n".join(lines)


async def _exact(dsn: str, run_id: str) -> tuple[bool, dict]:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT r.completed_blocks, r.failed_blocks, r.total_blocks, r.created_at, r.completed_at,"
            " (SELECT count(*) FROM overlays WHERE run_id = r.id AND status = 'ai_complete') AS c,"
            " (SELECT count(*) FROM overlays WHERE run_id = r.id AND status = 'failed') AS f,"
            " (SELECT count(*) FROM overlays WHERE run_id = r.id) AS t,"
            " (SELECT count(*) FROM llm_calls WHERE run_id = r.id) AS calls,"
            " (SELECT min(created_at) FROM llm_calls WHERE run_id = r.id) AS first_call,"
            " (SELECT max(created_at) FROM llm_calls WHERE run_id = r.id) AS last_call,"
            " (SELECT count(*) FROM outbox WHERE routing_key = 'run.progress'"
            "  AND payload ->> 'run_id' = r.id::text) AS progress_events"
            " FROM runs r WHERE r.id = $1",
            uuid.UUID(run_id),
        )
        exact = (row["completed_blocks"], row["failed_blocks"], row["total_blocks"]) == (
            row["c"],
            row["f"],
            row["t"],
        )
        return exact, dict(row)
    finally:
        await conn.close()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process, from /proc (Linux)."""
    fields = (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1]).split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=50)
    parser.add_argument("--blocks-per-document", type=int, default=1000)
    args = parser.parse_args()
    folder = ROOT / "var" / "bench" / "throughput"
    folder.mkdir(parents=True, exist_ok=True)
    with running_stack(
        extra_env={"WORKER_CONCURRENCY": os.environ.get("WORKER_CONCURRENCY", "8")}
    ) as (stack, client):
        project = client.create_project("bench-throughput")
        started = time.monotonic()
        docs = []
        for doc in range(args.documents):
            path = folder / f"batch-{doc:03d}.md"
            path.write_text(_document(doc, args.blocks_per_document))
            docs.append(client.upload(project["id"], path))
        for doc in docs:
            client.converted(doc["id"], timeout_s=600)
        log(f"{len(docs)} documents uploaded and converted in {time.monotonic() - started:.1f}s")
        schema = client.create_schema(
            project["id"],
            {
                "name": "invoice-facts",
                "definition": {
                    "type": "object",
                    "properties": {
                        "amount": {"type": ["number", "null"]},
                        "deadline": {"type": "boolean", "x-keywords": ["deadline", "due"]},
                    },
                },
            },
        )
        started = time.monotonic()
        run = client.create_run({"schema_id": schema["id"], "project_id": project["id"]})
        run_create_s = time.monotonic() - started
        log(f"run {run['id']}: {run['total_blocks']} blocks, created in {run_create_s:.2f}s")
        wait_for(
            lambda: client.run(run["id"]),
            lambda r: r["status"] == "complete",
            timeout_s=1800,
            every_s=0.5,
            what="run complete",
        )
        exact, row = infra.run(_exact(stack.database_url, run["id"]))
        cpu = {name: _cpu_seconds(proc.pid) for name, proc in stack.procs.items()}
    log(
        "CPU seconds per process over the whole bench: "
        + ", ".join(f"{name} {secs:.1f}" for name, secs in sorted(cpu.items(), key=lambda x: -x[1]))
    )
    seconds = (row["completed_at"] - row["created_at"]).total_seconds()
    log(
        f"settled {row['t']} blocks in {seconds:.1f}s with {row['calls']} calls "
        f"({row['c']} complete, {row['f']} failed)"
    )
    log(
        f"  until the first call settled {(row['first_call'] - row['created_at']).total_seconds():.1f}s,"
        f" first to last call {(row['last_call'] - row['first_call']).total_seconds():.1f}s,"
        f" last call to complete {(row['completed_at'] - row['last_call']).total_seconds():.1f}s,"
        f" {row['progress_events']} progress events"
    )
    print(
        f"blocks_per_s={row['t'] / seconds:.0f} counters_exact={str(exact).lower()} "
        f"run_create_s={run_create_s:.2f}"
    )


if __name__ == "__main__":
    main()
