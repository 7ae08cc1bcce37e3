"""Intake against an in-memory store and a real local blob store."""

import hashlib
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from strata.contracts.documents import DocumentErrorCode
from strata.contracts.messages import DocumentReceived
from strata.ingest.errors import DocumentNotFoundError
from strata.ingest.intake import Intake
from strata.ingest.limits import IngestLimits
from strata.ingest.store import DocumentRow
from strata.runtime.blobs import ObjectBlobStore
from tests.support.blobs import local_blobs, write_blob


class MemoryStore:
    def __init__(self) -> None:
        self.rows: dict[UUID, DocumentRow] = {}
        self.accepted: list[tuple[UUID, str]] = []
        self.rejected: list[tuple[UUID, DocumentErrorCode, str, str | None]] = []

    async def load(self, document_id: UUID) -> DocumentRow | None:
        return self.rows.get(document_id)

    def _move(self, document_id: UUID, status: str) -> bool:
        row = self.rows[document_id]
        if row.status != "received":
            return False
        self.rows[document_id] = DocumentRow(**{**row.__dict__, "status": status})
        return True

    async def accept(self, document_id: UUID, source_format: str) -> bool:
        if not self._move(document_id, "converting"):
            return False
        self.accepted.append((document_id, source_format))
        return True

    async def reject(self, document_id, code, message, *, source_format=None) -> bool:
        if not self._move(document_id, "failed"):
            return False
        self.rejected.append((document_id, code, message, source_format))
        return True


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Intake, MemoryStore, ObjectBlobStore]:
    store, blobs = MemoryStore(), local_blobs(tmp_path)
    return Intake(store=store, blobs=blobs, limits=IngestLimits(max_bytes=1024)), store, blobs


def _add(store: MemoryStore, blobs: ObjectBlobStore, data: bytes | None, filename: str) -> UUID:
    doc_id = uuid4()
    key = f"uploads/{doc_id}"
    if data is not None:
        write_blob(blobs, key, data)
    store.rows[doc_id] = DocumentRow(
        id=doc_id,
        status="received",
        filename=filename,
        sha256=hashlib.sha256(data or b"").hexdigest(),
        byte_size=len(data or b""),
        blob_key=key,
    )
    return doc_id


def _msg(doc_id: UUID) -> DocumentReceived:
    return DocumentReceived(document_id=doc_id, project_id=uuid4())


async def test_accepts_markdown_once(setup) -> None:
    intake, store, blobs = setup
    doc_id = _add(store, blobs, b"# Hi\n", "notes.md")
    await intake.handle(_msg(doc_id))
    await intake.handle(_msg(doc_id))  # redelivery changes nothing
    assert store.accepted == [(doc_id, "md")]


async def test_sniffed_type_wins_over_filename(setup) -> None:
    intake, store, blobs = setup
    doc_id = _add(store, blobs, b"%PDF-1.7\n", "x.md")
    await intake.handle(_msg(doc_id))
    assert store.accepted == [(doc_id, "pdf")]
    exe = _add(store, blobs, b"MZ\x90\x00\x03\x00\x00\x00", "report.pdf")
    await intake.handle(_msg(exe))
    assert store.rejected[0][1:] == (
        DocumentErrorCode.UNSUPPORTED_FORMAT,
        "detected a Windows executable from the file's bytes; "
        "this deployment converts md, txt, csv, html, pdf, docx, pptx, xlsx, png, jpeg, tiff",
        "exe",
    )


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (None, DocumentErrorCode.BLOB_MISSING),
        (b"", DocumentErrorCode.EMPTY_FILE),
        (b"x" * 2000, DocumentErrorCode.FILE_TOO_LARGE),
    ],
)
async def test_rejections(setup, data: bytes | None, code: DocumentErrorCode) -> None:
    intake, store, blobs = setup
    doc_id = _add(store, blobs, data, "a.txt")
    await intake.handle(_msg(doc_id))
    assert [r[1] for r in store.rejected] == [code]
    assert store.accepted == []


async def test_checksum_mismatch(setup) -> None:
    intake, store, blobs = setup
    doc_id = _add(store, blobs, b"hello", "a.txt")
    write_blob(blobs, f"uploads/{doc_id}", b"hellp")
    await intake.handle(_msg(doc_id))
    assert store.rejected[0][1] is DocumentErrorCode.CHECKSUM_MISMATCH


async def test_unknown_document_is_a_permanent_error(setup) -> None:
    intake, _, _ = setup
    with pytest.raises(DocumentNotFoundError) as info:
        await intake.handle(_msg(uuid4()))
    assert info.value.retryable is False
