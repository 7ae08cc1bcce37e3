"""The converter entry point that runs inside a worker process: bytes in, blocks out."""

from dataclasses import dataclass
from pathlib import Path

from strata.contracts.blocks import BlockDraft
from strata.conversion.blocksize import bound_blocks
from strata.conversion.errors import OutOfMemoryError, UnsupportedSourceError
from strata.conversion.limits import Limits
from strata.conversion.markdown import markdown_to_blocks
from strata.conversion.plaintext import plaintext_to_blocks
from strata.conversion.textdecode import decode_text
from strata.conversion.tiny import join_tiny

# source_format -> the `conversion_path` recorded on the document (PDF: one of two, see pdf.py).
CONVERSION_PATHS = {
    "md": "markdown-it",
    "txt": "plaintext",
    "csv": "csv",
    "docx": "docling",
    "pptx": "docling",
    "xlsx": "docling",
    "html": "docling",
    "pdf": "pdf-native | pdf-native+ocr | docling-standard",
    "png": "tesseract",
    "jpeg": "tesseract",
    "tiff": "tesseract",
}


@dataclass(frozen=True)
class Converted:
    blocks: list[BlockDraft]
    conversion_path: str


def convert_document(source_format: str, data: bytes, limits: Limits | None = None) -> Converted:
    """Top-level (picklable) so a ProcessPoolExecutor can run it."""
    if source_format not in CONVERSION_PATHS:
        raise UnsupportedSourceError(f"this deployment has no converter for {source_format!r}")
    limits = limits or Limits()
    try:
        blocks, path = _convert(source_format, data, limits)
        blocks = bound_blocks(join_tiny(blocks), max_tokens=limits.max_block_tokens)
    except MemoryError:
        # The worker's address-space limit (RLIMIT_AS) stopped an allocation.
        raise OutOfMemoryError() from None
    return Converted(blocks=blocks, conversion_path=path)


def convert_file(source_format: str, path: str, limits: Limits | None = None) -> Converted:
    """`convert_document` on a local file (a blob spooled to disk): the worker process reads
    it, so the bytes never cross the process boundary."""
    return convert_document(source_format, Path(path).read_bytes(), limits)


def _convert(source_format: str, data: bytes, limits: Limits) -> tuple[list[BlockDraft], str]:
    if source_format == "md":
        return markdown_to_blocks(decode_text(data)), "markdown-it"
    if source_format == "txt":
        return plaintext_to_blocks(decode_text(data)), "plaintext"
    if source_format == "csv":
        from strata.conversion.csvtable import csv_to_blocks  # noqa: PLC0415

        return csv_to_blocks(data, limits=limits), "csv"
    if source_format in ("png", "jpeg", "tiff"):
        from strata.conversion.images import convert_image  # noqa: PLC0415

        return convert_image(data, limits=limits), "tesseract"
    if source_format == "pdf":
        from strata.conversion.pdf import convert_pdf  # noqa: PLC0415

        return convert_pdf(data, limits=limits)
    # docling is imported on first use: md/txt/csv never pay for it.
    from strata.conversion.doclingblocks import docling_to_blocks  # noqa: PLC0415
    from strata.conversion.engine import run_docling  # noqa: PLC0415

    if source_format == "xlsx":
        from strata.conversion.xlsxguard import check_rows  # noqa: PLC0415

        check_rows(data, limits=limits)
    doc, _ = run_docling(source_format, data)
    blocks = docling_to_blocks(
        doc, source_format=source_format, rows_per_block=limits.table_rows_per_block
    )
    return blocks, "docling"
