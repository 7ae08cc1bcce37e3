"""PDF: a preflight (truncated, encrypted, too many pages) and two conversion paths.

- `docling-standard`: docling's standard pipeline (layout + table models) when their weights
  are under `docling_artifacts_path`: the quality path.
- `pdf-native`: model-free. docling's NativePdfPipeline over docling-parse text cells, grouped
  by `pdflayout`; ruled tables by pdfplumber's table finder over the page's vector lines
  (`pdftables`), only on pages whose paths could form a grid. A page mostly covered by images
  whose text layer has no readable text is a scan: it is rendered and read by OCR (`pdfocr`),
  and the path is `pdf-native+ocr`. Right-to-left lines are put in logical order (`pdfbidi`).
"""

import logging
from typing import Any

import pypdfium2 as pdfium

from strata.contracts.blocks import BlockDraft
from strata.conversion.doclingblocks import docling_to_blocks
from strata.conversion.engine import run_docling, standard_weights_present
from strata.conversion.errors import CorruptFileError
from strata.conversion.limits import Limits
from strata.conversion.pdfbidi import join_glyph_runs, logical_lines
from strata.conversion.pdflayout import Line, Table, drop_furniture, lines_to_blocks
from strata.conversion.pdfocr import needs_ocr, ocr_pages
from strata.conversion.pdforder import clean, reading_order
from strata.conversion.pdfpreflight import preflight
from strata.conversion.pdftables import page_tables

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
    tables = ruled_tables(data, text_pages, checked.grid_pages, limits=limits)
    lines, heights = _lines(text_pages, tables)
    blocks = lines_to_blocks(drop_furniture(lines, heights), [t for t, _ in tables])
    if not scanned:
        return blocks, NATIVE
    read = ocr_pages(data, scanned, limits=limits)
    # Stable: within a page the order stays; a page is either read natively or by OCR.
    return sorted(blocks + read, key=lambda b: b.page_start or 0), OCR


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
        out.append(reading_order(join_glyph_runs(clean(lines))))
    return logical_lines(out), heights
