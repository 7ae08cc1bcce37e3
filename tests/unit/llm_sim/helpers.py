"""Request builders shared by the llm-sim tests."""

from __future__ import annotations

import html
import json
from typing import Any

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "amount": {"type": ["number", "null"]},
        "is_urgent": {"type": "boolean"},
    },
    "required": ["title"],
}


def build_body(
    blocks: list[tuple[str, str]],
    *,
    schema: dict[str, Any] | None = None,
    system_padding: str = "",
    cache_system: bool = False,
    max_tokens: int = 1024,
    model: str = "claude-sonnet-4-6",  # not on the SDK's deprecation list (warnings are errors)
) -> dict[str, Any]:
    """A request shaped like the Strata worker's: schema in system, blocks in one user message."""
    system_text = (
        f"{system_padding}Extract fields.\n<schema>{json.dumps(schema or SCHEMA)}</schema>"
    )
    system_block: dict[str, Any] = {"type": "text", "text": system_text}
    if cache_system:
        system_block["cache_control"] = {"type": "ephemeral"}
    user = "".join(
        f'<block uid="{uid}">{html.escape(text, quote=False)}</block>\n' for uid, text in blocks
    )
    return {
        "model": model,
        "max_tokens": max_tokens,
        "system": [system_block],
        "messages": [{"role": "user", "content": [{"type": "text", "text": user}]}],
    }
