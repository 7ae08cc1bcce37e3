"""Whether a block's values satisfy the run's schema version (pure).

One rule for every writer of values: the worker checks each answer of the model with it, and the
gateway checks a reviewer's edit with it, so a value the model could not have staged cannot be
confirmed by a person either."""

from typing import Any

from jsonschema import Draft202012Validator

_MAX_MESSAGE = 500


def value_validator(definition: dict[str, Any]) -> Draft202012Validator:
    """A validator for one block's values under a (stored, already checked) schema definition."""
    return Draft202012Validator(definition)


def first_problem(validator: Draft202012Validator, values: Any) -> str | None:
    """None when `values` is valid, else one line naming where and what is wrong."""
    error = next(iter(validator.iter_errors(values)), None)
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"invalid at {where}: {error.message}"[:_MAX_MESSAGE]
