"""Token counting for planning and estimates (pure).

`ceil(UTF-8 bytes / 4)` per text piece: the simulator's documented rule, and close to Claude's
tokenizer on English prose (which runs ~3.5-4.5 characters per token); against the real API,
expect estimates within roughly ±15% on input.
"""


def estimate_tokens(text: str) -> int:
    """Cheap token estimate (UTF-8 bytes / 4, rounded up) used to size packs before any call."""
    return -(-len(text.encode("utf-8")) // 4)
