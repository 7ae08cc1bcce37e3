"""Deleting projects, documents, schemas and runs: active runs cancelled first, no orphan
files, conflicts where a delete would break a run, and another tenant never touched."""

from pathlib import Path
from uuid import uuid4

import pytest

from tests.integration.gateway.conftest import Gateway, make_ready

pytestmark = pytest.mark.integration

SCHEMA = {"properties": {"amount": {"type": "number"}}}


async def _tenant(gw: Gateway, name: str) -> dict:
    """An account with a project, a ready document, a schema, a running run and a built export."""
    auth = await gw.account(name)
    pid = (await gw.client.post("/v1/projects", json={"name": name}, headers=auth)).json()["id"]
    files = {"file": ("a.md", f"# {name} {uuid4()}".encode(), "text/markdown")}
    doc = (await gw.client.post(f"/v1/projects/{pid}/documents", files=files, headers=auth)).json()
    await make_ready(gw.pool, doc["id"], [0, 1])
    body = {"name": "s", "definition": SCHEMA}
    schema = (await gw.client.post(f"/v1/projects/{pid}/schemas", json=body, headers=auth)).json()
    run_body = {"schema_id": schema["id"], "document_ids": [doc["id"]]}
    run = (await gw.client.post("/v1/runs", json=run_body, headers=auth)).json()
    export = (await gw.client.post(f"/v1/runs/{run['id']}/exports", json={}, headers=auth)).json()
    # what the export service does when it has written the file
    export_key = f"exports/{export['id']}.jsonl"
    (gw.blob_root / "exports").mkdir(exist_ok=True)
    (gw.blob_root / export_key).write_text("{}\n")
    await gw.pool.execute(
        "UPDATE exports SET status = 'ready', blob_key = $2 WHERE id = $1", export["id"], export_key
    )
    return {
        "auth": auth,
        "project": pid,
        "document": doc["id"],
        "schema": schema["id"],
        "run": run["id"],
        "export": export["id"],
        "files": [gw.blob_root / f"documents/{doc['id']}", gw.blob_root / export_key],
    }


async def _intact(gw: Gateway, tenant: dict) -> None:
    auth = tenant["auth"]
    for path in (
        f"/v1/projects/{tenant['project']}",
        f"/v1/documents/{tenant['document']}",
        f"/v1/schemas/{tenant['schema']}",
        f"/v1/runs/{tenant['run']}",
        f"/v1/exports/{tenant['export']}",
    ):
        assert (await gw.client.get(path, headers=auth)).status_code == 200, path
    assert all(Path(f).is_file() for f in tenant["files"])
    overlays = await gw.client.get(f"/v1/runs/{tenant['run']}/overlays", headers=auth)
    assert len(overlays.json()["items"]) == 2


async def test_deleting_a_project_cancels_its_runs_and_removes_everything(gw: Gateway):
    mine, theirs = await _tenant(gw, "mine"), await _tenant(gw, "theirs")
    auth = mine["auth"]
    deleted = await gw.client.delete(f"/v1/projects/{mine['project']}", headers=auth)
    assert deleted.status_code == 204, deleted.text
    await gw.events.wait_for("run.cancelled", run_id=mine["run"])
    for path in (
        f"/v1/projects/{mine['project']}",
        f"/v1/documents/{mine['document']}",
        f"/v1/schemas/{mine['schema']}",
        f"/v1/runs/{mine['run']}",
        f"/v1/exports/{mine['export']}",
    ):
        assert (await gw.client.get(path, headers=auth)).status_code == 404, path
    assert not any(Path(f).exists() for f in mine["files"])
    left = await gw.pool.fetchval(
        "SELECT count(*) FROM overlays WHERE run_id = $1", mine["run"]
    ) + await gw.pool.fetchval(
        "SELECT count(*) FROM blocks WHERE document_id = $1", mine["document"]
    )
    assert left == 0
    await _intact(gw, theirs)
    again = await gw.client.delete(f"/v1/projects/{mine['project']}", headers=auth)
    assert again.status_code == 404


async def test_deleting_a_run_cancels_it_first_and_removes_its_export_files(gw: Gateway):
    mine = await _tenant(gw, "mine")
    auth = mine["auth"]
    assert (await gw.client.delete(f"/v1/runs/{mine['run']}", headers=auth)).status_code == 204
    await gw.events.wait_for("run.cancelled", run_id=mine["run"])
    assert (await gw.client.get(f"/v1/runs/{mine['run']}", headers=auth)).status_code == 404
    assert (await gw.client.get(f"/v1/exports/{mine['export']}", headers=auth)).status_code == 404
    assert not mine["files"][1].exists() and mine["files"][0].is_file()
    # the document and schema stay; with no run left, the schema may now go
    assert (
        await gw.client.get(f"/v1/documents/{mine['document']}", headers=auth)
    ).status_code == 200
    assert (
        await gw.client.delete(f"/v1/schemas/{mine['schema']}", headers=auth)
    ).status_code == 204


async def test_a_document_or_schema_in_use_answers_409(gw: Gateway):
    mine = await _tenant(gw, "mine")
    auth = mine["auth"]
    in_use = await gw.client.delete(f"/v1/documents/{mine['document']}", headers=auth)
    assert in_use.status_code == 409 and in_use.json()["error"]["code"] == "document_in_use"
    schema = await gw.client.delete(f"/v1/schemas/{mine['schema']}", headers=auth)
    assert schema.status_code == 409 and schema.json()["error"]["code"] == "schema_in_use"
    await _intact(gw, mine)

    forced = await gw.client.delete(f"/v1/documents/{mine['document']}?force=true", headers=auth)
    assert forced.status_code == 204, forced.text
    assert not any(Path(f).exists() for f in mine["files"])
    assert (await gw.client.get(f"/v1/runs/{mine['run']}", headers=auth)).status_code == 404
    assert (await gw.client.get(f"/v1/projects/{mine['project']}", headers=auth)).status_code == 200


async def test_schema_delete_removes_every_version(gw: Gateway):
    auth = await gw.account()
    pid = (await gw.client.post("/v1/projects", json={"name": "p"}, headers=auth)).json()["id"]
    body = {"name": "s", "definition": SCHEMA}
    v1 = (await gw.client.post(f"/v1/projects/{pid}/schemas", json=body, headers=auth)).json()
    version = {"definition": SCHEMA, "base_version": 1}
    v2 = (
        await gw.client.post(f"/v1/schemas/{v1['id']}/versions", json=version, headers=auth)
    ).json()
    assert (await gw.client.delete(f"/v1/schemas/{v1['id']}", headers=auth)).status_code == 204
    for sid in (v1["id"], v2["id"]):
        assert (await gw.client.get(f"/v1/schemas/{sid}", headers=auth)).status_code == 404
    again = await gw.client.post(f"/v1/projects/{pid}/schemas", json=body, headers=auth)
    assert again.status_code == 201 and again.json()["version"] == 1


async def test_another_account_can_delete_nothing(gw: Gateway):
    victim = await _tenant(gw, "victim")
    attacker = await gw.account("attacker")
    for path in (
        f"/v1/projects/{victim['project']}",
        f"/v1/documents/{victim['document']}?force=true",
        f"/v1/schemas/{victim['schema']}",
        f"/v1/runs/{victim['run']}",
    ):
        response = await gw.client.delete(path, headers=attacker)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    await _intact(gw, victim)
    status = await gw.client.get(f"/v1/runs/{victim['run']}", headers=victim["auth"])
    assert status.json()["status"] != "cancelled"
