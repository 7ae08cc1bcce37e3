"""What makes an extraction schema acceptable. Pure: no I/O."""

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import ValidationError

from strata.contracts.schemas import PromptConfig, SchemaDefinition
from strata.gateway.web.errors import describe_validation_errors


class InvalidSchemaError(ValueError):
    pass


def validate_definition(definition: dict[str, Any]) -> dict[str, Any]:
    """The normalised definition, or InvalidSchemaError saying what is wrong."""
    try:
        parsed = SchemaDefinition.model_validate(definition)
    except ValidationError as exc:
        raise InvalidSchemaError(
            f"definition: {describe_validation_errors(exc.errors())}"
        ) from None
    normalised = parsed.json_schema()
    try:
        Draft202012Validator.check_schema(normalised)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "(root)"
        raise InvalidSchemaError(
            f"definition is not valid JSON Schema at {where}: {exc.message}"
        ) from None
    missing = sorted(set(parsed.required) - set(parsed.properties))
    if missing:
        # Legal JSON Schema, but an answer could never satisfy it: surely a typo.
        raise InvalidSchemaError(
            f"definition: required names unknown properties: {', '.join(missing)}"
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
            f"prompt_config: field_instructions name unknown properties: {', '.join(unknown)}"
        )
    return parsed
