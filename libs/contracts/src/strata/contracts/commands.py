"""Commands an integration publishes to start work, and the answers it gets back.

A command names its account and proves it with `credential` (an API token of that account,
verified exactly like HTTP's bearer token): access to the broker alone does not let anyone act
as an account. Every answer carries the command's `correlation_id`, the integration's own id.
New fields must be optional, as for every message.
"""

from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from strata.contracts import routing
from strata.contracts.messages import Message, RunCounters, TenantEvent
from strata.contracts.runs import RunStatus

# Integration ids are opaque to us; bounded so that one cannot fill a row or a log line.
MAX_ID_CHARS = 200


class CommandKind(StrEnum):
    INGEST = "ingest"
    RUN = "run"


class IntegrationCommand(Message):
    """What every command carries: who asks, the proof, and the integration's ids."""

    account_id: UUID
    # Optional in the model so that a missing one is answered (`unauthorized`), not dropped.
    # Never repeated in an answer, a log line or a dead letter.
    credential: str | None = Field(
        None,
        max_length=512,
        repr=False,
        description="an API token of the account (`strata_…`); verified by its hash",
    )
    correlation_id: str = Field(
        min_length=1, max_length=MAX_ID_CHARS, description="the integration's own id"
    )
    idempotency_key: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_ID_CHARS,
        description="a second command with the same key (per account and kind) does nothing "
        "new: it is answered `command.accepted` with `replayed: true` and the first ids; "
        "default: the message_id, so a redelivery is a replay",
    )

    @property
    def command_key(self) -> str:
        return self.idempotency_key or str(self.message_id)


class IngestRequested(IntegrationCommand):
    """Ingest one document from a blob URI the deployment can read into a project; it is then
    checked and converted like an upload (same size and type limits)."""

    route = routing.INGEST_REQUESTED
    project_id: UUID
    source_uri: str = Field(
        min_length=1,
        max_length=4096,
        description="`file:///…` under an import root (GATEWAY_IMPORT_ROOTS), or another "
        "scheme the deployment has a reader for",
    )
    filename: str | None = Field(
        None, max_length=1000, description="default: the last part of the URI's path"
    )
    content_type: str | None = Field(None, max_length=200)


class TemplateChoice(BaseModel):
    """A template and the parameters to fill it with: a schema version is saved from it (as
    `POST /templates/{slug}/instantiate` does) and the run uses that version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: str = Field(min_length=1, max_length=200)
    parameters: dict[str, Any] = Field(default_factory=dict)
    name: str | None = Field(
        None, min_length=1, max_length=200, description="the schema's name; default: the slug"
    )


class RunRequested(IntegrationCommand):
    """Start a run of a schema version (`schema_id`) or of a template with parameters
    (`template` and `project_id`) on `document_ids`, or on every ready document of
    `project_id` when no documents are named; optionally capped by `budget_usd`."""

    route = routing.RUN_REQUESTED
    schema_id: UUID | None = None
    template: TemplateChoice | None = None
    project_id: UUID | None = None
    document_ids: list[UUID] | None = Field(None, min_length=1, max_length=10_000)
    # Checked like the HTTP run's `policy_overrides.budget_usd` (`invalid_policy_override`).
    budget_usd: Decimal | None = None


class CommandAnswer(TenantEvent):
    """What every answer carries: which command of which integration it answers."""

    correlation_id: str
    command: CommandKind


class CommandAccepted(CommandAnswer):
    """The command was verified and its work is under way (or, `replayed`, was already)."""

    route = routing.COMMAND_ACCEPTED
    document_id: UUID | None = None
    run_id: UUID | None = None
    schema_id: UUID | None = None
    # Ingest: the same bytes were already in the project; this is that document.
    duplicate: bool = False
    # A command with this idempotency key was accepted before: these are its ids.
    replayed: bool = False


class CommandRejected(CommandAnswer):
    """The command did nothing. `code` is stable (`unauthorized`, `not_found`,
    `source_not_allowed`, `file_too_large`, `document_not_ready`, …); `account_id` is the one
    the command named, which an `unauthorized` rejection did not prove."""

    route = routing.COMMAND_REJECTED
    code: str
    message: str


class CommandDocumentReady(CommandAnswer):
    """The ingested document is converted: its blocks can be run."""

    route = routing.COMMAND_DOCUMENT_READY
    document_id: UUID
    block_count: int


class CommandDocumentFailed(CommandAnswer):
    """The ingested document was refused by the checks or failed conversion."""

    route = routing.COMMAND_DOCUMENT_FAILED
    document_id: UUID
    error_code: str
    error_message: str


class CommandRunCompleted(CommandAnswer):
    """The run the command started is complete: every block settled."""

    route = routing.COMMAND_RUN_COMPLETED
    run_id: UUID
    status: RunStatus
    counters: RunCounters


class CommandRunCancelled(CommandAnswer):
    """The run the command started was cancelled (by a person, or its project deleted)."""

    route = routing.COMMAND_RUN_CANCELLED
    run_id: UUID
