"""The Message Batches endpoints, driven by the official SDK 2.x in-process (no sockets)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anthropic
import pytest
from fastapi.testclient import TestClient

from strata.llm_sim import Settings, create_app
from strata.llm_sim.answers import answer_for_block

from .helpers import SCHEMA, build_body

try:  # anthropic 2.x only accepts an httpx2 client
    import httpx2 as sdk_httpx
except ImportError:  # pragma: no cover - depends on the installed SDK
    import httpx as sdk_httpx


def _params(uid: str, text: str) -> dict[str, Any]:
    body = build_body([(uid, text)])
    return {k: body[k] for k in ("model", "max_tokens", "system", "messages")}


async def _drive(settings: Settings, steps: Any) -> Any:
    app = create_app(settings)
    async with sdk_httpx.AsyncClient(transport=sdk_httpx.ASGITransport(app=app)) as http:
        client = anthropic.AsyncAnthropic(
            api_key="batch-key", base_url="http://llm-sim", http_client=http, max_retries=0
        )
        return await steps(client)


def _settings(**overrides: Any) -> Settings:
    return Settings(**{"fault_rate": 0.0, "fault_rules": None, **overrides})


def test_batch_lifecycle_and_results_by_custom_id() -> None:
    async def steps(client: anthropic.AsyncAnthropic) -> Any:
        created = await client.messages.batches.create(
            requests=[
                {"custom_id": "pack-a", "params": _params("D:0", "Total 99 USD.")},
                {"custom_id": "pack-b", "params": _params("D:1", "Nothing here")},
            ]
        )
        before = await client.messages.batches.retrieve(created.id)
        await asyncio.sleep(0.05)
        after = await client.messages.batches.retrieve(created.id)
        listed = [b.id async for b in client.messages.batches.list(limit=10)]
        results = {
            r.custom_id: r.result async for r in await client.messages.batches.results(created.id)
        }
        return created, before, after, listed, results

    created, _before, after, listed, results = asyncio.run(
        _drive(_settings(batch_processing_seconds=0.01), steps)
    )
    assert created.processing_status == "in_progress" and created.results_url is None
    assert created.request_counts.processing == 2
    assert after.processing_status == "ended" and after.request_counts.succeeded == 2
    assert listed == [created.id]
    succeeded = results["pack-a"]
    assert succeeded.type == "succeeded"
    assert succeeded.message.usage.service_tier == "batch"
    assert json.loads(succeeded.message.content[0].text) == {
        "D:0": answer_for_block("Total 99 USD.", SCHEMA)
    }
    assert results["pack-b"].type == "succeeded"


def test_cancel_ends_the_batch_with_every_request_canceled() -> None:
    async def steps(client: anthropic.AsyncAnthropic) -> Any:
        created = await client.messages.batches.create(
            requests=[{"custom_id": "p1", "params": _params("D:0", "x")}]
        )
        cancelled = await client.messages.batches.cancel(created.id)
        results = [r.result.type async for r in await client.messages.batches.results(created.id)]
        return cancelled, results

    cancelled, results = asyncio.run(_drive(_settings(batch_processing_seconds=60), steps))
    assert cancelled.processing_status == "ended" and cancelled.cancel_initiated_at is not None
    assert cancelled.request_counts.canceled == 1 and results == ["canceled"]


def test_partial_errors_and_expiries_follow_the_seeded_rates() -> None:
    async def steps(client: anthropic.AsyncAnthropic) -> Any:
        created = await client.messages.batches.create(
            requests=[{"custom_id": f"p{i}", "params": _params(f"D:{i}", "x")} for i in range(40)]
        )
        await asyncio.sleep(0.02)
        return [r.result.type async for r in await client.messages.batches.results(created.id)]

    settings = _settings(
        batch_processing_seconds=0.01, batch_error_rate=0.2, batch_expired_rate=0.2, fault_seed=7
    )
    kinds = asyncio.run(_drive(settings, steps))
    assert len(kinds) == 40
    assert {"succeeded", "errored", "expired"} <= set(kinds)


def test_a_batch_slower_than_its_expiry_expires_whole() -> None:
    async def steps(client: anthropic.AsyncAnthropic) -> Any:
        created = await client.messages.batches.create(
            requests=[{"custom_id": "p1", "params": _params("D:0", "x")}]
        )
        await asyncio.sleep(0.02)
        return await client.messages.batches.retrieve(created.id)

    settings = _settings(batch_processing_seconds=10, batch_expiry_seconds=0.01)
    ended = asyncio.run(_drive(settings, steps))
    assert ended.processing_status == "ended" and ended.request_counts.expired == 1


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "requests: Field required"),
        ({"requests": [{"custom_id": "bad id!", "params": {}}]}, "custom_id"),
        (
            {"requests": [{"custom_id": "a", "params": {}}, {"custom_id": "a", "params": {}}]},
            "not unique",
        ),
        ({"requests": [{"custom_id": "a"}]}, "params"),
    ],
)
def test_bad_batches_are_refused(client: TestClient, body: dict[str, Any], fragment: str) -> None:
    response = client.post("/v1/messages/batches", json=body)
    assert response.status_code == 400
    assert fragment in response.json()["error"]["message"]


def test_another_keys_batch_and_early_results_are_refused(client: TestClient) -> None:
    created = client.post(
        "/v1/messages/batches",
        json={"requests": [{"custom_id": "a", "params": _params("D:0", "x")}]},
    ).json()
    other = client.get(f"/v1/messages/batches/{created['id']}", headers={"x-api-key": "other"})
    assert other.status_code == 404
    early = client.get(f"/v1/messages/batches/{created['id']}/results")
    assert early.status_code == 400 and "not ended" in early.json()["error"]["message"]
