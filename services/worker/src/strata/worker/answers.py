"""Map a model answer back to its blocks (pure). A block gets only the value under its own uid;
anything missing, duplicated or invalid is reported per block, never filled from a neighbour.

A block's value is its object, or (row answers) the row of its values in the run's field order,
read back into the object first. Either arrives: a model asked for rows that writes an object
for a block is answered as well as one never asked."""

import json
import re
from dataclasses import dataclass, field
from typing import Any

from jsonschema.protocols import Validator

from strata.planning.answer_rows import RowError, row_values
from strata.planning.answers import restore_omitted

_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


@dataclass
class MappedAnswer:
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    unknown_uids: list[str] = field(default_factory=list)

    def rekeyed(self, uid_for: dict[str, str]) -> "MappedAnswer":
        """The same answer keyed by block_uid instead of the pack-local tags the model saw."""
        return MappedAnswer(
            values={uid_for[k]: v for k, v in self.values.items()},
            problems={uid_for[k]: v for k, v in self.problems.items()},
            unknown_uids=self.unknown_uids,
        )


class SchemaRuntimeError(Exception):
    """The schema itself cannot be evaluated (a $ref that does not resolve, a pattern RE2
    refuses, a keyword of the wrong type): no answer could ever be valid."""


def _first_error(validator: Validator, value: dict[str, Any]) -> Any:
    try:
        return next(iter(validator.iter_errors(value)), None)
    except Exception as exc:
        # The value is plain JSON the model wrote; only the schema can make validation raise.
        raise SchemaRuntimeError(f"{type(exc).__name__}: {exc}"[:500]) from exc


class _DuplicateKeys(dict[str, Any]):
    duplicates: set[str]


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = _DuplicateKeys()
    out.duplicates = set()
    for key, value in pairs:
        if key in out:
            out.duplicates.add(key)
        out[key] = value
    return out


def _block_value(
    written: Any, omitted: dict[str, Any] | None, fields: list[str] | None
) -> dict[str, Any]:
    """The block's object as written (RowError when it is neither an object nor a valid row)."""
    if isinstance(written, dict):
        return dict(written) if omitted is None else restore_omitted(written, omitted)
    if fields is not None:
        return row_values(written, fields)
    raise RowError("not_an_object", "answer for this block is not an object")


def map_answer(
    text: str,
    uids: list[str],
    validator: Validator,
    omitted: dict[str, Any] | None = None,
    fields: list[str] | None = None,
) -> MappedAnswer:
    """Raises SchemaRuntimeError when the schema, not the answer, is at fault. With `omitted`
    (sparse answers), left-out keys are restored first and then validated exactly as written;
    with `fields` (row answers), a row is read back into its object first."""
    mapped = MappedAnswer()
    stripped = text.strip()
    if fenced := _FENCE.match(stripped):
        stripped = fenced.group(1)
    try:
        parsed = json.loads(stripped, object_pairs_hook=_pairs)
    except json.JSONDecodeError as exc:
        mapped.problems = {uid: f"answer is not JSON ({exc.msg})" for uid in uids}
        return mapped
    except RecursionError:
        mapped.problems = {uid: "answer is not JSON (nested too deeply)" for uid in uids}
        return mapped
    if not isinstance(parsed, dict):
        mapped.problems = {uid: "answer is not a JSON object keyed by block uid" for uid in uids}
        return mapped
    duplicates: set[str] = getattr(parsed, "duplicates", set())
    expected = set(uids)
    mapped.unknown_uids = [k for k in parsed if k not in expected]
    for uid in uids:
        if uid in duplicates:
            mapped.problems[uid] = "block uid answered more than once"
        elif uid not in parsed:
            mapped.problems[uid] = "no answer for this block"
        else:
            try:
                value = _block_value(parsed[uid], omitted, fields)
            except RowError as exc:
                mapped.problems[uid] = str(exc)
                continue
            if error := _first_error(validator, value):
                where = "/".join(str(p) for p in error.absolute_path) or "(root)"
                mapped.problems[uid] = f"invalid at {where}: {error.message}"[:500]
            else:
                mapped.values[uid] = value
    return mapped
