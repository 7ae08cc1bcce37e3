"""The builder's form ↔ builder spec (pure): a flat form post becomes the spec the API's model
judges, structural edits apply by path, and the API's messages land beside their inputs."""

from typing import Any

import pytest
from pydantic import ValidationError

from strata.gateway.api_models import SchemaVersionCreate
from strata.gateway.domain.fields import BuilderSpec
from strata.gateway.pages.builder_form import (
    Draft,
    apply,
    errors_by_place,
    from_spec,
    read_form,
    to_spec,
)

FORM = {
    "csrf": "x",
    "op": "save",
    "f.0.name": " title ",
    "f.0.type": "text",
    "f.0.required": "on",
    "f.0.nullable": "on",
    "f.0.label": "",
    "f.0.description": "the subject",
    "f.0.instructions": "Use the first heading.",
    "f.0.max_length": "120",
    "f.0.options": "left over\nfrom a choice",  # not a text field's input: left behind
    "f.1.name": "party",
    "f.1.type": "group",
    "f.1.1.name": "country",
    "f.1.1.type": "choice",
    "f.1.1.options": "FR\n\n DE \n",
    "f.1.1.nullable": "on",
    "f.1.0.name": "name",
    "f.1.0.type": "text",
    "f.1.0.required": "on",
    "f.2.name": "lines",
    "f.2.type": "list",
    "f.2.item_type": "group",
    "f.2.max_items": "5",
    "f.2.0.name": "amount",
    "f.2.0.type": "number",
    "f.3.name": "paid",
    "f.3.type": "boolean",
    "f.3.keywords": "paid\nsettled",
    "s.instructions": "",
    "s.model": "claude-x",
    "s.temperature": "0.5",
    "s.max_tokens": "",
    "f.x.name": "not ours",
    "f.0.evil": "not an input",
}


def _spec(form: dict[str, str]) -> dict[str, Any]:
    return to_spec(*read_form(form))


def test_a_form_becomes_the_spec_the_api_accepts() -> None:
    spec = _spec(FORM)
    title, party, lines, paid = spec["fields"]
    assert title == {
        "name": "title",
        "type": "text",
        "label": None,
        "description": "the subject",
        "required": True,
        "nullable": True,
        "instructions": "Use the first heading.",
        "max_length": 120,
    }
    # Sub-fields in path order (not the order the browser sent them), without instructions.
    assert [f["name"] for f in party["fields"]] == ["name", "country"]
    assert party["fields"][1]["options"] == ["FR", "DE"]
    assert party["fields"][1]["required"] is False and "instructions" not in party["fields"][1]
    assert lines["items"] == {"type": "group", "fields": [lines["items"]["fields"][0]]}
    assert lines["items"]["fields"][0]["name"] == "amount" and lines["max_items"] == 5
    assert paid["keywords"] == ["paid", "settled"]
    assert spec["model"] == "claude-x" and spec["temperature"] == 0.5
    assert "instructions" not in spec and "max_tokens" not in spec
    parsed = SchemaVersionCreate.model_validate({"builder": spec, "base_version": 1})
    assert parsed.builder is not None and len(parsed.builder.fields) == 4


def test_a_saved_spec_shows_in_the_form_and_comes_back_the_same() -> None:
    spec = BuilderSpec.model_validate(_spec(FORM))
    drafts, settings = from_spec(spec)
    form: dict[str, str] = {f"s.{k}": v for k, v in settings.items()}

    def flatten(fields: list[Draft], prefix: str) -> None:
        for i, d in enumerate(fields):
            key = f"{prefix}{i}."
            for attr, value in vars(d).items():
                if attr == "fields":
                    flatten(value, key)
                elif isinstance(value, bool):
                    if value:
                        form[key + attr] = "on"
                else:
                    form[key + attr] = value

    flatten(drafts, "f.")
    assert BuilderSpec.model_validate(_spec(form)) == spec


def test_structural_edits_apply_by_path_and_say_what_to_focus() -> None:
    fields, _ = read_form(FORM)
    fields, focus = apply(fields, "add")
    assert focus == "4" and fields[4].name == "" and fields[4].type == "text"
    fields, focus = apply(fields, "add:1")
    assert focus == "1.2" and len(fields[1].fields) == 3
    fields, focus = apply(fields, "up:1.1")
    assert focus == "1.0" and [f.name for f in fields[1].fields] == ["country", "name", ""]
    fields, focus = apply(fields, "up:1.0")  # already first: nothing moves
    assert focus == "1.0" and fields[1].fields[0].name == "country"
    fields, focus = apply(fields, "down:0")
    assert focus == "1" and [f.name for f in fields[:2]] == ["party", " title "]
    fields, focus = apply(fields, "remove:1")
    assert focus is None and [f.name for f in fields] == ["party", "lines", "paid", ""]
    for stale in ("remove:9", "up:7.1", "add:0.9", "sideways:1", "remove", "add:1.2.3.4.5.6.7"):
        before = [vars(f) for f in fields]
        fields, focus = apply(fields, stale)
        assert focus is None and [vars(f) for f in fields] == before, stale


def test_unticked_boxes_and_blank_inputs() -> None:
    fields, settings = read_form({"f.0.name": "a", "f.0.type": "choice", "f.0.options": ""})
    assert fields[0].required is False and fields[0].nullable is False
    spec = to_spec(fields, settings)
    assert spec["fields"][0]["options"] == [] and spec["fields"][0]["required"] is False
    # Text where a number belongs goes to the API as text, for its own message.
    fields, settings = read_form({"f.0.name": "a", "f.0.type": "text", "f.0.max_length": "ten"})
    assert to_spec(fields, {"temperature": "warm"}) == {
        "fields": [
            {
                "name": "a",
                "type": "text",
                "label": None,
                "description": None,
                "required": False,
                "nullable": False,
                "instructions": None,
                "max_length": "ten",
            }
        ],
        "temperature": "warm",
    }
    # A sub-field whose parent was not sent is dropped, not misplaced.
    assert read_form({"f.3.1.name": "orphan"})[0] == []


def _errors(form: dict[str, str]) -> dict[tuple[str, str], str]:
    with pytest.raises(ValidationError) as caught:
        SchemaVersionCreate.model_validate({"builder": _spec(form), "base_version": 1})
    return errors_by_place(caught.value.errors())


def test_the_apis_messages_land_beside_their_inputs() -> None:
    bad = dict(FORM)
    bad |= {"f.0.name": "9 lives", "f.0.max_length": "ten", "f.1.1.options": ""}
    bad |= {"f.2.0.name": "", "s.temperature": "3", "f.3.type": "colour"}
    placed = _errors(bad)
    assert placed[("0", "name")].startswith("String should match pattern")
    assert placed[("0", "max_length")] == "Input should be a valid integer, unable to parse string as an integer"
    assert ("1.1", "options") in placed  # an empty options list: the API's length message
    assert placed[("2.0", "name")].startswith("String should match pattern")  # list of groups
    assert ("", "s.temperature") in placed
    assert placed[("3", "type")].startswith("Input should be 'text'")


def test_rules_on_a_whole_field_or_the_whole_spec() -> None:
    same = {"f.0.name": "a", "f.0.type": "text", "f.1.name": "a", "f.1.type": "text"}
    assert _errors(same) == {("", ""): "field names must be distinct"}
    empty_group = {"f.0.name": "g", "f.0.type": "group"}
    assert ("0", "fields") in _errors(empty_group)
    assert _errors({}) == {("", "fields"): "List should have at least 1 item after validation, not 0"}
    nested = {"f.0.name": "g", "f.0.type": "group", "f.0.0.name": "a", "f.0.0.type": "choice"}
    nested["f.0.0.options"] = "x\nx"
    assert _errors(nested) == {("0.0", ""): "options must be distinct"}
