"""The checks run in order, each failing the document with its own code and a clear message."""

import hashlib

import pytest

from strata.contracts.documents import DocumentErrorCode
from strata.ingest.checks import SUPPORTED_FORMATS, human_size, inspect_upload
from strata.ingest.errors import RejectedError, UnsupportedFormatError
from strata.ingest.limits import IngestLimits


def _inspect(
    data: bytes, *, filename: str = "f.txt", sha: str | None = None, max_bytes: int = 1000
):
    return inspect_upload(
        data,
        filename=filename,
        expected_sha256=sha if sha is not None else hashlib.sha256(data).hexdigest(),
        limits=IngestLimits(max_bytes=max_bytes),
    )


def _code(data: bytes, **kwargs: object) -> DocumentErrorCode:
    with pytest.raises(RejectedError) as info:
        _inspect(data, **kwargs)  # type: ignore[arg-type]
    assert info.value.message
    assert info.value.retryable is False
    return info.value.error_code


def test_accepts_text_and_markdown() -> None:
    assert _inspect(b"hello\n") == "txt"
    assert _inspect(b"# Title\n", filename="f.md") == "md"
    assert _inspect(b"# Title\n", filename="upload") == "md"
    assert _inspect(b"a;b\n1;2\n", filename="f.csv") == "csv"
    assert set(SUPPORTED_FORMATS) == {
        "md", "txt", "csv", "html", "pdf", "docx", "pptx", "xlsx", "png", "jpeg", "tiff",
    }  # fmt: skip


def test_empty_file() -> None:
    assert _code(b"") is DocumentErrorCode.EMPTY_FILE


def test_too_large() -> None:
    with pytest.raises(RejectedError) as info:
        _inspect(b"x" * 2048, max_bytes=1024)
    assert info.value.error_code is DocumentErrorCode.FILE_TOO_LARGE
    assert info.value.message == "the file is 2.0 KiB; this deployment accepts up to 1.0 KiB"


def test_checksum_mismatch() -> None:
    assert _code(b"hello", sha="0" * 64) is DocumentErrorCode.CHECKSUM_MISMATCH


def test_checksum_accepts_upper_case_and_prefix() -> None:
    digest = hashlib.sha256(b"hello").hexdigest()
    assert _inspect(b"hello", sha="sha256:" + digest.upper()) == "txt"


def test_unsupported_format_names_what_was_detected() -> None:
    with pytest.raises(UnsupportedFormatError) as info:
        _inspect(b"MZ\x90\x00\x03\x00\x00\x00", filename="x.pdf")
    assert info.value.error_code is DocumentErrorCode.UNSUPPORTED_FORMAT
    assert info.value.detected == "exe"
    assert info.value.message == (
        "detected a Windows executable from the file's bytes; "
        "this deployment converts md, txt, csv, html, pdf, docx, pptx, xlsx, png, jpeg, tiff"
    )


def test_human_size() -> None:
    assert human_size(0) == "0 bytes"
    assert human_size(1023) == "1023 bytes"
    assert human_size(50 * 1024 * 1024) == "50.0 MiB"
