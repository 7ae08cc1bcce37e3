"""The cost engine end to end: policies and their audit, frozen snapshots, cache telemetry, exact
accounting, overflow splits, per-block mapping failures and budget caps under concurrency."""

import json
import time
import uuid
from decimal import Decimal

import asyncpg
import httpx
import pytest

from strata.client import StrataApiError, StrataClient, wait_for
from tests.support import infra

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def admin(stack):
    c = StrataClient(stack.gateway_url, stack.create_account("e2e-admin", superuser=True))
    yield c
    c.close()


@pytest.fixture(scope="module")
def workspace(client, examples):
    project = client.create_project("cost engine")
    docs = []
    for path in sorted((examples / "documents").iterdir()):
        doc = client.upload(project["id"], path)
        docs.append(client.converted(doc["id"]))
        assert docs[-1]["status"] == "ready", docs[-1]
    schema = client.create_schema(project["id"], json.loads((examples / "schema.json").read_text()))
    return {
        "project": project,
        "docs": docs,
        "schema": schema,
        "target": {"schema_id": schema["id"], "document_ids": [d["id"] for d in docs]},
    }


def _complete(client: StrataClient, run: dict) -> dict:
    return wait_for(
        lambda: client.run(run["id"]),
        lambda r: r["status"] == "complete",
        timeout_s=120,
        what="run complete",
    )


def _query(dsn: str, sql: str, *args):
    async def go():
        conn = await asyncpg.connect(dsn)
        try:
            return [dict(r) for r in await conn.fetch(sql, *args)]
        finally:
            await conn.close()

    return infra.run(go())


def _calls(stack, run_id: str) -> list[dict]:
    return _query(
        stack.database_url,
        "SELECT * FROM llm_calls WHERE run_id = $1 ORDER BY created_at",
        uuid.UUID(run_id),
    )


def _staged(stack, run_id: str) -> dict:
    rows = _query(
        stack.database_url,
        "SELECT document_id, block_index, staged, status, "
        "attempt_count, last_error_code FROM overlays WHERE run_id = $1",
        uuid.UUID(run_id),
    )
    return {(r["document_id"], r["block_index"]): r for r in rows}


def test_policy_edits_are_superuser_only_audited_and_never_touch_a_created_run(
    stack, client, admin, workspace
):
    defaults = client.request("GET", "/v1/admin/policies")["settings"]
    with pytest.raises(StrataApiError) as denied:
        client.request("PATCH", "/v1/admin/policies", json={"max_pack_size": 7})
    assert (denied.value.status, denied.value.code) == (403, "forbidden")

    before = client.create_run(workspace["target"])
    try:
        changed = admin.request(
            "PATCH", "/v1/admin/policies", json={"max_pack_size": 7, "lease_seconds": 30}
        )["settings"]
        assert (changed["max_pack_size"], changed["lease_seconds"]) == (7, 30)
        for bad in (
            {"max_pack_size": 0},
            {"no_such_key": 1},
            {"min_pack_size": 50, "max_pack_size": 10},
        ):
            with pytest.raises(StrataApiError) as invalid:
                admin.request("PATCH", "/v1/admin/policies", json=bad)
            assert (invalid.value.status, invalid.value.code) == (422, "invalid_policy")
        after = client.create_run(workspace["target"])
    finally:
        admin.request(
            "PATCH",
            "/v1/admin/policies",
            json={
                "max_pack_size": defaults["max_pack_size"],
                "lease_seconds": defaults["lease_seconds"],
            },
        )

    before, after = _complete(client, before), _complete(client, after)
    assert before["policy"] == defaults  # frozen at creation, untouched by the edit
    assert after["policy"]["max_pack_size"] == 7
    assert max(len(c["block_uids"]) for c in _calls(stack, after["id"])) <= 7
    assert max(len(c["block_uids"]) for c in _calls(stack, before["id"])) > 7

    with pytest.raises(StrataApiError) as hidden:  # the audit names other accounts
        client.request("GET", "/v1/admin/policies/audit")
    assert (hidden.value.status, hidden.value.code) == (403, "forbidden")
    audit = admin.request("GET", "/v1/admin/policies/audit")["items"]
    assert [a["changed_keys"] for a in audit[:2]] == [["lease_seconds", "max_pack_size"]] * 2
    edit = audit[1]  # the older of the two: the edit, then the restore
    assert (edit["old_settings"]["max_pack_size"], edit["new_settings"]["max_pack_size"]) == (
        defaults["max_pack_size"],
        7,
    )
    assert edit["changed_by_name"] == "e2e-admin"


def test_cache_telemetry_and_exact_accounting(stack, client, workspace, examples):
    body = json.loads((examples / "schema.json").read_text())
    # A long, constant instruction block: over Sonnet 4.6's 2,048-token minimum, so it is cached.
    body["name"] = "cached-schema"
    body["prompt_config"]["system_instructions"] += "\n" + " ".join(
        f"Rule {i}: quote figures exactly as written and never infer missing values."
        for i in range(140)
    )
    schema = client.create_schema(workspace["project"]["id"], body)
    target = {"schema_id": schema["id"], "document_ids": workspace["target"]["document_ids"]}
    # The dry run says when caching cannot happen, and only then.
    short = client.create_run({**workspace["target"], "dry_run": True})
    assert "below the 2048-token minimum" in short["caching_note"]
    assert short["cache_read_tokens"] == 0
    assert client.create_run({**target, "dry_run": True})["caching_note"] is None
    # A small max_tokens gives many packs, so most calls can read what the first ones wrote.
    cached = _complete(
        client, client.create_run({**target, "policy_overrides": {"max_tokens": 300}})
    )
    calls = _calls(stack, cached["id"])
    assert len(calls) > 5
    assert calls[0]["cache_creation_input_tokens"] >= 2048
    assert sum(c["cache_read_input_tokens"] for c in calls) > 0
    assert all(c["cache_creation_input_tokens"] + c["cache_read_input_tokens"] > 0 for c in calls)
    # Every call asked why a prefix was not reused; reads and first writes have no reason to give.
    assert all(c["cache_miss_reason"] in (None, "previous_message_not_found") for c in calls)
    assert all(c["structured_output"] for c in calls)  # the simulator accepts the pack schema
    assert all(c["answer_form"] == "rows" for c in calls)  # the default answer form

    plain = _complete(
        client,
        client.create_run(
            {**target, "policy_overrides": {"max_tokens": 300, "prompt_caching_enabled": False}}
        ),
    )
    plain_calls = _calls(stack, plain["id"])
    assert all(
        c["cache_creation_input_tokens"] == c["cache_read_input_tokens"] == 0 for c in plain_calls
    )
    assert sum(c["cost_usd"] for c in calls) < sum(c["cost_usd"] for c in plain_calls)

    usage = client.run(cached["id"])["usage"]
    assert usage["calls"] == len(calls)
    assert Decimal(str(usage["cost_usd"])) == sum(c["cost_usd"] for c in calls)
    assert usage["cache_read_tokens"] == sum(c["cache_read_input_tokens"] for c in calls)
    shares = sum(Decimal(str(o["cost_usd"])) for o in client.overlays(cached["id"]))
    assert abs(shares - Decimal(str(usage["cost_usd"]))) < Decimal("0.000001")


def test_overflow_splits_and_batched_answers_equal_unbatched(stack, client, admin, workspace):
    defaults = client.request("GET", "/v1/admin/policies")["settings"]
    # The reference answers one block per call in objects; the split run in rows (the default):
    # the staged values must be equal either way.
    unbatched = _complete(
        client,
        client.create_run(
            {
                **workspace["target"],
                "policy_overrides": {"batching_enabled": False, "row_answers": False},
            }
        ),
    )
    # Packs planned for tiny answers overflow a small max_tokens and must split until they fit.
    admin.request("PATCH", "/v1/admin/policies", json={"output_tokens_per_block": 1})
    try:
        split = client.create_run({**workspace["target"], "policy_overrides": {"max_tokens": 300}})
    finally:
        admin.request(
            "PATCH",
            "/v1/admin/policies",
            json={"output_tokens_per_block": defaults["output_tokens_per_block"]},
        )
    split = _complete(client, split)
    calls = _calls(stack, split["id"])
    assert any(c["stop_reason"] == "max_tokens" for c in calls)
    assert split["failed_blocks"] == 0
    a, b = _staged(stack, unbatched["id"]), _staged(stack, split["id"])
    assert {k: json.loads(v["staged"]) for k, v in a.items()} == {
        k: json.loads(v["staged"]) for k, v in b.items()
    }


def test_a_missing_or_malformed_answer_is_retried_alone_never_borrowed(stack, client, workspace):
    rules = [
        {"kind": "drop_block", "text_contains": "Severity: high", "times": 1},
        {"kind": "malformed", "text_contains": "Either party may terminate", "times": 1},
    ]
    httpx.post(f"{stack.sim_url}/_sim/rules", json=rules, timeout=5).raise_for_status()
    try:
        run = _complete(client, client.create_run(workspace["target"]))
    finally:
        httpx.post(f"{stack.sim_url}/_sim/rules", json=[], timeout=5).raise_for_status()
    overlays = _staged(stack, run["id"])
    assert run["failed_blocks"] == 0
    retried = [o for o in overlays.values() if o["attempt_count"] > 0]
    assert retried and all(
        o["last_error_code"] is None and o["status"] == "ai_complete" for o in retried
    )
    lone = [c for c in _calls(stack, run["id"]) if len(c["block_uids"]) == 1]
    assert len(lone) >= len(retried)  # each went back alone


def test_budget_cap_holds_with_concurrent_packs(stack, client, workspace):
    budget = Decimal("0.03")
    run = client.create_run(
        {
            **workspace["target"],
            "policy_overrides": {"max_tokens": 300, "budget_usd": float(budget)},
        }
    )

    def quiet(r: dict) -> bool:
        rows = _query(
            stack.database_url,
            "SELECT count(*) FILTER (WHERE status = 'claimed') AS c,"
            " count(*) FILTER (WHERE last_error_code = 'budget_exhausted') AS b"
            " FROM overlays WHERE run_id = $1",
            uuid.UUID(run["id"]),
        )[0]
        return rows["c"] == 0 and rows["b"] > 0

    wait_for(lambda: client.run(run["id"]), quiet, timeout_s=90, what="budget reached")
    time.sleep(1.0)
    ledger = _query(
        stack.database_url, "SELECT * FROM run_budgets WHERE run_id = $1", uuid.UUID(run["id"])
    )[0]
    billed = sum(c["cost_usd"] for c in _calls(stack, run["id"]))
    assert billed <= budget
    assert ledger["spent_usd"] == billed and ledger["reserved_usd"] == 0
    paused = wait_for(
        lambda: client.run(run["id"]),
        lambda r: r["status_reason"] is not None,
        timeout_s=30,
        what="budget reason",
    )
    assert (paused["status"], paused["status_reason"]) == ("running", "budget_exhausted")
    usage = paused["usage"]
    assert Decimal(str(usage["budget_usd"])) == budget
    pending = [o for o in _staged(stack, run["id"]).values() if o["status"] == "pending"]
    assert pending and all(o["attempt_count"] == 0 for o in pending)

    # The cap is the run's, not the frozen policy's: raised, then resumed, the run finishes.
    raised = client.request("POST", f"/v1/runs/{run['id']}/budget", json={"budget_usd": "50"})
    assert Decimal(str(raised["usage"]["budget_usd"])) == Decimal("50")
    client.request("POST", f"/v1/runs/{run['id']}/resume")
    done = wait_for(
        lambda: client.run(run["id"]),
        lambda r: r["status"] == "complete",
        timeout_s=120,
        what="run completes after its budget was raised",
    )
    assert done["failed_blocks"] == 0 and done["status_reason"] is None
    assert Decimal(str(done["usage"]["cost_usd"])) > billed
