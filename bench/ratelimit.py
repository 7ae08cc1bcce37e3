"""`make bench-ratelimit`: a run paced by the provider's rate limit, not by CPU. The simulator
limits the platform key (and model) to --itpm input tokens per minute (a continuously refilling
token bucket, as Anthropic's), with generous request and output limits; three worker processes
share the key. The run is sized to need over two minutes at that rate (~155 s by default).

Last line: limit_use=<fraction> rate_limited_share=<fraction> blocks=<n>

- limit_use: of what the limit let the run spend beyond its first full bucket, the share it
  did spend. A fresh key's bucket holds one minute's worth (the limit L) and refills at L/60 per
  second, so from the run's first answered call (t0) to its last (t1) the provider admits at most
  L + L/60 * (t1 - t0) input tokens. limit_use = (C - L) / (L/60 * (t1 - t0)), where C is the
  input tokens counted against the limit (`input_tokens + cache_creation_input_tokens` of every
  answered call in `llm_calls`; cache reads do not count): the steady-state window is the whole
  run and the refill is what it allows. 1.0 means every refilled token was used; it cannot
  exceed 1 unless the limit was overdrawn (but for the milliseconds between a call's admission
  and its row).
- rate_limited_share: calls the simulator refused with 429 over all calls of the run.
- blocks: blocks in the run (every one settled; the bench fails if counters are not exact).

Goal: limit_use ≥ 0.90 and rate_limited_share ≤ 0.01.
"""

import argparse
import subprocess
import time
import uuid

import asyncpg
import httpx
from harness import ROOT, infra, log, running_stack
from tests.support.stack import BIN, Stack

from strata.client import StrataClient, wait_for

PARAGRAPH = (
    "Invoice {n} from supplier {s} is payable within {d} days; the amount due is {a} EUR "
    "and the delivery deadline is {day} November."
)
WORKERS = 3


class PatientStack(Stack):
    """Waits longer for a process to answer: on a loaded machine a cold start can pass 30 s."""

    def _wait_http(self, name: str, url: str, timeout_s: float = 30) -> None:
        super()._wait_http(name, url, timeout_s=max(timeout_s, 120))


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


async def _calls(dsn: str, run_id: str) -> tuple[list[asyncpg.Record], dict]:
    conn = await asyncpg.connect(dsn)
    try:
        calls = await conn.fetch(
            "SELECT created_at, input_tokens + cache_creation_input_tokens AS counted,"
            " error_code FROM llm_calls WHERE run_id = $1 ORDER BY created_at",
            uuid.UUID(run_id),
        )
        run = await conn.fetchrow(
            "SELECT r.completed_blocks, r.failed_blocks, r.total_blocks,"
            " (SELECT count(*) FROM overlays WHERE run_id = r.id AND status = 'ai_complete') AS c,"
            " (SELECT count(*) FROM overlays WHERE run_id = r.id AND status = 'failed') AS f,"
            " (SELECT count(*) FROM overlays WHERE run_id = r.id) AS t"
            " FROM runs r WHERE r.id = $1",
            uuid.UUID(run_id),
        )
        return list(calls), dict(run)
    finally:
        await conn.close()


def limit_use(calls: list, limit_per_minute: int) -> tuple[float, float, int]:
    """(limit_use, seconds from the first to the last answered call, tokens counted)."""
    answered = [c for c in calls if c["error_code"] is None]
    counted = sum(c["counted"] for c in answered)
    if counted <= limit_per_minute:
        raise SystemExit("the run never spent more than a full bucket: make it larger (--blocks)")
    window_s = (answered[-1]["created_at"] - answered[0]["created_at"]).total_seconds()
    return (counted - limit_per_minute) / (limit_per_minute / 60 * window_s), window_s, counted


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=3)
    parser.add_argument("--blocks-per-document", type=int, default=1100)
    parser.add_argument("--itpm", type=int, default=60_000, help="input tokens per minute")
    parser.add_argument("--pack-size", type=int, default=10)
    args = parser.parse_args()
    folder = ROOT / "var" / "bench" / "ratelimit"
    folder.mkdir(parents=True, exist_ok=True)
    env = {
        "LLMSIM_RATELIMIT_INPUT_TOKENS_PER_MINUTE": str(args.itpm),
        # tier-4-like request and output limits: generous, so input tokens are what binds
        "LLMSIM_RATELIMIT_REQUESTS_PER_MINUTE": "4000",
        "LLMSIM_RATELIMIT_OUTPUT_TOKENS_PER_MINUTE": "400000",
        "WORKER_CONCURRENCY": "8",
    }
    with running_stack(extra_env=env, stack_cls=PatientStack) as (stack, client):
        for n in range(2, WORKERS + 1):  # the stack starts one worker; two more share the key
            name = f"worker-{n}"
            worker_env = {**stack.env, "WORKER_ID": name, "WORKER_HTTP_PORT": "0"}
            with (stack.log_dir / f"{name}.log").open("ab") as out:
                stack.procs[name] = subprocess.Popen(
                    [str(BIN / "strata-worker")],
                    env=worker_env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
        admin = StrataClient(stack.gateway_url, stack.create_account("admin", superuser=True))
        # packs of a fixed size (a per-run override may not set it): steady, similar calls
        admin.request(
            "PATCH",
            "/v1/admin/policies",
            json={"batching_mode": "fixed", "fixed_pack_size": args.pack_size},
        )
        admin.close()
        project = client.create_project("bench-ratelimit")
        docs = []
        for doc in range(args.documents):
            path = folder / f"batch-{doc:03d}.md"
            path.write_text(_document(doc, args.blocks_per_document))
            docs.append(client.upload(project["id"], path))
        for doc in docs:
            client.converted(doc["id"], timeout_s=600)
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
        run = client.create_run(
            {
                "schema_id": schema["id"],
                "project_id": project["id"],
            }
        )
        log(f"run {run['id']}: {run['total_blocks']} blocks, {WORKERS} workers, ITPM {args.itpm}")
        wait_for(
            lambda: client.run(run["id"]),
            lambda r: r["status"] == "complete",
            timeout_s=3600,
            every_s=1.0,
            what="run complete",
        )
        log(f"run complete in {time.monotonic() - started:.0f}s")
        sim = httpx.get(f"{stack.sim_url}/_sim/stats", timeout=10).json()["rate_limits"]
        calls, row = infra.run(_calls(stack.database_url, run["id"]))
    exact = (row["completed_blocks"], row["failed_blocks"], row["total_blocks"]) == (
        row["c"],
        row["f"],
        row["t"],
    )
    if not exact or row["c"] + row["f"] != row["t"]:
        raise SystemExit(f"counters are not exact: {row}")
    use, window_s, counted = limit_use(calls, args.itpm)
    limited = sum(c["error_code"] == "rate_limited" for c in calls)
    log(
        f"{len(calls)} calls ({limited} refused with 429; simulator: {sim['admitted']} admitted,"
        f" {sim['rejected']} refused); first to last call {window_s:.0f}s, {counted} input"
        f" tokens counted of {args.itpm + args.itpm / 60 * window_s:.0f} allowed;"
        f" {row['c']} blocks complete,"
        f" {row['f']} failed"
    )
    print(f"limit_use={use:.3f} rate_limited_share={limited / len(calls):.4f} blocks={row['t']}")


if __name__ == "__main__":
    main()
