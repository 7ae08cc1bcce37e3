"""Row answers on the simulator: it writes rows when the prompt asks for them, in the order the
prompt states; rows read back into exactly the full answer (the "never changes an answer" proof
at the unit level) for fewer output tokens; and a structured-output format decides the shape
when one is given, as constrained decoding would."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from strata.contracts.schemas import PromptConfig
from strata.llm_sim.answers import answer_for_block, answer_text
from strata.llm_sim.tokens import tokens
from strata.planning.answer_format import pack_answer_schema
from strata.planning.answer_rows import row_fields, row_values
from strata.planning.prompt import system_prompt

from .helpers import build_body

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "bench"))
from documents import business_report  # noqa: E402

DEFINITION = json.loads((ROOT / "examples" / "schema.json").read_text())["definition"]
FIELDS = row_fields(DEFINITION) or []
TEXTS = [p for p in business_report(6).split("\n\n") if p.strip()]
BLOCKS = [(str(i), text) for i, text in enumerate(TEXTS[:4], 1)]


def _ask(client, *, rows: bool, fmt: dict[str, Any] | None = None) -> dict[str, Any]:
    body = build_body(BLOCKS, schema=DEFINITION)
    body["system"][0]["text"] = system_prompt(DEFINITION, PromptConfig(), rows=rows)
    if fmt is not None:
        body["output_config"] = {"format": {"type": "json_schema", "schema": fmt}}
    response = client.post("/v1/messages", json=body)
    assert response.status_code == 200, response.text
    return json.loads(response.json()["content"][0]["text"])


def test_rows_read_back_into_the_full_answer_for_fewer_tokens() -> None:
    full = {uid: answer_for_block(text, DEFINITION) for uid, text in enumerate(TEXTS, 1)}
    blocks = [(str(uid), text) for uid, text in enumerate(TEXTS, 1)]
    rows = json.loads(answer_text(blocks, DEFINITION, rows=FIELDS))
    assert {int(uid): row_values(row, FIELDS) for uid, row in rows.items()} == full
    saved = 1 - tokens(answer_text(blocks, DEFINITION, rows=FIELDS)) / tokens(
        answer_text(blocks, DEFINITION)
    )
    assert saved > 0.25, f"rows saved only {saved:.1%} of output tokens"


def test_the_simulator_answers_rows_only_when_the_prompt_asks(client) -> None:
    plain, rows = _ask(client, rows=False), _ask(client, rows=True)
    assert all(isinstance(v, dict) for v in plain.values())
    assert all(isinstance(v, list) and len(v) == len(FIELDS) for v in rows.values())
    assert {uid: row_values(row, FIELDS) for uid, row in rows.items()} == plain


def test_a_format_decides_the_shape(client) -> None:
    tags = [uid for uid, _ in BLOCKS]
    row_format = pack_answer_schema(DEFINITION, tags, sparse=False, row_fields=FIELDS)
    rows = _ask(client, rows=True, fmt=row_format)
    assert Draft202012Validator(row_format).is_valid(rows)
    assert {uid: row_values(row, FIELDS) for uid, row in rows.items()} == _ask(client, rows=False)
    # Constrained decoding wins over the prompt: an object format gets objects.
    object_format = pack_answer_schema(DEFINITION, tags, sparse=False)
    objects = _ask(client, rows=True, fmt=object_format)
    assert Draft202012Validator(object_format).is_valid(objects)
    assert all(isinstance(v, dict) for v in objects.values())
    # A row format without a stated order: the order the schema is shown in.
    unstated = _ask(client, rows=False, fmt=row_format)
    assert unstated == rows
