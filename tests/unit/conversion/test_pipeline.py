"""The pipeline against an in-memory store, a real blob store and an in-process runner."""

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest
from obstore.store import LocalStore

from strata.contracts.blocks import BlockDraft, BlockType
from strata.contracts.documents import DocumentErrorCode
from strata.contracts.messages import ConversionRequested
from strata.conversion.errors import (
    ConversionTimeoutError,
    ConverterInterruptedError,
    DocumentNotFoundError,
)
from strata.conversion.limits import Limits
from strata.conversion.pipeline import ConversionPipeline
from strata.conversion.store import DocumentRow
from strata.runtime.blobs import BlobStoreError, ObjectBlobStore
from tests.support.blobs import local_blobs, write_blob

T = TypeVar("T")


class InlineRunner:
    """Runs the converter in-process; or raises what a real pool would."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        if self.error is not None:
            raise self.error
        return fn(*args)


class MemoryStore:
    def __init__(self) -> None:
        self.rows: dict[UUID, DocumentRow] = {}
        self.blocks: dict[UUID, list[BlockDraft]] = {}
        self.paths: dict[UUID, str] = {}
        self.failures: dict[UUID, tuple[DocumentErrorCode, str]] = {}

    async def load(self, document_id: UUID) -> DocumentRow | None:
        return self.rows.get(document_id)

    def _move(self, document_id: UUID, status: str) -> bool:
        row = self.rows[document_id]
        if row.status != "converting":
            return False
        self.rows[document_id] = DocumentRow(**{**row.__dict__, "status": status})
        return True

    async def complete(self, document_id, blocks, *, conversion_path) -> bool:
        if not self._move(document_id, "ready"):
            return False
        self.blocks[document_id], self.paths[document_id] = blocks, conversion_path
        return True

    async def fail(self, document_id, code, message) -> bool:
        if not self._move(document_id, "failed"):
            return False
        self.failures[document_id] = (code, message)
        return True


@pytest.fixture
def blobs(tmp_path: Path) -> ObjectBlobStore:
    return local_blobs(tmp_path)


def _doc(store: MemoryStore, blobs: ObjectBlobStore, data: bytes | None, fmt: str) -> UUID:
    doc_id = uuid4()
    if data is not None:
        write_blob(blobs, f"b/{doc_id}", data)
    store.rows[doc_id] = DocumentRow(
        id=doc_id, status="converting", blob_key=f"b/{doc_id}", source_format=fmt, filename="f"
    )
    return doc_id


def _msg(doc_id: UUID, fmt: str = "md") -> ConversionRequested:
    return ConversionRequested(document_id=doc_id, source_format=fmt)


async def test_converts_once(blobs: ObjectBlobStore) -> None:
    store = MemoryStore()
    pipeline = ConversionPipeline(store=store, blobs=blobs, runner=InlineRunner())
    doc_id = _doc(store, blobs, b"# T\n\nhello\n", "md")
    await pipeline.handle(_msg(doc_id))
    await pipeline.handle(_msg(doc_id))  # duplicate: nothing changes
    assert [b.block_type for b in store.blocks[doc_id]] == [BlockType.HEADING, BlockType.PARAGRAPH]
    assert store.paths[doc_id] == "markdown-it"
    assert store.failures == {}


@pytest.mark.parametrize(
    ("data", "fmt", "code"),
    [
        (None, "md", DocumentErrorCode.BLOB_MISSING),
        (b"---\n\n   \n", "md", DocumentErrorCode.NO_CONTENT),
        (b"\xff\xfe\x00", "txt", DocumentErrorCode.DECODE_ERROR),
        (b"%PDF-1.7", "pdf", DocumentErrorCode.CORRUPT_FILE),
        (b"x", "odt", DocumentErrorCode.UNSUPPORTED_FORMAT),
    ],
)
async def test_failures_are_recorded_on_the_document(
    blobs: ObjectBlobStore, data: bytes | None, fmt: str, code: DocumentErrorCode
) -> None:
    store = MemoryStore()
    pipeline = ConversionPipeline(store=store, blobs=blobs, runner=InlineRunner())
    doc_id = _doc(store, blobs, data, fmt)
    await pipeline.handle(_msg(doc_id, fmt))
    assert store.failures[doc_id][0] is code
    assert store.rows[doc_id].status == "failed"


async def test_timeout_fails_the_document(blobs: ObjectBlobStore) -> None:
    store = MemoryStore()
    runner = InlineRunner(ConversionTimeoutError("conversion timed out after 2s"))
    pipeline = ConversionPipeline(store=store, blobs=blobs, runner=runner)
    doc_id = _doc(store, blobs, b"text", "txt")
    await pipeline.handle(_msg(doc_id))
    assert store.failures[doc_id] == (
        DocumentErrorCode.CONVERSION_TIMEOUT,
        "conversion timed out after 2s",
    )


async def test_an_unexpected_converter_error_fails_with_a_generic_message(
    blobs: ObjectBlobStore,
) -> None:
    store = MemoryStore()
    runner = InlineRunner(RecursionError("deep internals"))
    pipeline = ConversionPipeline(store=store, blobs=blobs, runner=runner)
    doc_id = _doc(store, blobs, b"text", "txt")
    await pipeline.handle(_msg(doc_id))
    code, message = store.failures[doc_id]
    assert code is DocumentErrorCode.CONVERSION_ERROR
    assert message == "the txt converter failed on this document (RecursionError)"


async def test_an_interrupted_conversion_is_retried_not_failed(blobs: ObjectBlobStore) -> None:
    store = MemoryStore()
    runner = InlineRunner(ConverterInterruptedError())
    pipeline = ConversionPipeline(store=store, blobs=blobs, runner=runner)
    doc_id = _doc(store, blobs, b"text", "txt")
    with pytest.raises(ConverterInterruptedError):
        await pipeline.handle(_msg(doc_id))
    assert store.rows[doc_id].status == "converting"


async def test_only_converting_documents_are_touched(blobs: ObjectBlobStore) -> None:
    store = MemoryStore()
    pipeline = ConversionPipeline(store=store, blobs=blobs, runner=InlineRunner())
    doc_id = _doc(store, blobs, b"x", "txt")
    store.rows[doc_id] = DocumentRow(**{**store.rows[doc_id].__dict__, "status": "received"})
    await pipeline.handle(_msg(doc_id))
    assert store.blocks == {} and store.failures == {}
    with pytest.raises(DocumentNotFoundError):
        await pipeline.handle(_msg(uuid4()))


async def test_a_file_over_the_conversion_limit_fails_before_it_is_copied(
    blobs: ObjectBlobStore,
) -> None:
    store = MemoryStore()
    pipeline = ConversionPipeline(
        store=store, blobs=blobs, runner=InlineRunner(), limits=Limits(max_bytes=10)
    )
    doc_id = _doc(store, blobs, b"eleven byte", "txt")
    await pipeline.handle(_msg(doc_id, "txt"))
    code, message = store.failures[doc_id]
    assert code is DocumentErrorCode.FILE_TOO_LARGE and "CONVERSION_MAX_BYTES" in message


async def test_a_blob_store_outage_is_retried_not_failed(blobs: ObjectBlobStore) -> None:
    class DownStore(ObjectBlobStore):
        async def size(self, key: str) -> int:
            raise BlobStoreError("connection refused")

    store = MemoryStore()
    down = DownStore(LocalStore(blobs.local_root), local_root=blobs.local_root)
    pipeline = ConversionPipeline(store=store, blobs=down, runner=InlineRunner())
    doc_id = _doc(store, blobs, b"text", "txt")
    with pytest.raises(BlobStoreError) as raised:
        await pipeline.handle(_msg(doc_id, "txt"))
    assert raised.value.retryable and store.rows[doc_id].status == "converting"


async def test_the_converter_gets_a_path_not_the_bytes(blobs: ObjectBlobStore) -> None:
    seen: list[tuple[object, ...]] = []

    class Recording(InlineRunner):
        async def run(self, fn, *args):  # type: ignore[no-untyped-def]
            seen.append(args)
            return await super().run(fn, *args)

    store = MemoryStore()
    pipeline = ConversionPipeline(store=store, blobs=blobs, runner=Recording())
    doc_id = _doc(store, blobs, b"hello there\n", "txt")
    await pipeline.handle(_msg(doc_id, "txt"))
    ((fmt, path, _),) = seen
    assert fmt == "txt" and isinstance(path, str) and Path(path).read_bytes() == b"hello there\n"
