"""Ingest's exception tree. A `RejectedError` fails THIS document (status `failed` with its
`error_code` and the message shown to people) and the message is acked; the others reach the
consumer, whose ack policy reads `retryable`."""

from strata.contracts.documents import DocumentErrorCode
from strata.runtime.errors import StrataError


class IngestError(StrataError):
    """The document could not be ingested."""

    code = "ingest_error"


class DocumentNotFoundError(IngestError):
    """The document does not exist."""

    code = "document_not_found"


class RejectedError(IngestError):
    """The file was rejected."""

    error_code = DocumentErrorCode.UNSUPPORTED_FORMAT
    detected: str | None = None  # the sniffed kind, when known

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        cls.code = cls.error_code.value


class BlobMissingError(RejectedError):
    """The uploaded file is missing from blob storage."""

    error_code = DocumentErrorCode.BLOB_MISSING


class EmptyFileError(RejectedError):
    """The file is empty (0 bytes)."""

    error_code = DocumentErrorCode.EMPTY_FILE


class FileTooLargeError(RejectedError):
    """The file is larger than this deployment accepts."""

    error_code = DocumentErrorCode.FILE_TOO_LARGE


class ChecksumMismatchError(RejectedError):
    """The stored file does not match the checksum recorded at upload."""

    error_code = DocumentErrorCode.CHECKSUM_MISMATCH


class UnsupportedFormatError(RejectedError):
    """This deployment does not convert this kind of file."""

    error_code = DocumentErrorCode.UNSUPPORTED_FORMAT

    def __init__(self, message: str | None = None, *, detected: str | None = None) -> None:
        super().__init__(message)
        self.detected = detected


class TooManyEntriesError(RejectedError):
    """The package (ZIP) has more entries than this deployment accepts."""

    error_code = DocumentErrorCode.TOO_MANY_ENTRIES


class UncompressedTooLargeError(RejectedError):
    """The package (ZIP) would unpack to more bytes than this deployment accepts."""

    error_code = DocumentErrorCode.UNCOMPRESSED_TOO_LARGE


class CompressionRatioError(RejectedError):
    """The package (ZIP) is compressed far more than real documents are (a zip bomb)."""

    error_code = DocumentErrorCode.COMPRESSION_RATIO_TOO_HIGH


class UnsafeXmlError(RejectedError):
    """The file declares XML entities or a DTD (billion laughs, XXE); it is refused unread."""

    error_code = DocumentErrorCode.UNSAFE_XML


class TooManyPagesError(RejectedError):
    """The document has more slides or sheets than this deployment converts."""

    error_code = DocumentErrorCode.TOO_MANY_PAGES


class HtmlTooDeepError(RejectedError):
    """The HTML nests elements deeper than this deployment converts."""

    error_code = DocumentErrorCode.HTML_TOO_DEEP


class CorruptFileError(RejectedError):
    """The file is damaged and cannot be read."""

    error_code = DocumentErrorCode.CORRUPT_FILE
