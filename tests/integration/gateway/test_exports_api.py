"""Export routes: scopes, validation, listing pages, download headers, delete (real Postgres,
RabbitMQ and blob folder; the file is put in place the way the export service would)."""

from uuid import uuid4

import pytest

from tests.integration.gateway.conftest import Gateway
from tests.integration.gateway.test_api import _project, _ready_document, _schema
from tests.support.api import assert_error

pytestmark = pytest.mark.integration


async def _run(gw: Gateway, auth, schema_id: str, document_ids: list[str]) -> dict:
    body = {"schema_id": schema_id, "document_ids": document_ids}
    response = await gw.client.post("/v1/runs", json=body, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()


async def _finish(gw: Gateway, export_id: str, data: bytes, fmt: str) -> None:
    """What the export service does: the file in blob storage, the row ready."""
    (gw.blob_root / "exports").mkdir(exist_ok=True)
    (gw.blob_root / "exports" / f"{export_id}.{fmt}").write_bytes(data)
    await gw.pool.execute(
        "UPDATE exports SET status = 'ready', blob_key = $2, row_count = 1 WHERE id = $1",
        export_id,
        f"exports/{export_id}.{fmt}",
    )


async def test_scopes_validation_download_headers_and_delete(gw: Gateway):
    auth = await gw.account()
    project = await _project(gw, auth, "Acme; \"legal\"")
    schema = await _schema(gw, auth, project["id"])
    doc = await _ready_document(gw, auth, project["id"], [0, 1])
    other_doc = await _ready_document(gw, auth, project["id"], [0])
    run = await _run(gw, auth, schema["id"], [doc])
    await gw.pool.execute(
        "UPDATE documents SET filename = $2 WHERE id = $1", doc, 'Ré"sumé\r\n=1.md'
    )

    url = f"/v1/runs/{run['id']}/exports"
    body = {"format": "xlsx", "content": "merged", "document_id": doc}
    response = await gw.client.post(url, json=body, headers=auth)
    assert response.status_code == 202, response.text
    export = response.json()
    assert (export["scope"], export["content"], export["format"]) == ("document", "merged", "xlsx")
    assert (export["project_id"], export["schema_id"]) == (project["id"], schema["id"])
    assert export["download_path"] is None
    await gw.events.wait_for("export.requested", export_id=export["id"])

    for bad, code in [
        ({"format": "pdf"}, "invalid_request"),
        ({"content": "everything"}, "invalid_request"),
        ({"document_id": other_doc}, "document_not_in_run"),
        ({"document_id": str(uuid4())}, "document_not_in_run"),
        ({"unknown": 1}, "invalid_request"),
    ]:
        assert_error(await gw.client.post(url, json=bad, headers=auth), 422, code)

    await _finish(gw, export["id"], b"PK fake", "xlsx")
    got = (await gw.client.get(f"/v1/exports/{export['id']}", headers=auth)).json()
    assert got["download_path"] == f"/v1/exports/{export['id']}/download"
    file = await gw.client.get(got["download_path"], headers=auth)
    assert file.status_code == 200 and file.content == b"PK fake"
    assert file.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = file.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="Re_sume_1-invoice-v1.xlsx"; ')
    assert "filename*=UTF-8''R%C3%A9%22sum%C3%A9_%3D1-invoice-v1.xlsx" in disposition

    # Project scope: the schema must be the project's.
    purl = f"/v1/projects/{project['id']}/exports"
    response = await gw.client.post(
        purl, json={"schema_id": schema["id"], "format": "md"}, headers=auth
    )
    assert response.status_code == 202, response.text
    project_export = response.json()
    assert (project_export["scope"], project_export["run_id"]) == ("project", None)
    assert project_export["content"] == "confirmed"
    assert_error(await gw.client.post(purl, json={"schema_id": str(uuid4())}, headers=auth), 404,
           "not_found")
    assert_error(await gw.client.post(purl, json={}, headers=auth), 422, "invalid_request")
    await _finish(gw, project_export["id"], b"# md\n", "md")
    file = await gw.client.get(f"/v1/exports/{project_export['id']}/download", headers=auth)
    assert file.headers["content-type"] == "text/markdown; charset=utf-8"
    assert 'filename="Acme_ _legal_-invoice-v1.md"' in file.headers["content-disposition"]

    # Delete: the row and the file; then it is unknown.
    path = gw.blob_root / "exports" / f"{export['id']}.xlsx"
    deleted = await gw.client.delete(f"/v1/exports/{export['id']}", headers=auth)
    assert deleted.status_code == 204 and not path.exists()
    assert_error(await gw.client.get(f"/v1/exports/{export['id']}", headers=auth), 404, "not_found")
    assert_error(await gw.client.delete(f"/v1/exports/{export['id']}", headers=auth), 404, "not_found")
    other = await gw.account("other")
    assert_error(await gw.client.delete(f"/v1/exports/{project_export['id']}", headers=other), 404,
           "not_found")
    assert_error(await gw.client.post(purl, json={"schema_id": schema["id"]}, headers=other), 404,
           "not_found")


async def test_exports_list_in_pages_newest_first(gw: Gateway):
    auth = await gw.account()
    project = await _project(gw, auth)
    schema = await _schema(gw, auth, project["id"])
    run = await _run(gw, auth, schema["id"], [await _ready_document(gw, auth, project["id"], [0])])
    made = []
    for fmt in ("jsonl", "csv", "xlsx", "md", "csv"):
        response = await gw.client.post(
            f"/v1/runs/{run['id']}/exports", json={"format": fmt}, headers=auth
        )
        made.append(response.json()["id"])
    response = await gw.client.post(
        f"/v1/projects/{project['id']}/exports", json={"schema_id": schema["id"]}, headers=auth
    )
    project_export = response.json()["id"]

    async def all_pages(path: str) -> list[str]:
        ids, cursor = [], None
        while True:
            params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = (await gw.client.get(path, params=params, headers=auth)).json()
            assert len(page["items"]) <= 2
            ids += [e["id"] for e in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                return ids

    assert await all_pages(f"/v1/runs/{run['id']}/exports") == made[::-1]
    assert await all_pages(f"/v1/projects/{project['id']}/exports") == [project_export, *made[::-1]]
    bad = await gw.client.get(
        f"/v1/runs/{run['id']}/exports", params={"cursor": "nope"}, headers=auth
    )
    assert_error(bad, 422, "invalid_cursor")
    other = await gw.account("other")
    assert_error(await gw.client.get(f"/v1/runs/{run['id']}/exports", headers=other), 404, "not_found")
    assert_error(
        await gw.client.get(f"/v1/projects/{project['id']}/exports", headers=other),
        404,
        "not_found",
    )
