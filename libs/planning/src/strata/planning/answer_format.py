"""The pack answer as a JSON Schema, for structured outputs (`output_config.format`) (pure).

One object keyed by the pack's block tags, each value the run's block schema. The block schema
is written once under `$defs` and referenced per tag, so a 100-block pack does not send the
schema 100 times; the schema's own `$defs`/`definitions` move to the root, where its local
`#/$defs/…` references still point. With sparse answers a block's keys are all optional (the
worker restores the left-out ones), so `required` is dropped from the block object.

Constraints structured outputs do not accept (numeric bounds, string lengths; Anthropic's
guide lists them, and its SDK strips them the same way) and our own `x-` annotations are left
out of the format: the format fixes the answer's shape, and the worker still validates every
value against the full schema, so no constraint is lost.

Row answers (`answer_rows`): each tag's value is an array whose items are any of the fields'
schemas. Structured outputs accept no tuple keywords (`prefixItems`, item counts beyond
`minItems` 0/1), so the format fixes each value's type and the worker checks the row's length
and order, as it checks every constraint the format cannot carry.

Source for the models that accept `output_config.format`: Anthropic's structured-outputs guide
(checked 2026-10). A model missing here simply gets the plain prompt; a model listed here whose
endpoint refuses a schema is handled by the worker's fallback (one retry without it).
"""

from typing import Any

_BLOCK_DEF = "strata_block"
UNSUPPORTED_KEYWORDS = frozenset(
    {
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
    }
)
_ROOT_ONLY = ("$schema", "$id", "$defs", "definitions")

STRUCTURED_OUTPUT_MODELS = (
    "claude-opus-5",
    "claude-opus-4-8",
    "claude-opus-4-7",
    "claude-opus-4-6",
    "claude-opus-4-5",
    "claude-opus-4-1",
    "claude-sonnet-5",
    "claude-sonnet-4-6",
    "claude-sonnet-4-5",
    "claude-haiku-4-5",
)


def supports_structured_outputs(model: str) -> bool:
    return model.startswith(STRUCTURED_OUTPUT_MODELS)


def _supported(node: Any, *, in_properties: bool = False) -> Any:
    """The schema without the keywords the format refuses (property names are kept as is)."""
    if isinstance(node, list):
        return [_supported(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: _supported(value, in_properties=key in ("properties", "$defs", "definitions"))
        for key, value in node.items()
        if in_properties or (key not in UNSUPPORTED_KEYWORDS and not key.startswith("x-"))
    }


def _row(block: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """A row: an array of values, each one of the fields' schemas (each distinct one once)."""
    properties = block.get("properties", {})
    variants: list[Any] = []
    for name in fields:
        spec = properties.get(name, {})
        if spec not in variants:
            variants.append(spec)
    return {"type": "array", "items": {"anyOf": variants} if len(variants) > 1 else variants[0]}


def pack_answer_schema(
    definition: dict[str, Any],
    tags: list[str],
    *,
    sparse: bool,
    row_fields: list[str] | None = None,
) -> dict[str, Any]:
    """With `row_fields`, each block's answer is a row of values in that order."""
    definition = _supported(definition)
    block = {k: v for k, v in definition.items() if k not in _ROOT_ONLY}
    if row_fields is not None:
        block = _row(block, row_fields)
    elif sparse:
        block.pop("required", None)
    defs: dict[str, Any] = {}
    for key in ("definitions", "$defs"):
        if isinstance(definition.get(key), dict):
            defs.update(definition[key])
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {tag: {"$ref": f"#/$defs/{_BLOCK_DEF}"} for tag in tags},
        "required": list(tags),
        "additionalProperties": False,
        "$defs": {**defs, _BLOCK_DEF: block},
    }
    if isinstance(definition.get("definitions"), dict):
        # Old-style `#/definitions/…` references keep resolving at the root too.
        schema["definitions"] = definition["definitions"]
    return schema
