"""Markdown to blocks with a real CommonMark parser (markdown-it-py, GFM tables enabled).

Rules, in document order:
- a heading is a `heading` block; its section_path is the chain of its ANCESTOR headings, and it
  becomes the innermost section for what follows (a new h2 closes the previous h2, h3, ...);
- a paragraph is a `paragraph` block; a blockquote's paragraphs and headings are `quote` blocks;
- each list item is one `list_item` block holding only its own text (its paragraphs), placed
  before its nested items, which are blocks of their own;
- a table is a `table` block: cells in `table`, text as GitHub Markdown;
- fenced and indented code is a `code` block holding the code;
- a raw HTML block is a paragraph of its text with tags and comments removed;
- rules and empty fragments are not blocks.
Inline markup keeps the readable text: link text, image alt text, inline code; markers dropped.
"""

import html
import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

from strata.contracts.blocks import BlockDraft, BlockType, TableCells
from strata.conversion.tables import table_markdown
from strata.planning.tokens import estimate_tokens

_PARSER = MarkdownIt("commonmark").enable("table")
_HTML_DROP = re.compile(
    r"<!--.*?(?:-->|\Z)|<(script|style)\b.*?(?:</\1\s*>|\Z)", re.DOTALL | re.IGNORECASE
)
_HTML_TAG = re.compile(r"<[^>]*>")


@dataclass
class _Item:
    slot: int
    section_path: list[str]
    parts: list[str] = field(default_factory=list)


def markdown_to_blocks(source: str) -> list[BlockDraft]:
    return _Walker().walk(_PARSER.parse(source))


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


def html_text(source: str) -> str:
    text = _HTML_TAG.sub(" ", _HTML_DROP.sub(" ", source))
    return " ".join(html.unescape(text).split())


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
                self.containers.append(_Item(slot=len(self.out), section_path=self._path()))
                self.out.append(None)
            elif kind == "list_item_close":
                self._close_item()
            elif kind == "blockquote_open":
                self.containers.append("quote")
            elif kind == "blockquote_close":
                self.containers.pop()
            elif kind in ("fence", "code_block"):
                self._emit(BlockType.CODE, token.content.rstrip("\n"))
            elif kind == "html_block":
                self._text(html_text(token.content))
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

    def _close_item(self) -> None:
        item = self.containers.pop()
        assert isinstance(item, _Item)
        text = "\n".join(item.parts)
        if text.strip():
            self.out[item.slot] = BlockDraft(
                block_type=BlockType.LIST_ITEM,
                text=text,
                section_path=item.section_path,
                token_estimate=estimate_tokens(text),
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
