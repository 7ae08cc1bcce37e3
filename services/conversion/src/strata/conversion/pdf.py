"""PDF: a preflight (truncated, encrypted, too many pages) and two conversion paths.

- `docling-standard`: docling's standard pipeline (layout + table models) when their weights
  are under `docling_artifacts_path`: the quality path.
- `pdf-native`: model-free. docling's NativePdfPipeline over docling-parse text cells, grouped
  by `pdflayout`; ruled tables by pdfplumber's table finder over the page's vector lines
  (`pdftables`), only on pages whose paths could form a grid.
"""

import logging
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from strata.contracts.blocks import BlockDraft
from strata.conversion.doclingblocks import docling_to_blocks
from strata.conversion.engine import run_docling, standard_weights_present
from strata.conversion.errors import CorruptFileError, EncryptedFileError, TooManyPagesError
from strata.conversion.limits import Limits
from strata.conversion.pdflayout import Line, Table, drop_furniture, lines_to_blocks
from strata.conversion.pdftables import page_tables

logger = logging.getLogger(__name__)
STANDARD, NATIVE = "docling-standard", "pdf-native"


def preflight(data: bytes, *, limits: Limits) -> list[int]:
    """The 1-based numbers of pages that may hold a ruled table; raises on a file we refuse."""
    if b"%%EOF" not in data[-4096:]:
        raise CorruptFileError("the PDF is truncated or damaged: it has no end-of-file marker")
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise EncryptedFileError() from None
        raise CorruptFileError(f"the PDF could not be opened ({exc})") from None
    try:
        pages = len(pdf)
        if pages == 0:
            raise CorruptFileError("the PDF has no pages")
        if pages > limits.max_pages:
            raise TooManyPagesError(
                f"the PDF has {pages:,} pages; this deployment converts up to {limits.max_pages:,}"
            )
        return [n + 1 for n in range(pages) if limits.pdf_tables and _may_hold_grid(pdf[n])]
    finally:
        pdf.close()


def _may_hold_grid(page: pdfium.PdfPage) -> bool:
    horizontal = vertical = 0
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_PATH,), max_depth=4):
        left, bottom, right, top = obj.get_bounds()
        width, height = right - left, top - bottom
        if height < 3 and width > 8:
            horizontal += 1
        elif width < 3 and height > 8:
            vertical += 1
        elif width > 8 and height > 8:
            horizontal, vertical = horizontal + 2, vertical + 2
        if horizontal >= 3 and vertical >= 3:
            return True
    return False


def convert_pdf(data: bytes, *, limits: Limits) -> tuple[list[BlockDraft], str]:
    grid_pages = preflight(data, limits=limits)
    if standard_weights_present(limits.docling_artifacts_path):
        doc, _ = run_docling(
            "pdf", data, pdf_pipeline="standard", artifacts_path=limits.docling_artifacts_path
        )
        blocks = docling_to_blocks(
            doc, source_format="pdf", rows_per_block=limits.table_rows_per_block
        )
        return blocks, STANDARD
    _, pages = run_docling("pdf", data, pdf_pipeline="native")
    if not pages:
        raise CorruptFileError("no page of the PDF could be read")
    tables = ruled_tables(data, pages, set(grid_pages), limits=limits)
    lines, heights = _lines(pages, tables)
    return lines_to_blocks(drop_furniture(lines, heights), [t for t, _ in tables]), NATIVE


def ruled_tables(
    data: bytes, pages: list[Any], grid_pages: set[int], *, limits: Limits
) -> list[tuple[Table, tuple[float, float, float, float]]]:
    found: list[tuple[Table, tuple[float, float, float, float]]] = []
    todo = [p for p in pages if p.page_no in grid_pages and p.parsed_page and p.size]
    if not todo:
        return found
    pdf = pdfium.PdfDocument(data)
    try:
        for page in todo:
            height = page.size.height
            words = []
            for cell in page.parsed_page.word_cells:
                bb = cell.rect.to_bounding_box().to_top_left_origin(page_height=height)
                words.append(((bb.l, bb.t, bb.r, bb.b), cell.text))
            found.extend(
                page_tables(
                    pdf[page.page_no - 1],
                    page_no=page.page_no,
                    height=height,
                    words=words,
                    rows_per_block=limits.table_rows_per_block,
                )
            )
    finally:
        pdf.close()
    return found


def _lines(
    pages: list[Any], tables: list[tuple[Table, tuple[float, float, float, float]]]
) -> tuple[list[list[Line]], dict[int, float]]:
    out: list[list[Line]] = []
    heights: dict[int, float] = {}
    for page in pages:
        parsed = page.parsed_page
        if parsed is None or page.size is None:
            continue
        heights[page.page_no] = page.size.height
        boxes = [box for t, box in tables if t.page == page.page_no]
        lines = []
        for cell in parsed.textline_cells:
            bb = cell.rect.to_bounding_box().to_top_left_origin(page_height=page.size.height)
            x_mid, y_mid = (bb.l + bb.r) / 2, (bb.t + bb.b) / 2
            if any(b[0] <= x_mid <= b[2] and b[1] <= y_mid <= b[3] for b in boxes):
                continue  # the table block carries this text
            lines.append(
                Line(page.page_no, bb.l, bb.t, bb.r, bb.b, cell.text, cell.font_name or "")
            )
        out.append(lines)
    return out, heights
