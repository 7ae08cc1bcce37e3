"""Request and response bodies of the schema workflow (builder, check, versions, templates,
previews, comparisons, evaluations). Kept apart from `api_models.py` so each stays readable."""

from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from strata.gateway.api_models import ApiRequest, Run, Schema
from strata.gateway.domain.fields import BuilderSpec
from strata.gateway.domain.template_params import Parameter
from strata.gateway.domain.template_use import Exposure


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


class TemplateOut(BaseModel):
    id: UUID
    slug: str
    name: str
    category: str
    description: str
    example_output: dict[str, Any]
    parameters: list[Parameter]
    body: dict[str, Any] = Field(description="the builder spec with {{placeholders}}")
    scope: Literal["global", "account"]
    builtin: bool


class TemplateRunRequest(ApiRequest):
    document_ids: list[UUID] = Field(min_length=1, max_length=10_000)
    policy_overrides: dict[str, Any] = Field(default_factory=dict)


class TemplateInstantiate(ApiRequest):
    project_id: UUID
    name: str | None = Field(None, min_length=1, max_length=200, description="default: the slug")
    parameters: dict[str, Any] = Field(default_factory=dict)
    base_version: int | None = Field(
        None, ge=1, description="save as a new version of the existing schema of this name"
    )
    run: TemplateRunRequest | None = Field(None, description="also start a run on these")


class TemplateRender(ApiRequest):
    parameters: dict[str, Any] = Field(default_factory=dict)


class TemplateRendered(BuilderPreviewOut):
    builder: BuilderSpec
    values: dict[str, Any] = Field(description="every parameter, defaults filled in")


class Instantiated(BaseModel):
    schema_: Schema = Field(alias="schema")
    run: Run | None = None

    model_config = ConfigDict(populate_by_name=True)


class SaveAsTemplate(ApiRequest):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    name: str = Field(min_length=1, max_length=200)
    category: str = Field("custom", min_length=1, max_length=100)
    description: str = Field("", max_length=4000)
    example_output: dict[str, Any] = Field(default_factory=dict)
    parameters: list[Exposure] = Field(
        default_factory=list, max_length=50, description="which parts become parameters"
    )


class PreviewRequest(ApiRequest):
    document_id: UUID
    # Bounded by the widest GATEWAY_PREVIEW_MAX_BLOCKS; the deployment's own limit answers
    # 422 preview_too_large.
    first_blocks: int | None = Field(
        None, ge=1, le=500, description="the first N blocks (default 5)"
    )
    block_indexes: list[Annotated[int, Field(ge=0, le=2**31 - 1)]] | None = Field(
        None, min_length=1, max_length=500, description="or these blocks"
    )
    wait_s: float | None = Field(None, ge=0, le=120, description="default: the gateway's")


class PreviewBlock(BaseModel):
    block_uid: str
    block_index: int
    block_type: str
    text: str = Field(description="the block's first 300 characters")
    status: str
    values: dict[str, Any] | None
    error_code: str | None


class PreviewOut(BaseModel):
    run: Run = Field(description="the preview run (kind `preview`), with its billed usage")
    complete: bool = Field(description="false: the wait ran out; the run goes on")
    blocks: list[PreviewBlock]
    full_run_estimate: dict[str, Any] = Field(description="the whole document, as a dry run")


class CompareOut(BaseModel):
    left_run_id: UUID
    right_run_id: UUID
    blocks_compared: int
    only_left: int
    only_right: int
    fields: dict[str, float | None] = Field(description="per field: share of blocks that agree")
    differing: list[dict[str, Any]] = Field(description="blocks with a difference, both values")


class EvaluationCreate(ApiRequest):
    schema_id: UUID = Field(description="the version to evaluate")
    reviewed_run_id: UUID = Field(description="a run with confirmed or edited blocks")


class EvaluationScore(BaseModel):
    fields: dict[str, dict[str, Any]]
    overall: float | None
    cost_per_block_usd: Decimal | None


class EvaluationReport(BaseModel):
    run_id: UUID
    schema_id: UUID
    baseline_run_id: UUID
    complete: bool
    blocks: int = Field(description="confirmed or edited blocks scored")
    new: EvaluationScore = Field(description="the evaluated version")
    old: EvaluationScore = Field(description="the reviewed run's staged answers, same blocks")
