"""Conversion's exception tree. An `UnconvertibleError` is recorded on the document (status
`failed` with its `error_code`) and the message is acked; the others reach the consumer, whose
ack policy reads `retryable`."""

from strata.contracts.documents import DocumentErrorCode
from strata.runtime.errors import StrataError


class ConversionError(StrataError):
    """The document could not be converted."""

    code = "conversion_error"


class DocumentNotFoundError(ConversionError):
    """The document does not exist."""

    code = "document_not_found"


class ConverterInterruptedError(ConversionError):
    """The converter pool was restarted while this document waited; it will be tried again."""

    code = "converter_interrupted"
    retryable = True


class UnconvertibleError(ConversionError):
    """The document could not be converted."""

    error_code = DocumentErrorCode.CONVERSION_ERROR

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        cls.code = cls.error_code.value


class BlobMissingError(UnconvertibleError):
    """The uploaded file is missing from blob storage."""

    error_code = DocumentErrorCode.BLOB_MISSING


class FileTooLargeError(UnconvertibleError):
    """The file is larger than this deployment converts."""

    error_code = DocumentErrorCode.FILE_TOO_LARGE


class UnsupportedSourceError(UnconvertibleError):
    """This deployment has no converter for the document's format."""

    error_code = DocumentErrorCode.UNSUPPORTED_FORMAT


class DecodeFailedError(UnconvertibleError):
    """The file is not valid UTF-8 or UTF-16 text."""

    error_code = DocumentErrorCode.DECODE_ERROR


class NoContentError(UnconvertibleError):
    """The document has no text content to extract from."""

    error_code = DocumentErrorCode.NO_CONTENT


class ConversionTimeoutError(UnconvertibleError):
    """The conversion took too long and was stopped."""

    error_code = DocumentErrorCode.CONVERSION_TIMEOUT


class ConverterCrashedError(UnconvertibleError):
    """The converter process crashed while converting this document."""

    error_code = DocumentErrorCode.CONVERTER_CRASHED


class OutOfMemoryError(UnconvertibleError):
    """The conversion needed more memory than this deployment allows for one document."""

    error_code = DocumentErrorCode.OUT_OF_MEMORY


class ConverterFailedError(UnconvertibleError):
    """The converter failed on this document."""

    error_code = DocumentErrorCode.CONVERSION_ERROR


class CorruptFileError(UnconvertibleError):
    """The file is damaged or truncated and cannot be read."""

    error_code = DocumentErrorCode.CORRUPT_FILE


class EncryptedFileError(UnconvertibleError):
    """The file is encrypted (password-protected); upload an unprotected copy."""

    error_code = DocumentErrorCode.ENCRYPTED


class TooManyPagesError(UnconvertibleError):
    """The document has more pages than this deployment converts."""

    error_code = DocumentErrorCode.TOO_MANY_PAGES


class TooManyRowsError(UnconvertibleError):
    """The table has more rows than this deployment converts."""

    error_code = DocumentErrorCode.TOO_MANY_ROWS


class CellTooLargeError(UnconvertibleError):
    """A table cell is larger than this deployment accepts."""

    error_code = DocumentErrorCode.CELL_TOO_LARGE


class OcrUnavailableError(UnconvertibleError):
    """This deployment has no OCR engine installed (tesseract), so scans cannot be read."""

    error_code = DocumentErrorCode.UNSUPPORTED_FORMAT


class ImageTooLargeError(UnconvertibleError):
    """The image has more pixels than this deployment reads."""

    error_code = DocumentErrorCode.IMAGE_TOO_LARGE
