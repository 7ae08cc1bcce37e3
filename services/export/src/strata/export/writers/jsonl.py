"""JSON Lines: one object per block, values nested as the schema has them."""

import json
from pathlib import Path
from typing import Any

from strata.export.provenance import record
from strata.export.writers.base import Metadata

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class JsonlWriter:
    def __init__(self, path: Path) -> None:
        self._out = path.open("w", encoding="utf-8", buffering=1 << 20)

    def write(self, row: dict[str, Any], source: str | None, values: dict[str, Any] | None) -> None:
        self._out.write(_dumps(record(row, source, values)))
        self._out.write("\n")

    def finish(self, metadata: Metadata) -> None:
        self._out.close()

    def abort(self) -> None:
        self._out.close()
