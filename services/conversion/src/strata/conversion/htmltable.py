"""Raw HTML inside Markdown, read as text and tables: a `<table>` becomes rows of cells (so a
table written in HTML is a table block, not a paragraph of markup), everything else its text.
Pure; stdlib `html.parser`, which never fetches anything and has no entity expansion."""

import html
import re
from html.parser import HTMLParser

_DROP = re.compile(r"<!--.*?(?:-->|\Z)|<(script|style)\b.*?(?:</\1\s*>|\Z)", re.DOTALL | re.I)
_TAG = re.compile(r"<[^>]*>")

Piece = tuple[str, str | list[list[str]]]  # ("text", str) or ("table", rows)


def html_text(source: str) -> str:
    text = _TAG.sub(" ", _DROP.sub(" ", source))
    return " ".join(html.unescape(text).split())


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[Piece] = []
        self.text: list[str] = []
        self.tables: list[list[list[str]]] = []  # open tables (a nested one is read as cells)
        self.cell: list[str] | None = None
        self.skip = 0  # inside script/style

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        elif tag == "table":
            if not self.tables:
                self._flush_text()
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables:
            if not self.tables[-1]:
                self.tables[-1].append([])
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in ("td", "th") and self.tables and self.cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "table" and self.tables:
            rows = [r for r in self.tables.pop() if r]
            if self.tables and self.cell is not None:  # nested: its text joins the outer cell
                self.cell.append(" ".join(c for r in rows for c in r))
            elif rows:
                self.pieces.append(("table", rows))

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.cell is not None:
            self.cell.append(data)
        elif not self.tables:
            self.text.append(data)

    def _flush_text(self) -> None:
        text = " ".join(" ".join(self.text).split())
        if text:
            self.pieces.append(("text", text))
        self.text = []

    def finish(self) -> list[Piece]:
        self.close()
        while self.tables:
            self.handle_endtag("table")
        self._flush_text()
        return self.pieces


def html_pieces(source: str) -> list[Piece]:
    """Text and tables of an HTML fragment, in order."""
    if "<table" not in source.lower():
        text = html_text(source)
        return [("text", text)] if text else []
    reader = _Reader()
    reader.feed(_DROP.sub(" ", source))
    return reader.finish()
