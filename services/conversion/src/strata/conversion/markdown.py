"""Markdown to blocks with a real CommonMark parser (markdown-it-py, GFM tables enabled).

Rules, in document order:
- a heading is a `heading` block; its section_path is the chain of its ANCESTOR headings, and it
  becomes the innermost section for what follows (a new h2 closes the previous h2, h3, ...);
- a paragraph is a `paragraph` block; a blockquote's paragraphs and headings are `quote` blocks;
- each list item is one `list_item` block holding only its own text (its paragraphs), after
  its number for an ordered list (`3.`), with its depth in `list_level`, placed before its
  nested items, which are blocks of their own;
- a table is a `table` block: cells in `table`, text as GitHub Markdown;
- fenced and indented code is a `code` block holding the code;
- a raw HTML block is a paragraph of its text with tags and comments removed, and a `<table>`
  in it a table block;
- nesting deeper than the parser allows (it would drop the rest of the document silently) is
  clamped: the deepest quotes and list items stay at the deepest level kept;
- rules and empty fragments are not blocks.
Inline markup keeps the readable text: link text, image alt text, inline code; markers dropped.
"""

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

from strata.contracts.blocks import BlockDraft, BlockType, TableCells
from strata.conversion.htmltable import html_pieces
from strata.conversion.plaintext import plaintext_to_blocks
from strata.conversion.tables import square, table_markdown
from strata.planning.tokens import estimate_tokens

# Each quote or list level is one or two nesting levels; markdown-it stops reading (and drops
# everything after) at the limit. Its parser recurses per level: 100 stays far from Python's
# recursion limit.
MAX_NESTING = 100
_PARSER = MarkdownIt("commonmark", {"maxNesting": MAX_NESTING}).enable("table")
_DEEP_QUOTE = re.compile(r"^((?:[ \t]{0,3}>){30})(?:[ \t]{0,3}>)+", re.MULTILINE)
_DEEP_INDENT = re.compile(r"^[ \t]{61,}", re.MULTILINE)


@dataclass
class _Item:
    slot: int
    section_path: list[str]
    marker: str = ""
    level: int = 1
    parts: list[str] = field(default_factory=list)


def markdown_to_blocks(source: str) -> list[BlockDraft]:
    tokens = _PARSER.parse(source)
    if _too_deep(tokens):
        tokens = _PARSER.parse(clamp_nesting(source))
        if _too_deep(tokens):  # still too deep (quotes inside lists inside quotes ...)
            return plaintext_to_blocks(source)
    return _Walker().walk(tokens)


def _too_deep(tokens: list[Token]) -> bool:
    return max((t.level for t in tokens), default=0) >= MAX_NESTING - 1


def clamp_nesting(source: str) -> str:
    """Quotes past 30 deep and indentation past 60 columns cut back to that."""
    source = _DEEP_QUOTE.sub(lambda m: m.group(1), source)
    return _DEEP_INDENT.sub(" " * 60, source.expandtabs(4))


def inline_text(token: Token) -> str:
    """The readable text of an inline token: markup dropped, link text and image alt kept."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "text_special", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "image":
            parts.append(inline_text(child))
    return "".join(parts).strip()


class _Walker:
    def __init__(self) -> None:
        # None marks a list item's reserved place, filled when the item closes.
        self.out: list[BlockDraft | None] = []
        self.headings: list[tuple[int, str]] = []
        self.containers: list[_Item | str] = []  # open list items and "quote" markers

    def walk(self, tokens: list[Token]) -> list[BlockDraft]:
        i = 0
        while i < len(tokens):
            token = tokens[i]
            kind = token.type
            if kind == "heading_open":
                self._heading(int(token.tag[1:]), inline_text(tokens[i + 1]))
                i += 3
                continue
            if kind == "paragraph_open":
                self._text(inline_text(tokens[i + 1]))
                i += 3
                continue
            if kind == "table_open":
                i = self._table(tokens, i)
                continue
            if kind == "list_item_open":
                self._open_item(token)
            elif kind == "list_item_close":
                self._close_item()
            elif kind == "blockquote_open":
                self.containers.append("quote")
            elif kind == "blockquote_close":
                self.containers.pop()
            elif kind in ("fence", "code_block"):
                self._emit(BlockType.CODE, token.content.rstrip("\n"))
            elif kind == "html_block":
                self._html(token.content)
            i += 1
        return [block for block in self.out if block is not None]

    def _path(self) -> list[str]:
        return [text for _, text in self.headings]

    def _emit(self, block_type: BlockType, text: str, **extra: object) -> None:
        if not text.strip():
            return
        self.out.append(
            BlockDraft(
                block_type=block_type,
                text=text,
                section_path=self._path(),
                token_estimate=estimate_tokens(text),
                **extra,
            )
        )

    def _heading(self, level: int, text: str) -> None:
        if self.containers:  # a heading quoted or inside a list item is content, not structure
            self._text(text)
            return
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        if text:
            self._emit(BlockType.HEADING, text)
            self.headings.append((level, text))

    def _text(self, text: str) -> None:
        top = self.containers[-1] if self.containers else None
        if isinstance(top, _Item):
            if text:
                top.parts.append(text)
        elif top == "quote":
            self._emit(BlockType.QUOTE, text)
        else:
            self._emit(BlockType.PARAGRAPH, text)

    def _open_item(self, token: Token) -> None:
        ordered = token.markup in (".", ")")
        marker = f"{token.info}{token.markup}" if ordered and token.info else ""
        level = 1 + sum(isinstance(c, _Item) for c in self.containers)
        self.containers.append(
            _Item(slot=len(self.out), section_path=self._path(), marker=marker, level=level)
        )
        self.out.append(None)

    def _html(self, source: str) -> None:
        for _, payload in html_pieces(source):
            if isinstance(payload, str):
                self._text(payload)
            else:
                rows = square(payload)
                cells = TableCells(rows=rows, has_header=True)
                self._emit(BlockType.TABLE, table_markdown(rows), table=cells)

    def _close_item(self) -> None:
        item = self.containers.pop()
        assert isinstance(item, _Item)
        text = "\n".join(item.parts)
        if text.strip():
            text = f"{item.marker} {text}" if item.marker else text
            self.out[item.slot] = BlockDraft(
                block_type=BlockType.LIST_ITEM,
                text=text,
                section_path=item.section_path,
                token_estimate=estimate_tokens(text),
                list_level=item.level,
            )

    def _table(self, tokens: list[Token], start: int) -> int:
        rows: list[list[str]] = []
        i = start + 1
        while tokens[i].type != "table_close":
            token = tokens[i]
            if token.type == "tr_open":
                rows.append([])
            elif token.type == "inline":
                rows[-1].append(inline_text(token))
            i += 1
        if any(cell for row in rows for cell in row):
            self._emit(
                BlockType.TABLE, table_markdown(rows), table=TableCells(rows=rows, has_header=True)
            )
        return i + 1
