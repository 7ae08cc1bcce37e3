"""Which shape a block's answer takes: an object (full or sparse) or a row of values.

A model does what the prompt asks, unless constrained decoding (`output_config.format`) leaves it
no choice: then the format's shape wins. So:

- the prompt asks for rows with a line starting "Row answers:" and states the field order on a
  line "Field order: [<JSON list of names>]"; it asks for the sparse form with a line starting
  "Sparse answers:";
- a format whose per-block value is an array forces rows (in the stated order, or else in the
  order the schema lists its fields, the only order the model has seen), one whose value is an
  object forces objects (sparse only if the prompt asks and the format lets keys be left out).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from strata.llm_sim.prompt import Piece, wants_sparse

ROWS_RE = re.compile(r"^Row answers:", re.MULTILINE)
ORDER_RE = re.compile(r"^Field order: (\[.*\])\s*$", re.MULTILINE)


@dataclass(frozen=True)
class AnswerShape:
    rows: list[str] | None  # the field order of a row; None: objects
    sparse: bool  # objects leave out null and default values


def _stated_order(pieces: list[Piece]) -> list[str] | None:
    for piece in pieces:
        if piece.role != "system" or not ROWS_RE.search(piece.text):
            continue
        match = ORDER_RE.search(piece.text)
        if match is None:
            return None
        try:
            order = json.loads(match.group(1))
        except json.JSONDecodeError:
            return None
        if isinstance(order, list) and all(isinstance(name, str) for name in order):
            return order
    return None


def _resolve(node: Any, root: dict[str, Any]) -> Any:
    for _ in range(8):  # bounded: a $ref chain must not loop
        if not (isinstance(node, dict) and str(node.get("$ref", "")).startswith("#/")):
            return node
        target: Any = root
        for part in node["$ref"][2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        node = target
    return node


def _format_block(fmt: dict[str, Any]) -> dict[str, Any] | None:
    """The schema each block's value must meet under the format, if it names one."""
    properties = fmt.get("properties")
    if not isinstance(properties, dict) or not properties:
        return None
    block = _resolve(next(iter(properties.values())), fmt)
    return block if isinstance(block, dict) else None


def answer_shape(
    pieces: list[Piece], schema: dict[str, Any], fmt: dict[str, Any] | None
) -> AnswerShape:
    stated = _stated_order(pieces)
    sparse = wants_sparse(pieces)
    block = _format_block(fmt) if fmt is not None else None
    if block is None:
        return AnswerShape(rows=stated, sparse=sparse and stated is None)
    if block.get("type") == "array":
        properties = schema.get("properties")
        seen = list(properties) if isinstance(properties, dict) else []
        return AnswerShape(rows=stated or seen, sparse=False)
    return AnswerShape(rows=None, sparse=sparse and not block.get("required"))
