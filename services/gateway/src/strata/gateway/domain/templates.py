"""Templates ("recipes"): a builder spec with placeholders, rendered with parameter values (pure).

The body is a builder spec (see `fields.py`) in which:
- a string may contain `{{name}}` (or `{{name.min}}`, `{{name.max}}` for a range); a string that
  is exactly one placeholder takes the value itself (a number, a list of options);
- a field may carry `include_if: {"param": p}` (kept when the value is set and not "no"), or
  `{"param": p, "equals": v}`, or `{"param": p, "in": [..]}`: the presence of optional fields;
- an entry of a `fields` list may be `{"each_of": p, "field": {...}}`: one field per item of the
  multitext parameter p, with `{{item}}` the item and `{{item_name}}` its snake_case name."""

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from strata.gateway.domain.fields import BuilderSpec
from strata.gateway.domain.template_params import Parameter

PLACEHOLDER = re.compile(r"\{\{\s*([a-z][a-z0-9_]*)(?:\.(min|max))?\s*\}\}")


class TemplateError(ValueError):
    """The template itself is broken (or its parameters render into an invalid schema)."""


class TemplateDoc(BaseModel):
    """What a template is made of, as created by a superuser or an account."""

    model_config = ConfigDict(extra="forbid")

    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    name: str = Field(min_length=1, max_length=200)
    category: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=4000)
    example_output: dict[str, Any] = Field(default_factory=dict)
    parameters: list[Parameter] = Field(default_factory=list, max_length=50)
    body: dict[str, Any]


def snake(text: str) -> str:
    name = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:60]
    return name if name and not name[0].isdigit() else f"f_{name}"


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return f"{value['min']:g} to {value['max']:g}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _lookup(values: dict[str, Any], name: str, part: str | None) -> Any:
    if name not in values:
        raise TemplateError(f"placeholder {{{{{name}}}}} names no parameter")
    value = values[name]
    return value[part] if part and isinstance(value, dict) else value


def _string(text: str, values: dict[str, Any]) -> Any:
    whole = PLACEHOLDER.fullmatch(text.strip())
    if whole:
        return _lookup(values, whole[1], whole[2])
    return PLACEHOLDER.sub(lambda m: _show(_lookup(values, m[1], m[2])), text)


def _kept(condition: Any, values: dict[str, Any]) -> bool:
    if not isinstance(condition, dict) or "param" not in condition:
        raise TemplateError("include_if needs a param")
    value = _lookup(values, str(condition["param"]), None)
    if "equals" in condition:
        return bool(value == condition["equals"])
    if "in" in condition:
        return value in condition["in"]
    return value not in (None, "", [], "no", 0)


def _render(node: Any, values: dict[str, Any]) -> Any:
    if isinstance(node, str):
        return _string(node, values)
    if isinstance(node, list):
        out: list[Any] = []
        for entry in node:
            if isinstance(entry, dict) and "each_of" in entry:
                for item in _lookup(values, str(entry["each_of"]), None) or []:
                    scoped = {**values, "item": item, "item_name": snake(str(item))}
                    out.append(_render(entry.get("field", {}), scoped))
            elif not (isinstance(entry, dict) and "include_if" in entry) or _kept(
                entry["include_if"], values
            ):
                out.append(_render(entry, values))
        return out
    if isinstance(node, dict):
        return {k: _render(v, values) for k, v in node.items() if k != "include_if"}
    return node


def render(body: dict[str, Any], values: dict[str, Any]) -> BuilderSpec:
    """The builder spec these parameter values make; TemplateError when it is not one."""
    rendered = _render(body, values)
    try:
        return BuilderSpec.model_validate(rendered)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise TemplateError(f"the template renders an invalid schema: {where}") from None
