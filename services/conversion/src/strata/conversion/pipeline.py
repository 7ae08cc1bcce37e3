"""One conversion request: load the document, convert its bytes off the loop, store the blocks.

Idempotent: only a document in `converting` is converted; a redelivered request for a document
that is already `ready` or `failed` changes nothing.
"""

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from opentelemetry import trace

from strata.contracts.documents import DocumentErrorCode, DocumentStatus, give_up_message
from strata.contracts.messages import ConversionRequested
from strata.conversion import metrics
from strata.conversion.converters import CONVERSION_PATHS, Converted, convert_file
from strata.conversion.errors import (
    BlobMissingError,
    ConversionError,
    ConverterFailedError,
    DocumentNotFoundError,
    FileTooLargeError,
    NoContentError,
    UnconvertibleError,
    UnsupportedSourceError,
)
from strata.conversion.limits import Limits
from strata.conversion.store import DocumentRow, DocumentStore
from strata.runtime.blobs import (
    BlobKeyError,
    BlobNotFoundError,
    BlobStore,
    BlobStoreError,
    BlobTooLargeError,
)

logger = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)
T = TypeVar("T")


class Runner(Protocol):
    async def run(self, fn: Callable[..., T], *args: Any) -> T: ...


class ConversionPipeline:
    def __init__(
        self,
        *,
        store: DocumentStore,
        blobs: BlobStore,
        runner: Runner,
        limits: Limits | None = None,
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.runner = runner
        self.limits = limits or Limits()

    async def handle(self, msg: ConversionRequested) -> None:
        # A child of the consume span, which continues the upload's trace (gateway → ingest →
        # here); the store keeps this span's context on the document for the pack spans.
        with tracer.start_as_current_span("strata.convert") as span:
            span.set_attribute("strata.document_id", str(msg.document_id))
            await self._handle(msg)

    async def _handle(self, msg: ConversionRequested) -> None:
        doc = await self.store.load(msg.document_id)
        if doc is None:
            raise DocumentNotFoundError(f"document {msg.document_id} does not exist")
        if doc.status != DocumentStatus.CONVERTING:
            logger.info("document %s is %s; nothing to convert", doc.id, doc.status)
            return
        source_format = doc.source_format or msg.source_format
        started = time.perf_counter()
        try:
            converted = await self._convert(doc, source_format)
        except UnconvertibleError as exc:
            _observe(source_format, exc.error_code, started)
            if await self.store.fail(doc.id, exc.error_code, exc.message):
                logger.warning("document %s failed: %s: %s", doc.id, exc.error_code, exc.message)
            return
        _observe(source_format, "ready", started)
        metrics.BLOCKS.labels(format=_format_label(source_format)).inc(len(converted.blocks))
        if await self.store.complete(
            doc.id, converted.blocks, conversion_path=converted.conversion_path
        ):
            logger.info("document %s ready: %d blocks", doc.id, len(converted.blocks))

    async def give_up(self, msg: ConversionRequested, code: str, reason: str) -> None:
        """The message goes to the dead letters: fail the document instead of leaving it
        `converting` for ever (the internal reason stays in the logs and the dead letter)."""
        await self.store.fail(
            msg.document_id, DocumentErrorCode.INTERNAL_ERROR, give_up_message(code)
        )

    async def _convert(self, doc: DocumentRow, source_format: str) -> Converted:
        if source_format not in CONVERSION_PATHS:
            raise UnsupportedSourceError(
                f"this deployment has no converter for {source_format!r}; "
                f"it converts {', '.join(CONVERSION_PATHS)}"
            )
        try:
            async with self.blobs.spooled(doc.blob_key, max_bytes=self.limits.max_bytes) as path:
                converted = await self.runner.run(
                    convert_file, source_format, str(path), self.limits
                )
        except (BlobNotFoundError, BlobKeyError):
            raise BlobMissingError() from None
        except BlobTooLargeError:
            raise FileTooLargeError(
                f"the file is larger than {self.limits.max_bytes} bytes (CONVERSION_MAX_BYTES)"
            ) from None
        except (ConversionError, BlobStoreError):  # BlobStoreError: retried by the consumer
            raise
        except Exception as exc:
            # A converter bug on odd input: the document fails; the detail stays in the log.
            logger.exception("converter raised on document %s", doc.id)
            raise ConverterFailedError(
                f"the {source_format} converter failed on this document ({type(exc).__name__})"
            ) from exc
        if not converted.blocks:
            raise NoContentError()
        return converted


def _format_label(source_format: str) -> str:
    # Only formats this deployment converts become label values; anything else is "other".
    return source_format if source_format in CONVERSION_PATHS else "other"


def _observe(source_format: str, outcome: str, started: float) -> None:
    metrics.CONVERSION_SECONDS.labels(format=_format_label(source_format), outcome=outcome).observe(
        time.perf_counter() - started
    )
