"""Schema → spreadsheet columns, and values flattened into them."""

import json

from strata.export.columns import PROVENANCE_COLUMNS, ValueColumn, flatten, value_columns

NESTED = {
    "type": "object",
    "properties": {
        "invoice": {"type": "string"},
        "party": {
            "type": ["object", "null"],
            "properties": {
                "name": {"type": "string"},
                "address": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        },
        "lines": {"type": "array", "items": {"type": "object"}},
        "total": {"type": "number"},
        "extra": {"type": "object"},  # no properties: one column holding JSON
        "page": {"type": "integer"},  # would shadow a provenance column
    },
}


def test_nested_objects_become_dotted_columns_in_schema_order():
    names = [c.name for c in value_columns(NESTED)]
    assert names == [
        "invoice",
        "party.name",
        "party.address.city",
        "lines",
        "total",
        "extra",
        "value.page",
    ]
    assert value_columns(NESTED) == value_columns(json.loads(json.dumps(NESTED)))  # stable
    assert not set(names) & set(PROVENANCE_COLUMNS)


def test_flatten_walks_paths_keeps_arrays_as_json_and_fills_gaps_with_none():
    columns = value_columns(NESTED)
    values = {
        "invoice": "A-1",
        "party": {"name": "Acmé", "address": None},
        "lines": [{"sku": "x", "qty": 2}],
        "total": 12.5,
        "extra": {"k": [1]},
        "page": 3,
        "not_in_schema": "dropped",
    }
    assert flatten(values, columns) == [
        "A-1",
        "Acmé",
        None,
        '[{"sku":"x","qty":2}]',
        12.5,
        '{"k":[1]}',
        3,
    ]
    assert json.loads(flatten(values, columns)[3]) == values["lines"]


def test_no_values_or_a_scalar_where_an_object_was_expected_give_empty_cells():
    columns = [ValueColumn("a.b", ("a", "b")), ValueColumn("c", ("c",))]
    assert flatten(None, columns) == [None, None]
    assert flatten({}, columns) == [None, None]
    assert flatten({"a": "flat", "c": False}, columns) == [None, False]
