"""A local-folder blob store for tests, and a way to place a blob in it without the API (what
another service, or a damaged deployment, would leave there)."""

from pathlib import Path

from strata.runtime.blobs import BlobConfig, ObjectBlobStore, check_key, open_blob_store


def local_blobs(root: Path) -> ObjectBlobStore:
    return open_blob_store(BlobConfig(url=root.resolve().as_uri()))


def blob_path(blobs: ObjectBlobStore, key: str) -> Path:
    assert blobs.local_root is not None, "a local-folder store"
    return blobs.local_root / check_key(key)


def write_blob(blobs: ObjectBlobStore, key: str, data: bytes) -> Path:
    path = blob_path(blobs, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
