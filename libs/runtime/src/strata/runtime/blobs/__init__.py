"""Blob storage (uploads, exports) behind one async, streaming interface with two backends: a
local folder (the default for one machine) and S3-compatible object storage. Services see the
`BlobStore` protocol; `open_blob_store` builds the one the settings name."""

from collections.abc import AsyncIterable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Protocol

from strata.runtime.blobs.config import BlobConfig, check_config, open_blob_store, open_blob_uri
from strata.runtime.blobs.errors import (
    BlobConfigError,
    BlobKeyError,
    BlobNotFoundError,
    BlobStoreError,
    BlobTooLargeError,
)
from strata.runtime.blobs.keys import check_key
from strata.runtime.blobs.store import BlobStream, ObjectBlobStore

__all__ = [
    "BlobConfig",
    "BlobConfigError",
    "BlobKeyError",
    "BlobNotFoundError",
    "BlobStore",
    "BlobStoreError",
    "BlobStream",
    "BlobTooLargeError",
    "ObjectBlobStore",
    "check_config",
    "check_key",
    "open_blob_store",
    "open_blob_uri",
]


class BlobStore(Protocol):
    """Every method checks the key first (`BlobKeyError`); a missing blob is
    `BlobNotFoundError`, a backend failure the retryable `BlobStoreError`."""

    async def put_stream(
        self, key: str, chunks: AsyncIterable[bytes], *, max_bytes: int
    ) -> tuple[int, str]: ...
    async def put_file(self, key: str, path: Path, *, content_type: str | None = None) -> None: ...
    async def size(self, key: str) -> int: ...
    async def exists(self, key: str) -> bool: ...
    async def open(self, key: str, *, start: int = 0, end: int | None = None) -> BlobStream: ...
    async def read(self, key: str, *, max_bytes: int) -> bytes: ...
    async def delete(self, key: str) -> None: ...
    def spooled(self, key: str, *, max_bytes: int) -> AbstractAsyncContextManager[Path]: ...
    async def presigned_url(self, key: str) -> str | None: ...
