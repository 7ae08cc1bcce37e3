"""Answers are validated without fetching anything and without backtracking."""

import urllib.request

import pytest
from referencing.exceptions import Unresolvable

from strata.planning.schema_bounds import SchemaLimits, UnsafeSchemaError, check_structure
from strata.planning.schema_validator import (
    UnsupportedPatternError,
    answer_validator,
    metaschema_errors,
)


def _errors(definition: dict, answer: dict) -> list[str]:
    return [e.message for e in answer_validator(definition).iter_errors(answer)]


def test_a_remote_ref_is_never_fetched(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("a schema caused a fetch")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    definition = {"properties": {"a": {"$ref": "http://127.0.0.1:9912/slow.json"}}}
    with pytest.raises(Unresolvable):
        _errors(definition, {"a": 1})
    file_ref = {"properties": {"a": {"$ref": "file:///etc/passwd"}}}
    with pytest.raises(Unresolvable):
        _errors(file_ref, {"a": 1})


def test_local_refs_still_resolve():
    definition = {
        "$defs": {"money": {"type": "number", "minimum": 0}},
        "properties": {"net": {"$ref": "#/$defs/money"}, "gross": {"$ref": "#/$defs/money"}},
    }
    assert _errors(definition, {"net": 1, "gross": 2}) == []
    assert len(_errors(definition, {"net": -1, "gross": "x"})) == 2


def test_a_catastrophic_pattern_runs_in_linear_time():
    # With Python's `re` this takes longer than the test's timeout (it doubles per character).
    definition = {"properties": {"a": {"type": "string", "pattern": "^(a+)+$"}}}
    assert _errors(definition, {"a": "a" * 60}) == []
    assert len(_errors(definition, {"a": "a" * 60 + "!"})) == 1


def test_pattern_properties_and_the_regex_format_use_re2():
    definition = {
        "properties": {"p": {"type": "string", "format": "regex"}},
        "patternProperties": {"^(x+)+y$": {"type": "integer"}},
    }
    assert _errors(definition, {"p": "a+", "x" * 50 + "y": 1, "x" * 50: "free"}) == []
    assert len(_errors(definition, {"x" * 50 + "y": "not an integer"})) == 1
    assert len(_errors(definition, {"p": "(a)\\1"})) == 1  # not RE2: not a usable regex


def test_a_pattern_re2_cannot_compile_is_an_error_not_a_fallback():
    definition = {"properties": {"a": {"type": "string", "pattern": "(?=lookahead)"}}}
    with pytest.raises(UnsupportedPatternError):
        _errors(definition, {"a": "x"})
    assert [list(e.path) for e in metaschema_errors(definition)] == [["properties", "a", "pattern"]]


def test_ref_expansion_is_bounded():
    defs = {"l0": {"type": "string"}}
    for i in range(1, 30):
        defs[f"l{i}"] = {"allOf": [{"$ref": f"#/$defs/l{i - 1}"}, {"$ref": f"#/$defs/l{i - 1}"}]}
    definition = {"$defs": defs, "properties": {"a": {"$ref": "#/$defs/l29"}}}
    with pytest.raises(UnsafeSchemaError, match="expand"):
        check_structure(definition, SchemaLimits())


def test_a_property_named_like_a_keyword_is_just_a_name():
    definition = {"properties": {"$ref": {"type": "string"}, "$id": {"type": "string"}}}
    check_structure(definition, SchemaLimits())
    assert _errors(definition, {"$ref": "x", "$id": "y"}) == []
