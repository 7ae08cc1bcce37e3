"""A template's typed parameters and the check of the values a caller gives (pure).

Every problem is reported, one per parameter, with a stable code, so a form can mark each
field at once instead of failing on the first."""

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ParamType = Literal["text", "number", "choice", "multitext", "range"]


class Parameter(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    type: ParamType
    label: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=2000)
    required: bool = False
    default: Any = None
    options: list[str] | None = Field(None, min_length=1, description="choice only")
    min: float | None = Field(None, description="number and range bounds")
    max: float | None = None
    integer: bool = Field(False, description="number and range: whole numbers only")
    max_length: int = Field(500, ge=1, le=20_000, description="text and each multitext item")
    max_items: int = Field(50, ge=1, le=500, description="multitext only")

    @model_validator(mode="after")
    def _consistent(self) -> "Parameter":
        if (self.type == "choice") != (self.options is not None):
            raise ValueError(f"{self.name}: options are required for a choice, and only there")
        if self.default is not None and check_value(self, self.default)[1] is not None:
            raise ValueError(f"{self.name}: the default is not a valid value")
        return self


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _bounded(param: Parameter, number: float) -> tuple[str, str] | None:
    if param.integer and number != int(number):
        return "not_an_integer", "must be a whole number"
    if param.min is not None and number < param.min:
        return "below_minimum", f"must be at least {param.min:g}"
    if param.max is not None and number > param.max:
        return "above_maximum", f"must be at most {param.max:g}"
    return None


def _text(param: Parameter, value: Any) -> tuple[str, str] | None:
    if not isinstance(value, str):
        return "wrong_type", "must be a string"
    if len(value) > param.max_length:
        return "too_long", f"must be at most {param.max_length} characters"
    return None


def _multitext(param: Parameter, value: Any) -> tuple[Any, tuple[str, str] | None]:
    if not isinstance(value, list):
        return None, ("wrong_type", "must be a list of strings")
    if len(value) > param.max_items:
        return None, ("too_many", f"must have at most {param.max_items} items")
    for item in value:
        if (problem := _text(param, item)) or not str(item).strip():
            return None, problem or ("empty_item", "items must not be blank")
    if len({v.strip().lower() for v in value}) != len(value):
        return None, ("duplicate_item", "items must be distinct")
    return [v.strip() for v in value], None


def _range(param: Parameter, value: Any) -> tuple[Any, tuple[str, str] | None]:
    if not isinstance(value, dict) or set(value) != {"min", "max"}:
        return None, ("wrong_type", 'must be {"min": number, "max": number}')
    low, high = _number(value["min"]), _number(value["max"])
    if low is None or high is None:
        return None, ("wrong_type", "min and max must be numbers")
    if low > high:
        return None, ("invalid_range", "min must not be above max")
    problem = _bounded(param, low) or _bounded(param, high)
    cast = int if param.integer else float
    return {"min": cast(low), "max": cast(high)}, problem


def check_value(param: Parameter, value: Any) -> tuple[Any, tuple[str, str] | None]:
    """(normalised value, None) or (None, (code, message))."""
    if param.type == "text":
        return value, _text(param, value)
    if param.type == "choice":
        ok = isinstance(value, str) and value in (param.options or [])
        return value, None if ok else ("not_an_option", f"must be one of {param.options}")
    if param.type == "number":
        number = _number(value)
        if number is None:
            return None, ("wrong_type", "must be a number")
        return (int(number) if param.integer else number), _bounded(param, number)
    if param.type == "multitext":
        return _multitext(param, value)
    return _range(param, value)


def resolve(
    parameters: list[Parameter], given: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """(values for every parameter, defaults filled in; errors as dicts with parameter, code,
    message). A parameter left out takes its default; a required one without a default is an
    error; a name the template does not declare is an error too (a typo must not pass)."""
    values: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    declared = {p.name for p in parameters}
    for name in sorted(set(given) - declared):
        errors.append({"parameter": name, "code": "unknown_parameter", "message": "not declared"})
    for param in parameters:
        value = given.get(param.name, param.default)
        if value is None or value in ("", []):
            if param.required:
                errors.append({"parameter": param.name, "code": "required", "message": "required"})
                continue
            values[param.name] = None if param.type != "multitext" else []
            continue
        normalised, problem = check_value(param, value)
        if problem is not None:
            errors.append({"parameter": param.name, "code": problem[0], "message": problem[1]})
        else:
            values[param.name] = normalised
    return values, errors
