"""Markdown that rebuilds the document(s): every block in order, headings as headings, and
under each block the values it carries (confirmed, or staged and marked so)."""

import json
from pathlib import Path
from typing import Any

from strata.export.columns import Flattener, ValueColumn
from strata.export.writers.base import Metadata
from strata.export.writers.mdtext import block_markdown, escape_inline, values_line


class MarkdownWriter:
    def __init__(self, path: Path, *, title: str, columns: list[ValueColumn]) -> None:
        self._out = path.open("w", encoding="utf-8", buffering=1 << 20)
        self._out.write(f"# {escape_inline(title)}\n")
        self._flatten = Flattener(columns)
        self._names = [escape_inline(c.name) for c in columns]
        self._document: object = None

    def write(self, row: Any, source: str | None, values_json: str | None) -> None:
        parts = []
        if row["document_id"] != self._document:
            self._document = row["document_id"]
            parts.append(f"\n## {escape_inline(row['filename'])}\n\n")
            parts.append(f"<!-- document {row['document_id']} -->\n")
        parts.append("\n")
        parts.append(block_markdown(row["block_type"], row["text"], row["section_path"]))
        fields: list[tuple[str, Any]] = []
        if values_json:
            cells = self._flatten(json.loads(values_json))
            fields = [(n, v) for n, v in zip(self._names, cells, strict=True) if v is not None]
        parts.append("\n\n")
        parts.append(values_line(row, source, fields))
        parts.append("\n")
        self._out.write("".join(parts))

    def finish(self, metadata: Metadata) -> None:
        self._out.close()

    def abort(self) -> None:
        self._out.close()
