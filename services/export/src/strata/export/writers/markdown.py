"""Markdown that rebuilds the document(s): every block in order, headings as headings, and
under each block the values it carries (confirmed, or staged and marked so)."""

from pathlib import Path
from typing import Any

from strata.export.writers.base import Metadata
from strata.export.writers.mdtext import block_markdown, escape_inline, values_line


class MarkdownWriter:
    def __init__(self, path: Path, *, title: str) -> None:
        self._out = path.open("w", encoding="utf-8", buffering=1 << 20)
        self._out.write(f"# {escape_inline(title)}\n")
        self._document: object = None

    def write(self, row: dict[str, Any], source: str | None, values: dict[str, Any] | None) -> None:
        out = self._out
        if row["document_id"] != self._document:
            self._document = row["document_id"]
            out.write(f"\n## {escape_inline(row['filename'])}\n\n")
            out.write(f"<!-- document {row['document_id']} -->\n")
        out.write("\n")
        out.write(block_markdown(row["block_type"], row["text"], row["section_path"]))
        out.write("\n")
        line = values_line(row, source, values)
        if line:
            out.write("\n")
            out.write(line)
            out.write("\n")

    def finish(self, metadata: Metadata) -> None:
        self._out.close()

    def abort(self) -> None:
        self._out.close()
