"""Commands by message against the real gateway app, Postgres and RabbitMQ: a command proves
its account or does nothing (answered `command.rejected`, acked, never retried), and a good one
reuses the upload and run rules."""

import asyncio
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from strata.contracts import routing
from strata.contracts.messages import DocumentConverted
from strata.gateway.web.auth import create_account
from strata.runtime.broker import EVENTS
from tests.integration.gateway.conftest import Gateway, StartGateway, make_ready

pytestmark = pytest.mark.integration

SCHEMA = {"properties": {"amount": {"type": "number"}}}


@pytest.fixture
def imports(tmp_path: Path) -> Path:
    root = tmp_path / "imports"
    root.mkdir()
    return root


@pytest.fixture
async def gw(start_gateway: StartGateway, imports: Path) -> Gateway:
    return await start_gateway(import_roots=str(imports))


async def _account(gw: Gateway, name: str) -> tuple[str, str, dict[str, str]]:
    """(account id, token, auth headers) of a new account."""
    account_id, token = await create_account(gw.pool, name)
    return str(account_id), token, {"Authorization": f"Bearer {token}"}


async def _project(gw: Gateway, auth: dict[str, str]) -> str:
    response = await gw.client.post("/v1/projects", json={"name": "p"}, headers=auth)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _command(gw: Gateway, route: routing.Route, body: dict[str, Any]) -> dict[str, Any]:
    """Publish a command as an integration would and wait for its answer."""
    correlation_id = f"corr-{uuid4()}"
    await gw.broker.publish(
        {**body, "correlation_id": correlation_id},
        exchange=EVENTS,
        routing_key=route.routing_key,
        persist=True,
    )
    for _ in range(200):
        for key, answer in gw.events.received:
            if key.startswith("command.") and answer["correlation_id"] == correlation_id:
                return {"type": key, **answer}
        await asyncio.sleep(0.05)
    raise AssertionError(f"no answer to {correlation_id}: {gw.events.received}")


async def _counts(gw: Gateway) -> tuple[int, int, int]:
    row = await gw.pool.fetchrow(
        "SELECT (SELECT count(*) FROM documents) AS d, (SELECT count(*) FROM runs) AS r,"
        " (SELECT count(*) FROM commands) AS c"
    )
    return row["d"], row["r"], row["c"]


async def test_a_command_without_a_valid_credential_of_its_account_does_nothing(
    gw: Gateway, imports: Path
) -> None:
    account_id, token, auth = await _account(gw, "acme")
    other_id, other_token, _ = await _account(gw, "other")
    project_id = await _project(gw, auth)
    (imports / "a.md").write_text("# A\n\nSome text.\n")
    ingest = {
        "account_id": account_id,
        "project_id": project_id,
        "source_uri": (imports / "a.md").as_uri(),
    }
    revoked = await gw.client.post("/v1/tokens", json={"name": "old"}, headers=auth)
    gone = await gw.client.delete(f"/v1/tokens/{revoked.json()['id']}", headers=auth)
    assert gone.status_code == 204
    refused = {
        "missing": {},
        "unknown": {"credential": "strata_" + "x" * 40},
        "revoked": {"credential": revoked.json()["token"]},
        "another account's": {"credential": other_token},
    }
    for case, credential in refused.items():
        answer = await _command(gw, routing.INGEST_REQUESTED, {**ingest, **credential})
        assert (answer["type"], answer["code"]) == ("command.rejected", "unauthorized"), case
        assert other_token not in str(answer) and token not in str(answer)
    # The other account's own credential cannot reach this account's project or schema.
    cross = await _command(
        gw,
        routing.INGEST_REQUESTED,
        {**ingest, "account_id": other_id, "credential": other_token},
    )
    assert (cross["type"], cross["code"]) == ("command.rejected", "not_found")
    assert await _counts(gw) == (0, 0, 0)
    # Every refused command was acked: nothing waits in its queue or went to the dead letters.
    assert await _queue_depth(gw, routing.INGEST_REQUESTED.queue) == 0
    assert await _queue_depth(gw, routing.DEAD_LETTER_QUEUE) == 0

    accepted = await _command(
        gw, routing.INGEST_REQUESTED, {**ingest, "credential": token, "filename": "a.md"}
    )
    assert accepted["type"] == "command.accepted" and accepted["command"] == "ingest"
    document = await gw.client.get(f"/v1/documents/{accepted['document_id']}", headers=auth)
    assert document.json()["filename"] == "a.md"
    await gw.events.wait_for("document.received", document_id=accepted["document_id"])
    assert await _counts(gw) == (1, 0, 1)


async def test_a_run_command_uses_the_run_rules_and_is_idempotent(gw: Gateway) -> None:
    account_id, token, auth = await _account(gw, "acme")
    project_id = await _project(gw, auth)
    upload = await gw.client.post(
        f"/v1/projects/{project_id}/documents",
        files={"file": ("a.md", b"# A\n\ntext\n", "text/markdown")},
        headers=auth,
    )
    document_id = upload.json()["id"]
    schema = await gw.client.post(
        f"/v1/projects/{project_id}/schemas",
        json={"name": "s", "definition": SCHEMA},
        headers=auth,
    )
    run = {
        "account_id": account_id,
        "credential": token,
        "schema_id": schema.json()["id"],
        "document_ids": [document_id],
        "idempotency_key": "run-once",
    }
    not_ready = await _command(gw, routing.RUN_REQUESTED, run)
    assert (not_ready["type"], not_ready["code"]) == ("command.rejected", "document_not_ready")
    await make_ready(gw.pool, document_id, [0, 1])
    over_budget = await _command(gw, routing.RUN_REQUESTED, {**run, "budget_usd": "-1"})
    assert over_budget["code"] == "invalid_policy_override"
    first = await _command(gw, routing.RUN_REQUESTED, {**run, "budget_usd": "2.5"})
    assert first["type"] == "command.accepted" and first["project_id"] == project_id
    again = await _command(gw, routing.RUN_REQUESTED, run)
    assert again["replayed"] is True and again["run_id"] == first["run_id"]
    got = await gw.client.get(f"/v1/runs/{first['run_id']}", headers=auth)
    assert got.json()["total_blocks"] == 2 and got.json()["policy"]["budget_usd"] == 2.5
    assert (await _counts(gw))[1:] == (1, 1)


async def _queue_depth(gw: Gateway, queue: str | None) -> int:
    connection = await gw.broker.connect()
    channel = await connection.channel()
    try:
        declared = await channel.declare_queue(queue, passive=True)
        return int(declared.declaration_result.message_count or 0)
    finally:
        await channel.close()


async def test_an_ingest_command_is_answered_once_its_document_settles(
    gw: Gateway, imports: Path
) -> None:
    account_id, token, _ = await _account(gw, "acme")
    project_id = await _project(gw, {"Authorization": f"Bearer {token}"})
    (imports / "a.md").write_text("# A\n\nSome text.\n")
    ingest = {
        "account_id": account_id,
        "credential": token,
        "project_id": project_id,
        "source_uri": (imports / "a.md").as_uri(),
        "message_id": str(uuid4()),
    }
    first = await _command(gw, routing.INGEST_REQUESTED, ingest)
    redelivered = await _command(gw, routing.INGEST_REQUESTED, ingest)
    assert first["type"] == redelivered["type"] == "command.accepted"
    assert redelivered["replayed"] and redelivered["document_id"] == first["document_id"]
    assert await _counts(gw) == (1, 0, 1)

    # What conversion does, then its notification: the waiting command is answered, once.
    await make_ready(gw.pool, first["document_id"], [0, 1, 2])
    converted = DocumentConverted(document_id=first["document_id"], block_count=3)
    for _ in range(2):
        await gw.broker.publish(
            converted.model_dump(mode="json"),
            exchange=EVENTS,
            routing_key=converted.route.routing_key,
            persist=True,
        )
    ready = await gw.events.wait_for(
        "command.document-ready", correlation_id=first["correlation_id"]
    )
    assert ready["block_count"] == 3 and ready["document_id"] == first["document_id"]

    # The same bytes again: the settled document, answered at once (no conversion will come).
    again = await _command(gw, routing.INGEST_REQUESTED, {**ingest, "message_id": str(uuid4())})
    assert again["duplicate"] and again["document_id"] == first["document_id"]
    await gw.events.wait_for("command.document-ready", correlation_id=again["correlation_id"])
    answers = [a for key, a in gw.events.received if key == "command.document-ready"]
    assert len(answers) == 2  # the redelivered notification answered nobody twice
