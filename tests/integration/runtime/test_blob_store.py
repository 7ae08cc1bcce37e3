"""The blob store on both backends: a local folder and a real S3-speaking server (moto's, as a
process). The same behaviour is asserted on both; what only S3 does (presigning) on S3."""

import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from strata.runtime.blobs import (
    BlobConfig,
    BlobKeyError,
    BlobNotFoundError,
    BlobStoreError,
    BlobTooLargeError,
    ObjectBlobStore,
    open_blob_store,
)
from strata.runtime.blobs.store import PART_BYTES
from tests.support.s3 import S3Server

pytestmark = pytest.mark.integration

MIB = 1024 * 1024


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, ObjectBlobStore]:
    if request.param == "local":
        return "local", open_blob_store(BlobConfig(url=(tmp_path / "blobs").as_uri()))
    server: S3Server = request.getfixturevalue("s3_server")
    bucket = server.new_bucket()
    return "s3", open_blob_store(server.config(bucket, prefix="strata/test"))


async def _chunks(n: int, size: int = MIB) -> AsyncIterator[bytes]:
    for i in range(n):
        yield bytes([i % 251]) * size


async def test_streamed_put_then_streamed_and_ranged_get(backend) -> None:
    _, blobs = backend
    # More than two parts: a real multipart upload on S3, written as the chunks come.
    size, sha = await blobs.put_stream("documents/big", _chunks(12), max_bytes=64 * MIB)
    expected = b"".join([bytes([i % 251]) * MIB for i in range(12)])
    assert size == len(expected) > 2 * PART_BYTES
    assert sha == hashlib.sha256(expected).hexdigest()
    assert await blobs.size("documents/big") == size and await blobs.exists("documents/big")

    stream = await blobs.open("documents/big")
    chunks = [chunk async for chunk in stream]
    assert len(chunks) > 1 and b"".join(chunks) == expected  # streamed, not one buffer

    part = await blobs.open("documents/big", start=MIB - 3, end=MIB + 5)
    assert (part.size, part.start, part.end, part.length) == (size, MIB - 3, MIB + 5, 8)
    assert b"".join([c async for c in part]) == expected[MIB - 3 : MIB + 5]
    tail = await blobs.open("documents/big", start=size - 10)
    assert b"".join([c async for c in tail]) == expected[-10:]


async def test_too_large_upload_leaves_nothing(backend, tmp_path: Path) -> None:
    kind, blobs = backend
    with pytest.raises(BlobTooLargeError):
        await blobs.put_stream("documents/over", _chunks(8), max_bytes=3 * MIB)
    assert not await blobs.exists("documents/over")
    if kind == "local":
        assert not [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]


async def test_missing_blob_is_a_stable_error_and_delete_is_idempotent(backend) -> None:
    _, blobs = backend
    for attempt in (blobs.size("nope/x"), blobs.open("nope/x"), blobs.read("nope/x", max_bytes=9)):
        with pytest.raises(BlobNotFoundError) as missing:
            await attempt
        assert missing.value.code == "blob_missing" and not missing.value.retryable
    assert not await blobs.exists("nope/x")
    await blobs.delete("nope/x")

    await blobs.put_stream("exports/e.csv", _chunks(1, 10), max_bytes=100)
    await blobs.delete("exports/e.csv")
    await blobs.delete("exports/e.csv")
    assert not await blobs.exists("exports/e.csv")


async def test_read_is_bounded_and_spooled_copies_are_removed(backend) -> None:
    kind, blobs = backend
    await blobs.put_stream("documents/d", _chunks(3, 1000), max_bytes=10_000)
    with pytest.raises(BlobTooLargeError):
        await blobs.read("documents/d", max_bytes=2999)
    assert await blobs.read("documents/d", max_bytes=3000) == b"".join(
        [bytes([i]) * 1000 for i in range(3)]
    )
    with pytest.raises(BlobTooLargeError):
        async with blobs.spooled("documents/d", max_bytes=100):
            pass
    async with blobs.spooled("documents/d", max_bytes=3000) as path:
        assert path.read_bytes() == await blobs.read("documents/d", max_bytes=3000)
    assert path.exists() == (kind == "local")  # a temp copy is gone; the local file is the blob


@pytest.mark.parametrize(
    "key", ["../outside", "documents/../../outside", "/etc/passwd", "documents/.part", ""]
)
async def test_traversal_keys_never_reach_the_backend(backend, key: str, tmp_path: Path) -> None:
    _, blobs = backend
    with pytest.raises(BlobKeyError):
        await blobs.put_stream(key, _chunks(1, 10), max_bytes=100)
    for refused in (blobs.open(key), blobs.size(key), blobs.delete(key)):
        with pytest.raises(BlobKeyError):
            await refused
    assert not (tmp_path / "outside").exists()


async def test_put_file_and_presigned_get(s3_server: S3Server, tmp_path: Path) -> None:
    bucket = s3_server.new_bucket()
    blobs = open_blob_store(s3_server.config(bucket, prefix="p", presign_ttl_s=120))
    source = tmp_path / "export.csv"
    source.write_bytes(os.urandom(PART_BYTES + 1234))  # two parts
    await blobs.put_file("exports/x.csv", source, content_type="text/csv; charset=utf-8")
    assert s3_server.keys(bucket) == ["p/exports/x.csv"]

    url = await blobs.presigned_url("exports/x.csv")
    assert url is not None and "X-Amz-Signature=" in url and "X-Amz-Expires=120" in url
    async with httpx.AsyncClient() as http:  # no credentials: the URL is the permission
        got = await http.get(url)  # (moto does not check signatures; AWS and MinIO do)
        assert got.status_code == 200 and got.content == source.read_bytes()
        assert got.headers["content-type"] == "text/csv; charset=utf-8"


async def test_local_and_unsigned_stores_do_not_presign(s3_server: S3Server, tmp_path) -> None:
    local = open_blob_store(BlobConfig(url=tmp_path.as_uri()))
    proxied = open_blob_store(s3_server.config(s3_server.new_bucket()))
    assert await local.presigned_url("exports/x.csv") is None
    assert await proxied.presigned_url("exports/x.csv") is None


async def test_unreachable_storage_is_a_retryable_error(tmp_path: Path) -> None:
    from tests.support.net import free_port  # noqa: PLC0415

    dead = BlobConfig(
        url="s3://bucket",
        endpoint=f"http://127.0.0.1:{free_port()}",
        allow_http=True,
        access_key_id="a",
        secret_access_key="b",
        region="us-east-1",
    )
    with pytest.raises(BlobStoreError) as down:
        await open_blob_store(dead).size("documents/x")
    assert down.value.code == "blob_store_unavailable" and down.value.retryable
