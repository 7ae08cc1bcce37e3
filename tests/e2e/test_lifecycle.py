"""Issue 4, lifecycle, end to end: every service a real process, the simulator injecting faults.

Two stacks: `keyless` has no platform key (runs wait until the account adds one) and a master key
for user keys; `faulty` has the platform key, a short request timeout, and simulator rules that
inject 429/529/500/stalls/malformed answers."""

import base64
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import asyncpg
import httpx
import pytest

from strata.client import StrataApiError, StrataClient, wait_for
from tests.support import infra
from tests.support.stack import Stack, fresh_stack

pytestmark = pytest.mark.e2e

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TERMINAL = ("ai_complete", "failed")
RETRYABLE_CODES = {"rate_limited", "overloaded", "provider_error", "timeout", "invalid_output"}


def _stack(pg_template, factory, name: str, env: dict[str, str], unset=()) -> Iterator[Stack]:
    with fresh_stack(pg_template, factory.mktemp(name), extra_env=env, unset_env=tuple(unset)) as s:
        yield s


@pytest.fixture(scope="module")
def keyless(pg_template, tmp_path_factory) -> Iterator[Stack]:
    env = {
        "STRATA_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
        "LLMSIM_STALL_SECONDS": "3",
        "WORKER_REQUEST_TIMEOUT_S": "30",
    }
    yield from _stack(
        pg_template, tmp_path_factory, "keyless", env, unset=["WORKER_ANTHROPIC_API_KEY"]
    )


@pytest.fixture(scope="module")
def faulty(pg_template, tmp_path_factory) -> Iterator[Stack]:
    env = {
        "LLMSIM_STALL_SECONDS": "3",
        "WORKER_REQUEST_TIMEOUT_S": "1.5",
        "LLMSIM_RETRY_AFTER_SECONDS": "2",
        "LLMSIM_FAULT_SEED": "7",
    }
    yield from _stack(pg_template, tmp_path_factory, "faulty", env)


def _sim_rules(stack: Stack, rules: list[dict]) -> None:
    httpx.post(f"{stack.sim_url}/_sim/rules", json=rules, timeout=5).raise_for_status()


_CLIENTS: list[StrataClient] = []


@pytest.fixture(scope="module", autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _CLIENTS:
        _CLIENTS.pop().close()


def _client(stack: Stack, name: str) -> StrataClient:
    client = StrataClient(stack.gateway_url, stack.create_account(name))
    _CLIENTS.append(client)
    return client


def _ready(client: StrataClient, path: Path) -> dict:
    project = client.create_project(path.stem)
    doc = client.upload(project["id"], path)
    doc = client.converted(doc["id"])
    assert doc["status"] == "ready", doc
    return {"project": project, "doc": doc}


def _start_run(client: StrataClient, docs: list[dict], project_id: str, **overrides) -> dict:
    schema = client.create_schema(project_id, json.loads((EXAMPLES / "schema.json").read_text()))
    return client.create_run(
        {
            "schema_id": schema["id"],
            "document_ids": [d["id"] for d in docs],
            "policy_overrides": overrides,
        }
    )


def _wait_run(client, run_id: str, done, *, timeout_s: float = 90, what: str = "run") -> dict:
    return wait_for(lambda: client.run(run_id), done, timeout_s=timeout_s, what=what)


async def _db(dsn: str, sql: str, *args):
    conn = await asyncpg.connect(dsn)
    try:
        return [dict(r) for r in await conn.fetch(sql, *args)]
    finally:
        await conn.close()


def _overlays(stack: Stack, run_id: str) -> list[dict]:
    return infra.run(
        _db(
            stack.database_url,
            "SELECT * FROM overlays WHERE run_id = $1 ORDER BY document_id, block_index",
            UUID(run_id),
        )
    )


def _calls(stack: Stack, run_id: str) -> list[dict]:
    return infra.run(
        _db(
            stack.database_url,
            "SELECT * FROM llm_calls WHERE run_id = $1 ORDER BY created_at",
            UUID(run_id),
        )
    )


def _assert_exact(stack: Stack, run: dict) -> list[dict]:
    """Every overlay terminal; the run's counters equal COUNT(*) over its overlays."""
    overlays = _overlays(stack, run["id"])
    assert len(overlays) == run["total_blocks"]
    assert all(o["status"] in TERMINAL for o in overlays), [o["status"] for o in overlays]
    assert all(o["claimed_by"] is None and o["claim_expires_at"] is None for o in overlays)
    assert run["completed_blocks"] == sum(o["status"] == "ai_complete" for o in overlays)
    assert run["failed_blocks"] == sum(o["status"] == "failed" for o in overlays)
    return overlays


def _add_key(client: StrataClient, stack: Stack, api_key: str) -> dict:
    return client.request("POST", "/v1/keys", json={"api_key": api_key, "base_url": stack.sim_url})


# --- keys: no key → waiting; add key → resume → complete; invalid key → marked, waits -----------


def test_no_key_waits_then_a_key_and_resume_complete_the_run(keyless):
    client = _client(keyless, "no-key")
    made = _ready(client, EXAMPLES / "documents" / "supplier-agreement.md")
    run = _start_run(client, [made["doc"]], made["project"]["id"])
    run = _wait_run(
        client,
        run["id"],
        lambda r: r["status_reason"] == "waiting_for_api_key",
        timeout_s=30,
        what="waiting for a key",
    )
    assert run["status"] == "running"
    overlays = _overlays(keyless, run["id"])
    assert all(
        o["status"] == "pending"
        and o["last_error_code"] == "no_api_key"
        and o["attempt_count"] == 0
        for o in overlays
    )
    assert _calls(keyless, run["id"]) == []  # no call was made, none recorded

    key = _add_key(client, keyless, "user-key-good-0001")
    key = client.request("POST", f"/v1/keys/{key['id']}/validate")
    assert key["status"] == "valid" and key["hint"] == "0001"
    resumed = client.request("POST", f"/v1/runs/{run['id']}/resume")
    assert resumed["packs_offered"] >= 1
    run = _wait_run(client, run["id"], lambda r: r["status"] == "complete", what="complete")
    assert run["status_reason"] is None and run["failed_blocks"] == 0
    overlays = _assert_exact(keyless, run)
    assert all(o["attempt_count"] == 0 for o in overlays)
    for name in ("gateway", "worker"):
        assert "user-key-good-0001" not in keyless.log(name)  # never logged


def test_a_run_with_an_openai_compatible_key_completes(keyless):
    client = _client(keyless, "openai-compatible")
    made = _ready(client, EXAMPLES / "documents" / "incident-review.md")
    key = client.request(
        "POST",
        "/v1/keys",
        json={"provider": "openai_compatible", "api_key": "oa-key-0042",
              "base_url": f"{keyless.sim_url}/v1"},
    )  # fmt: skip
    assert client.request("POST", f"/v1/keys/{key['id']}/validate")["status"] == "valid"
    run = _start_run(client, [made["doc"]], made["project"]["id"])
    run = _wait_run(client, run["id"], lambda r: r["status"] == "complete", what="complete")
    assert run["failed_blocks"] == 0
    overlays = _assert_exact(keyless, run)
    assert all(o["staged"] is not None for o in overlays)
    assert _calls(keyless, run["id"])  # billed through the chat endpoint, accounted the same


def test_an_invalid_key_is_marked_invalid_and_the_run_waits_for_a_valid_one(keyless):
    client = _client(keyless, "bad-key")
    made = _ready(client, EXAMPLES / "documents" / "meeting-notes.txt")
    bad = _add_key(client, keyless, "invalid-key")  # the simulator answers 401 to it
    run = _start_run(client, [made["doc"]], made["project"]["id"])
    run = _wait_run(
        client,
        run["id"],
        lambda r: r["status_reason"] == "waiting_for_valid_api_key",
        timeout_s=30,
        what="waiting for a valid key",
    )
    bad = client.request("GET", f"/v1/keys/{bad['id']}")
    assert bad["status"] == "invalid" and bad["validated_at"] and "401" in bad["status_message"]
    assert all(
        o["status"] == "pending" and o["attempt_count"] == 0 for o in _overlays(keyless, run["id"])
    )
    assert "invalid-key" not in keyless.log("worker")

    _add_key(client, keyless, "user-key-good-0002")
    client.request("POST", f"/v1/runs/{run['id']}/resume")
    run = _wait_run(client, run["id"], lambda r: r["status"] == "complete", what="complete")
    _assert_exact(keyless, run)
    assert run["failed_blocks"] == 0


# --- cancel in the middle, then resume; retry-failed after forced failures ----------------------


def test_cancel_mid_run_discards_in_flight_answers_and_resume_completes(keyless):
    client = _client(keyless, "cancel")
    _add_key(client, keyless, "user-key-good-0003")
    made = _ready(client, EXAMPLES / "documents" / "incident-review.md")
    _sim_rules(keyless, [{"kind": "stall"}])  # every call answers after 3 s
    try:
        run = _start_run(client, [made["doc"]], made["project"]["id"])
        wait_for(
            lambda: {
                "claimed": sum(o["status"] == "claimed" for o in _overlays(keyless, run["id"]))
            },
            lambda s: s["claimed"] > 0,
            timeout_s=30,
            what="a claim in flight",
        )
        cancelled = client.request("POST", f"/v1/runs/{run['id']}/cancel")
        assert cancelled["run"]["status"] == "cancelled" and cancelled["overlays_changed"] > 0
        overlays = _overlays(keyless, run["id"])
        assert all(
            o["status"] == "pending"
            and o["claimed_by"] is None
            and o["last_error_code"] == "cancelled"
            for o in overlays
        )
        # The stalled calls answer now; their answers are discarded, nothing is claimed again.
        wait_for(
            lambda: {"log": "no longer ours" in keyless.log("worker")},
            lambda s: s["log"],
            timeout_s=20,
            what="late answer discarded",
        )
        time.sleep(1.5)
        overlays = _overlays(keyless, run["id"])
        assert all(o["status"] == "pending" for o in overlays)
        run = client.run(run["id"])
        assert run["status"] == "cancelled" and run["completed_blocks"] == 0
    finally:
        _sim_rules(keyless, [])
    resumed = client.request("POST", f"/v1/runs/{run['id']}/resume")
    assert resumed["run"]["status"] == "running"
    run = _wait_run(client, run["id"], lambda r: r["status"] == "complete", what="complete")
    overlays = _assert_exact(keyless, run)
    assert run["failed_blocks"] == 0 and all(o["last_error_code"] is None for o in overlays)


def _poison_document(tmp_path: Path) -> Path:
    path = tmp_path / "poison.md"
    path.write_text(
        "# Orders\n\nThe first order of 100 units is due within 30 days.\n\n"
        "The second order of 200 units ships in May.\n\n"
        "POISON: this block makes the simulator misbehave, 300 units.\n\n"
        "The third order of 400 units is paid on delivery.\n\n"
        "The fourth order of 500 units was cancelled.\n"
    )
    return path


def test_retry_failed_redoes_only_the_failed_block(keyless, tmp_path):
    client = _client(keyless, "retry-failed")
    _add_key(client, keyless, "user-key-good-0004")
    made = _ready(client, _poison_document(tmp_path))
    _sim_rules(keyless, [{"kind": "malformed", "text_contains": "POISON"}])
    try:
        # A malformed answer is what fails the poisoned block, and an answer constrained by
        # structured outputs cannot be malformed: this run asks for free-form answers.
        run = _start_run(
            client, [made["doc"]], made["project"]["id"], structured_outputs=False
        )
        run = _wait_run(client, run["id"], lambda r: r["status"] == "complete", what="complete")
        overlays = _assert_exact(keyless, run)
        failed = [o for o in overlays if o["status"] == "failed"]
        assert len(failed) == 1 and failed[0]["last_error_code"] == "invalid_output"
        assert failed[0]["attempt_count"] == run["policy"]["max_attempts"]
        done_before = {
            (o["document_id"], o["block_index"]): o["settled_at"]
            for o in overlays
            if o["status"] == "ai_complete"
        }
    finally:
        _sim_rules(keyless, [])
    retried = client.request("POST", f"/v1/runs/{run['id']}/retry-failed")
    assert retried["overlays_changed"] == 1 and retried["run"]["status"] == "running"
    run = _wait_run(client, run["id"], lambda r: r["status"] == "complete", what="complete again")
    overlays = _assert_exact(keyless, run)
    assert run["failed_blocks"] == 0
    # The neighbours were not touched by the retry.
    for o in overlays:
        key = (o["document_id"], o["block_index"])
        if key in done_before:
            assert o["settled_at"] == done_before[key]
    with pytest.raises(StrataApiError) as caught:
        client.request("POST", f"/v1/runs/{run['id']}/retry-failed")
    assert caught.value.code == "no_failed_blocks"


# --- steady faults: the run completes, counters exact, failures carry the right code -------------


def test_steady_faults_every_overlay_ends_terminal_with_exact_counters(faulty):
    client = _client(faulty, "faults")
    project = client.create_project("faults")
    docs = []
    for path in sorted((EXAMPLES / "documents").iterdir()):
        doc = client.upload(project["id"], path)
        docs.append(client.converted(doc["id"]))
        assert docs[-1]["status"] == "ready", docs[-1]
    _sim_rules(
        faulty,
        [
            {"kind": "rate_limited", "rate": 0.08},
            {"kind": "overloaded", "rate": 0.08},
            {"kind": "server_error", "rate": 0.08},
            {"kind": "stall", "rate": 0.05},
            {"kind": "malformed", "rate": 0.05},
        ],
    )
    try:
        run = _start_run(client, docs, project["id"], batching_enabled=False)
        run = _wait_run(
            client,
            run["id"],
            lambda r: r["status"] == "complete",
            timeout_s=240,
            what="complete under faults",
        )
    finally:
        _sim_rules(faulty, [])
    overlays = _assert_exact(faulty, run)
    for o in overlays:
        if o["status"] == "failed":
            assert o["last_error_code"] in RETRYABLE_CODES
            assert o["attempt_count"] == run["policy"]["max_attempts"]
        else:
            assert o["staged"] is not None
    seen = {c["error_code"] for c in _calls(faulty, run["id"]) if c["error_code"]}
    assert len(seen & {"rate_limited", "overloaded", "provider_error", "timeout"}) >= 3, seen
    stats = httpx.get(f"{faulty.sim_url}/_sim/stats", timeout=5).json()
    assert stats  # the simulator did inject (its stats say by kind)


def test_a_rate_limit_is_retried_no_sooner_than_its_retry_after(faulty):
    client = _client(faulty, "retry-after")
    made = _ready(client, EXAMPLES / "documents" / "meeting-notes.txt")
    _sim_rules(faulty, [{"kind": "rate_limited", "times": 1}])  # retry-after: 2 s
    try:
        run = _start_run(client, [made["doc"]], made["project"]["id"])
        run = _wait_run(client, run["id"], lambda r: r["status"] == "complete", what="complete")
    finally:
        _sim_rules(faulty, [])
    calls = _calls(faulty, run["id"])
    assert [c["error_code"] for c in calls] == ["rate_limited", None]
    gap = (calls[1]["created_at"] - calls[0]["created_at"]).total_seconds()
    assert gap >= 2.0  # the 1 s first tier was raised to the first tier ≥ retry-after (5 s)
    overlays = _assert_exact(faulty, run)
    assert all(o["attempt_count"] == 0 for o in overlays)  # a 429 is the key's, not the blocks'


def test_a_failing_block_never_drags_down_its_pack_neighbours(faulty, tmp_path):
    client = _client(faulty, "neighbours")
    made = _ready(client, _poison_document(tmp_path))
    _sim_rules(faulty, [{"kind": "drop_block", "text_contains": "POISON"}])
    try:
        run = _start_run(client, [made["doc"]], made["project"]["id"])
        run = _wait_run(client, run["id"], lambda r: r["status"] == "complete", what="complete")
    finally:
        _sim_rules(faulty, [])
    overlays = _assert_exact(faulty, run)
    texts = {b["block_index"]: b["text"] for b in client.blocks(made["doc"]["id"])}
    for o in overlays:
        if "POISON" in texts[o["block_index"]]:
            assert o["status"] == "failed" and o["last_error_code"] == "invalid_output"
        else:  # settled from the first (shared) call, with no attempt counted
            assert o["status"] == "ai_complete" and o["attempt_count"] == 0
    calls = _calls(faulty, run["id"])
    assert len(calls[0]["block_uids"]) == len(overlays)  # one pack held them all
    assert all(len(c["block_uids"]) == 1 for c in calls[1:])  # the bad block retried alone
