"""Using templates: check one before it is stored, instantiate one with parameter values, and
turn a saved schema into an account's own template (pure)."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from strata.gateway.domain.builder import from_schema
from strata.gateway.domain.fields import BuilderSpec
from strata.gateway.domain.schema_versions import Content, validated
from strata.gateway.domain.template_params import Parameter, resolve
from strata.gateway.domain.templates import TemplateDoc, TemplateError, render
from strata.gateway.web.errors import ApiError


def _sample(param: Parameter) -> Any:
    """A valid value for a required parameter without default, to try the template with."""
    low = param.min if param.min is not None else 1
    samples: dict[str, Any] = {
        "text": "example",
        "number": low,
        "choice": (param.options or [""])[0],
        "multitext": ["example"],
        "range": {"min": low, "max": param.max if param.max is not None else low},
    }
    return samples[param.type]


def check_doc(doc: TemplateDoc) -> None:
    """A template must render into a valid schema with its defaults: 422 `invalid_template`."""
    names = [p.name for p in doc.parameters]
    if len(set(names)) != len(names):
        raise ApiError(422, "invalid_template", "parameter names must be distinct")
    given = {p.name: _sample(p) for p in doc.parameters if p.required and p.default is None}
    try:
        content_for(doc.body, doc.parameters, given)
    except ApiError as exc:
        raise ApiError(422, "invalid_template", exc.message) from None


def content_for(
    body: dict[str, Any], parameters: list[Parameter], given: dict[str, Any]
) -> tuple[BuilderSpec, Content, dict[str, Any]]:
    """(fields, schema content, resolved values); 422 `invalid_parameters` with one entry per
    parameter in `details`."""
    values, errors = resolve(parameters, given)
    if errors:
        listed = "; ".join(f"{e['parameter']}: {e['message']}" for e in errors)
        raise ApiError(422, "invalid_parameters", listed, details=errors)
    try:
        spec = render(body, values)
    except TemplateError as exc:
        raise ApiError(422, "invalid_parameters", str(exc)) from None
    return spec, validated(definition=None, prompt_config=None, builder=spec), values


Target = Literal["instructions", "field_instructions", "description", "options", "present"]


class Exposure(BaseModel):
    """One part of a saved schema that becomes a parameter of the new template."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    target: Target
    field: str | None = Field(None, description="the top-level field; not for `instructions`")
    label: str | None = Field(None, max_length=200)
    required: bool = False


_TYPES = {"instructions": "text", "field_instructions": "text", "description": "text"}
_TYPES |= {"options": "multitext", "present": "choice"}
_ATTRS = {"field_instructions": "instructions", "description": "description", "options": "options"}


def template_from_schema(
    definition: dict[str, Any], prompt_config: dict[str, Any], exposures: list[Exposure]
) -> tuple[list[Parameter], dict[str, Any]]:
    """(parameters, body): the schema's fields with the chosen parts replaced by placeholders;
    each parameter's default is the part's current value, so the defaults give the schema back."""
    reading = from_schema(definition, prompt_config)
    if reading.spec is None:
        raise ApiError(
            422,
            "not_builder_schema",
            "only a schema inside the builder's subset can become a template; outside it: "
            + ", ".join(reading.unsupported),
        )
    body = reading.spec.model_dump(mode="json", exclude_none=True)
    fields = {f["name"]: f for f in body["fields"]}
    parameters = []
    for exp in exposures:
        kind, options = _TYPES[exp.target], None
        if exp.target == "instructions":
            default, body["instructions"] = body["instructions"], f"{{{{{exp.name}}}}}"
        else:
            spec = fields.get(exp.field or "")
            if spec is None:
                raise ApiError(
                    422, "invalid_template", f"{exp.name}: no top-level field {exp.field!r}"
                )
            if exp.target == "present":
                default, options = "yes", ["yes", "no"]
                spec["include_if"] = {"param": exp.name, "equals": "yes"}
            else:
                attr = _ATTRS[exp.target]
                if exp.target == "options" and spec["type"] != "choice":
                    raise ApiError(422, "invalid_template", f"{exp.name}: {exp.field} is no choice")
                default, spec[attr] = spec.get(attr), f"{{{{{exp.name}}}}}"
        parameters.append(
            Parameter(
                name=exp.name,
                type=kind,
                label=exp.label,
                required=exp.required,
                default=default,
                options=options,
            )
        )
    return parameters, body
