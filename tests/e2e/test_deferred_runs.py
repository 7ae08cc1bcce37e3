"""A deferred run end to end: estimated in both modes, sent through the simulator's Message
Batches API with partial errors (a malformed answer, server errors), followed up in later
batches, and completed with the same answers as a realtime run at half the price per token."""

import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx
import pytest

from strata.client import StrataClient, wait_for
from strata.planning.pricing import call_cost
from tests.support import infra
from tests.support.stack import Stack, fresh_stack

pytestmark = pytest.mark.e2e

# Batches end a second after creation and are looked at every half second.
BATCH_ENV = {
    "LLMSIM_BATCH_PROCESSING_SECONDS": "1",
    "WORKER_BATCH_POLL_S": "0.5",
    "WORKER_BATCH_GATHER_S": "0.5",
}


@pytest.fixture(scope="module")
def stack(pg_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with fresh_stack(pg_template, tmp_path_factory.mktemp("deferred"), extra_env=BATCH_ENV) as s:
        yield s


def _rows(dsn: str, sql: str, *args) -> list[dict]:
    async def go():
        conn = await asyncpg.connect(dsn)
        try:
            return [dict(r) for r in await conn.fetch(sql, *args)]
        finally:
            await conn.close()

    return infra.run(go())


def _complete(client: StrataClient, run_id: str) -> dict:
    return wait_for(
        lambda: client.run(run_id),
        lambda r: r["status"] == "complete",
        timeout_s=180,
        every_s=0.5,
        what=f"run {run_id} complete",
    )


def test_a_deferred_run_completes_through_batches_despite_partial_errors(
    stack: Stack, client: StrataClient, examples: Path
) -> None:
    project = client.create_project("deferred")
    docs = [
        client.converted(client.upload(project["id"], path)["id"])
        for path in sorted((examples / "documents").iterdir())
    ]
    schema = client.create_schema(project["id"], json.loads((examples / "schema.json").read_text()))
    # One block per pack: enough requests in the first batch for the faults below.
    target = {
        "schema_id": schema["id"],
        "document_ids": [d["id"] for d in docs],
        "policy_overrides": {"batching_enabled": False},
    }

    estimate = client.create_run({**target, "mode": "deferred", "dry_run": True})
    assert estimate["mode"] == "deferred"
    assert estimate["cost_usd"] == estimate["deferred_cost_usd"]
    realtime_cost, deferred_cost = (
        Decimal(estimate["realtime_cost_usd"]),
        Decimal(estimate["deferred_cost_usd"]),
    )
    assert abs(deferred_cost * 2 - realtime_cost) <= Decimal("0.00000001") * estimate["calls"]

    # The first three requests the simulator processes: one answer missing its block (it is
    # retried alone in a new pack), then two server errors (their packs are offered again).
    rules = [{"kind": "drop_block", "times": 1}, {"kind": "server_error", "times": 2}]
    assert httpx.post(f"{stack.sim_url}/_sim/rules", json=rules).status_code == 200
    deferred = _complete(client, client.create_run({**target, "mode": "deferred"})["id"])
    httpx.post(f"{stack.sim_url}/_sim/rules", json=[])
    realtime = _complete(client, client.create_run(target)["id"])

    total = deferred["total_blocks"]
    assert deferred["policy"]["mode"] == "deferred" and realtime["policy"]["mode"] == "realtime"
    assert (deferred["completed_blocks"], deferred["failed_blocks"]) == (total, 0)
    dsn = stack.database_url
    overlays = {
        run["id"]: {
            (r["document_id"], r["block_index"]): r
            for r in _rows(
                dsn,
                "SELECT document_id, block_index, status, staged, attempt_count, claimed_by"
                " FROM overlays WHERE run_id = $1",
                uuid.UUID(run["id"]),
            )
        }
        for run in (deferred, realtime)
    }
    mine, theirs = overlays[deferred["id"]], overlays[realtime["id"]]
    # Counters are exact, nothing is left claimed, and every answer equals the realtime one.
    assert len(mine) == total and all(o["status"] == "ai_complete" for o in mine.values())
    assert all(o["claimed_by"] is None for o in mine.values())
    assert all(json.loads(o["staged"]) == json.loads(theirs[k]["staged"]) for k, o in mine.items())
    assert sum(o["attempt_count"] for o in mine.values()) == 3  # one per fault

    calls = _rows(
        dsn,
        "SELECT model, input_tokens, output_tokens, cache_creation_input_tokens AS w,"
        " cache_read_input_tokens AS r, cost_usd, error_code, service_tier FROM llm_calls"
        " WHERE run_id = $1",
        uuid.UUID(deferred["id"]),
    )
    assert {c["service_tier"] for c in calls} == {"batch"}
    assert sorted(c["error_code"] or "" for c in calls).count("provider_error") == 2
    assert len(calls) == total + 3  # every block answered once, plus the three faults
    ttl = deferred["policy"]["prompt_cache_ttl"]
    for c in calls:
        tokens = {"input_tokens": c["input_tokens"], "cache_write": c["w"], "cache_read": c["r"]}
        assert c["cost_usd"] == call_cost(
            c["model"], **tokens, output_tokens=c["output_tokens"], ttl=ttl, batch=True
        )
    assert Decimal(deferred["usage"]["cost_usd"]) == sum(c["cost_usd"] for c in calls)

    batches = _rows(
        dsn, "SELECT state FROM provider_batches WHERE run_id = $1", uuid.UUID(deferred["id"])
    )
    requests = _rows(
        dsn, "SELECT state FROM batch_requests WHERE run_id = $1", uuid.UUID(deferred["id"])
    )
    assert len(batches) >= 2 and {b["state"] for b in batches} == {"ended"}
    assert {r["state"] for r in requests} == {"settled"}
