"""The gateway over HTTP against real Postgres and RabbitMQ."""

import asyncio
import os
import subprocess
import sys
from uuid import UUID, uuid4

import pytest

from strata.export.store import PgExportStore
from strata.runtime.outbox import Outbox
from tests.integration.gateway.conftest import Gateway, make_ready
from tests.support.api import assert_error

pytestmark = pytest.mark.integration

SCHEMA = {"properties": {"amount": {"type": "number"}, "party": {"type": "string"}}}


async def _project(gw: Gateway, auth: dict[str, str], name: str = "p") -> dict:
    response = await gw.client.post("/v1/projects", json={"name": name}, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()


async def _upload(gw: Gateway, auth, project_id: str, data: bytes, name: str = "a.md"):
    files = {"file": (name, data, "text/markdown")}
    return await gw.client.post(f"/v1/projects/{project_id}/documents", files=files, headers=auth)


async def _ready_document(gw: Gateway, auth, project_id: str, indices: list[int]) -> str:
    response = await _upload(gw, auth, project_id, f"doc {uuid4()}".encode())
    assert response.status_code == 201, response.text
    document_id = response.json()["id"]
    await make_ready(gw.pool, document_id, indices)
    return document_id


async def _schema(gw: Gateway, auth, project_id: str, **extra) -> dict:
    body = {"name": "invoice", "definition": SCHEMA, **extra}
    response = await gw.client.post(f"/v1/projects/{project_id}/schemas", json=body, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()



async def test_healthz_and_openapi(gw: Gateway):
    assert (await gw.client.get("/healthz")).json() == {"status": "ok"}
    assert (await gw.client.get("/docs")).status_code == 200
    paths = (await gw.client.get("/openapi.json")).json()["paths"]
    assert "/v1/runs/{run_id}/overlays" in paths


async def test_missing_or_bad_token_is_401(gw: Gateway):
    assert_error(await gw.client.get("/v1/projects"), 401, "unauthorized")
    bad = {"Authorization": "Bearer strata_nope"}
    assert_error(await gw.client.get("/v1/projects", headers=bad), 401, "unauthorized")
    auth = await gw.account()
    assert (await gw.client.get("/v1/projects", headers=auth)).status_code == 200
    await gw.pool.execute("UPDATE api_tokens SET revoked_at = now()")
    assert_error(await gw.client.get("/v1/projects", headers=auth), 401, "unauthorized")


async def test_projects_crud_and_unknown_ids(gw: Gateway):
    auth = await gw.account()
    first = await _project(gw, auth, "first")
    second = await _project(gw, auth, "second")
    assert set(first) == {"id", "name", "created_at"}
    listed = (await gw.client.get("/v1/projects", headers=auth)).json()["items"]
    assert [p["id"] for p in listed] == [second["id"], first["id"]]
    got = await gw.client.get(f"/v1/projects/{first['id']}", headers=auth)
    assert got.json() == first
    assert_error(await gw.client.get(f"/v1/projects/{uuid4()}", headers=auth), 404, "not_found")
    assert_error(await gw.client.get("/v1/projects/not-a-uuid", headers=auth), 404, "not_found")
    message = assert_error(
        await gw.client.post("/v1/projects", json={}, headers=auth), 422, "invalid_request"
    )
    assert "name" in message


async def test_upload_records_and_announces_the_document(gw: Gateway):
    auth = await gw.account()
    project = await _project(gw, auth)
    response = await _upload(gw, auth, project["id"], b"# Title\n\nHello")
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["status"] == "received" and document["duplicate"] is False
    assert document["byte_size"] == 14 and document["filename"] == "a.md"
    assert (gw.blob_root / "documents" / document["id"]).read_bytes() == b"# Title\n\nHello"
    message = await gw.events.wait_for("document.received", document_id=document["id"])
    assert message["project_id"] == project["id"]
    # The row is marked once the broker has the message; a consumer may see it first.
    for _ in range(100):
        if await gw.pool.fetchval("SELECT published_at FROM outbox") is not None:
            break
        await asyncio.sleep(0.05)
    assert await gw.pool.fetchval("SELECT published_at FROM outbox") is not None
    got = await gw.client.get(f"/v1/documents/{document['id']}", headers=auth)
    assert got.json() == document
    listed = await gw.client.get(f"/v1/projects/{project['id']}/documents", headers=auth)
    assert [d["id"] for d in listed.json()["items"]] == [document["id"]]


async def test_duplicate_upload_answers_the_existing_document(gw: Gateway):
    auth = await gw.account()
    project = await _project(gw, auth)
    first = (await _upload(gw, auth, project["id"], b"same bytes")).json()
    again = await _upload(gw, auth, project["id"], b"same bytes", name="b.md")
    assert again.status_code == 200
    assert again.json() == {**first, "duplicate": True}
    assert await gw.pool.fetchval("SELECT count(*) FROM documents") == 1
    assert await gw.pool.fetchval("SELECT count(*) FROM outbox") == 1
    assert [p.name for p in (gw.blob_root / "documents").iterdir()] == [first["id"]]


async def test_empty_upload_is_400(gw: Gateway):
    auth = await gw.account()
    project = await _project(gw, auth)
    assert_error(await _upload(gw, auth, project["id"], b""), 400, "empty_file")
    assert await gw.pool.fetchval("SELECT count(*) FROM documents") == 0
    assert not [p for p in gw.blob_root.rglob("*") if p.is_file()]


async def test_oversized_upload_is_413_and_leaves_nothing(start_gateway):
    gw = await start_gateway(max_upload_bytes=1000)
    auth = await gw.account()
    project = await _project(gw, auth)
    assert (await _upload(gw, auth, project["id"], b"x" * 1000)).status_code == 201
    assert_error(await _upload(gw, auth, project["id"], b"y" * 1001), 413, "file_too_large")
    assert await gw.pool.fetchval("SELECT count(*) FROM documents") == 1
    assert len([p for p in gw.blob_root.rglob("*") if p.is_file()]) == 1


async def test_blocks_page_in_numeric_order(gw: Gateway):
    auth = await gw.account()
    project = await _project(gw, auth)
    document_id = await _ready_document(gw, auth, project["id"], [2, 10, 1])
    url = f"/v1/documents/{document_id}/blocks"
    page = (await gw.client.get(url, params={"limit": 2}, headers=auth)).json()
    assert [b["block_index"] for b in page["items"]] == [1, 2]
    assert page["next_cursor"] == 2
    first = page["items"][0]
    assert first["block_uid"] == f"{document_id}:1"
    assert first["table"] == {"rows": [["a"]]} and first["section_path"] == ["Intro"]
    rest = await gw.client.get(url, params={"limit": 2, "cursor": 2}, headers=auth)
    assert [b["block_index"] for b in rest.json()["items"]] == [10]
    assert rest.json()["next_cursor"] is None
    assert_error(await gw.client.get(url, params={"limit": 501}, headers=auth), 422, "invalid_request")


async def test_schema_validation_and_versions(gw: Gateway):
    auth = await gw.account()
    project = await _project(gw, auth)
    base = f"/v1/projects/{project['id']}/schemas"
    no_props = await gw.client.post(base, json={"name": "x", "definition": {}}, headers=auth)
    assert "properties" in assert_error(no_props, 422, "invalid_schema")
    bad_type = {"name": "x", "definition": {"properties": {"a": {"type": "nope"}}}}
    assert_error(await gw.client.post(base, json=bad_type, headers=auth), 422, "invalid_schema")
    v1 = await _schema(gw, auth, project["id"], prompt_config={"model": "m1"})
    assert (v1["version"], v1["parent_id"], v1["prompt_config"]["model"]) == (1, None, "m1")
    again = {"name": "invoice", "definition": SCHEMA}
    assert_error(await gw.client.post(base, json=again, headers=auth), 409, "schema_exists")

    edit = {"definition": {"properties": {"total": {"type": "number"}}}, "base_version": 1}
    v2 = await gw.client.post(f"/v1/schemas/{v1['id']}/versions", json=edit, headers=auth)
    assert v2.status_code == 201, v2.text
    v2 = v2.json()
    assert (v2["version"], v2["parent_id"], v2["name"]) == (2, v1["id"], "invoice")
    assert v2["prompt_config"]["model"] == "m1"  # inherited when not given
    stale = await gw.client.post(f"/v1/schemas/{v1['id']}/versions", json=edit, headers=auth)
    assert_error(stale, 409, "stale_version")
    listed = (await gw.client.get(base, headers=auth)).json()["items"]
    assert [(s["name"], s["version"]) for s in listed] == [("invoice", 2)]
    assert (await gw.client.get(f"/v1/schemas/{v1['id']}", headers=auth)).json() == v1


async def test_run_needs_ready_documents(gw: Gateway):
    auth = await gw.account()
    project = await _project(gw, auth)
    schema = await _schema(gw, auth, project["id"])
    document_id = (await _upload(gw, auth, project["id"], b"not converted")).json()["id"]
    body = {"schema_id": schema["id"], "document_ids": [document_id]}
    message = assert_error(
        await gw.client.post("/v1/runs", json=body, headers=auth), 409, "document_not_ready"
    )
    assert document_id in message
    both = {**body, "project_id": project["id"]}
    assert_error(await gw.client.post("/v1/runs", json=both, headers=auth), 422, "invalid_request")
    empty = {"schema_id": schema["id"], "project_id": project["id"]}
    assert_error(await gw.client.post("/v1/runs", json=empty, headers=auth), 409, "no_blocks")
    assert await gw.pool.fetchval("SELECT count(*) FROM runs") == 0


async def test_run_creation_snapshots_policy_and_makes_overlays(gw: Gateway):
    auth = await gw.account()
    project = await _project(gw, auth)
    await gw.pool.execute("""UPDATE policies SET settings = '{"max_pack_size": 42}'""")
    schema = await _schema(gw, auth, project["id"], prompt_config={"temperature": 0.5})
    doc_a = await _ready_document(gw, auth, project["id"], [0, 2, 10])
    doc_b = await _ready_document(gw, auth, project["id"], [0, 1])
    body = {
        "schema_id": schema["id"],
        "document_ids": [doc_a, doc_b],
        "policy_overrides": {"max_tokens": 2000},
    }
    response = await gw.client.post("/v1/runs", json=body, headers=auth)
    assert response.status_code == 201, response.text
    run = response.json()
    # Answered at once: the exact total is known, the overlays are planned in the background.
    assert run["status"] == "planning" and run["total_blocks"] == 5
    assert sorted(run["document_ids"]) == sorted([doc_a, doc_b])
    policy = run["policy"]
    assert (policy["max_pack_size"], policy["temperature"], policy["max_tokens"]) == (42, 0.5, 2000)
    stored = await gw.pool.fetchval("SELECT policy FROM runs WHERE id = $1", UUID(run["id"]))
    assert stored == policy
    await gw.events.wait_for("run.plan-requested", run_id=run["id"])

    url = f"/v1/runs/{run['id']}/overlays"
    first = (await gw.client.get(url, params={"limit": 3}, headers=auth)).json()
    second = await gw.client.get(
        url, params={"limit": 3, "cursor": first["next_cursor"]}, headers=auth
    )
    items = first["items"] + second.json()["items"]
    assert second.json()["next_cursor"] is None
    expected = sorted([(doc_a, i) for i in (0, 2, 10)] + [(doc_b, i) for i in (0, 1)])
    assert [(o["document_id"], o["block_index"]) for o in items] == expected
    assert {o["status"] for o in items} == {"pending"}
    assert items[0]["block_uid"] == f"{expected[0][0]}:{expected[0][1]}"
    claimed = await gw.client.get(url, params={"status": "claimed"}, headers=auth)
    assert claimed.json()["items"] == []
    assert_error(await gw.client.get(url, params={"cursor": "junk"}, headers=auth), 400, "invalid_cursor")

    whole = {"schema_id": schema["id"], "project_id": project["id"]}
    assert (await gw.client.post("/v1/runs", json=whole, headers=auth)).json()["total_blocks"] == 5
    listed = await gw.client.get(f"/v1/projects/{project['id']}/runs", headers=auth)
    assert len(listed.json()["items"]) == 2
    # Planned since (as the worker would): running, every overlay written.
    got = (await gw.client.get(f"/v1/runs/{run['id']}", headers=auth)).json()
    assert (got["status"], got["total_blocks"], got["review"]["unreviewed"]) == ("running", 5, 5)
    assert {k: v for k, v in got.items() if k not in ("status", "started_at", "review")} == {
        k: v for k, v in run.items() if k not in ("status", "started_at", "review")
    }


async def test_policy_overrides_are_checked(gw: Gateway):
    auth = await gw.account()
    project = await _project(gw, auth)
    schema = await _schema(gw, auth, project["id"])
    document_id = await _ready_document(gw, auth, project["id"], [0])
    for overrides in ({"max_attempts": 9}, {"temperature": 5}):
        body = {
            "schema_id": schema["id"],
            "document_ids": [document_id],
            "policy_overrides": overrides,
        }
        response = await gw.client.post("/v1/runs", json=body, headers=auth)
        assert_error(response, 422, "invalid_policy_override")


async def test_export_request_and_download(gw: Gateway):
    auth = await gw.account()
    project = await _project(gw, auth)
    schema = await _schema(gw, auth, project["id"])
    document_id = await _ready_document(gw, auth, project["id"], [0])
    body = {"schema_id": schema["id"], "document_ids": [document_id]}
    run = (await gw.client.post("/v1/runs", json=body, headers=auth)).json()
    url = f"/v1/runs/{run['id']}/exports"
    assert_error(await gw.client.post(url, json={"format": "pdf"}, headers=auth), 422, "invalid_request")
    response = await gw.client.post(url, json={"format": "jsonl"}, headers=auth)
    assert response.status_code == 202, response.text
    export = response.json()
    assert (export["status"], export["run_id"], export["format"]) == ("pending", run["id"], "jsonl")
    await gw.events.wait_for("export.requested", export_id=export["id"])
    assert (await gw.client.get(f"/v1/exports/{export['id']}", headers=auth)).json() == export
    download = f"/v1/exports/{export['id']}/download"
    assert_error(await gw.client.get(download, headers=auth), 409, "export_not_ready")

    # What the export service does, through its own store.
    (gw.blob_root / "exports").mkdir()
    (gw.blob_root / "exports" / "e.jsonl").write_text('{"a": 1}\n')
    store = PgExportStore(outbox=Outbox(gw.pool, gw.broker, producer="export"), fetch_rows=10)
    job = await store.pending_export(UUID(export["id"]))
    assert job is not None
    assert await store.mark_ready(job, blob_key="exports/e.jsonl", row_count=1)
    completed = await gw.events.wait_for("export.completed", export_id=export["id"])
    account_id = await gw.pool.fetchval("SELECT account_id FROM runs WHERE id = $1", UUID(run["id"]))
    assert (completed["account_id"], completed["project_id"]) == (str(account_id), project["id"])
    file = await gw.client.get(download, headers=auth)
    assert file.status_code == 200 and file.text == '{"a": 1}\n'
    assert file.headers["content-type"].startswith("application/x-ndjson")
    assert f'filename="run-{run["id"]}-invoice-v1.jsonl"' in file.headers["content-disposition"]


async def test_another_account_sees_nothing(gw: Gateway):
    owner = await gw.account("owner")
    project = await _project(gw, owner)
    schema = await _schema(gw, owner, project["id"])
    document_id = await _ready_document(gw, owner, project["id"], [0, 1])
    body = {"schema_id": schema["id"], "document_ids": [document_id]}
    run = (await gw.client.post("/v1/runs", json=body, headers=owner)).json()
    export = (await gw.client.post(f"/v1/runs/{run['id']}/exports", json={}, headers=owner)).json()

    other = await gw.account("other")
    pid, sid, rid, eid = project["id"], schema["id"], run["id"], export["id"]
    for path in [
        f"/v1/projects/{pid}",
        f"/v1/projects/{pid}/documents",
        f"/v1/projects/{pid}/schemas",
        f"/v1/projects/{pid}/runs",
        f"/v1/documents/{document_id}",
        f"/v1/documents/{document_id}/blocks",
        f"/v1/schemas/{sid}",
        f"/v1/runs/{rid}",
        f"/v1/runs/{rid}/overlays",
        f"/v1/exports/{eid}",
        f"/v1/exports/{eid}/download",
    ]:
        assert_error(await gw.client.get(path, headers=other), 404, "not_found")
        probe = {**other, "X-Request-ID": "probe"}  # the same id, so whole bodies compare
        unknown = await gw.client.get(path.replace(path.split("/")[3], str(uuid4())), headers=probe)
        assert unknown.json() == (await gw.client.get(path, headers=probe)).json()
    writes = [
        (f"/v1/projects/{pid}/schemas", {"name": "mine", "definition": SCHEMA}),
        (f"/v1/schemas/{sid}/versions", {"definition": SCHEMA, "base_version": 1}),
        (f"/v1/runs/{rid}/exports", {"format": "jsonl"}),
        ("/v1/runs", {"schema_id": sid, "document_ids": [document_id]}),
        ("/v1/runs", {"schema_id": sid, "project_id": pid}),
    ]
    for path, payload in writes:
        assert_error(await gw.client.post(path, json=payload, headers=other), 404, "not_found")
    upload = await _upload(gw, other, pid, b"sneaky")
    assert_error(upload, 404, "not_found")

    # The other account's own schema cannot reach the owner's document either.
    own_project = await _project(gw, other)
    own_schema = await _schema(gw, other, own_project["id"])
    steal = {"schema_id": own_schema["id"], "document_ids": [document_id]}
    assert_error(await gw.client.post("/v1/runs", json=steal, headers=other), 404, "not_found")
    assert await gw.pool.fetchval("SELECT count(*) FROM runs") == 1
    assert await gw.pool.fetchval("SELECT count(*) FROM exports") == 1


def test_cli_creates_an_account_and_prints_its_token(database_url: str):
    env = {**os.environ, "STRATA_DATABASE_URL": database_url}
    # The `strata` command line's admin group runs the gateway's `strata-admin` script.
    done = subprocess.run(
        [sys.executable, "-m", "strata.cli", "admin", "create-account", "ops", "--superuser"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    token = done.stdout.strip().splitlines()[-1]
    assert token.startswith("strata_")
    assert "ops" in done.stderr


async def test_a_failed_publish_after_commit_still_answers_success(gw: Gateway):
    """The row is committed, so the client must not retry; the outbox relay publishes later."""
    auth = await gw.account()
    project = await _project(gw, auth)
    await gw.broker.stop()
    response = await _upload(gw, auth, project["id"], b"committed while the broker is away")
    assert response.status_code == 201, response.text
    document_id = response.json()["id"]
    assert (gw.blob_root / "documents" / document_id).is_file()
    assert await gw.pool.fetchval("SELECT published_at IS NULL FROM outbox")
