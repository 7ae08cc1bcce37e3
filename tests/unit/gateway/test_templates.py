"""Templates: parameter checks (one error per parameter), rendering, save-as, and every
built-in extracting well from its example document on the simulator's answer rule."""

from pathlib import Path

import pytest

from strata.conversion.markdown import markdown_to_blocks
from strata.gateway.domain.builder import to_schema
from strata.gateway.domain.template_params import Parameter, resolve
from strata.gateway.domain.template_seed import builtin_templates
from strata.gateway.domain.template_use import Exposure, content_for, template_from_schema
from strata.gateway.domain.templates import TemplateError, render
from strata.gateway.web.errors import ApiError
from strata.llm_sim.answers import answer_for_block

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "templates"
PARAMS = [
    Parameter(name="title", type="text", required=True, max_length=10),
    Parameter(name="count", type="number", min=1, max=10, integer=True, default=3),
    Parameter(name="mode", type="choice", options=["a", "b"], default="a"),
    Parameter(name="tags", type="multitext", max_items=2, default=["x"]),
    Parameter(name="span", type="range", min=0, max=100, default={"min": 1, "max": 2}),
]


def _errors(given: dict) -> dict[str, str]:
    return {e["parameter"]: e["code"] for e in resolve(PARAMS, given)[1]}


def test_defaults_fill_in_and_values_are_normalised() -> None:
    values, errors = resolve(PARAMS, {"title": "Hi", "count": 4.0, "tags": [" y "]})
    assert errors == []
    assert values == {
        "title": "Hi",
        "count": 4,
        "mode": "a",
        "tags": ["y"],
        "span": {"min": 1.0, "max": 2.0},
    }


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, {"title": "required"}),
        ({"title": 3}, {"title": "wrong_type"}),
        ({"title": "x" * 11}, {"title": "too_long"}),
        ({"title": "t", "count": 0}, {"count": "below_minimum"}),
        ({"title": "t", "count": 11}, {"count": "above_maximum"}),
        ({"title": "t", "count": 2.5}, {"count": "not_an_integer"}),
        ({"title": "t", "count": "3"}, {"count": "wrong_type"}),
        ({"title": "t", "mode": "c"}, {"mode": "not_an_option"}),
        ({"title": "t", "tags": "x"}, {"tags": "wrong_type"}),
        ({"title": "t", "tags": ["a", "b", "c"]}, {"tags": "too_many"}),
        ({"title": "t", "tags": ["a", " "]}, {"tags": "empty_item"}),
        ({"title": "t", "tags": ["a", "A"]}, {"tags": "duplicate_item"}),
        ({"title": "t", "span": {"min": 5, "max": 1}}, {"span": "invalid_range"}),
        ({"title": "t", "span": {"min": -5, "max": 1}}, {"span": "below_minimum"}),
        ({"title": "t", "span": [1, 2]}, {"span": "wrong_type"}),
        ({"title": "t", "nope": 1}, {"nope": "unknown_parameter"}),
        (
            {"count": 0, "mode": "z"},
            {"title": "required", "count": "below_minimum", "mode": "not_an_option"},
        ),
    ],
)
def test_each_bad_parameter_is_named_with_its_code(given: dict, expected: dict) -> None:
    assert _errors(given) == expected


def test_a_default_must_itself_be_valid() -> None:
    with pytest.raises(ValueError, match="default"):
        Parameter(name="n", type="number", max=3, default=5)


BODY = {
    "instructions": "Read {{title}} ({{span}}).",
    "fields": [
        {"name": "kind", "type": "choice", "options": "{{tags}}"},
        {
            "name": "note",
            "type": "text",
            "max_length": "{{count}}",
            "include_if": {"param": "mode", "equals": "b"},
        },
        {
            "each_of": "tags",
            "field": {"name": "{{item_name}}_seen", "type": "boolean", "label": "{{item}}"},
        },
    ],
}


def test_rendering_fills_text_typed_values_optional_fields_and_field_lists() -> None:
    values, _ = resolve(PARAMS, {"title": "bills", "tags": ["Net Total", "tax"], "mode": "b"})
    spec = render(BODY, values)
    assert spec.instructions == "Read bills (1 to 2)."
    assert [f.name for f in spec.fields] == ["kind", "note", "net_total_seen", "tax_seen"]
    assert spec.fields[0].options == ["Net Total", "tax"] and spec.fields[1].max_length == 3
    assert spec.fields[2].label == "Net Total"
    values["mode"] = "a"
    assert [f.name for f in render(BODY, values).fields][:2] == ["kind", "net_total_seen"]
    with pytest.raises(TemplateError, match="names no parameter"):
        render({"instructions": "{{missing}}", "fields": []}, values)


def test_instantiating_with_bad_parameters_is_a_422_with_details() -> None:
    with pytest.raises(ApiError) as caught:
        content_for(BODY, PARAMS, {"count": 0})
    assert caught.value.status == 422 and caught.value.code == "invalid_parameters"
    assert {d["parameter"] for d in caught.value.details} == {"title", "count"}


def test_a_saved_schema_becomes_a_template_whose_defaults_give_it_back() -> None:
    template = builtin_templates()[0]
    values, _ = resolve(template.parameters, {})
    definition, prompt = to_schema(render(template.body, values))
    field = next(f["name"] for f in template.body["fields"] if f["type"] == "choice")
    exposures = [
        Exposure(name="how", target="instructions"),
        Exposure(name="choices", target="options", field=field),
        Exposure(name="keep", target="present", field=field),
    ]
    parameters, body = template_from_schema(definition, prompt, exposures)
    _, content, _ = content_for(body, parameters, {})
    assert (content.definition, content.prompt_config) == (definition, prompt)
    _, without, _ = content_for(body, parameters, {"keep": "no", "how": "Other."})
    assert field not in without.definition["properties"]
    assert without.prompt_config["system_instructions"] == "Other."


def test_there_are_eight_builtins_in_several_categories() -> None:
    docs = builtin_templates()
    assert len(docs) >= 8 and len({d.category for d in docs}) >= 5
    assert all((EXAMPLES / f"{d.slug}.md").is_file() for d in docs)


@pytest.mark.parametrize("doc", builtin_templates(), ids=lambda d: d.slug)
def test_every_builtin_extracts_its_example_output_from_its_test_document(doc) -> None:
    values, errors = resolve(doc.parameters, {})
    assert errors == []
    definition, _ = to_schema(render(doc.body, values))
    blocks = markdown_to_blocks((EXAMPLES / f"{doc.slug}.md").read_text())
    answers = [answer_for_block(b.text, definition) for b in blocks if b.block_type != "heading"]
    expected = {k: v for k, v in doc.example_output.items() if v is not None}
    assert set(doc.example_output) == set(definition["properties"])
    # The gallery's example is what the simulator reads from one of the document's blocks
    # (null in the example: the block does not state it; the simulator never answers null text).
    assert any(all(a[k] == v for k, v in expected.items()) for a in answers), answers
    # Every field reads a value from some block: none of them is dead weight on its document.
    for name, prop in definition["properties"].items():
        assert any(a[name] not in (None, False) for a in answers), (name, answers)
        if "enum" in prop:  # and a choice finds its options in at least two blocks
            assert sum(a[name] is not None for a in answers) >= 2, (name, answers)
