"""XLSX written as a stream: each sheet's XML goes straight into a deflate stream inside the ZIP,
one row at a time, so memory stays flat however many rows pass through.

Why not xlsxwriter (`constant_memory`) or openpyxl (`write_only`): both spend several
microseconds of Python per cell on checks and formats; at ~20 cells a row they managed 3,000
rows/s here, five times under the goal. Writing the sheet XML ourselves is ~1 µs per cell.

Typed cells (numbers as numbers, booleans as booleans), every string neutralised and written as
an inline string (never a formula), a header row on every sheet, a new sheet when one is full
(Excel's 1,048,576 rows), and a `metadata` sheet last.
"""

import json
import math
import zipfile
from pathlib import Path
from typing import Any

from strata.export.cells import FORMULA_TRIGGERS
from strata.export.columns import PROVENANCE_COLUMNS, Flattener, ValueColumn
from strata.export.provenance import provenance_cells
from strata.export.writers import ooxml
from strata.export.writers.base import Metadata

MAX_SHEET_ROWS = 1_048_576  # Excel's limit, header row included


class XlsxWriter:
    def __init__(
        self, path: Path, *, columns: list[ValueColumn], max_sheet_rows: int = MAX_SHEET_ROWS
    ) -> None:
        # Level 1: sheet XML is very repetitive, so the fastest level still shrinks it ~10x.
        self._zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._flatten = Flattener(columns)
        self._header = [*PROVENANCE_COLUMNS, *(c.name for c in columns)]
        self._letters = [ooxml.column_letters(i) for i in range(len(self._header))]
        self._max_rows = max_sheet_rows
        self._names: list[str] = []
        self._sheet: Any = None
        self._row = 0
        self._new_sheet("rows")

    def _new_sheet(self, name: str) -> None:
        self._close_sheet()
        self._names.append(name)
        part = f"xl/worksheets/sheet{len(self._names)}.xml"
        self._sheet = self._zip.open(part, "w", force_zip64=True)
        self._sheet.write(ooxml.SHEET_HEAD.encode())
        self._row = 0

    def _close_sheet(self) -> None:
        if self._sheet is not None:
            self._sheet.write(ooxml.SHEET_TAIL.encode())
            self._sheet.close()
            self._sheet = None

    def _write_cells(self, cells: list[Any]) -> None:
        self._row += 1
        r = str(self._row)
        parts = [f'<row r="{r}">']
        for letter, cell in zip(self._letters, cells, strict=False):
            kind = cell.__class__
            if kind is str:
                text = "'" + cell if cell.startswith(FORMULA_TRIGGERS) else cell
                parts.append(ooxml.text_cell(letter + r, text))
            elif kind is bool:  # before int: a bool is an int to Python, not to a spreadsheet
                parts.append(f'<c r="{letter}{r}" t="b"><v>{int(cell)}</v></c>')
            elif kind is int or (kind is float and math.isfinite(cell)):
                parts.append(f'<c r="{letter}{r}"><v>{cell!r}</v></c>')
            elif kind is float:  # NaN or infinity: no spreadsheet number can hold it
                parts.append(ooxml.text_cell(letter + r, repr(cell)))
            # None: an empty cell, nothing to write
        parts.append("</row>")
        self._sheet.write("".join(parts).encode())

    def write(self, row: Any, source: str | None, values_json: str | None) -> None:
        if self._row == 0 or self._row >= self._max_rows:
            if self._row:
                self._new_sheet(f"rows {len(self._names) + 1}")
            self._write_cells(self._header)
        values = json.loads(values_json) if values_json else None
        cells = provenance_cells(row, source)
        cells += self._flatten(values)
        self._write_cells(cells)

    def finish(self, metadata: Metadata) -> None:
        if self._row == 0:
            self._write_cells(self._header)
        self._new_sheet("metadata")
        self._write_cells(["key", "value"])
        for key, value in metadata:
            plain = value is None or isinstance(value, str | int | float | bool)
            shown = value if plain else json.dumps(value, ensure_ascii=False, default=str)
            self._write_cells([key, shown])
        self._close_sheet()
        count = len(self._names)
        self._zip.writestr("[Content_Types].xml", ooxml.content_types(count))
        self._zip.writestr("_rels/.rels", ooxml.package_rels())
        self._zip.writestr("xl/workbook.xml", ooxml.workbook(self._names))
        self._zip.writestr("xl/_rels/workbook.xml.rels", ooxml.workbook_rels(count))
        self._zip.writestr("xl/styles.xml", ooxml.styles())
        self._zip.close()

    def abort(self) -> None:
        self._close_sheet()
        self._zip.close()
