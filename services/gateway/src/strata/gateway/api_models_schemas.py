"""Request and response bodies of the schema workflow (builder, check, versions, templates,
previews, comparisons, evaluations). Kept apart from `api_models.py` so each stays readable."""

from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from strata.gateway.api_models import ApiRequest
from strata.gateway.domain.fields import BuilderSpec


class SchemaContentOut(BaseModel):
    """A schema's JSON form, as the worker runs it."""

    definition: dict[str, Any]
    prompt_config: dict[str, Any]


class BuilderReading(BaseModel):
    editable: bool = Field(description="inside the builder's subset: `builder` holds its fields")
    builder: BuilderSpec | None
    unsupported: list[str] = Field(description="the keywords that keep it JSON-only")


class CheckRequest(ApiRequest):
    definition: dict[str, Any] | None = None
    prompt_config: dict[str, Any] | None = None
    builder: BuilderSpec | None = None


class CheckFinding(BaseModel):
    level: Literal["warn", "fail"]
    code: str
    message: str


class CheckOut(BaseModel):
    verdict: Literal["pass", "warn", "fail"]
    reasons: list[CheckFinding]
    prompt_tokens: int | None = Field(description="the constant prompt, estimated")
    block_room_tokens: int | None = Field(description="input tokens left for blocks per call")
    builder_unsupported: list[str] | None = Field(
        description="keywords outside the builder's subset (empty: fully editable as fields)"
    )


class BuilderPreviewOut(SchemaContentOut):
    check: CheckOut


class SchemaFork(ApiRequest):
    name: str = Field(min_length=1, max_length=200)
    project_id: UUID | None = Field(None, description="default: the source's project")


class ChangedField(BaseModel):
    field: str
    changes: list[dict[str, Any]]


class SchemaDiff(BaseModel):
    from_version: int
    to_version: int
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    changed: list[ChangedField]
    settings: list[dict[str, Any]] = Field(description="run-wide instructions, model settings")
