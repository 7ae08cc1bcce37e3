"""CSV: a header row, provenance then one column per schema leaf; every string neutralised.

Written with a UTF-8 byte order mark: without it Excel reads UTF-8 as the local code page and
mangles every accent; the `csv` module and pandas read it with `utf-8-sig`.
"""

import csv
import json
from pathlib import Path
from typing import Any

from strata.export.cells import FORMULA_TRIGGERS
from strata.export.columns import PROVENANCE_COLUMNS, Flattener, ValueColumn
from strata.export.provenance import provenance_cells
from strata.export.writers.base import Metadata


def _safe(cells: list[Any]) -> list[Any]:
    # Inlined `cells.safe_cell`: this runs for every cell of a million-row export.
    return ["'" + c if c.__class__ is str and c.startswith(FORMULA_TRIGGERS) else c for c in cells]


class CsvWriter:
    def __init__(self, path: Path, *, columns: list[ValueColumn]) -> None:
        self._flatten = Flattener(columns)
        self._out = path.open("w", encoding="utf-8-sig", newline="", buffering=1 << 20)
        self._csv = csv.writer(self._out)
        header = [*PROVENANCE_COLUMNS, *(c.name for c in columns)]
        self._csv.writerow(_safe(header))

    def write(self, row: Any, source: str | None, values_json: str | None) -> None:
        values = json.loads(values_json) if values_json else None
        cells = provenance_cells(row, source)
        cells += self._flatten(values)
        self._csv.writerow(_safe(cells))

    def finish(self, metadata: Metadata) -> None:
        self._out.close()

    def abort(self) -> None:
        self._out.close()
