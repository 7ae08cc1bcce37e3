"""Row answers in the worker: rows are read back into objects and validated exactly as objects
are; a block's malformed row fails that block alone; an object still answers a block; each call
records the form it asked for, and the structured-output format describes rows."""

import json

from strata.contracts.overlays import OverlayStatus
from strata.planning.answer_rows import RowError
from strata.planning.schema_validator import answer_validator
from strata.worker.answers import map_answer

from .test_runner import ScriptedProvider, answer, arrange, runner

DEFINITION = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "amount": {"type": ["number", "null"]},
        "urgent": {"type": "boolean"},
    },
    "required": ["title", "urgent"],
}
FIELDS = ["amount", "title", "urgent"]
UIDS = ["1", "2", "3"]


def _map(answer_value: dict, *, fields: list[str] | None = FIELDS):
    text = json.dumps(answer_value)
    return map_answer(text, UIDS, answer_validator(DEFINITION), None, fields)


def test_rows_map_to_the_same_values_as_objects() -> None:
    objects = {
        "1": {"title": "A", "amount": 12, "urgent": True},
        "2": {"title": "B", "amount": None, "urgent": False},
        "3": {"title": "C", "amount": 0.5, "urgent": False},
    }
    rows = {uid: [v["amount"], v["title"], v["urgent"]] for uid, v in objects.items()}
    from_rows, from_objects = _map(rows), _map(objects)
    assert from_rows.problems == {} and from_rows.values == objects
    assert from_objects.values == from_rows.values  # the old form is still accepted


def test_a_bad_row_fails_its_block_alone() -> None:
    mapped = _map({"1": [12, "A"], "2": [None, 7, False], "3": [None, "C", False]})
    assert set(mapped.values) == {"3"}
    assert "2 values for 3 fields" in mapped.problems["1"]
    assert mapped.problems["2"].startswith("invalid at title")  # validated like an object


def test_an_array_is_no_answer_where_rows_were_not_asked_for() -> None:
    mapped = _map({"1": [None, "A", True], "2": [], "3": []}, fields=None)
    assert set(mapped.problems) == set(UIDS)
    assert mapped.problems["1"] == "answer for this block is not an object"
    assert RowError("row_length", "x").code == "row_length"


async def test_the_runner_asks_for_rows_and_records_the_form() -> None:
    store, run_id, msg = arrange(["alpha", "beta"])
    scripted = ScriptedProvider(answer({"1": ["A"], "2": {"title": "B"}}))
    await runner(store, scripted).run(msg)
    request = scripted.requests[0]
    assert "Row answers:" in request.system[0]["text"]
    assert request.output_format is not None
    assert request.output_format["$defs"]["strata_block"]["type"] == "array"
    assert [o.status for o in store.overlays(run_id)] == [OverlayStatus.AI_COMPLETE] * 2
    assert [c.answer_form for c in store.calls] == ["rows"]

    store, run_id, msg = arrange(["alpha"], row_answers=False)
    scripted = ScriptedProvider(answer({"1": {"title": "A"}}))
    await runner(store, scripted).run(msg)
    assert "Row answers:" not in scripted.requests[0].system[0]["text"]
    assert [c.answer_form for c in store.calls] == ["sparse"]
