"""A run's mode through the API: asked for, the admin's default above a size, refused when
unknown or given as an override; the dry run prices both modes."""

from decimal import Decimal

from tests.integration.gateway.conftest import Gateway
from tests.integration.gateway.test_api import _project, _ready_document, _schema
from tests.support.api import assert_error


async def test_the_mode_is_asked_for_or_follows_the_admin_threshold(gw: Gateway):
    auth = await gw.account()
    project = await _project(gw, auth)
    schema = await _schema(gw, auth, project["id"])
    small = await _ready_document(gw, auth, project["id"], [0, 1])
    large = await _ready_document(gw, auth, project["id"], [0, 1, 2, 3, 4])
    await gw.pool.execute("""UPDATE policies SET settings = '{"deferred_above_blocks": 3}'""")

    async def create(document_id: str, **extra: object) -> dict:
        body = {"schema_id": schema["id"], "document_ids": [document_id], **extra}
        response = await gw.client.post("/v1/runs", json=body, headers=auth)
        assert response.status_code in (200, 201), response.text
        return response.json()

    assert (await create(small))["policy"]["mode"] == "realtime"
    assert (await create(large))["policy"]["mode"] == "deferred"
    assert (await create(large, mode="realtime"))["policy"]["mode"] == "realtime"
    assert (await create(small, mode="deferred"))["policy"]["mode"] == "deferred"

    estimate = await create(large, dry_run=True)
    assert estimate["mode"] == "deferred" and estimate["cost_usd"] == estimate["deferred_cost_usd"]
    realtime, deferred = (
        Decimal(estimate["realtime_cost_usd"]),
        Decimal(estimate["deferred_cost_usd"]),
    )
    assert Decimal(0) < deferred < realtime

    body = {"schema_id": schema["id"], "document_ids": [small], "mode": "soon"}
    response = await gw.client.post("/v1/runs", json=body, headers=auth)
    assert_error(response, 422, "invalid_request")
    body = {
        "schema_id": schema["id"],
        "document_ids": [small],
        "policy_overrides": {"mode": "deferred"},
    }
    response = await gw.client.post("/v1/runs", json=body, headers=auth)
    assert_error(response, 422, "invalid_policy_override")
