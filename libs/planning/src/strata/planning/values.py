"""Whether a block's values satisfy the run's schema version (pure).

One rule for every writer of values: the worker checks each answer of the model with it, and the
gateway checks a reviewer's edit with it, so a value the model could not have staged cannot be
confirmed by a person either."""

from typing import Any

from jsonschema.protocols import Validator

from strata.planning.schema_validator import answer_validator

_MAX_MESSAGE = 500


def value_validator(definition: dict[str, Any]) -> Validator:
    """A validator for one block's values under a stored schema definition: never fetches a
    `$ref`, never backtracks on a `pattern` (see schema_validator)."""
    return answer_validator(definition)


def first_problem(validator: Validator, values: Any) -> str | None:
    """None when `values` is valid, else one line naming where and what is wrong."""
    error = next(iter(validator.iter_errors(values)), None)
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"invalid at {where}: {error.message}"[:_MAX_MESSAGE]
