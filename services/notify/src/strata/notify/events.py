"""What the event log stores for a notification (pure): its type, the run it belongs to, which
row names its tenant, and the payload clients and webhooks receive."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from strata.contracts import messages as m
from strata.contracts.routing import NOTIFICATIONS

# The model of each notification's routing key: what the event log's queue may carry.
MODELS: dict[str, type[m.Message]] = {
    cls.route.routing_key: cls
    for cls in (
        m.DocumentConverted,
        m.DocumentFailed,
        m.RunProgress,
        m.RunStagesChanged,
        m.RunCompleted,
        m.RunCancelled,
        m.ExportCompleted,
    )
}
EVENT_TYPES = tuple(route.routing_key for route in NOTIFICATIONS)
assert set(MODELS) == set(EVENT_TYPES), "every notification needs a model"


@dataclass(frozen=True)
class NewEvent:
    message_id: UUID
    type: str
    # The row that names the tenant: exactly one of these is set.
    run_id: UUID | None
    document_id: UUID | None
    export_id: UUID | None
    payload: dict[str, Any]
    caused_at: datetime


def new_event(message: m.Message) -> NewEvent:
    payload = message.model_dump(mode="json", exclude={"message_id", "occurred_at"})
    run_id = getattr(message, "run_id", None)
    export_id = getattr(message, "export_id", None)
    document_id = getattr(message, "document_id", None)
    return NewEvent(
        message_id=message.message_id,
        type=message.route.routing_key,
        # An export names its run too, but its tenant is looked up through the export row.
        run_id=run_id,
        document_id=document_id if run_id is None else None,
        export_id=export_id,
        payload=payload,
        caused_at=message.occurred_at,
    )


def finishing_payload(event: NewEvent, *, stages: Any) -> dict[str, Any]:
    """A run's last event carries its final todo list, whatever order the broker delivered
    the last progress and the completion in: a stream that ends on it misses nothing."""
    if event.type in ("run.completed", "run.cancelled") and stages is not None:
        return {**event.payload, "stages": stages}
    return event.payload


def follow_ups(event: NewEvent) -> list[m.Message]:
    """What the event log asks for in the transaction that records an event: a finished
    export changes its run's todo list, which the rollup keeps, so the run is recounted."""
    if event.type == m.ExportCompleted.route.routing_key and event.run_id is not None:
        return [m.RecountRequested(run_id=event.run_id)]
    return []
