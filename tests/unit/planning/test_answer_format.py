"""The pack answer schema sent as `output_config.format`."""

import json
from pathlib import Path

from jsonschema import Draft202012Validator

from strata.planning.answer_format import pack_answer_schema, supports_structured_outputs

SCHEMA = json.loads((Path(__file__).resolve().parents[3] / "examples" / "schema.json").read_text())
DEFINITION = SCHEMA["definition"]


def test_one_object_keyed_by_the_packs_tags_with_the_block_schema_once():
    schema = pack_answer_schema(DEFINITION, ["1", "2"], sparse=False)
    assert schema["required"] == ["1", "2"] and schema["additionalProperties"] is False
    assert schema["properties"]["2"] == {"$ref": "#/$defs/strata_block"}
    block = schema["$defs"]["strata_block"]
    assert block["required"] == DEFINITION["required"]
    # Constraints the format refuses are left to the worker's own validation.
    text = json.dumps(schema)
    assert "maxLength" not in text and "x-keywords" not in text
    validator = Draft202012Validator(schema)
    good = {"summary": "x", "amount": None, "deadline": False, "category": None}
    assert validator.is_valid({"1": good, "2": good})
    assert not validator.is_valid({"1": good})  # every tag answered
    assert not validator.is_valid({"1": good, "2": good, "3": good})  # and no other


def test_sparse_answers_may_leave_keys_out_and_refs_still_resolve():
    definition = {
        "$defs": {"money": {"type": ["number", "null"], "minimum": 0}},
        "type": "object",
        "properties": {"amount": {"$ref": "#/$defs/money"}, "maxLength": {"type": "string"}},
        "required": ["amount", "maxLength"],
    }
    schema = pack_answer_schema(definition, ["1"], sparse=True)
    assert "required" not in schema["$defs"]["strata_block"]
    assert "minimum" not in schema["$defs"]["money"]
    # A property that happens to be named like a keyword is a name, not a keyword.
    assert "maxLength" in schema["$defs"]["strata_block"]["properties"]
    validator = Draft202012Validator(schema)
    assert validator.is_valid({"1": {}}) and validator.is_valid({"1": {"amount": 3}})
    assert not validator.is_valid({"1": {"amount": "three"}})


def test_models_that_take_a_format():
    assert supports_structured_outputs("claude-sonnet-4-6")
    assert supports_structured_outputs("claude-haiku-4-5-20251001")
    assert not supports_structured_outputs("claude-3-5-haiku-20241022")
    assert not supports_structured_outputs("llama-3")
