"""An attacker with an account of their own tries the victim's ids on every route that takes
an id — taken from the OpenAPI document, so a new route is probed without editing this test —
and gets exactly what an unknown id gets (404 not_found), and the victim's data is untouched."""

import re
from uuid import uuid4

import pytest

from strata.crypto import CryptoSettings, MasterKey
from tests.integration.gateway.conftest import Gateway, make_ready

pytestmark = pytest.mark.integration

SCHEMA = {"properties": {"amount": {"type": "number"}}}


async def _victim(gw: Gateway) -> tuple[dict[str, str], dict[str, str]]:
    auth = await gw.account("victim")
    pid = (await gw.client.post("/v1/projects", json={"name": "v"}, headers=auth)).json()["id"]
    files = {"file": ("a.md", b"# victim", "text/markdown")}
    doc = (await gw.client.post(f"/v1/projects/{pid}/documents", files=files, headers=auth)).json()
    await make_ready(gw.pool, doc["id"], [0])
    body = {"name": "s", "definition": SCHEMA}
    sid = (await gw.client.post(f"/v1/projects/{pid}/schemas", json=body, headers=auth)).json()[
        "id"
    ]
    run = (
        await gw.client.post(
            "/v1/runs", json={"schema_id": sid, "document_ids": [doc["id"]]}, headers=auth
        )
    ).json()
    export = (await gw.client.post(f"/v1/runs/{run['id']}/exports", json={}, headers=auth)).json()
    key = (
        await gw.client.post("/v1/keys", json={"api_key": "sk-victim-123456"}, headers=auth)
    ).json()
    token = (await gw.client.post("/v1/tokens", json={"name": "ci"}, headers=auth)).json()
    hook = (
        await gw.client.post(
            f"/v1/projects/{pid}/webhooks", json={"url": "https://93.184.216.34/hook"}, headers=auth
        )
    ).json()
    ids = {
        "project_id": pid,
        "document_id": doc["id"],
        "schema_id": sid,
        "run_id": run["id"],
        "export_id": export["id"],
        "key_id": key["id"],
        "token_id": token["id"],
        "block_index": "0",
        "number": "1",
        "other_run_id": run["id"],
        "webhook_id": hook["id"],
        "delivery_id": str(uuid4()),
    }
    return auth, ids


def _bodies(ids: dict[str, str]) -> dict[str, dict]:
    """A valid body for each route that takes one, so a 404 is not hidden behind a 422."""
    return {
        "/v1/projects/{project_id}/schemas": {"name": "x", "definition": SCHEMA},
        "/v1/schemas/{schema_id}/versions": {"definition": SCHEMA, "base_version": 1},
        "/v1/runs/{run_id}/exports": {},
        "/v1/projects/{project_id}/exports": {"schema_id": ids["schema_id"]},
        "/v1/runs/{run_id}/overlays/{document_id}/{block_index}/review": {
            "action": "reject",
            "revision": 0,
        },
        "/v1/runs/{run_id}/review": {"action": "reject"},
        "/v1/schemas/{schema_id}/fork": {"name": "copy"},
        "/v1/schemas/{schema_id}/template": {"slug": "mine", "name": "Mine"},
        "/v1/schemas/{schema_id}/preview": {"document_id": ids["document_id"]},
        "/v1/runs/{run_id}/budget": {"budget_usd": "5"},
        "/v1/projects/{project_id}/webhooks": {"url": "https://93.184.216.34/other"},
        "/v1/webhooks/{webhook_id}": {"enabled": False},
    }


# Query parameters a route requires, so its 404 is not hidden behind a 422.
QUERIES = {"/v1/schemas/{schema_id}/diff": {"from": 1, "to": 1}}


async def test_every_route_with_an_id_answers_404_to_another_account(start_gateway):
    master = MasterKey.generate()
    gw = await start_gateway(crypto=CryptoSettings(master_key=master.to_base64()))
    victim, ids = await _victim(gw)
    attacker = await gw.account("attacker")
    bodies = _bodies(ids)
    document = (await gw.client.get("/openapi.json")).json()
    probed = 0
    for template, item in document["paths"].items():
        # Templates are named by slug: the gallery's are global by design, and an account's own
        # are tenant-checked in tests/e2e/test_schema_workflow.py.
        if "{" not in template or "{slug}" in template:
            continue
        path = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], template)
        for method, operation in item.items():
            kwargs: dict = {
                "headers": {**attacker, "X-Request-ID": "probe"},
                "params": QUERIES.get(template, {}),
            }
            content = operation.get("requestBody", {}).get("content", {})
            if "multipart/form-data" in content:
                kwargs["files"] = {"file": ("x.md", b"# attacker", "text/markdown")}
            elif content:
                kwargs["json"] = bodies[template]
            response = await gw.client.request(method.upper(), path, **kwargs)
            assert response.status_code == 404, (method, template, response.text)
            assert response.json()["error"]["code"] == "not_found", (method, template)
            probed += 1
    assert probed >= 30

    # nothing of the victim's moved
    for path in (
        f"/v1/projects/{ids['project_id']}",
        f"/v1/documents/{ids['document_id']}",
        f"/v1/schemas/{ids['schema_id']}",
        f"/v1/exports/{ids['export_id']}",
        f"/v1/keys/{ids['key_id']}",
    ):
        assert (await gw.client.get(path, headers=victim)).status_code == 200, path
    run = (await gw.client.get(f"/v1/runs/{ids['run_id']}", headers=victim)).json()
    assert run["status"] == "running"  # planned, not cancelled
    tokens = (await gw.client.get("/v1/tokens", headers=victim)).json()["items"]
    assert all(t["revoked_at"] is None for t in tokens)
    versions = await gw.client.get(f"/v1/schemas/{ids['schema_id']}/versions", headers=victim)
    assert [s["version"] for s in versions.json()["items"]] == [1]
