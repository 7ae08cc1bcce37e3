"""Issue 14: uploads that used to answer 500, or a failed document for ever."""

import pytest

from tests.integration.gateway.conftest import Gateway

pytestmark = pytest.mark.integration


async def _project(gw: Gateway, auth: dict[str, str]) -> str:
    response = await gw.client.post("/v1/projects", json={"name": "p"}, headers=auth)
    return response.json()["id"]


async def _upload(gw: Gateway, auth: dict[str, str], project_id: str, data: bytes, name: str):
    files = {"file": (name, data, "text/plain")}
    return await gw.client.post(f"/v1/projects/{project_id}/documents", files=files, headers=auth)


async def test_a_nul_byte_in_the_filename_is_dropped_not_a_500(gw: Gateway) -> None:
    auth = await gw.account()
    project_id = await _project(gw, auth)
    # Written by hand: httpx would percent-encode the NUL, curl and browsers may not.
    body = (
        b"--b0undary\r\n"
        b'Content-Disposition: form-data; name="file"; filename="evil\x00.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nhello\r\n--b0undary--\r\n"
    )
    headers = {**auth, "Content-Type": "multipart/form-data; boundary=b0undary"}
    response = await gw.client.post(
        f"/v1/projects/{project_id}/documents", content=body, headers=headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == "evil.txt"


async def test_re_uploading_a_failed_document_converts_it_again(gw: Gateway) -> None:
    auth = await gw.account()
    project_id = await _project(gw, auth)
    first = (await _upload(gw, auth, project_id, b"same bytes", "a.txt")).json()
    await gw.events.wait_for("document.received", document_id=first["id"])
    await gw.pool.execute(
        "UPDATE documents SET status = 'failed', error_code = 'conversion_timeout', "
        "error_message = 'too slow' WHERE id = $1",
        first["id"],
    )
    again = await _upload(gw, auth, project_id, b"same bytes", "b.txt")
    assert again.status_code == 200, again.text
    body = again.json()
    assert (body["id"], body["duplicate"], body["status"]) == (first["id"], True, "received")
    assert body["error_code"] is None and body["filename"] == "b.txt"
    # Announced again, and the blob the row now points at is this upload's.
    assert await gw.pool.fetchval("SELECT count(*) FROM outbox") == 2
    blob_key = await gw.pool.fetchval("SELECT blob_key FROM documents WHERE id = $1", first["id"])
    assert (gw.blob_root / blob_key).read_bytes() == b"same bytes"
    assert len(list((gw.blob_root / "documents").iterdir())) == 1
    # A document that did not fail is still only answered.
    third = await _upload(gw, auth, project_id, b"same bytes", "c.txt")
    assert third.json()["status"] == "received"
    assert await gw.pool.fetchval("SELECT count(*) FROM outbox") == 2
