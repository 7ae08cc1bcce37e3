"""What every format's writer does."""

from typing import Any, Protocol

Metadata = list[tuple[str, Any]]


class RowWriter(Protocol):
    def write(self, row: Any, source: str | None, values_json: str | None) -> None:
        """Append one block's row (rows arrive in document and block order). `row` is a
        mapping with ids as text; `values_json` the chosen values as JSON text, or None."""
        ...

    def finish(self, metadata: Metadata) -> None:
        """Write what comes after the rows (XLSX: the metadata sheet) and close the file."""
        ...

    def abort(self) -> None:
        """Close the file without finishing it (the caller throws it away)."""
        ...
