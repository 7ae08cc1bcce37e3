"""The limits one conversion runs under. Plain and picklable: the pipeline hands them to the
worker process with the bytes, so a change of settings needs no restart of the pool."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    # The file itself: it is copied to local disk (from object storage) only up to this size.
    max_bytes: int = 50 * 1024 * 1024
    # PDF pages (slides and sheets are counted by ingest from the package's part names).
    max_pages: int = 500
    # Rows of one CSV file or one worksheet, counted before the table is built.
    max_rows: int = 100_000
    # Characters in one CSV or spreadsheet cell.
    max_cell_chars: int = 100_000
    # A long table becomes several table blocks of at most this many body rows, each with the
    # header row again, so a block stays a unit a model can take in one pack.
    table_rows_per_block: int = 100
    # docling model weights (layout + tables); None or a folder without them: model-free PDF path.
    docling_artifacts_path: str | None = None
    # Look for ruled tables in PDFs (pdfplumber) on the model-free path.
    pdf_tables: bool = True
    # The largest block, in estimated tokens; longer text is cut at sentence, then word ends.
    max_block_tokens: int = 4_000
    # OCR (scanned PDF pages, images): pages read per document, render resolution, and the
    # largest image decoded.
    ocr_max_pages: int = 30
    ocr_dpi: int = 300
    ocr_max_pixels: int = 100_000_000
