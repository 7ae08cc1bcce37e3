"""What makes an extraction schema acceptable. Pure: no I/O.

A schema is untrusted code the shared worker evaluates for every answer, so it is checked here
before anything recursive touches it (size and depth first, iteratively), then as JSON Schema
2020-12 (with RE2 for regexes), then for what the worker must never do: fetch a `$ref`, loop on
one, or backtrack on a pattern. Each refusal names the JSON Pointer of the offending keyword in
the request body (`/definition/...`).
"""

from typing import Any

from jsonschema.exceptions import best_match
from pydantic import ValidationError

from strata.contracts.policy import PolicySnapshot
from strata.contracts.schemas import PromptConfig, SchemaDefinition
from strata.gateway.web.errors import describe_validation_errors
from strata.planning.prompt_budget import prompt_room
from strata.planning.schema_bounds import (
    SchemaLimits,
    UnsafeSchemaError,
    check_size_and_depth,
    check_structure,
)
from strata.planning.schema_validator import metaschema_errors


class InvalidSchemaError(ValueError):
    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path  # JSON Pointer into the request body, when one keyword is at fault


def _unsafe(exc: UnsafeSchemaError) -> InvalidSchemaError:
    path = f"/definition{exc.pointer}"
    return InvalidSchemaError(f"definition: {exc.reason} (at {path})", path=path)


def validate_definition(definition: dict[str, Any], *, limits: SchemaLimits) -> dict[str, Any]:
    """The normalised definition, or InvalidSchemaError saying what is wrong and where."""
    try:
        check_size_and_depth(definition, limits)
    except UnsafeSchemaError as exc:
        raise _unsafe(exc) from None
    try:
        parsed = SchemaDefinition.model_validate(definition)
    except ValidationError as exc:
        raise InvalidSchemaError(
            f"definition: {describe_validation_errors(exc.errors())}"
        ) from None
    normalised = parsed.json_schema()
    # Structure first (it is type-defensive): its refusals say more than the metaschema's.
    try:
        check_structure(normalised, limits)
    except UnsafeSchemaError as exc:
        raise _unsafe(exc) from None
    if (error := best_match(metaschema_errors(normalised))) is not None:
        path = "/definition" + "".join(
            "/" + str(p).replace("~", "~0").replace("/", "~1") for p in error.absolute_path
        )
        raise InvalidSchemaError(
            f"definition is not valid JSON Schema at {path}: {error.message[:300]}", path=path
        )
    missing = sorted(set(parsed.required) - set(parsed.properties))
    if missing:
        # Legal JSON Schema, but an answer could never satisfy it: surely a typo.
        raise InvalidSchemaError(
            f"definition: required names unknown properties: {', '.join(missing)}",
            path="/definition/required",
        )
    return normalised


def validate_prompt_config(
    prompt_config: dict[str, Any] | None, *, properties: dict[str, Any]
) -> PromptConfig:
    try:
        parsed = PromptConfig.model_validate(prompt_config or {})
    except ValidationError as exc:
        raise InvalidSchemaError(
            f"prompt_config: {describe_validation_errors(exc.errors())}"
        ) from None
    unknown = sorted(set(parsed.field_instructions) - set(properties))
    if unknown:
        raise InvalidSchemaError(
            f"prompt_config: field_instructions name unknown properties: {', '.join(unknown)}",
            path="/prompt_config/field_instructions",
        )
    return parsed


class PromptTooLargeError(ValueError):
    pass


def check_prompt_fits(
    definition: dict[str, Any], prompt_config: PromptConfig, policy: PolicySnapshot
) -> None:
    """The constant prompt leaves room for blocks under `policy` (see planning.prompt_budget)."""
    room = prompt_room(definition, prompt_config, policy)
    if not room.fits:
        raise PromptTooLargeError(room.explain())
