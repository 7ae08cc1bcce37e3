"""Token counting for planning and estimates (pure).

`ceil(UTF-8 bytes / 4)` per text piece: the simulator's documented rule, and close to Claude's
tokenizer on English prose (which runs ~3.5-4.5 characters per token); against the real API,
expect estimates within roughly ±15% on input.
"""

from strata.contracts.blocks import estimate_tokens

# Anthropic caches a prefix only from this many tokens (Sonnet/Opus; Haiku needs 2048).
MIN_CACHEABLE_TOKENS = 1024

__all__ = ["MIN_CACHEABLE_TOKENS", "estimate_tokens"]
