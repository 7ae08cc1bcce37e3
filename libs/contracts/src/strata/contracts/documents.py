"""The vocabulary of a document's states and of the reasons a document failed."""

from enum import StrEnum


class DocumentStatus(StrEnum):
    RECEIVED = "received"
    CONVERTING = "converting"
    READY = "ready"
    FAILED = "failed"


class DocumentErrorCode(StrEnum):
    EMPTY_FILE = "empty_file"
    FILE_TOO_LARGE = "file_too_large"
    UNSUPPORTED_FORMAT = "unsupported_format"
    BLOB_MISSING = "blob_missing"
    CHECKSUM_MISMATCH = "checksum_mismatch"
    DECODE_ERROR = "decode_error"
    NO_CONTENT = "no_content"
    CONVERSION_ERROR = "conversion_error"
    INTERNAL_ERROR = "internal_error"
    # Hostile or over-limit files (issue 3): each names what was refused.
    TOO_MANY_ENTRIES = "too_many_entries"
    UNCOMPRESSED_TOO_LARGE = "uncompressed_too_large"
    COMPRESSION_RATIO_TOO_HIGH = "compression_ratio_too_high"
    UNSAFE_XML = "unsafe_xml"
    CORRUPT_FILE = "corrupt_file"
    ENCRYPTED = "encrypted"
    TOO_MANY_PAGES = "too_many_pages"
    TOO_MANY_ROWS = "too_many_rows"
    CELL_TOO_LARGE = "cell_too_large"
    CONVERSION_TIMEOUT = "conversion_timeout"
    OUT_OF_MEMORY = "out_of_memory"
    CONVERTER_CRASHED = "converter_crashed"
    # Issue 14: HTML nested deeper than any real page; an image too large to read safely.
    HTML_TOO_DEEP = "html_too_deep"
    IMAGE_TOO_LARGE = "image_too_large"


def give_up_message(code: str) -> str:
    """What a person is told when a message about their document could not be processed."""
    return (
        f"processing stopped on an internal error ({code}); nothing else was affected, and an "
        "operator can see the details in the dead-letter queue"
    )
