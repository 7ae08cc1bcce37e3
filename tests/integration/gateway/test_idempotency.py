"""Idempotency keys (in-process gateway, real Postgres): a retry within a day replays the first
answer; after a day the key is free again and means a new request, and expired keys are purged."""

import pytest

from tests.integration.gateway.conftest import Gateway
from tests.support.api import assert_error

pytestmark = pytest.mark.integration

DEFINITION = {"type": "object", "properties": {"party": {"type": ["string", "null"]}}}


async def _create(gw: Gateway, auth: dict[str, str], project_id: str, name: str, key: str):
    body = {"name": name, "definition": DEFINITION}
    url = f"/v1/projects/{project_id}/schemas"
    return await gw.client.post(url, json=body, headers={**auth, "Idempotency-Key": key})


async def test_a_key_replays_for_a_day_then_means_a_new_request(gw: Gateway):
    auth = await gw.account()
    project = (await gw.client.post("/v1/projects", json={"name": "p"}, headers=auth)).json()
    first = await _create(gw, auth, project["id"], "inv", "k1")
    again = await _create(gw, auth, project["id"], "inv", "k1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert_error(await _create(gw, auth, project["id"], "other", "k1"), 422, "idempotency_key_reused")

    # A day later the key no longer holds that answer: the same key saves a new schema.
    await gw.pool.execute(
        "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'k1'"
    )
    later = await _create(gw, auth, project["id"], "other", "k1")
    assert later.status_code == 201 and later.json()["id"] != first.json()["id"]
    assert later.json()["name"] == "other"

    # Claiming a new key purges the account's expired ones, and only those.
    await gw.pool.execute(
        "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'k1'"
    )
    await _create(gw, auth, project["id"], "third", "k2")
    keys = await gw.pool.fetch("SELECT key FROM idempotency_keys ORDER BY key")
    assert [r["key"] for r in keys] == ["k2"]
