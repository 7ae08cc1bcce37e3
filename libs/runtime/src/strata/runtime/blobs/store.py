"""One blob store over obstore, for both backends (a local folder, S3-compatible storage):
async, streaming both ways, every key checked first, every backend error mapped to a stable
one (`errors.py`)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import obstore
from obstore.exceptions import BaseError, NotFoundError
from obstore.store import LocalStore, S3Store

from strata.runtime.blobs.errors import BlobNotFoundError, BlobStoreError, BlobTooLargeError
from strata.runtime.blobs.keys import check_key

if TYPE_CHECKING:
    from obstore import Attributes, GetOptions, GetResult

# A multipart part (S3's minimum is 5 MiB) and how many are in flight: what one upload may hold.
PART_BYTES = 5 * 1024 * 1024
PARTS_IN_FLIGHT = 2
READ_CHUNK_BYTES = 256 * 1024


@contextlib.contextmanager
def _mapped(key: str) -> Iterator[None]:
    try:
        yield
    except (NotFoundError, FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise BlobNotFoundError(f"blob {key!r} is not in blob storage") from None
    except (BaseError, OSError) as exc:
        raise BlobStoreError(f"blob storage failed on {key!r}: {type(exc).__name__}") from exc


@dataclass
class BlobStream:
    """An open blob (or a byte range of it): its size, the range and its chunks as they come."""

    size: int
    start: int
    end: int  # exclusive
    _result: GetResult
    _key: str

    @property
    def length(self) -> int:
        return self.end - self.start

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = self._result.stream(min_chunk_size=READ_CHUNK_BYTES)
        while True:
            with _mapped(self._key):
                try:
                    chunk = await chunks.__anext__()
                except StopAsyncIteration:
                    return
            yield bytes(chunk)


class _Measured:
    """Chunks passed through while counting and hashing them; too many bytes stop the upload."""

    def __init__(self, chunks: AsyncIterable[bytes], max_bytes: int) -> None:
        self._chunks, self._max = chunks, max_bytes
        self.size, self._digest = 0, hashlib.sha256()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._chunks:
            self.size += len(chunk)
            if self.size > self._max:
                raise BlobTooLargeError(self._max)
            self._digest.update(chunk)
            yield chunk

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()


class ObjectBlobStore:
    """The `BlobStore` of every service. An upload is atomic on both backends: a reader sees
    the whole blob or none (a local staging file renamed into place; an S3 multipart upload
    completed only at the end)."""

    def __init__(
        self,
        store: LocalStore | S3Store,
        *,
        local_root: Path | None = None,
        presign_ttl: timedelta | None = None,
    ) -> None:
        self._store = store
        self.local_root = local_root
        self._presign_ttl = presign_ttl

    async def put_stream(
        self, key: str, chunks: AsyncIterable[bytes], *, max_bytes: int
    ) -> tuple[int, str]:
        """Written chunk by chunk as they come; the size and sha256 of what was written."""
        measured = _Measured(chunks, max_bytes)
        with _mapped(check_key(key)):
            await obstore.put_async(
                self._store,
                key,
                aiter(measured),
                chunk_size=PART_BYTES,
                max_concurrency=PARTS_IN_FLIGHT,
            )
        return measured.size, measured.sha256

    async def put_file(self, key: str, path: Path, *, content_type: str | None = None) -> None:
        """A local file uploaded in parts (multipart past one part), never read whole."""
        # The type is served by S3 on presigned downloads; a local folder keeps no attributes.
        attributes: Attributes | None = None
        if content_type is not None and self.local_root is None:
            attributes = {"Content-Type": content_type}
        with _mapped(check_key(key)), path.open("rb") as source:
            await obstore.put_async(
                self._store,
                key,
                source,
                attributes=attributes,
                chunk_size=PART_BYTES,
                max_concurrency=PARTS_IN_FLIGHT,
            )

    async def size(self, key: str) -> int:
        with _mapped(check_key(key)):
            meta = await obstore.head_async(self._store, key)
        return meta["size"]

    async def exists(self, key: str) -> bool:
        try:
            await self.size(key)
        except BlobNotFoundError:
            return False
        return True

    async def open(self, key: str, *, start: int = 0, end: int | None = None) -> BlobStream:
        """The blob's bytes [start, end) as a stream; `end` None: to the end."""
        options: GetOptions = {}
        if end is not None:
            options["range"] = (start, end)
        elif start:
            options["range"] = {"offset": start}
        with _mapped(check_key(key)):
            result = await obstore.get_async(self._store, key, options=options)
            first, last = result.range
            size = result.meta["size"]
        return BlobStream(size=size, start=first, end=last, _result=result, _key=key)

    async def read(self, key: str, *, max_bytes: int) -> bytes:
        """The whole blob, refused (`BlobTooLargeError`) before reading when over `max_bytes`."""
        stream = await self.open(key)
        if stream.size > max_bytes:
            raise BlobTooLargeError(max_bytes)
        parts = [chunk async for chunk in stream]
        return b"".join(parts)

    async def delete(self, key: str) -> None:
        """Gone afterwards; a blob that was not there is not an error."""
        try:
            with _mapped(check_key(key)):
                await obstore.delete_async(self._store, key)
        except BlobNotFoundError:
            pass

    @contextlib.asynccontextmanager
    async def spooled(self, key: str, *, max_bytes: int) -> AsyncIterator[Path]:
        """A local file holding the blob, for code that needs a path (pdfium, docling): the file
        itself on the local backend, else a temp copy streamed in and deleted on exit."""
        size = await self.size(key)
        if size > max_bytes:
            raise BlobTooLargeError(max_bytes)
        if self.local_root is not None:
            yield self.local_root / key
            return
        fd, name = tempfile.mkstemp(prefix="strata-blob-")
        try:
            with os.fdopen(fd, "wb") as out:
                written = 0
                async for chunk in await self.open(key):
                    written += len(chunk)
                    if written > max_bytes:  # replaced by a larger blob since the size check
                        raise BlobTooLargeError(max_bytes)
                    out.write(chunk)
            yield Path(name)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.remove(name)

    async def presigned_url(self, key: str) -> str | None:
        """A time-limited GET URL for the blob when the deployment presigns downloads; None
        when downloads go through the gateway."""
        if self._presign_ttl is None or not isinstance(self._store, S3Store):
            return None
        with _mapped(check_key(key)):
            return await obstore.sign_async(self._store, "GET", key, self._presign_ttl)
