import pytest

from strata.gateway.domain.schema_rules import (
    InvalidSchemaError,
    validate_definition,
    validate_prompt_config,
)

GOOD = {"properties": {"amount": {"type": "number"}}, "required": ["amount"]}


def test_a_good_definition_is_normalised_to_an_object_schema():
    assert validate_definition(GOOD) == {**GOOD, "type": "object"}


@pytest.mark.parametrize(
    ("definition", "says"),
    [
        ({}, "properties"),
        ({"properties": {}}, "at least one field"),
        ({"type": "array", "properties": {"a": {}}}, "one object per block"),
        ({"properties": {"a": {"type": "nonsense"}}}, "not valid JSON Schema"),
        ({"properties": {"a": {"type": "string"}}, "required": ["b"]}, "unknown properties: b"),
    ],
)
def test_bad_definitions_say_what_is_wrong(definition, says):
    with pytest.raises(InvalidSchemaError, match=says):
        validate_definition(definition)


def test_prompt_config_defaults_and_checks_field_names():
    assert validate_prompt_config(None, properties={"a": {}}).model is None
    with pytest.raises(InvalidSchemaError, match="unknown properties: zzz"):
        validate_prompt_config({"field_instructions": {"zzz": "x"}}, properties={"a": {}})
    with pytest.raises(InvalidSchemaError, match="temperature"):
        validate_prompt_config({"temperature": 7}, properties={"a": {}})
