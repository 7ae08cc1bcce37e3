"""Sparse answers on the simulator: left-out keys restore to exactly the full answer, and the
answer is shorter. This is the "never changes an answer" proof at the unit level."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from strata.contracts.schemas import PromptConfig
from strata.llm_sim.answers import answer_for_block, answer_text, sparse_values
from strata.llm_sim.tokens import tokens
from strata.planning.answers import omitted_values, restore_omitted
from strata.planning.prompt import system_prompt

from .helpers import build_body

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "bench"))
from documents import business_report  # noqa: E402

SCHEMA = json.loads((ROOT / "examples" / "schema.json").read_text())
DEFINITION = SCHEMA["definition"]
TEXTS = [p for p in business_report(6).split("\n\n") if p.strip()]


def test_restoring_a_sparse_answer_gives_the_full_answer_back() -> None:
    omitted = omitted_values(DEFINITION)
    full = [answer_for_block(text, DEFINITION) for text in TEXTS]
    sparse = [sparse_values(values, DEFINITION) for values in full]
    assert [restore_omitted(s, omitted) for s in sparse] == full
    assert any(len(s) < len(f) for s, f in zip(sparse, full, strict=True))
    blocks = [(str(i), t) for i, t in enumerate(TEXTS, 1)]
    saved = 1 - tokens(answer_text(blocks, DEFINITION, sparse=True)) / tokens(
        answer_text(blocks, DEFINITION)
    )
    assert saved > 0.05, f"sparse answers saved only {saved:.1%} of output tokens"


def test_defaults_and_exact_values() -> None:
    schema = {
        "properties": {
            "n": {"type": "number", "default": 0},
            "flag": {"type": "boolean", "default": False},
            "note": {"type": ["string", "null"]},
        }
    }
    # 0.0 is not the default 0 in JSON terms, and false is not 0: both are kept.
    assert sparse_values({"n": 0.0, "flag": 0, "note": None}, schema) == {"n": 0.0, "flag": 0}
    assert sparse_values({"n": 0, "flag": False, "note": "x"}, schema) == {"note": "x"}
    assert restore_omitted({"note": "x"}, omitted_values(schema)) == {
        "n": 0,
        "flag": False,
        "note": "x",
    }


def test_the_simulator_answers_sparse_only_when_the_prompt_asks(client) -> None:
    blocks = [("1", "No amount here, no topic either.")]
    body = build_body(blocks, schema=DEFINITION)
    full = json.loads(client.post("/v1/messages", json=body).json()["content"][0]["text"])
    sparse_prompt = system_prompt(DEFINITION, PromptConfig(), sparse=True)
    body["system"][0]["text"] = sparse_prompt
    sparse = json.loads(client.post("/v1/messages", json=body).json()["content"][0]["text"])
    assert None in full["1"].values() and None not in sparse["1"].values()
    assert restore_omitted(sparse["1"], omitted_values(DEFINITION)) == full["1"]
