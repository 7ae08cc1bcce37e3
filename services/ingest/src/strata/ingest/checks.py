"""The checks an upload passes before conversion, in order. Pure: bytes and facts in, the
format to convert as out, or a `RejectedError` saying why not."""

import hashlib

from strata.ingest.errors import (
    ChecksumMismatchError,
    EmptyFileError,
    FileTooLargeError,
    UnsupportedFormatError,
)
from strata.ingest.sniff import describe, sniff

# What conversion handles today; grows as converters land.
SUPPORTED_FORMATS: tuple[str, ...] = ("md", "txt")


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
    data: bytes, *, filename: str | None, expected_sha256: str, max_bytes: int
) -> str:
    """Return the sniffed source format of an acceptable upload."""
    check_size(len(data), max_bytes=max_bytes)
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
    return kind
