"""Structured outputs: `output_config.format` as the provider checks it.

A format is `{"type": "json_schema", "schema": {…}}`. The provider refuses schemas it cannot
compile with a 400 naming the parameter: over `LLMSIM_MAX_OUTPUT_SCHEMA_BYTES`, or using a
keyword Anthropic's structured-outputs guide lists as unsupported (numeric bounds, string
lengths, `additionalProperties` other than false). An accepted format means the answer is
decoded under it, so it is always well-formed JSON: the `malformed` fault does not apply.
"""

from __future__ import annotations

import json
from typing import Any

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
_WHERE = "output_config.format.schema"


class FormatError(ValueError):
    """An output format the provider refuses (400)."""


def _check(node: Any, path: str, *, names: bool = False) -> None:
    if isinstance(node, list):
        for index, item in enumerate(node):
            _check(item, f"{path}/{index}")
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if not names:
            if key in UNSUPPORTED_KEYWORDS:
                raise FormatError(f"{_WHERE}: keyword '{key}' is not supported (at {path or '/'})")
            if key == "additionalProperties" and value is not False:
                raise FormatError(
                    f"{_WHERE}: additionalProperties must be false (at {path or '/'})"
                )
        _check(value, f"{path}/{key}", names=key in ("properties", "$defs", "definitions"))


def output_format(body: dict[str, Any], *, max_schema_bytes: int) -> dict[str, Any] | None:
    """The requested answer schema, None when the request has none; FormatError if refused."""
    config = body.get("output_config")
    if config is None or not isinstance(config, dict) or config.get("format") is None:
        return None
    fmt = config["format"]
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        raise FormatError("output_config.format.type: must be 'json_schema'")
    schema = fmt.get("schema")
    if not isinstance(schema, dict):
        raise FormatError(f"{_WHERE}: must be an object")
    size = len(json.dumps(schema).encode("utf-8"))
    if size > max_schema_bytes:
        raise FormatError(
            f"{_WHERE}: schema is too large ({size} bytes, at most {max_schema_bytes})"
        )
    _check(schema, "")
    return schema
