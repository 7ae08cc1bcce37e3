"""PDF: a preflight (truncated, encrypted, too many pages) and two conversion paths.

- `docling-standard`: docling's standard pipeline (layout + table models) when their weights
  are under `docling_artifacts_path`: the quality path.
- `pdf-native`: model-free. docling's NativePdfPipeline over docling-parse text cells, grouped
  by `pdflayout`; ruled tables by pdfplumber's table finder over the page's vector lines
  (`pdftables`), only on pages whose paths could form a grid; unruled tables from aligned
  columns of words (`pdfgrid`). A page mostly covered by images
  whose text layer has no readable text is a scan: it is rendered and read by OCR (`pdfocr`),
  and the path is `pdf-native+ocr`. Right-to-left lines are put in logical order (`pdfbidi`).
"""

import logging
from typing import Any

import pypdfium2 as pdfium
from docling_core.types.doc import CoordOrigin

from strata.contracts.blocks import BlockDraft
from strata.conversion.doclingblocks import docling_to_blocks
from strata.conversion.engine import run_docling, standard_weights_present
from strata.conversion.errors import CorruptFileError
from strata.conversion.limits import Limits
from strata.conversion.pdfbidi import join_glyph_runs, logical_lines
from strata.conversion.pdfgrid import unruled_tables
from strata.conversion.pdflayout import Line, Table, is_mono, lines_to_blocks
from strata.conversion.pdfocr import needs_ocr, ocr_pages
from strata.conversion.pdforder import clean, drop_furniture, reading_order
from strata.conversion.pdfpreflight import preflight
from strata.conversion.pdftables import Box, page_tables

logger = logging.getLogger(__name__)
STANDARD, NATIVE, OCR = "docling-standard", "pdf-native", "pdf-native+ocr"


def convert_pdf(data: bytes, *, limits: Limits) -> tuple[list[BlockDraft], str]:
    checked = preflight(data, limits=limits)
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
    scanned = [p.page_no for p in pages if p.page_no in checked.image_pages and needs_ocr(p)]
    text_pages = [p for p in pages if p.page_no not in scanned]
    tables = find_tables(data, text_pages, checked.grid_pages, limits=limits)
    lines, heights = _lines(text_pages, tables)
    blocks = lines_to_blocks(drop_furniture(lines, heights), [t for t, _ in tables])
    if not scanned:
        return blocks, NATIVE
    read = ocr_pages(data, scanned, limits=limits)
    # Stable: within a page the order stays; a page is either read natively or by OCR.
    return sorted(blocks + read, key=lambda b: b.page_start or 0), OCR


def find_tables(
    data: bytes, pages: list[Any], grid_pages: set[int], *, limits: Limits
) -> list[tuple[Table, Box]]:
    """Ruled tables on pages whose paths could form a grid, then unruled ones on every page."""
    found: list[tuple[Table, Box]] = []
    typed = {p.page_no: _words(p) for p in pages if p.parsed_page and p.size}
    words = {n: [(box, text) for box, text, _ in ws] for n, ws in typed.items()}
    todo = [p for p in pages if p.page_no in grid_pages and p.page_no in words]
    if todo:
        pdf = pdfium.PdfDocument(data)
        try:
            for page in todo:
                found.extend(
                    page_tables(
                        pdf[page.page_no - 1],
                        page_no=page.page_no,
                        height=page.size.height,
                        words=words[page.page_no],
                        rows_per_block=limits.table_rows_per_block,
                    )
                )
        finally:
            pdf.close()
    for page_no, page_words in typed.items():
        unruled = unruled_tables(  # columns in a code listing are code, not a table
            [(box, text) for box, text, mono in page_words if not mono],
            page_no=page_no,
            rows_per_block=limits.table_rows_per_block,
        )
        found = _prefer_fuller(found, unruled, words[page_no])
    return found


def _prefer_fuller(
    found: list[tuple[Table, Box]], unruled: list[tuple[Table, Box]], words: list[tuple[Box, str]]
) -> list[tuple[Table, Box]]:
    """An unruled table that overlaps a ruled one replaces it when it holds more words: the
    rules drawn (a booktabs table's few lines) framed only part of the table."""

    def held(box: Box) -> int:
        return sum(1 for w, _ in words if _centre_in(w, box))

    for table, box in unruled:
        overlapping = [f for f in found if f[0].page == table.page and _overlap(f[1], box)]
        if all(held(box) > held(other) for _, other in overlapping):
            found = [f for f in found if f not in overlapping] + [(table, box)]
    return found


def _centre_in(word: Box, box: Box) -> bool:
    x, y = (word[0] + word[2]) / 2, (word[1] + word[3]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _words(page: Any) -> list[tuple[Box, str, bool]]:
    """Every word of the page: its box, its text, and whether it is set in a monospace font."""
    height = page.size.height
    return [(_box(cell.rect, height), cell.text, is_mono(cell.font_name or ""))
            for cell in page.parsed_page.word_cells]  # fmt: skip


def _box(rect: Any, height: float) -> Box:
    """A cell's rectangle as (left, top, right, bottom) from the page's top-left corner. Read
    from its corners directly: docling-core's box conversions cost more than the rest of the
    layout work on a page of words."""
    xs = (rect.r_x0, rect.r_x1, rect.r_x2, rect.r_x3)
    ys = (rect.r_y0, rect.r_y1, rect.r_y2, rect.r_y3)
    if rect.coord_origin is CoordOrigin.TOPLEFT:
        return min(xs), min(ys), max(xs), max(ys)
    return min(xs), height - max(ys), max(xs), height - min(ys)


def _lines(
    pages: list[Any], tables: list[tuple[Table, Box]]
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
            box = _box(cell.rect, page.size.height)
            if any(_centre_in(box, table) for table in boxes):
                continue  # the table block carries this text
            lines.append(Line(page.page_no, *box, cell.text, cell.font_name or ""))
        out.append(reading_order(join_glyph_runs(clean(lines))))
    return logical_lines(out), heights
