"""The deterministic answer rule: a block's values depend only on its text and the schema.

Pack independence is the point: a Strata worker may batch blocks freely, and tests
can predict every value by calling `answer_for_block` themselves.
"""

from __future__ import annotations

import json
import logging
import math
import re
from typing import Any

logger = logging.getLogger(__name__)

NUMBER_RE = re.compile(r"(?<![\w.,])[-+]?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?")
SENTENCE_END_RE = re.compile(r"[.!?] |\n")
SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?])\s+|\n+")
KEY_VALUE_RE = re.compile(r"^\s*([\w \-]+?)\s*:\s*(.*?)\s*$", re.MULTILINE)
CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
DEFAULT_STRING_CHARS, ARRAY_ITEM_CHARS, DEFAULT_MAX_ITEMS = 200, 120, 5


def _norm_key(key: str) -> str:
    return " ".join(key.lower().replace("_", " ").replace("-", " ").split())


def _has_word(text: str, word: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE) is not None


def _resolve(prop: dict[str, Any], root: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Follow a local $ref and collapse anyOf/oneOf (pydantic's Optional[X] shape) into
    (effective schema, nullable)."""
    nullable = bool(prop.get("nullable"))
    for _ in range(32):  # bounded: a cyclic $ref must not hang the server
        if "$ref" in prop and str(prop["$ref"]).startswith("#/"):
            target: Any = root
            for part in prop["$ref"][2:].split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            prop = {**target, **{k: v for k, v in prop.items() if k != "$ref"}}
            continue
        variants = prop.get("anyOf") or prop.get("oneOf")
        if isinstance(variants, list) and variants:
            nullable |= any(isinstance(v, dict) and v.get("type") == "null" for v in variants)
            rest = [v for v in variants if isinstance(v, dict) and v.get("type") != "null"]
            base = {k: v for k, v in prop.items() if k not in ("anyOf", "oneOf")}
            prop = {**(rest[0] if rest else {"type": "null"}), **base}
            continue
        break
    return prop, nullable


def _types(prop: dict[str, Any]) -> tuple[str | None, bool]:
    """(first non-null type, nullable) from `type` given as a string or a list."""
    declared = prop.get("type")
    names = declared if isinstance(declared, list) else [declared] if declared else []
    primary = next((t for t in names if t != "null"), None)
    if primary is None and "properties" in prop:
        primary = "object"
    return primary, "null" in names


def _numbers(text: str) -> list[float | int]:
    found: list[float | int] = []
    for raw in NUMBER_RE.findall(text):
        clean = raw.replace(",", "").lstrip("+")
        value = float(clean) if "." in clean else int(clean)
        # A 400-digit "number" would become inf, which json.dumps writes as invalid JSON.
        if isinstance(value, int) or math.isfinite(value):
            found.append(value)
    return found


def _first_sentence(text: str, limit: int) -> str:
    end = SENTENCE_END_RE.search(text)
    # Keep the terminating punctuation ("Total due." reads as written), drop a newline.
    sentence = text if end is None else text[: end.start() + (end.group() != "\n")]
    return " ".join(sentence.split())[:limit]


def _string(text: str, name: str, prop: dict[str, Any], nullable: bool) -> str | None:
    limit = prop.get("maxLength", DEFAULT_STRING_CHARS)
    wanted = {_norm_key(name), _norm_key(str(prop.get("title", name)))}
    for key, value in KEY_VALUE_RE.findall(text):
        if _norm_key(key) in wanted:
            return value[:limit] if value or not nullable else None
    if not text.strip():
        return None if nullable else ""
    return _first_sentence(text.strip(), limit)


def _boolean(text: str, name: str, prop: dict[str, Any]) -> bool:
    keywords = prop.get("x-keywords")
    if isinstance(keywords, list) and keywords:
        return any(_has_word(text, str(k)) for k in keywords)
    words = [w.lower() for w in re.split(r"[_\-\s]+", CAMEL_RE.sub(" ", name)) if w]
    required = [w for w in words if len(w) >= 4] or words
    return bool(required) and all(_has_word(text, w) for w in required)


def _array(text: str, prop: dict[str, Any], root: dict[str, Any]) -> list[Any]:
    items, _ = _resolve(prop.get("items") or {}, root)
    item_type, _ = _types(items)
    limit = prop.get("maxItems", DEFAULT_MAX_ITEMS)
    if item_type in ("number", "integer"):
        distinct: list[Any] = []
        for number in _numbers(text):
            value = round(number) if item_type == "integer" else number
            if value not in distinct:
                distinct.append(value)
        return distinct[:limit]
    if item_type == "object":
        return [_object(text, items, root)][:limit]
    if item_type == "string":
        cut = min(items.get("maxLength", ARRAY_ITEM_CHARS), ARRAY_ITEM_CHARS)
        sentences = (" ".join(s.split())[:cut] for s in SENTENCE_SPLIT_RE.split(text))
        return [s for s in sentences if s][:limit]
    return []


# One branch per JSON Schema type reads clearer than a dispatch table here.
def _value(text: str, name: str, raw: dict[str, Any], root: dict[str, Any]) -> Any:  # noqa: PLR0911
    prop, nullable_ref = _resolve(raw if isinstance(raw, dict) else {}, root)
    kind, nullable = _types(prop)
    nullable = nullable or nullable_ref
    if "const" in prop:
        return prop["const"]
    if isinstance(prop.get("enum"), list) and prop["enum"]:
        options = prop["enum"]
        hit = next(
            (v for v in options if v is not None and str(v) and _has_word(text, str(v))), None
        )
        if hit is not None:
            return hit
        return None if nullable or None in options else options[0]
    if kind == "string":
        return _string(text, name, prop, nullable)
    if kind in ("number", "integer"):
        numbers = _numbers(text)
        if not numbers:
            return None if nullable else 0
        return round(numbers[0]) if kind == "integer" else numbers[0]
    if kind == "boolean":
        return _boolean(text, name, prop)
    if kind == "array":
        return _array(text, prop, root)
    if kind == "object" and isinstance(prop.get("properties"), dict):
        return _object(text, prop, root)
    return None


def _object(text: str, schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    properties = schema.get("properties") or {}
    return {name: _value(text, name, prop, root) for name, prop in properties.items()}


def answer_for_block(text: str, schema: dict[str, Any]) -> dict[str, Any]:
    """Values for one block: one entry per schema property, in the schema's order."""
    return _object(text, schema, schema)


def _exact(value: Any) -> str:
    # JSON-exact: 0, 0.0 and false are different values, as they are to the validator.
    return json.dumps(value, sort_keys=True)


def sparse_values(values: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The sparse form: a top-level key is left out when its value is the schema's `default`
    for it or, without a default, null; the reader restores exactly that value."""
    properties = schema.get("properties") or {}
    out = {}
    for name, value in values.items():
        spec = properties.get(name)
        stands_for = spec.get("default") if isinstance(spec, dict) else None
        if spec is None or _exact(value) != _exact(stands_for):
            out[name] = value
    return out


def answer_text(
    blocks: list[tuple[str, str]],
    schema: dict[str, Any],
    *,
    sparse: bool = False,
    rows: list[str] | None = None,
) -> str:
    """The assistant text: one compact JSON object {uid: values} in request order; with `rows`,
    each block's values as an array in that field order (null for a field it has no value for)."""
    answers: dict[str, Any] = {uid: answer_for_block(text, schema) for uid, text in blocks}
    if rows is not None:
        answers = {uid: [values.get(name) for name in rows] for uid, values in answers.items()}
    elif sparse:
        answers = {uid: sparse_values(values, schema) for uid, values in answers.items()}
    return json.dumps(answers, separators=(",", ":"), ensure_ascii=False)
