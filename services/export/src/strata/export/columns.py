"""Spreadsheet columns from a schema version (pure).

CSV and XLSX need their header before the first row is streamed, so the value columns come from
the run's schema, never from the rows: nested objects (a property with `properties` of its own)
become dotted columns (`party.name`), everything else is one column, and arrays are kept whole
as JSON text. The same schema version always gives the same columns in the same order.
"""

import json
from dataclasses import dataclass
from typing import Any

# Provenance first, on every row of every format: a value can always be traced to its block.
PROVENANCE_COLUMNS = (
    "block_uid",
    "document_id",
    "filename",
    "page",
    "section_path",
    "block_type",
    "review_status",
    "flags",
    "run_id",
    "value_source",
)


@dataclass(frozen=True)
class ValueColumn:
    name: str
    path: tuple[str, ...]


def _is_object(spec: dict[str, Any]) -> bool:
    kind = spec.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    return (
        "object" in kinds and isinstance(spec.get("properties"), dict) and bool(spec["properties"])
    )


def _leaves(properties: dict[str, Any], prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for key, spec in properties.items():
        path = (*prefix, key)
        if isinstance(spec, dict) and _is_object(spec):
            out.extend(_leaves(spec["properties"], path))
        else:
            out.append(path)
    return out


def value_columns(definition: dict[str, Any]) -> list[ValueColumn]:
    """One column per leaf of the schema, in the schema's own property order. A name that
    would shadow a provenance column is prefixed `value.` so no header appears twice."""
    columns = []
    for path in _leaves(definition.get("properties") or {}, ()):
        name = ".".join(path)
        if name in PROVENANCE_COLUMNS:
            name = f"value.{name}"
        columns.append(ValueColumn(name=name, path=path))
    return columns


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def cell_value(value: Any) -> Any:
    """A scalar stays itself; a list (or an object the schema did not describe) becomes JSON."""
    if isinstance(value, list | dict):
        return _dumps(value)
    return value


class Flattener:
    """Values → the row's cells for `columns`, a missing value (or no values at all) as None.
    Built once per export: the walk over each column's path is the hot loop of CSV, XLSX and
    Markdown, so top-level columns (most of them) take a one-lookup path."""

    def __init__(self, columns: list[ValueColumn]) -> None:
        self._paths = [c.path[0] if len(c.path) == 1 else c.path for c in columns]
        self._empty = [None] * len(columns)

    def __call__(self, values: dict[str, Any] | None) -> list[Any]:
        if not values:
            return self._empty.copy()
        cells = []
        get = values.get
        for path in self._paths:
            if path.__class__ is str:
                value = get(path)
            else:
                value = values
                for key in path:
                    value = value.get(key) if value.__class__ is dict else None
            kind = value.__class__
            cells.append(_dumps(value) if kind is list or kind is dict else value)
        return cells


def flatten(values: dict[str, Any] | None, columns: list[ValueColumn]) -> list[Any]:
    """One row's cells (see `Flattener`, which writers build once and reuse)."""
    return Flattener(columns)(values)
