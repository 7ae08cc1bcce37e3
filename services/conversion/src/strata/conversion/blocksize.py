"""No block larger than a model call can take: over-long text is cut into consecutive blocks.

A block is the unit a pack sends whole, so one 10-million-token paragraph (a 40 MiB one-line
.txt) would be a call no policy can make. Text past `max_tokens` (the same UTF-8 bytes / 4
estimate the planner uses) is cut at sentence ends, a sentence still too long at spaces, a word
still too long anywhere; code at line ends first. Each piece keeps the block's type and
provenance. Tables are already cut by rows (`tables.py`) and are left alone.
"""

import re

from strata.contracts.blocks import BlockDraft, BlockType
from strata.planning.tokens import estimate_tokens

_SENTENCE_END = re.compile(r"(?<=[.!?\u3002\uff01\uff1f])\s+")
_LINE_END = re.compile(r"(?<=\n)")
_SPACE = re.compile(r"(?<=\s)")


def bound_blocks(blocks: list[BlockDraft], *, max_tokens: int) -> list[BlockDraft]:
    out: list[BlockDraft] = []
    for block in blocks:
        if block.block_type is BlockType.TABLE or block.token_estimate <= max_tokens:
            out.append(block)
            continue
        code = block.block_type is BlockType.CODE
        for piece in split_text(block.text, max_bytes=max_tokens * 4, code=code):
            update = {"text": piece, "token_estimate": estimate_tokens(piece)}
            out.append(block.model_copy(update=update))
    return out


def split_text(text: str, *, max_bytes: int, code: bool = False) -> list[str]:
    """Consecutive pieces of at most `max_bytes` UTF-8 bytes, cut at the coarsest boundary."""
    levels = [_LINE_END, _SENTENCE_END, _SPACE] if code else [_SENTENCE_END, _SPACE]
    pieces = [p for p in _split(text, max_bytes, levels) if p.strip()]
    return [p if code else p.strip() for p in pieces]


def _split(text: str, max_bytes: int, levels: list[re.Pattern[str]]) -> list[str]:
    if len(text.encode("utf-8")) <= max_bytes:
        return [text]
    if not levels:
        return _hard_cut(text, max_bytes)
    out: list[str] = []
    current: list[str] = []
    size = 0
    for part in levels[0].split(text):
        part_size = len(part.encode("utf-8")) + 1
        if current and size + part_size > max_bytes:
            out.append(" ".join(current) if levels[0] is _SENTENCE_END else "".join(current))
            current, size = [], 0
        if part_size > max_bytes:
            out.extend(_split(part, max_bytes, levels[1:]))
            continue
        current.append(part)
        size += part_size
    if current:
        out.append(" ".join(current) if levels[0] is _SENTENCE_END else "".join(current))
    return out


def _hard_cut(text: str, max_bytes: int) -> list[str]:
    data = text.encode("utf-8")
    out, start = [], 0
    while start < len(data):
        end = min(start + max_bytes, len(data))
        while end < len(data) and end > start + 1 and data[end] & 0xC0 == 0x80:
            end -= 1  # never cut inside a character
        out.append(data[start:end].decode("utf-8"))
        start = end
    return out
