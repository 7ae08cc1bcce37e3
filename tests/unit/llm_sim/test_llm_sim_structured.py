"""`output_config.format` on the simulator: accepted, refused with a 400 naming it, and no
malformed answers under it."""

from __future__ import annotations

import json
from typing import Any

from strata.llm_sim.answers import answer_for_block
from strata.planning.answer_format import pack_answer_schema

from .helpers import SCHEMA, build_body

BLOCKS = [("1", "Total 12 EUR, urgent."), ("2", "Nothing here")]


def _with_format(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        **build_body(BLOCKS),
        "output_config": {"format": {"type": "json_schema", "schema": schema}},
    }


def test_an_accepted_format_answers_as_usual_and_never_malformed(client) -> None:
    body = _with_format(pack_answer_schema(SCHEMA, ["1", "2"], sparse=False))
    response = client.post("/v1/messages", json=body, headers={"x-sim-fault": "malformed"})
    assert response.status_code == 200
    answer = json.loads(response.json()["content"][0]["text"])
    assert answer == {uid: answer_for_block(text, SCHEMA) for uid, text in BLOCKS}
    plain = client.post(
        "/v1/messages", json=build_body(BLOCKS), headers={"x-sim-fault": "malformed"}
    )
    assert "<<simulated malformed output" in plain.json()["content"][0]["text"]


def test_refused_formats_name_the_parameter(make_client) -> None:
    client = make_client(max_output_schema_bytes=2000)
    bounded = {"type": "object", "properties": {"t": {"type": "string", "maxLength": 5}}}
    loose = {"type": "object", "additionalProperties": True}
    huge = {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(200)}}
    for schema, words in (
        (bounded, "maxLength"),
        (loose, "additionalProperties"),
        (huge, "too large"),
    ):
        response = client.post("/v1/messages", json=_with_format(schema))
        message = response.json()["error"]["message"]
        assert response.status_code == 400 and "output_config.format.schema" in message
        assert words in message
    wrong = {**build_body(BLOCKS), "output_config": {"format": {"type": "xml"}}}
    assert client.post("/v1/messages", json=wrong).status_code == 400
