"""The gateway on S3 (moto's server as a process): uploads land in the bucket as they stream,
refused uploads leave nothing, export downloads stream through the gateway (byte ranges too) or
redirect to a presigned URL, deletes remove the object. One ranged download on the local
folder too: both backends answer the same."""

from typing import Any
from uuid import UUID

import httpx
import pytest

from tests.integration.gateway.conftest import Gateway, StartGateway
from tests.integration.gateway.test_api import _project, _ready_document, _schema, _upload
from tests.support.api import assert_error
from tests.support.s3 import S3Server

pytestmark = pytest.mark.integration

PREFIX = "tenant-a"
DATA = b"".join(b'{"row": %d}\n' % i for i in range(2000))


def _s3_settings(server: S3Server, bucket: str, *, presign_ttl_s: int = 0) -> dict[str, Any]:
    env = server.env(bucket, prefix=PREFIX, presign_ttl_s=presign_ttl_s)
    return {k.removeprefix("STRATA_").lower(): v for k, v in env.items()}


async def _ready_export(gw: Gateway, auth, put) -> str:  # type: ignore[no-untyped-def]
    """A run export made ready the way the export service leaves it: object, then row."""
    project = await _project(gw, auth)
    schema = await _schema(gw, auth, project["id"])
    doc = await _ready_document(gw, auth, project["id"], [0])
    run = await gw.client.post(
        "/v1/runs", json={"schema_id": schema["id"], "document_ids": [doc]}, headers=auth
    )
    export = await gw.client.post(
        f"/v1/runs/{run.json()['id']}/exports", json={"format": "jsonl"}, headers=auth
    )
    export_id = export.json()["id"]
    key = f"exports/{export_id}.jsonl"
    put(key, DATA)
    await gw.pool.execute(
        "UPDATE exports SET status = 'ready', blob_key = $2, row_count = 1 WHERE id = $1",
        UUID(export_id),
        key,
    )
    return export_id


async def test_uploads_downloads_and_deletes_on_s3(
    start_gateway: StartGateway, s3_server: S3Server, s3_bucket: str
):
    gw = await start_gateway(
        blob_settings=_s3_settings(s3_server, s3_bucket), max_upload_bytes=100_000
    )
    auth = await gw.account()
    s3 = s3_server.client()
    project = await _project(gw, auth)

    document = (await _upload(gw, auth, project["id"], b"# Title\n\nHello")).json()
    key = f"{PREFIX}/documents/{document['id']}"
    assert s3.get_object(Bucket=s3_bucket, Key=key)["Body"].read() == b"# Title\n\nHello"
    before = s3_server.keys(s3_bucket)
    assert_error(await _upload(gw, auth, project["id"], b"y" * 100_001), 413, "file_too_large")
    assert_error(await _upload(gw, auth, project["id"], b""), 400, "empty_file")
    duplicate = await _upload(gw, auth, project["id"], b"# Title\n\nHello", name="b.md")
    assert duplicate.json()["duplicate"] is True
    assert s3_server.keys(s3_bucket) == before  # refused and duplicate uploads left nothing

    def put(k: str, data: bytes) -> None:
        s3.put_object(Bucket=s3_bucket, Key=f"{PREFIX}/{k}", Body=data)

    export_id = await _ready_export(gw, auth, put)
    url = f"/v1/exports/{export_id}/download"
    whole = await gw.client.get(url, headers=auth)
    assert whole.status_code == 200 and whole.content == DATA
    assert whole.headers["content-length"] == str(len(DATA))
    assert whole.headers["content-type"] == "application/x-ndjson"
    assert whole.headers["content-disposition"].startswith("attachment;")
    assert whole.headers["accept-ranges"] == "bytes"

    part = await gw.client.get(url, headers={**auth, "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == DATA[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(DATA)}"
    tail = await gw.client.get(url, headers={**auth, "Range": "bytes=-7"})
    assert tail.status_code == 206 and tail.content == DATA[-7:]
    past = await gw.client.get(url, headers={**auth, "Range": f"bytes={len(DATA)}-"})
    assert_error(past, 416, "range_not_satisfiable")
    assert past.headers["content-range"] == f"bytes */{len(DATA)}"

    assert (await gw.client.delete(f"/v1/exports/{export_id}", headers=auth)).status_code == 204
    assert f"{PREFIX}/exports/{export_id}.jsonl" not in s3_server.keys(s3_bucket)

    gone = await _ready_export(gw, auth, put)
    s3.delete_object(Bucket=s3_bucket, Key=f"{PREFIX}/exports/{gone}.jsonl")
    missing = await gw.client.get(f"/v1/exports/{gone}/download", headers=auth)
    assert_error(missing, 410, "export_missing")


async def test_presigned_download_redirects_to_the_object(
    start_gateway: StartGateway, s3_server: S3Server, s3_bucket: str
):
    settings = _s3_settings(s3_server, s3_bucket, presign_ttl_s=60)
    gw = await start_gateway(blob_settings=settings)
    auth = await gw.account()
    s3 = s3_server.client()
    export_id = await _ready_export(
        gw, auth, lambda k, data: s3.put_object(Bucket=s3_bucket, Key=f"{PREFIX}/{k}", Body=data)
    )
    answer = await gw.client.get(f"/v1/exports/{export_id}/download", headers=auth)
    assert answer.status_code == 307 and answer.headers["cache-control"] == "no-store"
    location = answer.headers["location"]
    assert location.startswith(f"{s3_server.endpoint}/{s3_bucket}/{PREFIX}/exports/")
    assert "X-Amz-Expires=60" in location
    async with httpx.AsyncClient() as http:  # the storage, with no Strata credentials
        fetched = await http.get(location)
    assert fetched.status_code == 200 and fetched.content == DATA


async def test_ranged_download_on_the_local_folder(gw: Gateway):
    auth = await gw.account()

    def put(key: str, data: bytes) -> None:
        (gw.blob_root / key).parent.mkdir(parents=True, exist_ok=True)
        (gw.blob_root / key).write_bytes(data)

    export_id = await _ready_export(gw, auth, put)
    part = await gw.client.get(
        f"/v1/exports/{export_id}/download", headers={**auth, "Range": "bytes=10-"}
    )
    assert part.status_code == 206 and part.content == DATA[10:]
    assert part.headers["content-range"] == f"bytes 10-{len(DATA) - 1}/{len(DATA)}"
