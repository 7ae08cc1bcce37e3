"""One model per message, named for the event. New fields must be optional.

Messages carry ids, never document bytes (claim check): the receiver reads what it needs from
Postgres or blob storage.
"""

from datetime import UTC, datetime
from decimal import Decimal
from typing import ClassVar
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

from strata.contracts import routing
from strata.contracts.documents import DocumentErrorCode
from strata.contracts.exports import ExportStatus
from strata.contracts.routing import Route
from strata.contracts.runs import RunStatus
from strata.contracts.stages import Stage


def _now() -> datetime:
    return datetime.now(UTC)


class Message(BaseModel):
    """A message knows where it goes: `route` is its routing key (and, for a command, the queue
    of the one service that consumes it), so nobody pairs a key with a message by hand."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    route: ClassVar[Route]

    message_id: UUID = Field(default_factory=uuid4)
    occurred_at: datetime = Field(default_factory=_now)


class TenantEvent(Message):
    """A notification an integration may route to a tenant: whose account and project it is
    about. Optional for compatibility with producers older than these fields; every producer
    sets them."""

    account_id: UUID | None = None
    project_id: UUID | None = None


class RunEvent(TenantEvent):
    """`sequence` orders one run's events (progress, completed, cancelled): it grows with each
    transaction that emits them, and within one transaction in emit order. The broker does not
    promise delivery order (publishes run concurrently, retries and relays re-publish), so a
    consumer that cares keeps the highest sequence it has seen per run and ignores lower ones.
    Numbers may skip; None only from producers older than the field."""

    sequence: int | None = None


class DocumentReceived(Message):
    route = routing.DOCUMENT_RECEIVED
    document_id: UUID
    project_id: UUID


class ConversionRequested(Message):
    route = routing.CONVERSION_REQUESTED
    document_id: UUID
    source_format: str


class DocumentConverted(TenantEvent):
    route = routing.DOCUMENT_CONVERTED
    document_id: UUID
    block_count: int


class DocumentFailed(TenantEvent):
    route = routing.DOCUMENT_FAILED
    document_id: UUID
    error_code: DocumentErrorCode
    error_message: str


class PlanRequested(Message):
    """Plan this run's pending overlays that have no pack yet (after creation, a cancel and
    resume, a retry-failed, or the rollup's sweep). Was `PlanRequested` / `run.created`."""

    route = routing.PLAN_REQUESTED
    run_id: UUID


class PackReady(Message):
    """A pack of one run's blocks to send to the model in one call. The overlays carry their
    `pack_id`, so the message stays small however many blocks the pack holds."""

    route = routing.PACK_READY
    run_id: UUID
    pack_id: UUID
    block_count: int
    # How many times these blocks were split before (overflow or mapping failures).
    split_depth: int = 0


class RecountRequested(Message):
    """Recount this run from its overlays. A settle says how many blocks it moved; a cancel,
    resume or retry-failed sends zeros. Was `RecountRequested` / `overlays.settled`."""

    route = routing.RECOUNT_REQUESTED
    run_id: UUID
    completed: int = 0
    failed: int = 0
    released: int = 0


class RunCounters(BaseModel):
    total_blocks: int
    completed_blocks: int
    failed_blocks: int
    pending_blocks: int
    claimed_blocks: int


class RunProgress(RunEvent):
    route = routing.RUN_PROGRESS
    run_id: UUID
    status: RunStatus
    counters: RunCounters
    # Why a run that is not moving is waiting (e.g. waiting_for_api_key, budget_exhausted).
    status_reason: str | None = None
    # What the model calls cost so far, the settle rate since the run started and the time
    # left at that rate (None until there is a rate).
    cost_usd: Decimal | None = None
    blocks_per_second: float | None = None
    eta_s: float | None = None
    stages: list[Stage] | None = None


class RunStagesChanged(Message):
    """A stage of the run's todo list changed status (started, completed or failed)."""

    route = routing.RUN_STAGES
    run_id: UUID
    stages: list[Stage]


class RunCompleted(RunEvent):
    route = routing.RUN_COMPLETED
    run_id: UUID
    status: RunStatus
    counters: RunCounters


class RunCancelled(RunEvent):
    route = routing.RUN_CANCELLED
    run_id: UUID


class ExportRequested(Message):
    route = routing.EXPORT_REQUESTED
    export_id: UUID


class ExportCompleted(TenantEvent):
    route = routing.EXPORT_COMPLETED
    export_id: UUID
    # None for a project-scope export, which spans runs.
    run_id: UUID | None = None
    status: ExportStatus
    row_count: int = 0
    error_message: str | None = None
    account_id: UUID | None = None
    project_id: UUID | None = None
    # The gateway route that serves the file, when the export is ready.
    download_path: str | None = None


# The names before 0.2, kept for one version for integrations that import them.
RunCreated = PlanRequested
OverlaysSettled = RecountRequested
