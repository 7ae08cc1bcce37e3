"""Ruled tables in a PDF, model-free: the page's vector line segments (read with pdfium, which
costs milliseconds) go through pdfplumber's table finder (merge edges, intersections, cells,
tables); each cell's text is the docling-parse words whose centre lies in it. No second text
parser (pdfminer) reads the file.

Only axis-aligned straight segments count; a table drawn inside a form XObject, or one ruled
only horizontally (booktabs), is not found here and its text stays paragraphs.
"""

import ctypes
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfplumber.table import (
    cells_to_tables,
    edges_to_intersections,
    intersections_to_cells,
    merge_edges,
)
from pdfplumber.utils import filter_edges

from strata.contracts.blocks import BlockDraft
from strata.conversion.pdfgrid import cell_text
from strata.conversion.pdflayout import Table
from strata.conversion.tables import table_blocks

Box = tuple[float, float, float, float]
TOLERANCE = 3.0
MIN_EDGE = 3.0


def page_edges(page: pdfium.PdfPage, height: float) -> list[dict[str, Any]]:
    """Horizontal and vertical segments of the page's paths, top-left origin, in points."""
    edges: list[dict[str, Any]] = []
    x, y = ctypes.c_float(), ctypes.c_float()
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_PATH,), max_depth=1):
        m = obj.get_matrix()
        start: tuple[float, float] | None = None
        prev: tuple[float, float] | None = None
        for i in range(pdfium_c.FPDFPath_CountSegments(obj.raw)):
            seg = pdfium_c.FPDFPath_GetPathSegment(obj.raw, i)
            pdfium_c.FPDFPathSegment_GetPoint(seg, x, y)
            point = (m.a * x.value + m.c * y.value + m.e, m.b * x.value + m.d * y.value + m.f)
            kind = pdfium_c.FPDFPathSegment_GetType(seg)
            if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
                start = prev = point
                continue
            if prev is not None and kind == pdfium_c.FPDF_SEGMENT_LINETO:
                _add(edges, prev, point, height)
            prev = point
            if pdfium_c.FPDFPathSegment_GetClose(seg) and start is not None:
                _add(edges, point, start, height)
                prev = start
    return edges


def _add(
    edges: list[dict[str, Any]], a: tuple[float, float], b: tuple[float, float], height: float
) -> None:
    (x0, y0), (x1, y1) = a, b
    if abs(y0 - y1) < 1 and abs(x1 - x0) >= MIN_EDGE:
        left, right, top = min(x0, x1), max(x0, x1), height - y0
        edges.append({"x0": left, "x1": right, "top": top, "bottom": top,
                      "width": right - left, "height": 0, "orientation": "h"})  # fmt: skip
    elif abs(x0 - x1) < 1 and abs(y1 - y0) >= MIN_EDGE:
        top, bottom = height - max(y0, y1), height - min(y0, y1)
        edges.append({"x0": x0, "x1": x0, "top": top, "bottom": bottom,
                      "width": 0, "height": bottom - top, "orientation": "v"})  # fmt: skip


def find_tables(edges: list[dict[str, Any]]) -> list[list[Box]]:
    """pdfplumber's table finder on given edges: each table as its cell boxes."""
    merged = merge_edges(edges, TOLERANCE, TOLERANCE, TOLERANCE, TOLERANCE)
    merged = filter_edges(merged, min_length=MIN_EDGE)
    cells = intersections_to_cells(edges_to_intersections(merged, TOLERANCE, TOLERANCE))
    return cells_to_tables(cells)


def cells_to_rows(cells: list[Box], words: list[tuple[Box, str]]) -> list[list[str]]:
    """Cell boxes to rows x columns of text; a merged cell fills its first slot."""
    xs = sorted({round(c[0], 1) for c in cells})
    tops = sorted({round(c[1], 1) for c in cells})
    grid = [["" for _ in xs] for _ in tops]
    for cell in cells:
        inside = [
            (box, text)
            for box, text in words
            if cell[0] <= (box[0] + box[2]) / 2 <= cell[2]
            and cell[1] <= (box[1] + box[3]) / 2 <= cell[3]
        ]
        grid[tops.index(round(cell[1], 1))][xs.index(round(cell[0], 1))] = cell_text(inside)
    return grid


def page_tables(
    page: pdfium.PdfPage, *, page_no: int, height: float, words: list[tuple[Box, str]],
    rows_per_block: int,
) -> list[tuple[Table, Box]]:  # fmt: skip
    found = []
    for cells in find_tables(page_edges(page, height)):
        rows = cells_to_rows(cells, words)
        if len(rows) < 2 or len(rows[0]) < 2:
            continue  # a frame around text (a code box), not a table
        box = (min(c[0] for c in cells), min(c[1] for c in cells),
               max(c[2] for c in cells), max(c[3] for c in cells))  # fmt: skip
        blocks: list[BlockDraft] = table_blocks(
            rows,
            has_header=True,
            section_path=[],
            rows_per_block=rows_per_block,
            page=page_no,
            bbox=[round(v, 2) for v in box],
        )
        if blocks:
            found.append((Table(page_no, box[1], blocks), box))
    return found
