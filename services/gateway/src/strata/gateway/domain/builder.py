"""Fields ↔ JSON Schema + prompt_config (pure).

`to_schema` is the one way the builder writes a schema; `from_schema` reads any stored schema
back into fields when it lies inside the builder's subset, and otherwise names the keywords that
keep it out (that schema stays editable as JSON). A schema is inside the subset exactly when
writing its fields back gives the same schema, which `from_schema` checks last, so anything it
accepts round-trips.

Postgres `jsonb` does not keep key order, so each object carries its field order in `x-order`
(an annotation the validator and the model ignore)."""

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from strata.contracts.schemas import PromptConfig
from strata.gateway.domain.fields import BuilderSpec, FieldSpec, ItemSpec

_SCALAR = {"text": "string", "date": "string", "choice": "string", "number": "number"}
_SCALAR |= {"integer": "integer", "boolean": "boolean", "list": "array", "group": "object"}
_ALLOWED = {
    "string": {"type", "title", "description", "maxLength", "enum", "format"},
    "number": {"type", "title", "description"},
    "integer": {"type", "title", "description"},
    "boolean": {"type", "title", "description", "x-keywords"},
    "array": {"type", "title", "description", "items", "maxItems"},
    "object": {"type", "title", "description", "properties", "required", "x-order"},
}
_TOP_LEVEL = {"type", "properties", "required", "x-order"}


def _kind_schema(
    kind: str,
    *,
    options: list[str] | None,
    fields: list[FieldSpec] | None,
    max_length: int | None,
    nullable: bool,
) -> dict[str, Any]:
    json_type = _SCALAR[kind]
    prop: dict[str, Any] = {"type": [json_type, "null"] if nullable else json_type}
    if kind == "date":
        prop["format"] = "date"
    if options is not None:
        prop["enum"] = [*options, None] if nullable else list(options)
    if max_length is not None:
        prop["maxLength"] = max_length
    if fields is not None:
        prop.update(_object(fields))
    return prop


def _item(item: ItemSpec) -> dict[str, Any]:
    return _kind_schema(
        item.type,
        options=item.options,
        fields=item.fields,
        max_length=item.max_length,
        nullable=False,
    )


def _property(f: FieldSpec) -> dict[str, Any]:
    prop = _kind_schema(
        f.type, options=f.options, fields=f.fields, max_length=f.max_length, nullable=f.nullable
    )
    if f.label is not None:
        prop["title"] = f.label
    if f.description is not None:
        prop["description"] = f.description
    if f.items is not None:
        prop["items"] = _item(f.items)
    if f.max_items is not None:
        prop["maxItems"] = f.max_items
    if f.keywords is not None:
        prop["x-keywords"] = list(f.keywords)
    return prop


def _object(fields: list[FieldSpec]) -> dict[str, Any]:
    return {
        "properties": {f.name: _property(f) for f in fields},
        "required": [f.name for f in fields if f.required],
        "x-order": [f.name for f in fields],
    }


def to_schema(spec: BuilderSpec) -> tuple[dict[str, Any], dict[str, Any]]:
    """The definition and prompt_config the worker runs, for these fields."""
    definition = {"type": "object", **_object(spec.fields)}
    prompt = PromptConfig(
        system_instructions=spec.instructions,
        field_instructions={f.name: f.instructions for f in spec.fields if f.instructions},
        model=spec.model,
        temperature=spec.temperature,
        max_tokens=spec.max_tokens,
    )
    return definition, prompt.model_dump(mode="json")


@dataclass
class Reading:
    """The builder's view of a stored schema: fields, or why it stays JSON-only."""

    spec: BuilderSpec | None
    unsupported: list[str] = field(default_factory=list)


def _split_type(declared: Any) -> tuple[str | None, bool]:
    if isinstance(declared, str):
        return declared, False
    if isinstance(declared, list) and len(declared) == 2 and declared[1] == "null":
        return (declared[0] if isinstance(declared[0], str) else None), True
    return None, False


def _read_kind(prop: dict[str, Any], where: str, out: list[str]) -> dict[str, Any]:
    """The FieldSpec attributes a property's type keywords stand for (unsupported → `out`)."""
    json_type, nullable = _split_type(prop.get("type"))
    if json_type not in _ALLOWED:
        out.append(f"{where}.type")
        return {}
    out.extend(f"{where}.{k}" for k in sorted(set(prop) - _ALLOWED[json_type]))
    attrs: dict[str, Any] = {"nullable": nullable}
    kinds = {v: k for k, v in _SCALAR.items() if k not in ("date", "choice")}
    attrs["type"] = kinds[json_type]
    if json_type == "string" and "enum" in prop:
        attrs["type"] = "choice"
        attrs["options"] = (
            [o for o in prop["enum"] if o is not None]
            if isinstance(prop["enum"], list)
            else prop["enum"]
        )
    elif json_type == "string" and "format" in prop:
        attrs["type"] = "date" if prop["format"] == "date" else "text"
        if prop["format"] != "date":
            out.append(f"{where}.format")
    if "maxLength" in prop:
        attrs["max_length"] = prop["maxLength"]
    if json_type == "object":
        attrs["fields"] = _read_fields(prop, where, out)
    return attrs


def _read_fields(obj: dict[str, Any], where: str, out: list[str]) -> list[dict[str, Any]]:
    properties = obj.get("properties")
    if not isinstance(properties, dict):
        out.append(f"{where}.properties")
        return []
    order = obj.get("x-order")
    names = (
        order
        if isinstance(order, list) and sorted(order) == sorted(properties)
        else list(properties)
    )
    required = obj.get("required", [])
    fields = []
    for name in names:
        prop, at = properties[name], f"{where}.properties.{name}"
        if not isinstance(prop, dict):
            out.append(at)
            continue
        attrs = _read_kind(prop, at, out)
        attrs |= {"name": name, "required": isinstance(required, list) and name in required}
        for key, attr in (("title", "label"), ("description", "description")):
            if key in prop:
                attrs[attr] = prop[key]
        if "items" in prop:
            item = (
                _read_kind(prop["items"], f"{at}.items", out)
                if isinstance(prop["items"], dict)
                else {}
            )
            attrs["items"] = {k: v for k, v in item.items() if k != "nullable"}
        if "maxItems" in prop:
            attrs["max_items"] = prop["maxItems"]
        if "x-keywords" in prop:
            attrs["keywords"] = prop["x-keywords"]
        fields.append(attrs)
    return fields


def _normal(value: Any, *, keep_order: bool) -> Any:
    """Compared as the validator sees it: `required` is a set, and `x-order` only counts when
    the stored schema has one."""
    if isinstance(value, dict):
        return {
            k: sorted(map(str, v))
            if k == "required" and isinstance(v, list)
            else _normal(v, keep_order=keep_order)
            for k, v in value.items()
            if keep_order or k != "x-order"
        }
    return value


def from_schema(definition: dict[str, Any], prompt_config: dict[str, Any]) -> Reading:
    unsupported = [f"definition.{k}" for k in sorted(set(definition) - _TOP_LEVEL)]
    fields = _read_fields(definition, "definition", unsupported)
    if unsupported:
        return Reading(None, unsupported)
    try:
        prompt = PromptConfig.model_validate(prompt_config)
        for attrs in fields:
            if attrs["name"] in prompt.field_instructions:
                attrs["instructions"] = prompt.field_instructions[attrs["name"]]
        spec = BuilderSpec.model_validate(
            {
                "fields": fields,
                "instructions": prompt.system_instructions,
                "model": prompt.model,
                "temperature": prompt.temperature,
                "max_tokens": prompt.max_tokens,
            }
        )
    except ValidationError as exc:
        return Reading(None, [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()])
    again, _ = to_schema(spec)
    # A schema without x-order (written as JSON) is still the builder's if all else matches.
    keep = "x-order" in definition
    stored, regenerated = _normal(definition, keep_order=keep), _normal(again, keep_order=keep)
    if regenerated != stored:
        return Reading(None, _differences(stored, regenerated, "definition"))
    return Reading(spec)


def _differences(stored: Any, canonical: Any, where: str) -> list[str]:
    """Where a stored schema departs from the builder's canonical form (e.g. a nullable enum
    without null, a required name that is not a property)."""
    if isinstance(stored, dict) and isinstance(canonical, dict):
        out = []
        for key in sorted(set(stored) | set(canonical)):
            if stored.get(key) != canonical.get(key):
                out += _differences(stored.get(key), canonical.get(key), f"{where}.{key}")
        return out
    return [where]
