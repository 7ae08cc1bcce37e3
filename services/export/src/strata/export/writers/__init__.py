"""One writer per export format; each streams rows to a file and never holds them."""

from pathlib import Path

from strata.contracts.exports import ExportFormat
from strata.export.columns import ValueColumn
from strata.export.writers.base import RowWriter
from strata.export.writers.csvfile import CsvWriter
from strata.export.writers.jsonl import JsonlWriter
from strata.export.writers.markdown import MarkdownWriter
from strata.export.writers.xlsx import XlsxWriter

__all__ = ["RowWriter", "open_writer"]


def open_writer(
    fmt: ExportFormat, path: Path, *, columns: list[ValueColumn], title: str
) -> RowWriter:
    if fmt is ExportFormat.JSONL:
        return JsonlWriter(path)
    if fmt is ExportFormat.CSV:
        return CsvWriter(path, columns=columns)
    if fmt is ExportFormat.XLSX:
        return XlsxWriter(path, columns=columns)
    return MarkdownWriter(path, title=title, columns=columns)
