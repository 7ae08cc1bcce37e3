"""XLSX with xlsxwriter in `constant_memory` mode: each row is flushed to the sheet's temp file
as soon as the next one starts, so memory stays flat however many rows stream through.

Typed cells (numbers as numbers, booleans as booleans), every string neutralised and written
as a string (never parsed as a formula, URL or number), a header row on every sheet, a new sheet
when one is full, and a `metadata` sheet last.
"""

import json
from pathlib import Path
from typing import Any

import xlsxwriter

from strata.export.cells import FORMULA_TRIGGERS
from strata.export.columns import PROVENANCE_COLUMNS, ValueColumn, flatten
from strata.export.provenance import provenance_cells
from strata.export.writers.base import Metadata

MAX_SHEET_ROWS = 1_048_576  # Excel's limit, header row included
_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


class XlsxWriter:
    def __init__(
        self, path: Path, *, columns: list[ValueColumn], max_sheet_rows: int = MAX_SHEET_ROWS
    ) -> None:
        self._book = xlsxwriter.Workbook(str(path), _OPTIONS)
        self._bold = self._book.add_format({"bold": True})
        self._columns = columns
        self._header = [*PROVENANCE_COLUMNS, *(c.name for c in columns)]
        self._max_rows = max_sheet_rows
        self._sheets = 0
        self._new_sheet()

    def _new_sheet(self) -> None:
        self._sheets += 1
        name = "rows" if self._sheets == 1 else f"rows {self._sheets}"
        self._sheet = self._book.add_worksheet(name)
        self._sheet.freeze_panes(1, 0)
        for col, title in enumerate(self._header):
            self._sheet.write_string(0, col, _neutral(title), self._bold)
        self._row = 1

    def write(self, row: dict[str, Any], source: str | None, values: dict[str, Any] | None) -> None:
        if self._row >= self._max_rows:
            self._new_sheet()
        cells = provenance_cells(row, source)
        cells += flatten(values, self._columns)
        sheet, r = self._sheet, self._row
        for col, cell in enumerate(cells):
            kind = cell.__class__
            if kind is str:
                sheet.write_string(r, col, _neutral(cell))
            elif kind is bool:  # before int: a bool is an int to Python, not to a spreadsheet
                sheet.write_boolean(r, col, cell)
            elif kind is int or kind is float:
                sheet.write_number(r, col, cell)
            # None: an empty cell, nothing to write
        self._row += 1

    def finish(self, metadata: Metadata) -> None:
        sheet = self._book.add_worksheet("metadata")
        sheet.write_string(0, 0, "key", self._bold)
        sheet.write_string(0, 1, "value", self._bold)
        for r, (key, value) in enumerate(metadata, start=1):
            sheet.write_string(r, 0, _neutral(key))
            if isinstance(value, bool):
                sheet.write_boolean(r, 1, value)
            elif isinstance(value, int | float):
                sheet.write_number(r, 1, value)
            elif value is not None:
                text = value if isinstance(value, str) else json.dumps(value, default=str)
                sheet.write_string(r, 1, _neutral(text))
        self._book.close()

    def abort(self) -> None:
        self._book.close()


def _neutral(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text
