"""A block's answer (pure): what an omitted key stands for in the sparse form, and how long the
answer is expected to be, from the schema and the block's length.

Used for estimates only; packs are sized against the policy's `output_tokens_per_block` budget,
which is a safety ceiling, not an expectation. The rule is generic (JSON framing + a typical
value size per JSON type), never fitted to one model or to the simulator.
"""

import json
import re
from collections.abc import Callable
from typing import Any

_DEFAULT_MAX_STRING = 200
# A string value quotes or restates part of the block: at least about one sentence (English prose
# averages 15-20 words a sentence at about 5.7 characters a word with its space; a value is the
# shorter kind, a heading, a list item, a lead sentence: ~14 words), in a long block up to 40%
# of it; never more than the block or the schema's cap. (The floor was 24 characters while
# answers were objects: the keys, counted in full though sparse answers leave some out, hid the
# shortfall; rows write no keys.)
_SENTENCE_CHARS = 80


def omitted_values(definition: dict[str, Any]) -> dict[str, Any]:
    """What each top-level key stands for when a sparse answer leaves it out: the schema's
    `default` for it, else null. In the schema's order, so restored answers keep it."""
    properties = definition.get("properties", {})
    if not isinstance(properties, dict):
        return {}
    return {
        name: spec.get("default") if isinstance(spec, dict) else None
        for name, spec in properties.items()
    }


def restore_omitted(value: dict[str, Any], omitted: dict[str, Any]) -> dict[str, Any]:
    """The answer with every left-out key put back; keys the model wrote always win."""
    return {**omitted, **value}


def _types(spec: dict[str, Any]) -> list[str]:
    kind = spec.get("type", "string")
    return [kind] if isinstance(kind, str) else [k for k in kind if k != "null"] or ["null"]


def _string_chars(spec: dict[str, Any], text_chars: int) -> float:
    # A string quotes part of the block: about a sentence, never more than the block or the cap.
    cap = spec.get("maxLength", _DEFAULT_MAX_STRING)
    return 2 + min(cap, text_chars, max(text_chars * 0.4, _SENTENCE_CHARS))


def _array_chars(spec: dict[str, Any], text_chars: int) -> float:
    count = min(spec.get("maxItems", 3), 3)
    return 2 + count * (value_chars(spec.get("items", {}), text_chars // max(count, 1)) + 1)


_FIXED_CHARS = {"number": 5, "integer": 5, "boolean": 5, "null": 4}


def value_chars(spec: dict[str, Any], text_chars: int) -> float:
    """Expected characters of one JSON value for a block of `text_chars` characters."""
    if "enum" in spec:
        values = [json.dumps(v, ensure_ascii=False) for v in spec["enum"]]
        return sum(map(len, values)) / max(len(values), 1)
    kind = _types(spec)[0]
    if kind in _FIXED_CHARS:
        return _FIXED_CHARS[kind]
    if kind == "object":
        return object_chars(spec.get("properties", {}), text_chars)
    if kind == "array":
        return _array_chars(spec, text_chars)
    return _string_chars(spec, text_chars)


def object_chars(properties: dict[str, dict[str, Any]], text_chars: int) -> float:
    keys = sum(len(json.dumps(name)) + 2 for name in properties)  # "name": and a comma
    return 2 + keys + sum(value_chars(spec, text_chars) for spec in properties.values())


_NUMBER = re.compile(r"\d(?:[\d,.]*\d)?")


def expected_answer_chars(
    definition: dict[str, Any], text: str, *, row_fields: list[str] | None = None
) -> float:
    """Expected characters of one block's answer: its object, or with `row_fields` its row
    (brackets, the values and a comma between each two, no keys)."""
    return answer_sizer(definition, row_fields=row_fields)(text)


def answer_sizer(
    definition: dict[str, Any], *, row_fields: list[str] | None = None
) -> Callable[[str], float]:
    """`expected_answer_chars` for one schema, worked out once: what does not depend on the
    block (keys, framing, enums, booleans) is summed here, so a run of a million blocks looks at
    each block only for its length and, for number fields, the numbers it states."""
    properties = definition.get("properties", {})
    if not isinstance(properties, dict):
        return lambda _text: 2.0
    if row_fields is None:
        names = list(properties)
        fixed = 2.0 + sum(len(json.dumps(name)) + 2 for name in names)  # "name": and a comma
    else:
        names = row_fields
        fixed = 2.0 + max(len(row_fields) - 1, 0)
    numbers = 0  # number fields: one of the numbers the block states
    by_length: list[dict[str, Any]] = []  # strings, arrays, objects: by the block's length
    for name in names:
        spec = properties.get(name, {})
        spec = spec if isinstance(spec, dict) else {}
        if "enum" not in spec and _types(spec)[0] in ("number", "integer"):
            numbers += 1
        elif "enum" in spec or _types(spec)[0] in _FIXED_CHARS:
            fixed += value_chars(spec, 0)  # the same for every block
        else:
            by_length.append(spec)

    def size(text: str) -> float:
        chars = fixed + sum(value_chars(spec, len(text)) for spec in by_length)
        if numbers:
            chars += numbers * _number_chars(text)
        return chars

    return size


def _number_chars(text: str) -> float:
    """A number field holds one of the numbers the block states (as long as they are, without
    thousands separators), or null when it states none."""
    found = [n.replace(",", "") for n in _NUMBER.findall(text)]
    return sum(map(len, found)) / len(found) if found else _FIXED_CHARS["null"]
