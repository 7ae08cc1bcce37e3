"""Did the new version get better? Pure comparisons of per-block answers.

Values are compared after normalising: strings case-folded with whitespace collapsed, numbers
as numbers (`5` equals `5.0` and `"5"` does not), lists and objects element by element. Against
confirmed data, a null where the truth has a value (missing) and a value where the truth is null
(spurious) are counted apart from plain wrong values."""

import math
from collections.abc import Mapping
from typing import Any

Key = tuple[Any, int]  # (document_id, block_index)


def normalise(value: Any) -> Any:
    if value is None or isinstance(value, bool):  # tagged: True must not equal 1
        return ("const", value)
    if isinstance(value, int | float):
        number = float(value)
        return round(number, 9) if math.isfinite(number) else str(number)
    if isinstance(value, str):
        return " ".join(value.split()).casefold()
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in sorted(value.items())}
    return value


def _fields(*answer_sets: Mapping[Key, dict[str, Any]]) -> list[str]:
    return sorted({f for answers in answer_sets for a in answers.values() for f in a})


def compare(
    left: Mapping[Key, dict[str, Any]], right: Mapping[Key, dict[str, Any]]
) -> dict[str, Any]:
    """Per field, the share of the blocks both runs answered whose values agree, and the
    blocks where any field differs (with both values)."""
    common = sorted(set(left) & set(right), key=lambda k: (str(k[0]), k[1]))
    fields = _fields(left, right)
    agree = dict.fromkeys(fields, 0)
    differing = []
    for key in common:
        diffs = {}
        for name in fields:
            a, b = left[key].get(name), right[key].get(name)
            if normalise(a) == normalise(b):
                agree[name] += 1
            else:
                diffs[name] = {"left": a, "right": b}
        if diffs:
            differing.append({"key": key, "fields": diffs})
    return {
        "blocks_compared": len(common),
        "only_left": len(set(left) - set(right)),
        "only_right": len(set(right) - set(left)),
        "fields": {n: (agree[n] / len(common) if common else None) for n in fields},
        "differing": differing,
    }


def accuracy(
    truth: Mapping[Key, dict[str, Any]], answers: Mapping[Key, dict[str, Any] | None]
) -> dict[str, Any]:
    """Per field of the truth: correct, wrong, missing, spurious and accuracy (correct share);
    overall accuracy over every (block, field). A block without an answer counts every field
    as missing (or correct where the truth is null)."""
    counts = {
        name: {"correct": 0, "wrong": 0, "missing": 0, "spurious": 0} for name in _fields(truth)
    }
    for key, expected in truth.items():
        got = answers.get(key) or {}
        for name, want in expected.items():
            have = got.get(name)
            if normalise(have) == normalise(want):
                counts[name]["correct"] += 1
            elif have is None:
                counts[name]["missing"] += 1
            elif want is None:
                counts[name]["spurious"] += 1
            else:
                counts[name]["wrong"] += 1
    per_field = {
        name: {**c, "accuracy": c["correct"] / total if (total := sum(c.values())) else None}
        for name, c in counts.items()
    }
    correct = sum(c["correct"] for c in counts.values())
    total = sum(sum(c.values()) for c in counts.values())
    return {"fields": per_field, "overall": correct / total if total else None}
