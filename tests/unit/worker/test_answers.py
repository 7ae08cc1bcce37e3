import pytest
from jsonschema import Draft202012Validator

from strata.planning.answers import omitted_values
from strata.planning.schema_validator import answer_validator
from strata.worker.answers import SchemaRuntimeError, map_answer

SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "n": {"type": ["integer", "null"]}},
    "required": ["title", "n"],
}
V = Draft202012Validator(SCHEMA)


def test_each_block_gets_only_its_own_answer():
    text = '{"a:0": {"title": "x", "n": 1}, "a:1": {"title": "y", "n": null}}'
    mapped = map_answer(text, ["a:0", "a:1"], V)
    assert mapped.values == {"a:0": {"title": "x", "n": 1}, "a:1": {"title": "y", "n": None}}
    assert mapped.problems == {}


def test_missing_invalid_and_duplicate_answers_are_problems_not_borrowed():
    text = '{"a:0": {"title": "x", "n": "one"}, "a:2": {"title": "z", "n": 2}, "a:2": {"title": "w", "n": 3}, "zz": {}}'
    mapped = map_answer(text, ["a:0", "a:1", "a:2"], V)
    assert mapped.values == {}
    assert set(mapped.problems) == {"a:0", "a:1", "a:2"}
    assert "invalid at n" in mapped.problems["a:0"]
    assert mapped.problems["a:1"] == "no answer for this block"
    assert mapped.problems["a:2"] == "block uid answered more than once"
    assert mapped.unknown_uids == ["zz"]


def test_fenced_json_is_accepted_and_garbage_is_a_problem_for_every_block():
    assert map_answer('```json\n{"a:0": {"title": "x", "n": 1}}\n```', ["a:0"], V).values
    bad = map_answer('{"a:0": {"title": "x"', ["a:0", "a:1"], V)
    assert set(bad.problems) == {"a:0", "a:1"} and not bad.values
    assert set(map_answer("[1, 2]", ["a:0"], V).problems) == {"a:0"}


def test_a_schema_that_raises_is_the_schemas_fault_not_the_answers():
    broken = answer_validator({"type": "object", "properties": {"a": {"$ref": "#/$defs/gone"}}})
    with pytest.raises(SchemaRuntimeError, match="does not exist"):
        map_answer('{"1": {"a": 1}}', ["1"], broken)


def test_an_answer_nested_past_the_recursion_limit_is_invalid_output():
    validator = answer_validator({"type": "object", "properties": {}})
    mapped = map_answer("{" + '"1":' + "[" * 100_000 + "]" * 100_000 + "}", ["1"], validator)
    assert "nested too deeply" in mapped.problems["1"]


def test_sparse_answers_are_restored_then_validated_exactly_as_written():
    schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "amount": {"type": ["number", "null"]},
            "currency": {"type": "string", "default": "EUR"},
        },
        "required": ["title", "amount", "currency"],
    }
    omitted = omitted_values(schema)
    text = '{"1":{"title":"A"},"2":{"title":"B","amount":3,"currency":"USD"},"3":{"amount":1}}'
    mapped = map_answer(text, ["1", "2", "3"], answer_validator(schema), omitted)
    assert mapped.values == {
        "1": {"title": "A", "amount": None, "currency": "EUR"},
        "2": {"title": "B", "amount": 3, "currency": "USD"},  # written keys win
    }
    # A left-out key that may not be null stays invalid: restoring never makes an answer valid
    # that the full form would have rejected.
    assert "title" in mapped.problems["3"]
    # Without the switch, a left-out required key is a problem as before.
    plain = map_answer(text, ["1"], answer_validator(schema))
    assert "1" in plain.problems
