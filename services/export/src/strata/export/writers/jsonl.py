"""JSON Lines: one object per block, values nested as the schema has them."""

from pathlib import Path
from typing import Any

from strata.export.provenance import jsonl_line
from strata.export.writers.base import Metadata


class JsonlWriter:
    def __init__(self, path: Path) -> None:
        self._out = path.open("w", encoding="utf-8", buffering=1 << 20)

    def write(self, row: Any, source: str | None, values_json: str | None) -> None:
        self._out.write(jsonl_line(row, source, values_json))

    def finish(self, metadata: Metadata) -> None:
        self._out.close()

    def abort(self) -> None:
        self._out.close()
