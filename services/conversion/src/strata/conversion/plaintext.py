"""Plain text to blocks: paragraphs split on blank lines, bulleted or numbered lines as list
items. No headings: in plain text nothing reliably marks one."""

import re

from strata.contracts.blocks import BlockDraft, BlockType
from strata.planning.tokens import estimate_tokens

_LIST_LINE = re.compile(r"^\s*(?:[-*\u2022]|\d{1,9}[.)])\s+(?=\S)")


def plaintext_to_blocks(source: str) -> list[BlockDraft]:
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[BlockDraft] = []
    for chunk in re.split(r"\n[ \t\f\v]*\n", text):
        blocks.extend(_chunk_blocks(chunk))
    return blocks


def _chunk_blocks(chunk: str) -> list[BlockDraft]:
    """One blank-line-separated chunk: runs of prose lines and list items, in order."""
    pieces: list[tuple[BlockType, list[str]]] = []
    for line in chunk.split("\n"):
        if not line.strip():
            continue
        marker = _LIST_LINE.match(line)
        if marker:
            pieces.append((BlockType.LIST_ITEM, [line[marker.end() :]]))
        elif pieces and pieces[-1][0] is BlockType.LIST_ITEM and line[:1] in (" ", "\t"):
            pieces[-1][1].append(line)  # an indented line continues the item above
        elif pieces and pieces[-1][0] is BlockType.PARAGRAPH:
            pieces[-1][1].append(line)
        else:
            pieces.append((BlockType.PARAGRAPH, [line]))
    blocks = []
    for block_type, lines in pieces:
        text = " ".join(" ".join(lines).split())
        blocks.append(
            BlockDraft(block_type=block_type, text=text, token_estimate=estimate_tokens(text))
        )
    return blocks
