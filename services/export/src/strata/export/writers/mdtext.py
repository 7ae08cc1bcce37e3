"""Markdown text of one block and of its values (pure).

The export's title is `#` and each document `##`, so a block heading sits at `###` plus its
depth (its section path holds its ancestors), capped at Markdown's six levels.
"""

import json
import re
from typing import Any

from strata.contracts.blocks import make_block_uid

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!])")


def escape_inline(text: str) -> str:
    """Text shown as-is inside a line: Markdown and HTML syntax escaped, line breaks folded."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def block_markdown(block_type: str, text: str, section_path: list[str] | None) -> str:
    if block_type == "heading":
        level = min(6, 3 + len(section_path or ()))
        return f"{'#' * level} {' '.join(text.split())}"
    if block_type == "code":
        fence = "````" if "```" in text else "```"
        return f"{fence}\n{text}\n{fence}"
    if block_type == "quote":
        return "\n".join(f"> {line}" for line in text.splitlines())
    if block_type == "list_item" and not text.lstrip().startswith(("-", "*", "+")):
        return f"- {text}"
    return text


def _value_text(value: Any) -> str:
    if isinstance(value, str):
        return escape_inline(value)
    return escape_inline(json.dumps(value, ensure_ascii=False))


def values_line(row: dict[str, Any], source: str | None, values: dict[str, Any] | None) -> str:
    """A quoted line under the block: where the values come from, then each field; a rejected
    block or a block without values says so; flags are listed."""
    uid = make_block_uid(row["document_id"], row["block_index"])
    if source is None:
        label = "rejected" if row["review_status"] == "rejected" else "no value"
    elif source == "staged":
        label = f"staged ({row['review_status']})"
    else:
        label = row["review_status"]
    parts = [f"**{label}**"]
    parts += [f"{escape_inline(key)}: {_value_text(v)}" for key, v in (values or {}).items()]
    if row["flags"]:
        parts.append("flags: " + ", ".join(escape_inline(f) for f in row["flags"]))
    parts.append(f"`{uid}` run `{row['run_id']}`")
    return "> " + " · ".join(parts)
