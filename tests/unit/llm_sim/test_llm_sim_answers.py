"""The answer rule: per-type behaviour, determinism and pack independence."""

from __future__ import annotations

import json
import random
import string

import pytest

from strata.llm_sim.answers import answer_for_block, answer_text


def one(prop: dict, text: str, name: str = "field") -> object:
    return answer_for_block(text, {"properties": {name: prop}})[name]


def test_values_follow_schema_property_order() -> None:
    schema = {"properties": {"b": {"type": "string"}, "a": {"type": "integer"}}}
    assert list(answer_for_block("x 1", schema)) == ["b", "a"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Status is CLOSED now", "closed"),
        ("both open and closed", "open"),  # first enum value that occurs, not first in text
        ("reopened", "open"),  # no word match -> not nullable -> first enum value
    ],
)
def test_enum(text: str, expected: str) -> None:
    assert one({"enum": ["open", "closed"]}, text) == expected


def test_enum_nullable_without_match_is_null() -> None:
    assert one({"type": ["string", "null"], "enum": ["open", "closed", None]}, "nothing") is None


def test_string_key_value_line_wins_over_first_sentence() -> None:
    text = "Some intro. More.\nDue-Date:  2024-05-01  \nOther: x"
    assert one({"type": "string"}, text, name="due_date") == "2024-05-01"
    assert one({"type": "string", "title": "Other"}, text, name="zzz") == "x"


def test_string_first_sentence_collapsed_and_cut() -> None:
    text = "  Hello   big\tworld! Second sentence."
    assert one({"type": "string"}, text) == "Hello big world!"
    assert one({"type": "string", "maxLength": 5}, text) == "Hello"
    assert one({"type": "string"}, "line one\nline two") == "line one"
    assert len(one({"type": "string"}, "a" * 500)) == 200


def test_string_empty_text() -> None:
    assert one({"type": "string"}, "") == ""
    assert one({"type": ["string", "null"]}, "   ") is None


@pytest.mark.parametrize(
    ("prop", "text", "expected"),
    [
        ({"type": "number"}, "Total 1,234.50 EUR then 7", 1234.5),
        ({"type": "number"}, "pay -12 now", -12),
        ({"type": "integer"}, "about 2.6 kg", 3),
        ({"type": "number"}, "ref DOC-17", 17),  # a hyphen glued to a word is not a sign
        ({"type": "number"}, "no digits", 0),
        ({"type": ["integer", "null"]}, "no digits", None),
    ],
)
def test_numbers(prop: dict, text: str, expected: object) -> None:
    value = one(prop, text)
    assert value == expected and type(value) is type(expected)


def test_boolean_from_name_words_and_keywords() -> None:
    assert one({"type": "boolean"}, "The DEADLINE is near", name="has_deadline") is True
    assert one({"type": "boolean"}, "no dates here", name="has_deadline") is False
    assert one({"type": "boolean"}, "signed by both", name="isSigned") is True
    assert (
        one({"type": "boolean", "x-keywords": ["asap", "urgent"]}, "ASAP please", name="x") is True
    )


def test_arrays() -> None:
    text = "First one. Second 5 and 5! Third 2.5?\nFourth."
    assert one({"type": "array", "items": {"type": "string"}}, text) == [
        "First one.",
        "Second 5 and 5!",
        "Third 2.5?",
        "Fourth.",
    ]
    assert one({"type": "array", "items": {"type": "string"}, "maxItems": 1}, text) == [
        "First one."
    ]
    assert one({"type": "array", "items": {"type": "number"}}, text) == [5, 2.5]
    assert one({"type": "array", "items": {"type": "integer"}}, text) == [5, 2]


def test_nested_object_ref_and_any_of() -> None:
    schema = {
        "$defs": {"Money": {"type": "object", "properties": {"value": {"type": "number"}}}},
        "properties": {
            "total": {"$ref": "#/$defs/Money"},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
            "weird": {"type": "whatever"},
        },
    }
    assert answer_for_block("Paid 40 euros.", schema) == {
        "total": {"value": 40},
        "note": "Paid 40 euros.",
        "weird": None,
    }
    assert answer_for_block("", schema)["note"] is None


def _random_text(rng: random.Random) -> str:
    words = [
        "Invoice",
        "total",
        "due",
        "urgent",
        "closed",
        "open",
        "12",
        "3,400.5",
        "-7",
        "Title: x",
        "&",
        "<b>",
        "é",
        "\n",
        ". ",
        "! ",
        "amount: 5",
    ]
    return " ".join(
        rng.choice(words + list(string.ascii_letters)) for _ in range(rng.randint(0, 40))
    )


def test_pack_independence_and_determinism() -> None:
    schema = {
        "properties": {
            "title": {"type": "string"},
            "amount": {"type": ["number", "null"]},
            "count": {"type": "integer"},
            "is_urgent": {"type": "boolean"},
            "status": {"enum": ["open", "closed"]},
            "lines": {"type": "array", "items": {"type": "string"}},
        }
    }
    rng = random.Random(1234)
    for _ in range(50):
        texts = [_random_text(rng) for _ in range(20)]
        alone = [answer_for_block(t, schema) for t in texts]
        packed = json.loads(answer_text([(f"D:{i}", t) for i, t in enumerate(texts)], schema))
        assert list(packed) == [f"D:{i}" for i in range(20)]
        assert list(packed.values()) == alone
        assert alone == [answer_for_block(t, schema) for t in texts]


def test_pack_independence_property_based() -> None:
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    schema = {
        "properties": {"t": {"type": "string"}, "n": {"type": "number"}, "b": {"type": "boolean"}}
    }

    @hypothesis.given(st.lists(st.text(max_size=200), min_size=1, max_size=20))
    def check(texts: list[str]) -> None:
        packed = json.loads(answer_text([(str(i), t) for i, t in enumerate(texts)], schema))
        assert list(packed.values()) == [answer_for_block(t, schema) for t in texts]

    check()
