"""One model per message, named for the event. New fields must be optional.

Messages carry ids, never document bytes (claim check): the receiver reads what it needs from
Postgres or blob storage.
"""

from datetime import UTC, datetime
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

from strata.contracts.overlays import DocumentErrorCode, ExportStatus, RunStatus


def _now() -> datetime:
    return datetime.now(UTC)


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    message_id: UUID = Field(default_factory=uuid4)
    occurred_at: datetime = Field(default_factory=_now)


class DocumentReceived(Message):
    document_id: UUID
    project_id: UUID


class ConversionRequested(Message):
    document_id: UUID
    source_format: str


class DocumentConverted(Message):
    document_id: UUID
    block_count: int


class DocumentFailed(Message):
    document_id: UUID
    error_code: DocumentErrorCode
    error_message: str


class RunCreated(Message):
    run_id: UUID


class PackReady(Message):
    """A pack of one run's blocks to send to the model in one call. The overlays carry their
    `pack_id`, so the message stays small however many blocks the pack holds."""

    run_id: UUID
    pack_id: UUID
    block_count: int
    # How many times these blocks were split before (overflow or mapping failures).
    split_depth: int = 0


class OverlaysSettled(Message):
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


class RunProgress(Message):
    run_id: UUID
    status: RunStatus
    counters: RunCounters
    # Why a run that is not moving is waiting (e.g. waiting_for_api_key, budget_exhausted).
    status_reason: str | None = None


class RunCompleted(Message):
    run_id: UUID
    status: RunStatus
    counters: RunCounters


class RunCancelled(Message):
    run_id: UUID


class ExportRequested(Message):
    export_id: UUID


class ExportCompleted(Message):
    export_id: UUID
    run_id: UUID
    status: ExportStatus
    row_count: int = 0
    error_message: str | None = None
