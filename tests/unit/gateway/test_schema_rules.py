import pytest

from strata.contracts.policy import PolicySnapshot
from strata.contracts.schemas import PromptConfig
from strata.gateway.domain.schema_rules import (
    InvalidSchemaError,
    PromptTooLargeError,
    check_prompt_fits,
    validate_definition,
    validate_prompt_config,
)
from strata.planning.schema_bounds import SchemaLimits

LIMITS = SchemaLimits()

GOOD = {"properties": {"amount": {"type": "number"}}, "required": ["amount"]}


def test_a_good_definition_is_normalised_to_an_object_schema():
    assert validate_definition(GOOD, limits=LIMITS) == {**GOOD, "type": "object"}


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
        validate_definition(definition, limits=LIMITS)


def test_prompt_config_defaults_and_checks_field_names():
    assert validate_prompt_config(None, properties={"a": {}}).model is None
    with pytest.raises(InvalidSchemaError, match="unknown properties: zzz"):
        validate_prompt_config({"field_instructions": {"zzz": "x"}}, properties={"a": {}})
    with pytest.raises(InvalidSchemaError, match="temperature"):
        validate_prompt_config({"temperature": 7}, properties={"a": {}})


def _nested(depth: int) -> dict:
    node: dict = {"type": "string"}
    for _ in range(depth):
        node = {"type": "object", "properties": {"x": node}}
    return {"properties": {"x": node}}


@pytest.mark.parametrize(
    ("definition", "path", "says"),
    [
        (
            {"properties": {"a": {"$ref": "http://127.0.0.1:9912/slow.json"}}},
            "/definition/properties/a/$ref",
            "only local references",
        ),
        ({"properties": {"a": {"$ref": "file:///etc/passwd"}}}, "/definition/properties/a/$ref", "local"),
        ({"properties": {"a": {"$ref": "#/$defs/nope"}}}, "/definition/properties/a/$ref", "points at nothing"),
        (
            {"$defs": {"x": {"$ref": "#/$defs/y"}, "y": {"$ref": "#/$defs/x"}},
             "properties": {"a": {"$ref": "#/$defs/x"}}},
            "/definition/$defs/",
            "cycle",
        ),
        ({"properties": {"a": {"type": "string", "pattern": "(a)\\1"}}}, "/definition/properties/a/pattern", "not supported"),
        ({"properties": {"a": {"$id": "http://evil/"}}}, "/definition/properties/a/$id", "not supported"),
        ({"properties": {"a": {"enum": list(range(501))}}}, "/definition/properties/a/enum", "501 values"),
        ({"properties": {"a": {"description": "x" * 10 * 1024 * 1024}}}, "/definition", "bytes"),
        (_nested(95), "/definition/properties/x/properties/x", "deeper than 32"),
    ],
)
def test_hostile_definitions_are_refused_with_the_path(definition, path, says):
    with pytest.raises(InvalidSchemaError, match=says) as caught:
        validate_definition(definition, limits=LIMITS)
    assert caught.value.path.startswith(path)
    assert caught.value.path in str(caught.value)


def test_a_backtracking_pattern_is_accepted_because_re2_runs_it_in_linear_time():
    definition = {"properties": {"a": {"type": "string", "pattern": "^(a+)+$"}}}
    assert validate_definition(definition, limits=LIMITS)["properties"] == definition["properties"]


def test_the_metaschema_error_names_its_path():
    with pytest.raises(InvalidSchemaError) as caught:
        validate_definition({"properties": {"a": {"type": "nonsense"}}}, limits=LIMITS)
    assert caught.value.path == "/definition/properties/a/type"


def test_the_constant_prompt_must_leave_room_for_blocks():
    big = {"properties": {"a": {"type": "string", "description": "word " * 12_000}}}
    normalised = validate_definition(big, limits=SchemaLimits(max_bytes=1024 * 1024))
    roomy = PolicySnapshot(context_budget_tokens=150_000)
    check_prompt_fits(normalised, PromptConfig(), roomy)
    small = PolicySnapshot(context_budget_tokens=20_000, max_tokens=1024)
    with pytest.raises(PromptTooLargeError, match="constant prompt"):
        check_prompt_fits(normalised, PromptConfig(), small)


def test_a_blank_model_is_refused_in_prompt_config():
    with pytest.raises(InvalidSchemaError, match="model"):
        validate_prompt_config({"model": ""}, properties={"a": {}})
