"""Markdown text of one block and of its values (pure).

The export's title is `#` and each document `##`, so a block heading sits at `###` plus its
depth (its section path holds its ancestors), capped at Markdown's six levels.
"""

import re
from typing import Any

_ESCAPES = str.maketrans({c: "\\" + c for c in "\\`*_{}[]<>#|!"})


def escape_inline(text: str) -> str:
    """Text shown as-is inside a line: Markdown and HTML syntax escaped, line breaks folded."""
    return " ".join(str(text).split()).translate(_ESCAPES)


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


# What makes a value need escaping or folding; most values need neither.
_NEEDS_WORK = re.compile(r"[\\`*_{}\[\]<>#|!\n\r\t\f\v]|  |^\s|\s$")


def _value_text(value: Any) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    if value.__class__ is not str:
        return str(value)  # a number: digits, sign, dot, exponent; nothing to escape
    return value if _NEEDS_WORK.search(value) is None else escape_inline(value)


def values_line(row: Any, source: str | None, fields: list[tuple[str, Any]]) -> str:
    """A quoted line under the block: where the values come from, then each (flattened) field
    (names already escaped: they come from the schema, escaped once per export); a rejected
    block or a block without values says so; flags are listed."""
    uid = f"{row['document_id']}:{row['block_index']}"
    if source is None:
        label = "rejected" if row["review_status"] == "rejected" else "no value"
    elif source == "staged":
        label = f"staged ({row['review_status']})"
    else:
        label = row["review_status"]
    parts = [f"**{label}**"]
    parts += [f"{key}: {_value_text(v)}" for key, v in fields]
    if row["flags"]:
        parts.append("flags: " + ", ".join(escape_inline(f) for f in row["flags"]))
    parts.append(f"`{uid}` run `{row['run_id']}`")
    return "> " + " · ".join(parts)
