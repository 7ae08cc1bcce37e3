"""Request and response bodies of the HTTP API (they are what /docs shows)."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    WithJsonSchema,
    model_validator,
)

from strata.contracts.documents import DocumentStatus
from strata.contracts.exports import ExportContent, ExportFormat, ExportScope, ExportStatus
from strata.contracts.keys import KeyStatus, Provider
from strata.contracts.overlays import FlagKind, OverlayStatus, ReviewAction, ReviewStatus
from strata.contracts.policy import RunMode
from strata.contracts.runs import RunStatus
from strata.contracts.stages import Stage
from strata.gateway.domain.fields import BuilderSpec

T = TypeVar("T")

MONEY_DECIMALS = 8  # the scale of every money column (numeric(14, 8))
_MONEY_QUANTUM = Decimal(1).scaleb(-MONEY_DECIMALS)


def money_text(value: Decimal) -> str:
    """USD as a decimal string with exactly 8 decimals: never `0E-8`, never 20 decimals."""
    return format(Decimal(value).quantize(_MONEY_QUANTUM), "f")


# Every money field of every answer is this type, so the format is decided once.
Money = Annotated[
    Decimal,
    PlainSerializer(money_text, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^-?[0-9]+\.[0-9]{8}$",
            "description": "USD, a decimal string with exactly 8 decimals",
            "examples": ["0.00123400"],
        }
    ),
]


class ErrorDetail(BaseModel):
    code: str = Field(description="stable snake_case identifier")
    message: str
    details: Any = Field(None, description="machine-readable specifics, for some codes")
    path: str | None = Field(
        None, description="JSON Pointer of the offending value in the request body, if one is"
    )
    request_id: str | None = Field(None, description="the answer's X-Request-ID")


class ErrorBody(BaseModel):
    error: ErrorDetail


class ApiRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProjectCreate(ApiRequest):
    name: str = Field(min_length=1, max_length=200)


class Project(BaseModel):
    id: UUID
    name: str
    created_at: datetime


class Document(BaseModel):
    id: UUID
    project_id: UUID
    filename: str
    content_type: str | None
    byte_size: int
    sha256: str
    source_format: str | None
    status: DocumentStatus
    error_code: str | None
    error_message: str | None
    block_count: int | None
    conversion_path: str | None
    created_at: datetime
    updated_at: datetime
    duplicate: bool = Field(False, description="true when the upload matched existing bytes")


class Block(BaseModel):
    block_uid: str
    block_index: int
    block_type: str
    text: str
    section_path: list[str]
    page_start: int | None
    page_end: int | None
    bbox: list[float] | None
    table: dict[str, Any] | None
    token_estimate: int
    list_level: int | None = None
    ocr_confidence: float | None = None
    line_boxes: list[list[float]] | None = None


class BlockPage(BaseModel):
    items: list[Block]
    next_cursor: int | None = Field(description="pass as `cursor` for the next page; null at end")


# Documented for clients, checked by the schema rules: a bad definition answers
# `invalid_schema` with the path of what is wrong, not a generic validation error.
_DEFINITION_OPTIONAL: Any = Field(
    None,
    description="a JSON Schema object whose `properties` are the fields to extract "
    "(or give `builder` fields instead)",
    json_schema_extra={
        "required": ["properties"],
        "properties": {
            "properties": {"type": "object", "additionalProperties": {"type": "object"}}
        },
    },
)


class _SchemaContent(ApiRequest):
    """A schema is given either as JSON Schema (`definition` + `prompt_config`) or as builder
    fields (`builder`), never both."""

    # Kept loose here so a bad definition answers `invalid_schema`, not a generic 422.
    definition: dict[str, Any] | None = _DEFINITION_OPTIONAL
    prompt_config: dict[str, Any] | None = None
    builder: BuilderSpec | None = Field(None, description="fields instead of JSON Schema")

    @model_validator(mode="after")
    def _one_form(self) -> "_SchemaContent":
        if (self.definition is None) == (self.builder is None):
            raise ValueError("give exactly one of definition and builder")
        if self.builder is not None and self.prompt_config is not None:
            raise ValueError("builder carries its own prompt settings: drop prompt_config")
        return self


class SchemaCreate(_SchemaContent):
    name: str = Field(min_length=1, max_length=200)


class SchemaVersionCreate(_SchemaContent):
    base_version: int = Field(ge=1, description="the version this edit started from")


class Schema(BaseModel):
    id: UUID
    project_id: UUID
    name: str
    version: int
    parent_id: UUID | None
    definition: dict[str, Any]
    prompt_config: dict[str, Any]
    created_at: datetime
    template_id: UUID | None = Field(None, description="the template it was instantiated from")
    template_params: dict[str, Any] | None = None


class RunCreate(ApiRequest):
    """Exactly one of `document_ids` and `project_id` (422 otherwise)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {"required": ["document_ids"], "properties": {"document_ids": {"type": "array"}}},
                {"required": ["project_id"], "properties": {"project_id": {"type": "string"}}},
            ],
        },
    )

    schema_id: UUID
    document_ids: list[UUID] | None = Field(
        None,
        min_length=1,
        max_length=10_000,
        description="the documents to run on (exactly one of document_ids and project_id)",
    )
    project_id: UUID | None = Field(
        None,
        description="run on every ready document of the project (exactly one of document_ids "
        "and project_id)",
    )
    policy_overrides: dict[str, Any] = Field(default_factory=dict)
    mode: RunMode | None = Field(
        None,
        description="realtime (one call per pack) or deferred (packs go to the provider's "
        "Message Batches API: half price, results within 24 hours); null: the admin policy's "
        "default, deferred above its deferred_above_blocks",
    )
    dry_run: bool = Field(
        False, description="answer the planned packs, calls, tokens and cost; create nothing"
    )

    @model_validator(mode="after")
    def _one_target(self) -> "RunCreate":
        if (self.document_ids is None) == (self.project_id is None):
            raise ValueError("give exactly one of document_ids and project_id")
        return self


class TokenTotals(BaseModel):
    """Calls, tokens by kind and their cost: estimated before a run, billed during it."""

    calls: int
    input_tokens: int
    cache_write_tokens: int
    cache_read_tokens: int
    output_tokens: int
    cost_usd: Money


class RunEstimateOut(TokenTotals):
    """What a run would cost under its effective policy, before any model call."""

    dry_run: bool = True
    model: str
    blocks: int
    packs: int
    pack_sizes: list[int]
    caching_note: str | None = Field(
        None,
        description="why the run's constant prompt will not be cached although caching is on"
        " (it is below the model's minimum cacheable prompt); null when it will be",
    )
    mode: str = Field(description="the run's mode; cost_usd is priced in it")
    realtime_cost_usd: Money = Field(description="the same packs as one realtime call each")
    deferred_cost_usd: Money = Field(description="the same packs as Message Batch requests")
    answer_form: str = Field(
        "full",
        description="how each block's answer is asked for and priced: `rows` (its values in a"
        " fixed field order, no keys), `sparse` (an object without null and default values) or"
        " `full` (an object with every key)",
    )
    policy: dict[str, Any]


class RunUsage(TokenTotals):
    """The run's model usage so far: exactly the sum of its `llm_calls` rows."""

    budget_usd: Money | None
    reserved_usd: Money | None = Field(description="worst case of the calls in flight")


class ReviewCounts(BaseModel):
    """A run's review counters, counted from its overlays when read (never incremented)."""

    unreviewed: int = Field(description="every block not yet reviewed, pending ones included")
    confirmed: int
    edited: int
    rejected: int
    flagged: int = Field(description="blocks with at least one flag, whatever their review")
    reviewed: bool = Field(description="nothing is unreviewed")


class Run(BaseModel):
    id: UUID
    project_id: UUID
    schema_id: UUID
    status: RunStatus
    status_reason: str | None
    total_blocks: int
    completed_blocks: int
    failed_blocks: int
    policy: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    document_ids: list[UUID]
    kind: str = Field("standard", description="standard, preview or evaluation")
    baseline_run_id: UUID | None = Field(None, description="an evaluation's reviewed run")
    usage: RunUsage | None = Field(None, description="on GET /v1/runs/{id}")
    stages: list[Stage] | None = Field(
        None, description="the run's todo list; null until the first recount (seconds)"
    )
    review: ReviewCounts | None = Field(None, description="on GET /v1/runs/{id}")


class Overlay(BaseModel):
    block_uid: str
    document_id: UUID
    block_index: int
    status: OverlayStatus
    staged: dict[str, Any] | None
    confirmed: dict[str, Any] | None
    review_status: ReviewStatus
    revision: int = Field(description="name it in a review action (`review_revision`)")
    flags: list[str] = Field(description="`<kind>:<field path>`, set when the block settled")
    attempt_count: int
    last_error_code: str | None
    last_error_message: str | None
    settled_at: datetime | None
    cost_usd: Money = Field(Decimal(0), description="this block's share of its calls' cost")
    trace_id: str | None = Field(
        None,
        description="the trace of the pack call that settled this block (hex, as in Jaeger); "
        "its spans link to the upload, ingest and conversion of the document",
    )
    span_id: str | None = Field(None, description="that pack call's span in the trace")


class OverlayPage(BaseModel):
    items: list[Overlay]
    next_cursor: str | None = Field(description="opaque; pass as `cursor` for the next page")


class ReviewRequest(ApiRequest):
    action: ReviewAction
    revision: int = Field(ge=0, description="the block's revision this action was made against")
    values: dict[str, Any] | None = Field(
        None, description="edit only: fields to set; the others keep their staged value"
    )
    reason: str | None = Field(None, max_length=2000)


class ReviewItem(BaseModel):
    """One settled block as a reviewer sees it: the block beside its values."""

    block_uid: str
    document_id: UUID
    block_index: int
    filename: str
    block_type: str
    text: str
    section_path: list[str]
    page_start: int | None
    page_end: int | None
    status: OverlayStatus
    staged: dict[str, Any] | None
    confirmed: dict[str, Any] | None
    review_status: ReviewStatus
    revision: int
    flags: list[str]
    last_error_code: str | None
    settled_at: datetime | None
    trace_id: str | None = Field(
        None,
        description="the trace of the pack call that settled this block (hex, as in Jaeger); "
        "its spans link to the upload, ingest and conversion of the document",
    )
    span_id: str | None = Field(None, description="that pack call's span in the trace")


class ReviewQueuePage(BaseModel):
    items: list[ReviewItem]
    next_cursor: str | None = Field(description="opaque; pass as `cursor` for the next page")


class StaleRevisionDetail(ErrorDetail):
    current: ReviewItem = Field(description="the block as it is now")


class StaleRevisionBody(BaseModel):
    error: StaleRevisionDetail


class BulkReviewRequest(ApiRequest):
    action: Literal[ReviewAction.CONFIRM, ReviewAction.REJECT, ReviewAction.REOPEN]
    document_id: UUID | None = Field(None, description="one document of the run; default all")
    status: Literal[OverlayStatus.AI_COMPLETE, OverlayStatus.FAILED] | None = None
    flag: FlagKind | None = Field(None, description="only blocks carrying a flag of this kind")
    include_flagged: bool = Field(
        False, description="confirm flagged blocks too (confirm skips them by default)"
    )
    reason: str | None = Field(None, max_length=2000)


class BulkReviewResult(BaseModel):
    action: ReviewAction
    changed: int = Field(description="blocks this call moved; 0 when repeated")
    skipped_flagged: int = Field(description="blocks left alone because they are flagged")


class ReviewEvent(BaseModel):
    id: int
    block_uid: str
    document_id: UUID
    block_index: int
    action: ReviewAction
    before: dict[str, Any] = Field(description="review_status and confirmed before the action")
    after: dict[str, Any]
    revision: int = Field(description="the block's revision after the action")
    reason: str | None
    account_id: UUID
    account_name: str
    token_hint: str | None = Field(description="last characters of the token that acted")
    created_at: datetime


class ReviewEventPage(BaseModel):
    items: list[ReviewEvent]
    next_cursor: int | None


class ExportCreate(ApiRequest):
    format: ExportFormat = ExportFormat.JSONL
    content: ExportContent = Field(
        ExportContent.CONFIRMED,
        description="confirmed (only confirmed/edited values), staged, or merged "
        "(confirmed where present, else staged; a column says which)",
    )
    document_id: UUID | None = Field(None, description="export only this document of the run")


class ProjectExportCreate(ApiRequest):
    schema_id: UUID = Field(description="the schema version whose runs the export spans")
    format: ExportFormat = ExportFormat.JSONL
    content: ExportContent = ExportContent.CONFIRMED


class Export(BaseModel):
    id: UUID
    project_id: UUID
    run_id: UUID | None = Field(description="null for a project export, which spans runs")
    scope: ExportScope
    content: ExportContent
    document_id: UUID | None
    schema_id: UUID | None
    format: ExportFormat
    status: ExportStatus
    row_count: int | None
    error_message: str | None
    created_at: datetime
    completed_at: datetime | None
    download_path: str | None = Field(None, description="where the file is, once ready")


class ExportPage(BaseModel):
    items: list[Export]
    next_cursor: str | None = Field(description="opaque; pass as `cursor` for the next page")


class BudgetChange(ApiRequest):
    budget_usd: Decimal = Field(
        gt=0,
        lt=1_000_000,
        decimal_places=8,
        description="the run's new cap in USD (a decimal string); at least what it has spent"
        " plus what calls in flight have reserved",
    )


class RunAction(BaseModel):
    run: Run
    overlays_changed: int = Field(description="overlays released (cancel) or retried")
    packs_offered: int = Field(description="packs offered to the workers again (resume)")
    replanned: bool = Field(description="unpacked overlays were sent to planning again")


class ProviderKeyCreate(ApiRequest):
    provider: Provider = Provider.ANTHROPIC
    # SecretStr: never in a repr, a log line or a validation error message.
    api_key: SecretStr = Field(
        min_length=8,
        max_length=500,
        description="the provider's API key (8 to 500 visible ASCII characters: it travels in an "
        "HTTP header); never shown again",
        json_schema_extra={"pattern": r"^[!-~]+$"},
    )
    base_url: str | None = Field(
        None,
        max_length=500,
        description="https endpoint resolving to public addresses (http and private addresses "
        "only for hosts the deployment allows); required for openai_compatible",
    )
    label: str | None = Field(None, max_length=200)


class ProviderKey(BaseModel):
    id: UUID
    provider: Provider
    label: str | None
    base_url: str | None
    hint: str = Field(description="the key's last characters; the key itself is never shown")
    status: KeyStatus
    status_message: str | None
    validated_at: datetime | None
    created_at: datetime


class TokenCreate(ApiRequest):
    name: str | None = Field(None, min_length=1, max_length=200)
    # A lifetime rather than a time: every value the schema allows is valid (no past instant,
    # no clock skew between client and server).
    ttl_seconds: int | None = Field(
        None,
        ge=60,
        le=10 * 365 * 86400,
        description="lifetime in seconds from now (`expires_at` in the answer); none = no expiry",
    )


class Token(BaseModel):
    id: UUID
    name: str | None
    hint: str = Field(description="the token's last characters; the token is never shown again")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = Field(description="updated at most once a minute")
    revoked_at: datetime | None


class TokenCreated(Token):
    token: str = Field(description="the bearer token; shown in this answer only")


class Policy(BaseModel):
    settings: dict[str, Any]  # every key, effective value (stored value or default)
    updated_at: datetime
    updated_by: UUID | None


class PolicyChange(BaseModel):
    id: int
    changed_by: UUID
    changed_by_name: str
    changed_at: datetime
    changed_keys: list[str]
    old_settings: dict[str, Any]
    new_settings: dict[str, Any]


class PolicyAuditPage(BaseModel):
    items: list[PolicyChange]
    next_cursor: int | None


class DeadLetter(BaseModel):
    id: UUID
    message_id: str | None
    queue: str | None = Field(description="the consumer queue that gave up on it")
    routing_key: str
    error_code: str | None
    error: str | None
    payload: Any
    headers: dict[str, Any]
    received_at: datetime


class DeadLetterPage(BaseModel):
    items: list[DeadLetter]
    next_cursor: str | None = Field(description="opaque; pass as `cursor` for the next page")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        None, description="opaque; pass as `cursor` for the next page; null on the last page"
    )


class Event(BaseModel):
    """One entry of the event log: the SSE `id` and `event`, and its `data` as JSON."""

    id: int = Field(description="increasing; resume after it with Last-Event-ID or ?after=")
    type: str
    project_id: UUID
    run_id: UUID | None
    created_at: datetime
    caused_at: datetime = Field(description="when the change behind the event was made")
    data: dict[str, Any]


class EventPage(BaseModel):
    items: list[Event]
    next_after: int = Field(description="pass as `after` to get what follows")


class WebhookCreate(ApiRequest):
    url: str = Field(min_length=1, max_length=2000)
    event_types: list[str] | None = Field(
        None, description="the event types to deliver; all of them when omitted"
    )


class WebhookUpdate(ApiRequest):
    url: str | None = Field(None, min_length=1, max_length=2000)
    event_types: list[str] | None = None
    enabled: bool | None = Field(None, description="true re-enables a disabled subscription")


class Webhook(BaseModel):
    id: UUID
    project_id: UUID
    url: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None
    created_at: datetime
    updated_at: datetime


class WebhookCreated(Webhook):
    secret: str = Field(description="the signing secret (whsec_...): shown this once only")


class WebhookAttempt(BaseModel):
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class WebhookDelivery(BaseModel):
    id: UUID = Field(description="the webhook-id header of every attempt")
    event_id: int
    event_type: str
    status: str = Field(description="pending, delivered or failed")
    attempt_count: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    attempts: list[WebhookAttempt]


class WebhookDeliveryPage(BaseModel):
    items: list[WebhookDelivery]
    next_cursor: str | None
