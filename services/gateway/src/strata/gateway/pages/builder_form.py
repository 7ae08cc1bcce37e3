"""Between the builder's HTML form and a builder spec (pure).

The form is flat: each field's inputs are named `f.<path>.<attribute>`, where the path is the
field's position (`0`, `0.2` for the third sub-field of the first field), so the whole editor
round-trips through a plain form post without script. Editing the structure (add, remove, move
up or down) is a submit button (`op=add:0`, `op=up:0.2`, …) the server applies to what the form
sent before drawing it again.

What a field *means* is the API's business: `to_spec` only gathers what the person typed into
the builder spec's shape (the inputs the form shows for the chosen type) and the API's own model
(`BuilderSpec` inside `SchemaVersionCreate`) judges it; `errors_by_place` puts each of its
messages beside the input it is about."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from strata.gateway.domain.fields import BuilderSpec, FieldSpec

ATTRIBUTES = {
    "name", "type", "label", "description", "instructions", "required", "nullable", "options",
    "max_length", "max_items", "keywords", "item_type", "item_options", "item_max_length",
}  # fmt: skip
SETTINGS = ("instructions", "model", "temperature", "max_tokens")
_KEY = re.compile(r"^f\.((?:\d{1,4}\.)+)([a-z_]+)$")
_OP = re.compile(r"^(add|remove|up|down)(?::((?:\d{1,4}\.)*\d{1,4}))?$")
MAX_DEPTH = 6  # deeper nesting than any schema limit allows is not a form we draw


@dataclass
class Draft:
    """One field as the form holds it: text as typed, so a wrong value is shown back as is."""

    name: str = ""
    type: str = "text"
    label: str = ""
    description: str = ""
    instructions: str = ""
    required: bool = True
    nullable: bool = True
    options: str = ""  # one per line
    max_length: str = ""
    max_items: str = ""
    keywords: str = ""  # one per line
    item_type: str = "text"
    item_options: str = ""
    item_max_length: str = ""
    # A group's sub-fields, or those of each item of a list of groups.
    fields: list["Draft"] = field(default_factory=list)

    @property
    def has_sub_fields(self) -> bool:
        return self.type == "group" or (self.type == "list" and self.item_type == "group")


Path = tuple[int, ...]
# What the type menu says for each of the builder's types (the API's `FieldType`).
FIELD_TYPES = {
    "text": "text",
    "number": "number",
    "integer": "whole number",
    "boolean": "yes / no",
    "date": "date",
    "choice": "choice (one of a list)",
    "list": "list",
    "group": "group (sub-fields)",
}


@dataclass
class Editor:
    """The fields editor as a page draws it: the draft, the version it started from, and what
    the last action said (the API's messages by place, a conflict, the check's verdict)."""

    fields: list[Draft]
    settings: dict[str, str]
    base_version: int
    errors: dict[tuple[str, str], str] = field(default_factory=dict)
    message: str | None = None
    conflict: dict[str, Any] | None = None
    focus: str | None = None  # the path of the field the last edit touched
    focus_input: str | None = None  # which of its controls gets the keyboard: add, up, down
    checked: Any = None  # the API's CheckOut, after "Check"


def path_text(path: Path) -> str:
    return ".".join(map(str, path))


def read_form(form: Mapping[str, Any]) -> tuple[list[Draft], dict[str, str]]:
    """The fields and the run-wide settings a form sent. Keys that are not ours are ignored;
    checkboxes count as ticked when present (a browser sends nothing for an unticked one)."""
    by_path: dict[Path, dict[str, str]] = {}
    for key in form:
        match = _KEY.match(key)
        if not match or match.group(2) not in ATTRIBUTES:
            continue
        path = tuple(int(p) for p in match.group(1).rstrip(".").split("."))
        if len(path) <= MAX_DEPTH:
            by_path.setdefault(path, {})[match.group(2)] = str(form[key])
    roots: list[Draft] = []
    made: dict[Path, Draft] = {}
    for path in sorted(by_path):  # parents sort before their children
        given = by_path[path]
        draft = Draft(required="required" in given, nullable="nullable" in given)
        for name, value in given.items():
            if name not in ("required", "nullable"):
                setattr(draft, name, value)
        made[path] = draft
        parent = made.get(path[:-1]) if len(path) > 1 else None
        if len(path) == 1:
            roots.append(draft)
        elif parent is not None:  # an orphan (its parent was not sent) is dropped
            parent.fields.append(draft)
    settings = {name: str(form.get(f"s.{name}", "")) for name in SETTINGS}
    return roots, settings


def _siblings(fields: list[Draft], parent: Path) -> list[Draft] | None:
    level = fields
    for index in parent:
        if not 0 <= index < len(level):
            return None
        level = level[index].fields
    return level


def _add(fields: list[Draft], parent: Path) -> str | None:
    level = _siblings(fields, parent)
    if level is None or len(parent) >= MAX_DEPTH:
        return None
    level.append(Draft(type="text", required=True, nullable=True))
    return path_text((*parent, len(level) - 1))


def _remove_or_move(fields: list[Draft], action: str, path: Path) -> str | None:
    level = _siblings(fields, path[:-1])
    index = path[-1]
    if level is None or not 0 <= index < len(level):
        return None
    if action == "remove":
        del level[index]
        return None
    other = index - 1 if action == "up" else index + 1
    if not 0 <= other < len(level):
        return path_text(path)
    level[index], level[other] = level[other], level[index]
    return path_text((*path[:-1], other))


def apply(fields: list[Draft], op: str) -> tuple[list[Draft], str | None]:
    """The fields after one structural edit (in place), and the path of the field to focus
    next (the new or moved one). An edit that does not fit the fields (a stale button) changes
    nothing."""
    match = _OP.match(op)
    if match is None:
        return fields, None
    action, where = match.group(1), match.group(2)
    path: Path = tuple(int(p) for p in where.split(".")) if where else ()
    if action == "add":
        return fields, _add(fields, path)
    return fields, _remove_or_move(fields, action, path) if path else None


def _text(value: str) -> str | None:
    return value.strip() or None


def _lines(value: str) -> list[str] | None:
    lines = [line.strip() for line in value.splitlines() if line.strip()]
    return lines or None


def _number(value: str) -> Any:
    """A number when the text reads as one; else the text itself, so the API's model answers
    with its own message ("should be a valid integer")."""
    text = value.strip()
    if not text:
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _field(draft: Draft, *, top: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": draft.name.strip(),
        "type": draft.type,
        "label": _text(draft.label),
        "description": _text(draft.description),
        "required": draft.required,
        "nullable": draft.nullable,
    }
    if top:
        spec["instructions"] = _text(draft.instructions)
    subs = [_field(sub, top=False) for sub in draft.fields]
    if draft.type == "choice":
        spec["options"] = _lines(draft.options) or []
    elif draft.type == "text":
        spec["max_length"] = _number(draft.max_length)
    elif draft.type == "boolean":
        spec["keywords"] = _lines(draft.keywords)
    elif draft.type == "group":
        spec["fields"] = subs
    elif draft.type == "list":
        item: dict[str, Any] = {"type": draft.item_type}
        if draft.item_type == "choice":
            item["options"] = _lines(draft.item_options) or []
        elif draft.item_type == "text":
            item["max_length"] = _number(draft.item_max_length)
        elif draft.item_type == "group":
            item["fields"] = subs
        spec["items"] = item
        spec["max_items"] = _number(draft.max_items)
    return spec


def to_spec(fields: list[Draft], settings: Mapping[str, str]) -> dict[str, Any]:
    """The builder spec the form describes, as data for the API's model to judge. Only the
    inputs the form shows for a field's type are taken (a choice's options are left behind when
    the type is changed to text), and a blank setting is the API's default."""
    spec: dict[str, Any] = {"fields": [_field(f, top=True) for f in fields]}
    if instructions := _text(settings.get("instructions", "")):
        spec["instructions"] = instructions
    if model := _text(settings.get("model", "")):
        spec["model"] = model
    for name in ("temperature", "max_tokens"):
        if (value := _number(settings.get(name, ""))) is not None:
            spec[name] = value
    return spec


def _draft(spec: FieldSpec) -> Draft:
    draft = Draft(
        name=spec.name,
        type=spec.type,
        label=spec.label or "",
        description=spec.description or "",
        instructions=spec.instructions or "",
        required=spec.required,
        nullable=spec.nullable,
        options="\n".join(spec.options or []),
        max_length="" if spec.max_length is None else str(spec.max_length),
        max_items="" if spec.max_items is None else str(spec.max_items),
        keywords="\n".join(spec.keywords or []),
        fields=[_draft(sub) for sub in spec.fields or []],
    )
    if spec.items is not None:
        draft.item_type = spec.items.type
        draft.item_options = "\n".join(spec.items.options or [])
        draft.item_max_length = "" if spec.items.max_length is None else str(spec.items.max_length)
        draft.fields = [_draft(sub) for sub in spec.items.fields or []]
    return draft


def from_spec(spec: BuilderSpec) -> tuple[list[Draft], dict[str, str]]:
    """What the form shows for a saved version."""
    settings = {
        "instructions": spec.instructions,
        "model": spec.model or "",
        "temperature": "" if spec.temperature is None else str(spec.temperature),
        "max_tokens": "" if spec.max_tokens is None else str(spec.max_tokens),
    }
    return [_draft(f) for f in spec.fields], settings


_ITEM_ATTRIBUTES = {"type": "item_type", "options": "item_options", "max_length": "item_max_length"}


def _place(loc: tuple[Any, ...]) -> tuple[str, str]:
    """(field path, input) an error's location names inside the builder spec; ("", "") for the
    spec as a whole, ("", "s.<setting>") for a run-wide setting."""
    rest = list(loc[1:] if loc and loc[0] == "builder" else loc)
    if not rest:
        return "", ""
    if rest[0] in SETTINGS:
        return "", f"s.{rest[0]}"
    path: list[int] = []
    attribute = ""
    while rest:
        head = rest.pop(0)
        if head == "fields" and rest and isinstance(rest[0], int):
            path.append(rest.pop(0))
            attribute = ""
        elif head == "items":
            if rest[:1] == ["fields"] and len(rest) > 1 and isinstance(rest[1], int):
                continue  # a list of groups: its item's sub-fields are the field's own
            attribute = _ITEM_ATTRIBUTES.get(rest[0], "item_type") if rest else "item_type"
            break
        elif head == "fields":  # the sub-field list itself (empty, too long)
            attribute = "fields"
            break
        else:
            attribute = str(head) if head in ATTRIBUTES else ""
            break
    return path_text(tuple(path)), attribute


def errors_by_place(errors: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], str]:
    """The API's validation messages keyed by (field path, input): the first message for each
    place ("" input: the field as a whole; "" path and input: the whole spec)."""
    placed: dict[tuple[str, str], str] = {}
    for err in errors:
        place = _place(tuple(err.get("loc", ())))
        message = str(err.get("msg", "invalid"))
        placed.setdefault(place, message.removeprefix("Value error, "))
    return placed
