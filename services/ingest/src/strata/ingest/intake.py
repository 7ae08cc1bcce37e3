"""One received document: read its bytes, check them, hand it to conversion or fail it.

Idempotent: only a document in `received` is looked at; a redelivered message for a document
that has moved on changes nothing.
"""

import asyncio
import logging
from dataclasses import dataclass

from strata.contracts.documents import DocumentErrorCode, DocumentStatus, give_up_message
from strata.contracts.messages import DocumentReceived
from strata.ingest.checks import check_size, inspect_upload
from strata.ingest.errors import BlobMissingError, DocumentNotFoundError, RejectedError
from strata.ingest.limits import IngestLimits
from strata.ingest.sniff import kind_from_filename
from strata.ingest.store import DocumentRow, DocumentStore
from strata.runtime.blobs import BlobKeyError, BlobNotFoundError, BlobStore, BlobTooLargeError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Intake:
    store: DocumentStore
    blobs: BlobStore
    limits: IngestLimits

    async def handle(self, msg: DocumentReceived) -> None:
        doc = await self.store.load(msg.document_id)
        if doc is None:
            raise DocumentNotFoundError(f"document {msg.document_id} does not exist")
        if doc.status != DocumentStatus.RECEIVED:
            logger.info("document %s is %s already; nothing to do", doc.id, doc.status)
            return
        try:
            data = await read_blob(self.blobs, doc.blob_key, max_bytes=self.limits.max_bytes)
            source_format = await asyncio.to_thread(self._inspect, doc, data)
        except RejectedError as exc:
            if await self.store.reject(
                doc.id, exc.error_code, exc.message, source_format=exc.detected
            ):
                logger.warning("document %s rejected: %s: %s", doc.id, exc.error_code, exc.message)
            return
        claimed = kind_from_filename(doc.filename)
        if claimed is not None and claimed != source_format:
            logger.warning(
                "document %s: filename %r says %s but the bytes are %s; trusting the bytes",
                doc.id, doc.filename, claimed, source_format,
            )  # fmt: skip
        if await self.store.accept(doc.id, source_format):
            logger.info("document %s accepted as %s", doc.id, source_format)

    async def give_up(self, msg: DocumentReceived, code: str, reason: str) -> None:
        """The message goes to the dead letters: fail the document instead of leaving it
        `received` for ever (the internal reason stays in the logs and the dead letter)."""
        await self.store.reject(
            msg.document_id, DocumentErrorCode.INTERNAL_ERROR, give_up_message(code)
        )

    def _inspect(self, doc: DocumentRow, data: bytes) -> str:
        """Blocking file work, run in a thread."""
        return inspect_upload(
            data, filename=doc.filename, expected_sha256=doc.sha256, limits=self.limits
        )


async def read_blob(blobs: BlobStore, key: str, *, max_bytes: int) -> bytes:
    """The blob's bytes (bounded by the limit: the checks need the whole file); a file over
    the limit is refused before it is read."""
    try:
        check_size(await blobs.size(key), max_bytes=max_bytes)
        return await blobs.read(key, max_bytes=max_bytes)
    except BlobNotFoundError:
        raise BlobMissingError() from None
    except BlobKeyError:  # not a key this deployment makes
        raise BlobMissingError("the document's blob key is not in blob storage") from None
    except BlobTooLargeError:  # replaced by a larger file since its size was read
        check_size(max_bytes + 1, max_bytes=max_bytes)
        raise
