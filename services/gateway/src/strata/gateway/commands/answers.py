"""What to answer an integration, and when (pure): the rules of a command's answers, apart
from where the rows come from."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from strata.contracts.commands import (
    MAX_ID_CHARS,
    CommandAccepted,
    CommandAnswer,
    CommandDocumentFailed,
    CommandDocumentReady,
    CommandKind,
    CommandRejected,
    CommandRunCancelled,
    CommandRunCompleted,
    IntegrationCommand,
    RunRequested,
)
from strata.contracts.documents import DocumentStatus
from strata.contracts.messages import (
    DocumentConverted,
    DocumentFailed,
    Message,
    RunCancelled,
    RunCompleted,
)


@dataclass(frozen=True)
class CommandRecord:
    """A command that was accepted: what its answers name (a row of `commands`)."""

    account_id: UUID
    kind: CommandKind
    command_key: str
    correlation_id: str
    project_id: UUID | None
    document_id: UUID | None = None
    run_id: UUID | None = None
    schema_id: UUID | None = None
    duplicate: bool = False


@dataclass(frozen=True)
class DocumentState:
    status: DocumentStatus
    block_count: int
    error_code: str | None
    error_message: str | None


def accepted(record: CommandRecord, *, replayed: bool = False) -> CommandAccepted:
    return CommandAccepted(
        correlation_id=record.correlation_id,
        command=record.kind,
        account_id=record.account_id,
        project_id=record.project_id,
        document_id=record.document_id,
        run_id=record.run_id,
        schema_id=record.schema_id,
        duplicate=record.duplicate,
        replayed=replayed,
    )


def rejected(
    command: IntegrationCommand, kind: CommandKind, *, code: str, message: str
) -> CommandRejected:
    return CommandRejected(
        correlation_id=command.correlation_id,
        command=kind,
        account_id=command.account_id,
        project_id=getattr(command, "project_id", None),
        code=code,
        message=message,
    )


def rejected_invalid(value: Any, kind: CommandKind, reason: str) -> CommandRejected | None:
    """The answer to a body that is not the command's contract, when it names a correlation
    id to answer with (otherwise nobody could tell which command it answers)."""
    if not isinstance(value, dict):
        return None
    correlation_id = value.get("correlation_id")
    if not isinstance(correlation_id, str) or not 0 < len(correlation_id) <= MAX_ID_CHARS:
        return None
    try:
        account_id = UUID(str(value.get("account_id")))
    except ValueError:
        account_id = None
    return CommandRejected(
        correlation_id=correlation_id,
        command=kind,
        account_id=account_id,
        code="invalid_command",
        message=reason,
    )


def on_ingest(record: CommandRecord, document: DocumentState) -> list[CommandAnswer]:
    """Accepted, and at once the document's outcome when it is settled already (the same
    bytes were ingested before): no conversion event will come for it."""
    answers: list[CommandAnswer] = [accepted(record)]
    settled = settled_document(record, document)
    if settled is not None:
        answers.append(settled)
    return answers


def settled_document(record: CommandRecord, document: DocumentState) -> CommandAnswer | None:
    assert record.document_id is not None
    common: dict[str, Any] = {
        "correlation_id": record.correlation_id,
        "command": record.kind,
        "account_id": record.account_id,
        "project_id": record.project_id,
        "document_id": record.document_id,
    }
    if document.status == DocumentStatus.READY:
        return CommandDocumentReady(**common, block_count=document.block_count)
    if document.status == DocumentStatus.FAILED:
        return CommandDocumentFailed(
            **common,
            error_code=document.error_code or "internal_error",
            error_message=document.error_message or "",
        )
    return None


def follow_up(event: Message, record: CommandRecord) -> CommandAnswer | None:
    """The answer a settled document or finished run gives a command that waited on it."""
    common: dict[str, Any] = {
        "correlation_id": record.correlation_id,
        "command": record.kind,
        "account_id": record.account_id,
        "project_id": record.project_id,
    }
    if isinstance(event, DocumentConverted):
        return CommandDocumentReady(
            **common, document_id=event.document_id, block_count=event.block_count
        )
    if isinstance(event, DocumentFailed):
        return CommandDocumentFailed(
            **common,
            document_id=event.document_id,
            error_code=event.error_code,
            error_message=event.error_message,
        )
    if isinstance(event, RunCompleted):
        return CommandRunCompleted(
            **common, run_id=event.run_id, status=event.status, counters=event.counters
        )
    if isinstance(event, RunCancelled):
        return CommandRunCancelled(**common, run_id=event.run_id)
    return None


def run_problem(command: RunRequested) -> str | None:
    """What makes a run command impossible before anything is looked up (`invalid_command`)."""
    if (command.schema_id is None) == (command.template is None):
        return "give exactly one of schema_id and template"
    if command.template is not None and command.project_id is None:
        return "a template run needs project_id: the project its schema is saved in"
    if command.document_ids is None and command.project_id is None:
        return "give document_ids, or project_id to run on every ready document of a project"
    return None


def policy_overrides(command: RunRequested) -> dict[str, Any]:
    # The same key and checks as the HTTP run's `policy_overrides.budget_usd`.
    return {} if command.budget_usd is None else {"budget_usd": float(command.budget_usd)}
