"""Fields ↔ JSON Schema: every builder spec round-trips, schemas outside the subset say why."""

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strata.gateway.domain.builder import from_schema, to_schema
from strata.gateway.domain.fields import BuilderSpec, FieldSpec, ItemSpec
from strata.gateway.domain.schema_rules import validate_definition, validate_prompt_config

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

names = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
texts = st.text(min_size=1, max_size=30)
options = st.lists(st.text(min_size=1, max_size=10), min_size=1, max_size=4, unique=True)
scalar_kinds = st.sampled_from(["text", "number", "integer", "boolean", "date", "choice"])


@st.composite
def sub_fields(draw: st.DrawFn, depth: int) -> list[FieldSpec]:
    picked = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    return [draw(field_specs(name=n, depth=depth, top=False)) for n in picked]


@st.composite
def field_specs(draw: st.DrawFn, *, name: str, depth: int, top: bool) -> FieldSpec:
    kinds = ["text", "number", "integer", "boolean", "date", "choice"]
    kind = draw(st.sampled_from(kinds + (["list", "group"] if depth < 2 else [])))
    attrs: dict = {
        "name": name,
        "type": kind,
        "label": draw(st.none() | texts),
        "description": draw(st.none() | texts),
        "required": draw(st.booleans()),
        "nullable": draw(st.booleans()),
        "instructions": draw(st.none() | texts) if top else None,
    }
    if kind == "choice":
        attrs["options"] = draw(options)
    if kind == "text":
        attrs["max_length"] = draw(st.none() | st.integers(1, 500))
    if kind == "boolean":
        attrs["keywords"] = draw(st.none() | st.lists(texts, min_size=1, max_size=3))
    if kind == "group":
        attrs["fields"] = draw(sub_fields(depth + 1))
    if kind == "list":
        item_kind = draw(scalar_kinds | st.just("group"))
        item: dict = {"type": item_kind}
        if item_kind == "choice":
            item["options"] = draw(options)
        if item_kind == "group":
            item["fields"] = draw(sub_fields(depth + 1))
        attrs["items"] = ItemSpec.model_validate(item)
        attrs["max_items"] = draw(st.none() | st.integers(1, 50))
    return FieldSpec.model_validate(attrs)


@st.composite
def specs(draw: st.DrawFn) -> BuilderSpec:
    picked = draw(st.lists(names, min_size=1, max_size=5, unique=True))
    return BuilderSpec(
        fields=[draw(field_specs(name=n, depth=0, top=True)) for n in picked],
        instructions=draw(texts),
        model=draw(st.none() | st.just("claude-haiku-4-5")),
        max_tokens=draw(st.none() | st.integers(16, 4000)),
    )


@settings(max_examples=150, deadline=None)
@given(specs())
def test_every_spec_round_trips_through_the_stored_form(spec: BuilderSpec) -> None:
    definition, prompt_config = to_schema(spec)
    # What is stored is what the validator normalises; reading it back gives the same fields.
    stored = validate_definition(definition)
    prompt = validate_prompt_config(prompt_config, properties=stored["properties"])
    stored = json.loads(json.dumps(stored, sort_keys=True))  # jsonb forgets key order
    reading = from_schema(stored, prompt.model_dump(mode="json"))
    assert reading.unsupported == []
    assert reading.spec == spec


def test_the_example_schema_is_inside_the_builder_subset() -> None:
    example = json.loads((EXAMPLES / "schema.json").read_text())
    reading = from_schema(validate_definition(example["definition"]), example["prompt_config"])
    assert reading.spec is not None
    by_name = {f.name: f for f in reading.spec.fields}
    assert by_name["category"].type == "choice" and "payment" in by_name["category"].options
    assert by_name["deadline"].keywords == ["deadline", "due", "within", "before"]
    assert by_name["amount"].instructions
    again, _ = to_schema(reading.spec)
    assert {k: v for k, v in again.items() if k != "x-order"} == {
        **example["definition"],
        "required": example["definition"]["required"],
    }


@pytest.mark.parametrize(
    ("prop", "keyword"),
    [
        ({"type": "string", "pattern": "^a+$"}, "definition.properties.x.pattern"),
        ({"type": "number", "minimum": 0}, "definition.properties.x.minimum"),
        ({"type": "string", "format": "email"}, "definition.properties.x.format"),
        ({"anyOf": [{"type": "string"}, {"type": "null"}]}, "definition.properties.x.type"),
        ({"type": ["string", "null"], "enum": ["a", "b"]}, "definition.properties.x.enum"),
        ({"$ref": "#/$defs/x"}, "definition.properties.x.type"),
    ],
)
def test_keywords_beyond_the_subset_are_named(prop: dict, keyword: str) -> None:
    reading = from_schema({"type": "object", "properties": {"x": prop}, "required": []}, {})
    assert reading.spec is None
    assert keyword in reading.unsupported


def test_top_level_keywords_beyond_the_subset_are_named() -> None:
    definition = {"type": "object", "properties": {"x": {"type": "string"}}, "$defs": {}}
    assert from_schema(definition, {}).unsupported == ["definition.$defs"]


@pytest.mark.parametrize(
    "field",
    [
        {"name": "a", "type": "choice"},
        {"name": "a", "type": "text", "options": ["x"]},
        {"name": "a", "type": "list"},
        {
            "name": "a",
            "type": "group",
            "fields": [{"name": "b", "type": "text", "instructions": "x"}],
        },
        {"name": "a b", "type": "text"},
        {"name": "a", "type": "number", "max_length": 3},
        {"name": "a", "type": "choice", "options": ["x", "x"]},
    ],
)
def test_inconsistent_fields_are_refused(field: dict) -> None:
    with pytest.raises(ValueError):
        FieldSpec.model_validate(field)
