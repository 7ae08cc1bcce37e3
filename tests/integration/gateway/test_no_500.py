"""No input answers 500: NUL and unstorable text, hostile cursors, huge and malformed bodies;
every answer carries a request id, the access log never writes a credential."""

import json
import logging
from uuid import uuid4

import pytest

from strata.gateway.routes import projects
from tests.integration.gateway.conftest import Gateway, make_ready

pytestmark = pytest.mark.integration

SCHEMA = {"properties": {"amount": {"type": "number"}}}


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code, error
    assert error["request_id"] == response.headers["x-request-id"]
    return error


async def _project(gw: Gateway, auth) -> str:
    response = await gw.client.post("/v1/projects", json={"name": "p"}, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _json(text: str) -> bytes:
    # json.dumps escapes NUL and lone surrogates as \\uXXXX, exactly what a client sends.
    return json.dumps(text).encode()


@pytest.mark.parametrize("name", ["a\u0000b", "\ud800", "\udfff tail"])
async def test_unstorable_text_in_a_json_body_is_422(gw: Gateway, name):
    auth = await gw.account()
    as_json = {**auth, "content-type": "application/json"}
    bad = _json(name).decode()
    _error(
        await gw.client.post("/v1/projects", content=f'{{"name": {bad}}}', headers=as_json),
        422,
        "invalid_request",
    )
    pid = await _project(gw, auth)
    schemas = f"/v1/projects/{pid}/schemas"
    for body in (
        f'{{"name": {bad}, "definition": {{"properties": {{"a": {{"type": "string"}}}}}}}}',
        f'{{"name": "ok", "definition": {{"properties": {{"a": {{"description": {bad}}}}}}}}}',
        f'{{"name": "ok", "definition": {{"properties": {{{bad}: {{"type": "string"}}}}}}}}',
    ):
        _error(await gw.client.post(schemas, content=body, headers=as_json), 422, "invalid_request")
    # the connection is still good: the same account goes on working
    assert (await gw.client.get("/v1/projects", headers=auth)).status_code == 200


async def test_nul_in_a_query_string_is_422(gw: Gateway):
    auth = await gw.account()
    _error(await gw.client.get("/v1/projects?cursor=%00", headers=auth), 422, "invalid_request")


async def test_nul_in_a_filename_is_stripped(gw: Gateway):
    auth = await gw.account()
    pid = await _project(gw, auth)
    # Built by hand: HTTP clients escape a NUL in a filename, a hostile one does not.
    body = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="in\x00voice\x07.md"\r\n'
        b"Content-Type: text/markdown\r\n\r\n# hi\r\n--b--\r\n"
    )
    response = await gw.client.post(
        f"/v1/projects/{pid}/documents",
        content=body,
        headers={**auth, "content-type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == "invoice.md"


async def test_cursors_out_of_range_are_400_and_never_echoed_in_full(gw: Gateway):
    auth = await gw.account()
    pid = await _project(gw, auth)
    files = {"file": ("a.md", b"# a", "text/markdown")}
    document_id = (
        await gw.client.post(f"/v1/projects/{pid}/documents", files=files, headers=auth)
    ).json()["id"]
    await make_ready(gw.pool, document_id, [0, 1])
    schema = await gw.client.post(
        f"/v1/projects/{pid}/schemas", json={"name": "s", "definition": SCHEMA}, headers=auth
    )
    run = await gw.client.post(
        "/v1/runs",
        json={"schema_id": schema.json()["id"], "document_ids": [document_id]},
        headers=auth,
    )
    run_id = run.json()["id"]
    long_cursor = "9" * 10_000
    cases = [
        (f"/v1/documents/{document_id}/blocks", "2147483648"),
        (f"/v1/documents/{document_id}/blocks", "-2"),
        (f"/v1/documents/{document_id}/blocks", "1e3"),
        (f"/v1/runs/{run_id}/overlays", f"{document_id}:2147483648"),
        (f"/v1/runs/{run_id}/overlays", f"{document_id}:-1"),
        (f"/v1/runs/{run_id}/overlays", "zzzz-not-a-uuid:1"),
        (f"/v1/runs/{run_id}/overlays", long_cursor),
        ("/v1/projects", "bm90IGpzb24"),
        ("/v1/projects", long_cursor),
        (f"/v1/projects/{pid}/documents", "WyJ4IiwgMV0"),
    ]
    for path, cursor in cases:
        error = _error(
            await gw.client.get(path, params={"cursor": cursor}, headers=auth),
            400,
            "invalid_cursor",
        )
        assert len(error["message"]) < 120, error
    blocks = await gw.client.get(f"/v1/documents/{document_id}/blocks?cursor=0", headers=auth)
    assert [b["block_index"] for b in blocks.json()["items"]] == [1]


async def test_policy_audit_is_superuser_only_and_its_cursor_is_bounded(gw: Gateway):
    auth = await gw.account()
    _error(await gw.client.get("/v1/admin/policies/audit", headers=auth), 403, "forbidden")
    root = await gw.superuser()
    for cursor in ("9223372036854775808", "-1", "0", "x"):
        _error(
            await gw.client.get(
                "/v1/admin/policies/audit", params={"cursor": cursor}, headers=root
            ),
            400,
            "invalid_cursor",
        )
    ok = await gw.client.get("/v1/admin/policies/audit?cursor=9223372036854775807", headers=root)
    assert ok.status_code == 200 and ok.json()["items"] == []


async def test_json_bodies_have_a_size_limit_enforced_while_reading(start_gateway):
    gw = await start_gateway(max_body_bytes=4096)
    auth = await gw.account()
    huge = {"name": "x" * 10_000}
    _error(await gw.client.post("/v1/projects", json=huge, headers=auth), 413, "body_too_large")

    received = []

    async def chunks():  # no Content-Length: the limit must hold while streaming
        for _ in range(1000):
            received.append(1)
            yield b"x" * 1024

    response = await gw.client.post(
        "/v1/projects", content=chunks(), headers={**auth, "content-type": "application/json"}
    )
    _error(response, 413, "body_too_large")
    assert len(received) < 10  # stopped reading near the limit, not at the end
    # uploads have their own, larger limit
    pid = await _project(gw, auth)
    files = {"file": ("a.md", b"# a\n" + b"y" * 8000, "text/markdown")}
    upload = await gw.client.post(f"/v1/projects/{pid}/documents", files=files, headers=auth)
    assert upload.status_code == 201, upload.text


@pytest.mark.parametrize("body", [b"{", b'{"name": "a",}', b"\xff\xfe\x00", b'{"name": "a"} x'])
async def test_malformed_json_is_400_bad_request(gw: Gateway, body):
    auth = await gw.account()
    response = await gw.client.post(
        "/v1/projects", content=body, headers={**auth, "content-type": "application/json"}
    )
    _error(response, 400, "bad_request")


async def test_deeply_nested_json_is_refused(gw: Gateway):
    auth = await gw.account()
    body = '{"name": "a", "x": ' + "[" * 5000 + "]" * 5000 + "}"
    response = await gw.client.post(
        "/v1/projects", content=body, headers={**auth, "content-type": "application/json"}
    )
    assert response.status_code in (400, 422), response.text


async def test_405_lists_every_method_of_the_path(gw: Gateway):
    auth = await gw.account()
    response = await gw.client.put("/v1/projects", headers=auth)
    _error(response, 405, "method_not_allowed")
    assert {m.strip() for m in response.headers["allow"].split(",")} >= {"GET", "POST"}


async def test_request_ids_are_kept_or_made_and_logged(gw: Gateway, caplog):
    auth = await gw.account()
    mine = await gw.client.get("/v1/projects", headers={**auth, "X-Request-ID": "abc-123"})
    assert mine.headers["x-request-id"] == "abc-123"
    assert len(mine.headers["x-trace-id"]) == 32
    for sent in ("a b", "x" * 200, "<script>"):
        hostile = await gw.client.get("/v1/projects", headers={**auth, "X-Request-ID": sent})
        assert hostile.headers["x-request-id"] != sent
        assert len(hostile.headers["x-request-id"]) == 32
    made = await gw.client.get(f"/v1/projects/{uuid4()}", headers=auth)
    assert made.json()["error"]["request_id"] == made.headers["x-request-id"]

    caplog.set_level(logging.INFO, logger="strata.gateway.access")
    await gw.client.get(
        "/v1/projects?access_token=sekret123&api_key=k2&limit=5",
        headers={**auth, "X-Request-ID": "logged-1"},
    )
    lines = [r for r in caplog.records if r.name == "strata.gateway.access"]
    text = " ".join(r.getMessage() for r in lines)
    assert "sekret123" not in text and "k2" not in text and "limit=5" in text
    assert lines[-1].request_id == "logged-1"


async def test_an_unexpected_error_is_a_500_with_a_request_id(gw: Gateway, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("boom")

    auth = await gw.account()
    monkeypatch.setattr(projects, "require_project", broken)
    response = await gw.client.get(f"/v1/projects/{uuid4()}", headers=auth)
    error = _error(response, 500, "internal_error")
    assert "boom" not in error["message"]
