"""Receiving a document (an HTTP upload, or the bytes an `ingest.requested` command names):
stream it to blob storage, then record it and announce it atomically. One path for both, so the
size limit, the empty-file rule, the filename rule and dedupe are written once."""

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from uuid import UUID, uuid4

import asyncpg
from fastapi import UploadFile

from strata.contracts.messages import DocumentReceived
from strata.gateway.domain.blob_cleanup import discard_blob
from strata.gateway.sql import Q
from strata.gateway.web.deps import Resources
from strata.gateway.web.errors import ApiError
from strata.runtime.blobs import BlobTooLargeError
from strata.runtime.outbox import UnitOfWork

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024
MAX_FILENAME_CHARS = 255


def clean_filename(name: str | None) -> str:
    """The filename as stored: control characters (NUL, which Postgres cannot store, among them)
    and lone surrogates dropped, at most 255 characters. The name is only a label and a hint
    for text formats, so stripping is right here where refusing the upload would not be."""
    kept = "".join(c for c in (name or "") if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF)
    return kept.strip()[:MAX_FILENAME_CHARS] or "upload"


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    # Never the whole file in memory: the blob store hashes and writes chunk by chunk.
    while chunk := await upload.read(CHUNK_BYTES):
        yield chunk


# Runs inside the document's transaction with its row and whether it already existed: what a
# caller must commit with the document or not at all (a command's record and answers).
Within = Callable[[UnitOfWork, asyncpg.Record, bool], Awaitable[None]]


async def receive_upload(
    res: Resources, *, account_id: UUID, project_id: UUID, upload: UploadFile
) -> tuple[asyncpg.Record, bool]:
    """The document row and whether it already existed (same bytes in the same project)."""
    return await receive_document(
        res,
        account_id=account_id,
        project_id=project_id,
        chunks=_chunks(upload),
        filename=upload.filename,
        content_type=upload.content_type,
    )


async def receive_document(
    res: Resources,
    *,
    account_id: UUID,
    project_id: UUID,
    chunks: AsyncIterator[bytes],
    filename: str | None,
    content_type: str | None,
    within: Within | None = None,
) -> tuple[asyncpg.Record, bool]:
    """The document row and whether it already existed (same bytes in the same project)."""
    document_id = uuid4()
    blob_key = f"documents/{document_id}"
    limit = res.settings.max_upload_bytes
    try:
        size, sha256 = await res.blobs.put_stream(blob_key, chunks, max_bytes=limit)
    except BlobTooLargeError:
        raise ApiError(413, "file_too_large", f"the file is larger than {limit} bytes") from None
    if size == 0:
        await discard_blob(res.blobs, blob_key)
        raise ApiError(400, "empty_file", "the uploaded file is empty")
    # Postgres text cannot hold NUL; a filename is only a label, so drop it rather than fail.
    stored_name = clean_filename(filename)
    old_blob_key = None
    try:
        async with res.outbox.transaction() as uow:
            row = await uow.conn.fetchrow(
                Q.insert_document,
                document_id,
                account_id,
                project_id,
                stored_name,
                content_type,
                size,
                sha256,
                blob_key,
            )
            if row is not None:
                message = DocumentReceived(document_id=document_id, project_id=project_id)
                uow.emit(message)
            else:
                row = await uow.conn.fetchrow(Q.document_by_sha, project_id, sha256, account_id)
                if row is not None and row["status"] == "failed":
                    # A failed document (a timeout, a limit since raised) is not an answer for
                    # ever: the same bytes again mean "try again", from this upload's blob.
                    retried = await uow.conn.fetchrow(
                        Q.retry_failed_document, row["id"], blob_key, stored_name
                    )
                    if retried is not None:
                        old_blob_key = retried["old_blob_key"]
                        row = retried
                        message = DocumentReceived(document_id=row["id"], project_id=project_id)
                        uow.emit(message)
            if within is not None:
                await within(uow, row, row["id"] != document_id and old_blob_key is None)
    except Exception:
        # An error out of Outbox.transaction() means nothing committed, so no row points at
        # the blob: it is an orphan.
        # (Cancellation is left alone: an orphan blob is cheaper than deleting a live one.)
        await discard_blob(res.blobs, blob_key)
        raise
    if old_blob_key is not None:
        await discard_blob(res.blobs, old_blob_key)
        logger.info("upload to project %s retries failed document %s", project_id, row["id"])
        return row, True
    if row["id"] != document_id:
        await discard_blob(res.blobs, blob_key)
        logger.info("upload to project %s duplicates document %s", project_id, row["id"])
        return row, True
    return row, False
