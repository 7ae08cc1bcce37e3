"""The simulator's token rule.

Real tokenizers are model specific and not public; a fixed, documented rule lets
tests compute expected usage exactly. ~4 UTF-8 bytes per token is close to the
average for English text on Claude models, so cost estimates stay in the right range.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

logger = logging.getLogger(__name__)

BYTES_PER_TOKEN = 4


def tokens(text: str) -> int:
    """ceil(utf8_bytes / 4); the empty string is 0 tokens."""
    return -(-len(text.encode("utf-8")) // BYTES_PER_TOKEN)


def total_tokens(texts: Iterable[str]) -> int:
    """Tokens of a request: the sum over its pieces, each rounded up separately."""
    return sum(tokens(text) for text in texts)


def truncate_to_tokens(text: str, max_tokens: int) -> str:
    """Longest prefix of `text` within max_tokens*4 UTF-8 bytes, cut on a char boundary."""
    budget = max(max_tokens, 0) * BYTES_PER_TOKEN
    raw = text.encode("utf-8")
    if len(raw) <= budget:
        return text
    # errors="ignore" drops a trailing partial multi-byte character.
    return raw[:budget].decode("utf-8", errors="ignore")
