"""Two schema versions compared field by field (pure). Works on any JSON Schema, builder-made
or not: a field's type is named the builder's way when it can be (`choice`, `date`), else by its
JSON type; sub-fields of groups are compared too, as `group.sub`."""

from typing import Any

from strata.contracts.schemas import PromptConfig

_PLAIN = {"string": "text", "array": "list", "object": "group"}


def field_type(prop: dict[str, Any]) -> str:
    declared = prop.get("type")
    names = declared if isinstance(declared, list) else [declared] if declared else []
    primary = next((t for t in names if t != "null"), None)
    if primary == "string" and "enum" in prop:
        return "choice"
    if primary == "string" and prop.get("format") == "date":
        return "date"
    if primary == "array" and isinstance(prop.get("items"), dict):
        return f"list of {field_type(prop['items'])}"
    if primary is None:
        return "other"
    return _PLAIN.get(str(primary), str(primary))


def _aspects(prop: dict[str, Any], *, required: bool, instructions: str | None) -> dict[str, Any]:
    declared = prop.get("type")
    return {
        "type": field_type(prop),
        "required": required,
        "nullable": isinstance(declared, list) and "null" in declared,
        "options": [o for o in prop.get("enum", []) if o is not None] or None,
        "label": prop.get("title"),
        "description": prop.get("description"),
        "instructions": instructions,
        # Anything else (bounds, keywords, item details) counts as one aspect.
        "other": {
            k: v
            for k, v in prop.items()
            if k not in ("type", "enum", "title", "description", "properties", "required")
            and k != "x-order"
        },
    }


def _fields(
    definition: dict[str, Any], instructions: dict[str, str], prefix: str = ""
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    required = definition.get("required") or []
    for name, prop in (definition.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        path = f"{prefix}{name}"
        out[path] = _aspects(prop, required=name in required, instructions=instructions.get(path))
        if isinstance(prop.get("properties"), dict):
            out |= _fields(prop, instructions, f"{path}.")
    return out


def diff(
    old: tuple[dict[str, Any], dict[str, Any]], new: tuple[dict[str, Any], dict[str, Any]]
) -> dict[str, Any]:
    """`old` and `new` are (definition, prompt_config). Lists fields added, removed and changed
    (each change with its aspect, from and to), and changes of the run-wide settings."""
    old_prompt = PromptConfig.model_validate(old[1])
    new_prompt = PromptConfig.model_validate(new[1])
    before = _fields(old[0], old_prompt.field_instructions)
    after = _fields(new[0], new_prompt.field_instructions)
    changed = []
    for name in [n for n in after if n in before]:
        changes = [
            {"aspect": aspect, "from": before[name][aspect], "to": value}
            for aspect, value in after[name].items()
            if before[name][aspect] != value
        ]
        if changes:
            changed.append({"field": name, "changes": changes})
    settings = [
        {"aspect": key, "from": getattr(old_prompt, key), "to": getattr(new_prompt, key)}
        for key in ("system_instructions", "model", "temperature", "max_tokens")
        if getattr(old_prompt, key) != getattr(new_prompt, key)
    ]
    return {
        "added": [{"field": n, "type": after[n]["type"]} for n in after if n not in before],
        "removed": [{"field": n, "type": before[n]["type"]} for n in before if n not in after],
        "changed": changed,
        "settings": settings,
    }
