"""The checks an upload passes before conversion, in order. Pure: bytes and facts in, the
format to convert as out, or a `RejectedError` saying why not."""

import hashlib

from strata.ingest.archive import check_package
from strata.ingest.errors import (
    ChecksumMismatchError,
    EmptyFileError,
    FileTooLargeError,
    RejectedError,
    UnsupportedFormatError,
)
from strata.ingest.htmlguard import check_html
from strata.ingest.limits import IngestLimits
from strata.ingest.sniff import decode_any_text, describe, sniff

# What conversion handles.
SUPPORTED_FORMATS: tuple[str, ...] = (
    "md", "txt", "csv", "html", "pdf", "docx", "pptx", "xlsx", "png", "jpeg", "tiff",
)  # fmt: skip


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{n} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def check_size(size: int, *, max_bytes: int) -> None:
    if size == 0:
        raise EmptyFileError()
    if size > max_bytes:
        raise FileTooLargeError(
            f"the file is {human_size(size)}; this deployment accepts up to {human_size(max_bytes)}"
        )


def inspect_upload(
    data: bytes, *, filename: str | None, expected_sha256: str, limits: IngestLimits
) -> str:
    """Return the sniffed source format of an acceptable upload."""
    check_size(len(data), max_bytes=limits.max_bytes)
    expected = expected_sha256.strip().lower().removeprefix("sha256:")
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ChecksumMismatchError(
            "the stored file does not match the checksum recorded at upload "
            f"(expected sha256 {expected[:12]}…, found {actual[:12]}…)"
        )
    kind = sniff(data, filename)
    if kind not in SUPPORTED_FORMATS:
        raise UnsupportedFormatError(
            f"detected {describe(kind)} from the file's bytes; "
            f"this deployment converts {', '.join(SUPPORTED_FORMATS)}",
            detected=kind,
        )
    try:
        if kind in ("docx", "pptx", "xlsx"):
            check_package(data, kind, limits=limits)
        elif kind == "html":
            check_html(decode_any_text(data) or "", max_depth=limits.max_html_depth)
    except RejectedError as exc:
        exc.detected = kind
        raise
    return kind
