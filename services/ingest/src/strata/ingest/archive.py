"""Office packages (OOXML = ZIP) checked from the central directory BEFORE anything is unpacked
(OWASP ASVS V12: entry count, total uncompressed size, compression ratio), then each XML part's
prolog for a DTD or entity declaration (billion laughs, XXE): OOXML never has one, so any is
refused before a parser meets it: every part is scanned whole, in its own encoding, whatever it
is named (`xmlguard`). Slide and sheet counts come from the part names.

Python's zipfile never returns more than an entry's declared size, so the declared sizes read
here also bound what the converters will inflate later.
"""

import io
import re
import zipfile

from strata.ingest.errors import (
    CompressionRatioError,
    CorruptFileError,
    TooManyEntriesError,
    TooManyPagesError,
    UncompressedTooLargeError,
    UnsafeXmlError,
)
from strata.ingest.limits import IngestLimits
from strata.ingest.xmlguard import UnknownEncodingError, declares_dtd

_SLIDE = re.compile(r"^ppt/slides/slide\d+\.xml$")
_SHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$")


def check_package(data: bytes, kind: str, *, limits: IngestLimits) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            _check_directory(infos, limits)
            _check_counts([i.filename for i in infos], kind, limits)
            for info in infos:
                if not info.is_dir():
                    _check_part(archive, info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as exc:
        raise CorruptFileError(f"the package could not be read ({exc})") from None
    except (OSError, ValueError, RuntimeError) as exc:  # bad CRC, encrypted entry, ...
        raise CorruptFileError(f"the package could not be read ({exc})") from None


def _check_directory(infos: list[zipfile.ZipInfo], limits: IngestLimits) -> None:
    if len(infos) > limits.max_zip_entries:
        raise TooManyEntriesError(
            f"the package has {len(infos):,} entries; "
            f"this deployment accepts up to {limits.max_zip_entries:,}"
        )
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed_bytes:
        raise UncompressedTooLargeError(
            f"the package would unpack to {total:,} bytes; "
            f"this deployment accepts up to {limits.max_uncompressed_bytes:,}"
        )
    packed = sum(i.compress_size for i in infos)
    for info in infos:
        if info.file_size > limits.ratio_floor_bytes:
            _ratio(info.file_size, info.compress_size, limits, info.filename)
    if total > limits.ratio_floor_bytes:
        _ratio(total, packed, limits, "the package")


def _ratio(size: int, packed: int, limits: IngestLimits, what: str) -> None:
    ratio = size / max(packed, 1)
    if ratio > limits.max_compression_ratio:
        raise CompressionRatioError(
            f"{what} is compressed {ratio:,.0f}:1; this deployment accepts up to "
            f"{limits.max_compression_ratio:g}:1 (a higher ratio is the mark of a zip bomb)"
        )


def _check_counts(names: list[str], kind: str, limits: IngestLimits) -> None:
    if kind == "pptx":
        slides = sum(1 for n in names if _SLIDE.match(n))
        if slides > limits.max_slides:
            raise TooManyPagesError(
                f"the presentation has {slides:,} slides; "
                f"this deployment converts up to {limits.max_slides:,}"
            )
    if kind == "xlsx":
        sheets = sum(1 for n in names if _SHEET.match(n))
        if sheets > limits.max_sheets:
            raise TooManyPagesError(
                f"the workbook has {sheets:,} sheets; "
                f"this deployment converts up to {limits.max_sheets:,}"
            )


def _check_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    # Any part, not only *.xml: [Content_Types].xml can declare any extension as XML.
    with archive.open(info) as part:
        try:
            found = declares_dtd(part)
        except UnknownEncodingError as exc:
            raise UnsafeXmlError(
                f"the part {info.filename} declares the encoding {exc}, which cannot be "
                "checked for entity declarations; such files are refused"
            ) from None
    if found:
        raise UnsafeXmlError(
            f"the part {info.filename} declares a DTD or entities "
            "(billion laughs / XXE); such files are refused"
        )
