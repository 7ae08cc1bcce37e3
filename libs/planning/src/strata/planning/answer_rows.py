"""Row answers (pure): each block's answer as a JSON array of its values, one per top-level field
in an order the prompt states once, instead of an object that repeats every key for every block.

Why: output tokens are most of a run's bill, and in a compact object answer the keys are a third
of them (`"summary":`, `"amount":`, … written again for each block). A row writes only the
values; the worker puts the keys back (`row_values`) and validates the object exactly as if the
model had written it. Rows are never sparse: every field has its place, so a value the model
skipped shows as a row of the wrong length (a typed error), never as a value read into the wrong
field. Blocks keep their tags, so a forgotten block is "no answer", never a neighbour's row.

The field order is the order the prompt shows the schema in (its keys sorted, see
`prompt.system_prompt`), and the prompt lists it explicitly: the model follows the list it is
given, and a stored schema (JSONB) keeps no key order of its own anyway.

Only the top level is positional; a nested object or array is written as plain JSON inside its
place. A schema without top-level `properties` has no fields to order and keeps the object form.
"""

import json
from enum import StrEnum
from typing import Any

# How the simulator (and a reader of the prompt) finds the order: this line, then a JSON list.
ROWS_MARKER = "Row answers:"
ORDER_PREFIX = "Field order: "


class AnswerForm(StrEnum):
    """How a call asked the model to write each block's answer (recorded per call)."""

    FULL = "full"  # an object with every key
    SPARSE = "sparse"  # an object without null and default values
    ROWS = "rows"  # a JSON array of the values in the stated field order


class RowError(ValueError):
    """A block's row cannot be read back into its object (stable `code`; the block is retried
    like any other invalid answer)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def row_fields(definition: dict[str, Any]) -> list[str] | None:
    """The fields of a row, in order; None when the schema has no top-level properties."""
    properties = definition.get("properties")
    if not isinstance(properties, dict) or not properties:
        return None
    return sorted(properties)


def answer_form(definition: dict[str, Any], *, rows: bool, sparse: bool) -> AnswerForm:
    """The form a run's policy asks for, as far as its schema allows it."""
    if rows and row_fields(definition) is not None:
        return AnswerForm.ROWS
    return AnswerForm.SPARSE if sparse else AnswerForm.FULL


def row_instructions(fields: list[str]) -> str:
    """The prompt's paragraph asking for rows (appended to the system prompt)."""
    order = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    example = ",".join(f"<{name} value>" for name in fields[:3]) + (",…" if len(fields) > 3 else "")
    return f"""
{ROWS_MARKER} write each block's object as a JSON array of its values instead, without the
keys: exactly one value per field of the schema, in this order, null where the object would
have null, nested objects and arrays written as usual:
{ORDER_PREFIX}{order}
So the answer looks like {{"1":[{example}],"2":[…]}}, one array per block uid."""


def row_values(row: Any, fields: list[str]) -> dict[str, Any]:
    """The block's object from its row; RowError when the row is not one value per field."""
    if not isinstance(row, list):
        raise RowError("row_not_array", "answer for this block is not an array of its values")
    if len(row) != len(fields):
        raise RowError(
            "row_length",
            f"answer for this block has {len(row)} values for {len(fields)} fields",
        )
    return dict(zip(fields, row, strict=True))


def values_row(values: dict[str, Any], fields: list[str]) -> list[Any]:
    """The row of a block's object (absent keys as null): the inverse of `row_values`."""
    return [values.get(name) for name in fields]
