"""Flags of a settled block: a pure function of the schema, the values and the block's text."""

from decimal import Decimal

import pytest

from strata.planning.flags import block_flags, normalise_text, numbers_in

SCHEMA = {
    "type": "object",
    "properties": {
        "party": {"type": "string"},
        "amount": {"type": ["number", "null"]},
        "category": {"type": ["string", "null"], "enum": ["payment", "delivery", None]},
        "signed": {"type": "boolean"},
        "lines": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}},
                "required": ["sku"],
            },
        },
        "notes": {"type": ["string", "null"]},
    },
    "required": ["party", "amount", "category"],
}
TEXT = "Payment of 1,250.50 EUR is due from  ACME  Corp. Lines: SKU-9 x 3."


def flags(values, text=TEXT, retried=False, definition=SCHEMA):
    return block_flags(definition=definition, values=values, text=text, retried=retried)


def test_a_faithful_answer_has_no_flags():
    values = {
        "party": "acme corp",  # case and whitespace differ from the text
        "amount": 1250.5,  # thousands separator and trailing zero differ
        "category": "payment",
        "signed": False,
        "lines": [{"sku": "SKU-9", "qty": 3}],
        "notes": None,  # not required: null is fine
    }
    assert flags(values) == []


def test_each_kind_of_doubt_is_flagged_with_its_field_path():
    values = {
        "party": None,
        "amount": 1300,
        "category": "refund",
        "lines": [{"sku": "SKU-7", "qty": 4}, {"sku": None, "qty": 3}],
        "notes": "Globex Inc",
    }
    assert flags(values, retried=True) == [
        "required_null:party",
        "number_not_in_text:amount",
        "not_in_enum:category",
        "not_in_text:lines[0].sku",
        "number_not_in_text:lines[0].qty",
        "required_null:lines[1].sku",
        "not_in_text:notes",
        "retried",
    ]


def test_a_failed_block_has_every_required_field_null_and_a_missing_key_is_null():
    assert flags(None) == ["required_null:party", "required_null:amount", "required_null:category"]
    assert flags({"amount": 1250.5, "category": None}) == ["required_null:party"]


def test_a_null_the_schema_allows_is_an_answer_not_a_doubt():
    # amount and category are required keys that may be null ("no such value in this block")
    assert flags({"party": "ACME", "amount": None, "category": None}) == []
    untyped = {"properties": {"a": {}, "b": {"enum": ["x"]}}, "required": ["a", "b"]}
    assert flags({"a": None, "b": None}, definition=untyped) == ["required_null:b"]


def test_enum_labels_need_not_occur_in_the_text_and_booleans_are_not_quotes():
    assert flags({"party": "ACME", "amount": 3, "category": "delivery", "signed": True}) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("total 1,250,000.00", 1250000),
        ("total 1.250.000,50", 1250000.5),
        ("total 1 250 000", 1250000),
        ("total 12,5 %", 12.5),
        ("loss of -42", 42),
        ("a loss of 42", -42),
        ("rate .5", 0.5),
        ("total \uff11\uff12\uff13", 123),  # full-width digits (NFKC)
        ("version 0.10", 0.1),
    ],
)
def test_numbers_are_found_however_they_are_written(text, value):
    schema = {"type": "object", "properties": {"n": {"type": "number"}}, "required": ["n"]}
    assert flags({"n": value}, text=text, definition=schema) == []


def test_a_number_absent_from_the_text_is_flagged_even_when_its_digits_occur():
    schema = {"type": "object", "properties": {"n": {"type": "number"}}}
    assert flags({"n": 125}, text="1,250 units", definition=schema) == ["number_not_in_text:n"]
    assert flags({"n": 0.1}, text="no numbers here", definition=schema) == ["number_not_in_text:n"]


def test_numbers_in_offers_every_reading():
    assert {Decimal(1250), Decimal("1.25"), Decimal(1), Decimal(250)} <= numbers_in("1,250")


def test_refs_and_any_of_are_followed():
    schema = {
        "type": "object",
        "$defs": {"who": {"type": "string"}},
        "properties": {
            "party": {"$ref": "#/$defs/who"},
            "size": {"anyOf": [{"type": "number"}, {"type": "string", "enum": ["big"]}]},
        },
        "required": ["party"],
    }
    assert flags({"party": "acme", "size": "big"}, definition=schema) == []
    assert flags({"party": "Initech", "size": 99}, definition=schema) == [
        "not_in_text:party",
        "number_not_in_text:size",
    ]


def test_true_is_not_one_in_an_enum():
    schema = {"type": "object", "properties": {"k": {"enum": [1, "a"]}}}
    assert flags({"k": True}, definition=schema) == ["not_in_enum:k"]
    assert flags({"k": 1.0}, definition=schema) == []


def test_flags_are_deterministic_and_unique():
    values = {"party": "x", "amount": None, "category": None}
    assert flags(values) == flags(values)
    assert len(set(flags(values))) == len(flags(values))


def test_normalise_text_ignores_case_width_and_spacing():
    assert normalise_text("  ACME\n\tCorp ") == normalise_text("acme corp") == "acme corp"
