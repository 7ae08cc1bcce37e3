"""Between a review grid's text inputs and a block's values (pure).

A form sends text; the schema says what each top-level field holds. Text for a string field is
kept as typed; anything else is read as JSON (numbers, true/false, lists, objects), and left as
text when it is not JSON, so the API's own value check answers with its own message."""

import json
from typing import Any

from strata.gateway.api_models import ReviewItem


def columns(definition: dict[str, Any]) -> list[str]:
    """The grid's columns: the schema's top-level fields in their written order. Postgres
    `jsonb` does not keep key order, so the order the builder records (`x-order`) wins when it
    names exactly the properties."""
    properties = definition.get("properties")
    if not isinstance(properties, dict):
        return []
    order = definition.get("x-order")
    if isinstance(order, list) and sorted(map(str, order)) == sorted(properties):
        return [str(name) for name in order]
    return list(properties)


def _types(definition: dict[str, Any], field: str) -> set[str]:
    spec = (definition.get("properties") or {}).get(field)
    kind = spec.get("type") if isinstance(spec, dict) else None
    if isinstance(kind, str):
        return {kind}
    return {k for k in kind if isinstance(k, str)} if isinstance(kind, list) else set()


def shown(value: Any) -> str:
    """A value as a cell shows it and an input holds it."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def typed(definition: dict[str, Any], field: str, text: str) -> Any:
    kinds = _types(definition, field)
    if text.strip() == "" and ("null" in kinds or not kinds or "string" not in kinds):
        return None
    if "string" in kinds:
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def current_values(item: ReviewItem) -> dict[str, Any]:
    """What the block says now: the confirmed values once a person settled it, else the model's."""
    if item.confirmed is not None and item.review_status.value in ("confirmed", "edited"):
        return item.confirmed
    return item.staged or {}
