"""docling's Excel reader, told to skip the empty space of a sparse sheet.

docling finds a sheet's tables by visiting every cell of the rectangle that bounds the cells
with values. One stray cell at XFD1048576 next to A1 makes that rectangle 17 billion cells,
and the conversion runs until it is killed. When the rectangle is much larger than the cells
actually written, this reader starts the same search (docling's own flood fill, unchanged)
only from the cells that hold a value, in the same row-major order, so the tables found are
the same. Cell comments are read on the dense path only.
"""

from datetime import datetime

from docling.backend.msexcel_backend import ExcelTable, MsExcelDocumentBackend, _MergedCellIndex
from openpyxl.worksheet.worksheet import Worksheet  # type: ignore[import-untyped]

# Up to this many cells in the bounding rectangle, docling's own scan is cheap enough.
DENSE_SCAN_CELLS = 2_000_000


class SparseAwareExcelBackend(MsExcelDocumentBackend):
    def _find_data_tables(
        self, sheet: Worksheet
    ) -> tuple[list[ExcelTable], dict[tuple[int, int], list[tuple[str, str, datetime | None]]]]:
        merged = _MergedCellIndex(sheet)
        bounds = self._find_true_data_bounds(sheet, merged)
        if bounds.width() * bounds.height() <= DENSE_SCAN_CELLS:
            return super()._find_data_tables(sheet)
        tables: list[ExcelTable] = []
        visited: set[tuple[int, int]] = set()
        # openpyxl keys its cells by (row, column), 1-based; docling's search is 0-based.
        starts = sorted(key for key, cell in sheet._cells.items() if cell.value is not None)
        for row, col in starts:
            if (row - 1, col - 1) in visited:
                continue
            table, cells = self._find_table_bounds(
                sheet,
                start_row=row - 1,
                start_col=col - 1,
                max_row=bounds.max_row,
                max_col=bounds.max_col,
                merged_cell_index=merged,
            )
            visited.update(cells)
            tables.append(table)
        return tables, {}
