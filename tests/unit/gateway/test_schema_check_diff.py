"""The compatibility check's verdicts and the field-by-field diff (pure)."""

from strata.gateway.domain.builder import to_schema
from strata.gateway.domain.fields import BuilderSpec
from strata.gateway.domain.schema_check import check
from strata.gateway.domain.schema_diff import diff


def _codes(definition: dict, prompt: dict | None = None, settings: dict | None = None) -> tuple:
    result = check(definition=definition, prompt_config=prompt, admin_settings=settings or {})
    return result.verdict, sorted(f.code for f in result.findings)


def _props(**props: dict) -> dict:
    return {"type": "object", "properties": props, "required": []}


def test_a_plain_builder_schema_passes_and_reports_its_prompt() -> None:
    spec = BuilderSpec.model_validate({"fields": [{"name": "total", "type": "number"}]})
    definition, prompt = to_schema(spec)
    result = check(definition=definition, prompt_config=prompt, admin_settings={})
    assert result.verdict == "pass" and result.findings == []
    assert result.prompt_tokens and result.block_room_tokens and result.block_room_tokens > 1000
    assert result.builder_unsupported == []


def test_invalid_schemas_fail() -> None:
    assert _codes({"type": "object", "properties": {}}) == ("fail", ["invalid_schema"])
    assert _codes(_props(a={"type": "string"}), {"max_tokens": 5}) == ("fail", ["invalid_schema"])
    assert _codes(_props(a={"type": "string"}), {"field_instructions": {"b": "x"}}) == (
        "fail",
        ["invalid_schema"],
    )


def test_column_names() -> None:
    assert _codes(_props(status={"type": "string"})) == ("fail", ["reserved_column"])
    assert _codes(_props(Total={"type": "number"}, total={"type": "number"})) == (
        "fail",
        ["column_clash", "column_name"],
    )
    assert _codes(_props(**{"Unit Price": {"type": "number"}})) == ("warn", ["column_name"])


def test_constructs_and_budgets() -> None:
    assert _codes(_props(a={"type": "string", "pattern": "^x+$"})) == ("warn", ["pattern"])
    big = _props(a={"type": "string", "description": "x" * 9000})
    assert _codes(big, settings={"context_budget_tokens": 4000, "max_tokens": 1000}) == (
        "fail",
        ["prompt_too_large"],
    )
    wide = _props(**{f"f{i}": {"type": "string", "maxLength": 2000} for i in range(10)})
    verdict, codes = _codes(wide, settings={"max_tokens": 300})
    assert verdict == "fail" and "answer_too_large" in codes


def test_json_only_schemas_name_the_keywords_in_the_check() -> None:
    result = check(
        definition=_props(a={"type": "integer", "minimum": 1}), prompt_config={}, admin_settings={}
    )
    assert result.verdict == "pass"
    assert result.builder_unsupported == ["definition.properties.a.minimum"]


def test_diff_names_added_removed_and_changed_fields() -> None:
    old = BuilderSpec.model_validate(
        {
            "fields": [
                {"name": "total", "type": "text", "instructions": "as written"},
                {"name": "gone", "type": "boolean"},
                {"name": "party", "type": "group", "fields": [{"name": "city", "type": "text"}]},
            ]
        }
    )
    new = BuilderSpec.model_validate(
        {
            "fields": [
                {"name": "total", "type": "number", "instructions": "a number"},
                {"name": "kind", "type": "choice", "options": ["a", "b"]},
                {"name": "party", "type": "group", "fields": [{"name": "city", "type": "date"}]},
            ],
            "instructions": "Read invoices.",
        }
    )
    out = diff(to_schema(old), to_schema(new))
    assert out["added"] == [{"field": "kind", "type": "choice"}]
    assert out["removed"] == [{"field": "gone", "type": "boolean"}]
    changed = {
        c["field"]: {x["aspect"]: (x["from"], x["to"]) for x in c["changes"]}
        for c in out["changed"]
    }
    assert changed["total"]["type"] == ("text", "number")
    assert changed["total"]["instructions"] == ("as written", "a number")
    assert changed["party.city"]["type"] == ("text", "date")
    assert [s["aspect"] for s in out["settings"]] == ["system_instructions"]
    assert diff(to_schema(old), to_schema(old))["changed"] == []
