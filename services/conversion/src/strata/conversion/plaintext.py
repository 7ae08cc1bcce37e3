"""Plain text to blocks: paragraphs split on blank lines, bulleted or numbered lines as list
items. No headings: in plain text nothing reliably marks one. A numbered item keeps its number
(`2.`, `3)`), a bulleted one drops its bullet; indentation gives the list level (2 columns a
level)."""

import re

from strata.contracts.blocks import BlockDraft, BlockType
from strata.planning.tokens import estimate_tokens

_LIST_LINE = re.compile(r"^([ \t]*)(?:[-*\u2022]|(\d{1,9}[.)]))\s+(?=\S)")


def plaintext_to_blocks(source: str) -> list[BlockDraft]:
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[BlockDraft] = []
    for chunk in re.split(r"\n[ \t\f\v]*\n", text):
        blocks.extend(_chunk_blocks(chunk))
    return blocks


def _chunk_blocks(chunk: str) -> list[BlockDraft]:
    """One blank-line-separated chunk: runs of prose lines and list items, in order."""
    pieces: list[tuple[BlockType, list[str], int | None]] = []
    for line in chunk.split("\n"):
        if not line.strip():
            continue
        marker = _LIST_LINE.match(line)
        if marker:
            number = [marker.group(2)] if marker.group(2) else []
            level = 1 + len(marker.group(1).expandtabs(4)) // 2
            pieces.append((BlockType.LIST_ITEM, [*number, line[marker.end() :]], level))
        elif pieces and pieces[-1][0] is BlockType.LIST_ITEM and line[:1] in (" ", "\t"):
            pieces[-1][1].append(line)  # an indented line continues the item above
        elif pieces and pieces[-1][0] is BlockType.PARAGRAPH:
            pieces[-1][1].append(line)
        else:
            pieces.append((BlockType.PARAGRAPH, [line], None))
    blocks = []
    for block_type, lines, list_level in pieces:
        text = " ".join(" ".join(lines).split())
        blocks.append(
            BlockDraft(
                block_type=block_type,
                text=text,
                token_estimate=estimate_tokens(text),
                list_level=list_level,
            )
        )
    return blocks
