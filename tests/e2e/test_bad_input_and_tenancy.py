"""Bad input gets a clear error with a reason and hurts nothing else; tenants never see each
other's ids."""

import json
import uuid

import pytest

from strata.client import StrataClient, wait_for
from tests.support.api import raised_api_error

pytestmark = pytest.mark.e2e


def _settled(client: StrataClient, doc: dict) -> dict:
    return client.converted(doc["id"])



def test_bad_uploads_fail_clearly_and_the_services_keep_serving(stack, client, examples, tmp_path):
    project = client.create_project("bad input")
    empty = tmp_path / "empty.md"
    empty.write_bytes(b"")
    assert raised_api_error(lambda: client.upload(project["id"], empty)).code == "empty_file"

    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (300 * 1024))  # the e2e gateway allows 256 KiB
    error = raised_api_error(lambda: client.upload(project["id"], big))
    assert (error.status, error.code) == (413, "file_too_large")

    fake = tmp_path / "report.md"
    fake.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
    failed = _settled(client, client.upload(project["id"], fake))
    # Sniffed as PDF whatever the name; this one is truncated (issue 3: PDFs convert now).
    assert failed["status"] == "failed" and failed["error_code"] == "corrupt_file"
    assert "PDF" in failed["error_message"]

    exe = tmp_path / "invoice.txt"
    exe.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 4)
    assert _settled(client, client.upload(project["id"], exe))["error_code"] == "unsupported_format"

    schema_body = json.loads((examples / "schema.json").read_text())
    bad_schema = {**schema_body, "definition": {"type": "object"}}
    error = raised_api_error(lambda: client.create_schema(project["id"], bad_schema))
    assert (error.status, error.code) == (422, "invalid_schema")

    schema = client.create_schema(project["id"], schema_body)
    error = raised_api_error(
        lambda: client.create_run({"schema_id": schema["id"], "document_ids": [failed["id"]]})
    )
    assert (error.status, error.code) == (409, "document_not_ready")

    unknown = str(uuid.uuid4())
    for path in (
        f"/v1/documents/{unknown}",
        f"/v1/runs/{unknown}",
        f"/v1/exports/{unknown}",
        f"/v1/schemas/{unknown}",
        f"/v1/projects/{unknown}",
        "/v1/documents/not-a-uuid",
    ):
        error = raised_api_error(lambda p=path: client.request("GET", p))
        assert (error.status, error.code) == (404, "not_found"), path

    # A normal document right after all of that converts and runs.
    good = _settled(
        client, client.upload(project["id"], examples / "documents" / "meeting-notes.txt")
    )
    assert good["status"] == "ready"
    run = client.create_run({"schema_id": schema["id"], "document_ids": [good["id"]]})
    run = wait_for(
        lambda: client.run(run["id"]),
        lambda r: r["status"] == "complete",
        timeout_s=60,
        what="run complete",
    )
    assert run["completed_blocks"] == good["block_count"]
    assert all(stack.alive().values()), stack.alive()


def test_a_second_account_gets_404_on_every_id_of_the_first(stack, client, examples, tmp_path):
    project = client.create_project("tenant a")
    doc = _settled(
        client, client.upload(project["id"], examples / "documents" / "incident-review.md")
    )
    schema = client.create_schema(project["id"], json.loads((examples / "schema.json").read_text()))
    run = client.create_run({"schema_id": schema["id"], "document_ids": [doc["id"]]})
    run = wait_for(
        lambda: client.run(run["id"]),
        lambda r: r["status"] == "complete",
        timeout_s=60,
        what="run complete",
    )
    export = client.request_export(run["id"])
    wait_for(
        lambda: client.export(export["id"]),
        lambda e: e["status"] == "ready",
        timeout_s=60,
        what="export",
    )

    other = StrataClient(stack.gateway_url, stack.create_account("e2e-other"))
    try:
        for method, path in [
            ("GET", f"/v1/projects/{project['id']}"),
            ("GET", f"/v1/projects/{project['id']}/documents"),
            ("GET", f"/v1/projects/{project['id']}/schemas"),
            ("GET", f"/v1/projects/{project['id']}/runs"),
            ("GET", f"/v1/documents/{doc['id']}"),
            ("GET", f"/v1/documents/{doc['id']}/blocks"),
            ("GET", f"/v1/schemas/{schema['id']}"),
            ("GET", f"/v1/runs/{run['id']}"),
            ("GET", f"/v1/runs/{run['id']}/overlays"),
            ("GET", f"/v1/exports/{export['id']}"),
            ("GET", f"/v1/exports/{export['id']}/download"),
            ("POST", f"/v1/runs/{run['id']}/exports"),
        ]:
            kwargs = {"json": {"format": "jsonl"}} if method == "POST" else {}
            error = raised_api_error(lambda m=method, p=path, k=kwargs: other.request(m, p, **k))
            assert (error.status, error.code) == (404, "not_found"), path
        other_project = other.create_project("tenant b")
        error = raised_api_error(
            lambda: other.create_run({"schema_id": schema["id"], "document_ids": [doc["id"]]})
        )
        assert error.status == 404
        error = raised_api_error(
            lambda: other.upload(project["id"], examples / "documents" / "meeting-notes.txt")
        )
        assert error.status == 404
        assert other.request("GET", "/v1/projects")["items"] == [other_project]
    finally:
        other.close()

    anonymous = StrataClient(stack.gateway_url, None)
    try:
        assert raised_api_error(lambda: anonymous.request("GET", "/v1/projects")).status == 401
    finally:
        anonymous.close()
    forged = StrataClient(stack.gateway_url, "strata_forged-token")
    try:
        assert raised_api_error(lambda: forged.request("GET", f"/v1/runs/{run['id']}")).status == 401
    finally:
        forged.close()
