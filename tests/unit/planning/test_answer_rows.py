"""Row answers: the form a policy and schema give, the prompt that asks for it, the row read back
into exactly its object (or a typed error), the structured-output schema that describes it, and
the estimate that prices it."""

import json
from decimal import Decimal

import pytest
from jsonschema import Draft202012Validator

from strata.contracts.policy import PolicySnapshot
from strata.contracts.schemas import PromptConfig
from strata.planning.answer_format import pack_answer_schema
from strata.planning.answer_rows import (
    ORDER_PREFIX,
    AnswerForm,
    RowError,
    answer_form,
    row_fields,
    row_values,
    values_row,
)
from strata.planning.estimate import EstimateBlock, estimate_run
from strata.planning.prompt import system_prompt

DEFINITION = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "maxLength": 40},
        "amount": {"type": ["number", "null"], "minimum": 0},
        "urgent": {"type": "boolean", "default": False},
        "party": {
            "type": ["object", "null"],
            "properties": {"name": {"type": "string"}},
            "additionalProperties": False,
        },
    },
    "required": ["title"],
}
FIELDS = ["amount", "party", "title", "urgent"]


def test_fields_are_in_the_order_the_prompt_shows_the_schema() -> None:
    assert row_fields(DEFINITION) == FIELDS
    shown = system_prompt(DEFINITION, PromptConfig(), rows=True)
    schema = json.loads(shown.split("<schema>")[1].split("</schema>")[0])
    assert list(schema["properties"]) == FIELDS
    order_line = next(line for line in shown.splitlines() if line.startswith(ORDER_PREFIX))
    assert json.loads(order_line.removeprefix(ORDER_PREFIX)) == FIELDS


def test_rows_win_where_the_schema_has_fields_and_objects_stay_elsewhere() -> None:
    assert answer_form(DEFINITION, rows=True, sparse=True) is AnswerForm.ROWS
    assert answer_form(DEFINITION, rows=False, sparse=True) is AnswerForm.SPARSE
    assert answer_form(DEFINITION, rows=False, sparse=False) is AnswerForm.FULL
    loose = {"type": "object", "additionalProperties": {"type": "string"}}
    assert row_fields(loose) is None
    assert answer_form(loose, rows=True, sparse=False) is AnswerForm.FULL
    assert "Row answers:" not in system_prompt(loose, PromptConfig(), rows=True)
    sparse_only = system_prompt(DEFINITION, PromptConfig(), sparse=True, rows=True)
    assert "Row answers:" in sparse_only and "Sparse answers:" not in sparse_only


def test_a_row_reads_back_into_exactly_its_object() -> None:
    values = {"title": "Invoice", "amount": 0.0, "urgent": False, "party": {"name": "Contoso"}}
    row = values_row(values, FIELDS)
    assert row == [0.0, {"name": "Contoso"}, "Invoice", False]
    assert row_values(json.loads(json.dumps(row)), FIELDS) == values
    # A key the object would not have is written as null and read back as null.
    assert row_values(values_row({"title": "x"}, FIELDS), FIELDS) == {
        "amount": None,
        "party": None,
        "title": "x",
        "urgent": None,
    }


@pytest.mark.parametrize(
    ("row", "code"),
    [
        ({"title": "x"}, "row_not_array"),
        ("x", "row_not_array"),
        (None, "row_not_array"),
        ([1, None, "x"], "row_length"),
        ([1, None, "x", False, "extra"], "row_length"),
    ],
)
def test_a_malformed_row_is_a_typed_error(row: object, code: str) -> None:
    with pytest.raises(RowError) as caught:
        row_values(row, FIELDS)
    assert caught.value.code == code


def test_the_format_describes_rows_and_refuses_objects() -> None:
    fmt = pack_answer_schema(DEFINITION, ["1", "2"], sparse=True, row_fields=FIELDS)
    text = json.dumps(fmt)
    assert "maxLength" not in text and "minimum" not in text  # the format refuses them
    check = Draft202012Validator(fmt)
    good = {"1": [12.5, None, "Invoice", True], "2": [None, {"name": "A"}, "B", False]}
    assert check.is_valid(good)
    assert not check.is_valid({"1": {"title": "x"}, "2": [None, None, "B", False]})
    assert not check.is_valid({"1": [["nested list"]], "2": []})  # no field takes a list
    assert not check.is_valid({"1": [1, None, "x", False]})  # a tag is missing


def test_the_estimate_prices_rows_below_objects() -> None:
    blocks = [
        EstimateBlock(("doc", i), f"Invoice {i} for 1,200 EUR is due within 30 days.")
        for i in range(40)
    ]
    config = PromptConfig()
    rows = estimate_run(blocks, definition=DEFINITION, prompt_config=config, policy=PolicySnapshot())
    objects = estimate_run(
        blocks,
        definition=DEFINITION,
        prompt_config=config,
        policy=PolicySnapshot(row_answers=False),
    )
    assert rows.answer_form == "rows" and objects.answer_form == "sparse"
    assert rows.output_tokens < objects.output_tokens
    assert rows.cost_usd < objects.cost_usd and rows.cost_usd > Decimal(0)
