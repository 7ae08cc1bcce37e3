"""Consumer registration for commands and the notifications that answer them, kept apart from
the app so tests register the same handlers on a test broker with an in-memory store."""

import json
from typing import Any, Protocol

from faststream.rabbit import RabbitBroker

from strata.contracts import messages as m
from strata.contracts import routing
from strata.contracts.commands import CommandKind, IngestRequested, RunRequested
from strata.runtime.consumer import consume, consume_notifications

# The model of each notification the follow-up queue is bound to.
FOLLOW_UP_MODELS: dict[str, type[m.Message]] = {
    cls.route.routing_key: cls
    for cls in (m.DocumentConverted, m.DocumentFailed, m.RunCompleted, m.RunCancelled)
}
assert set(FOLLOW_UP_MODELS) == set(routing.COMMAND_FOLLOW_UPS.bound_keys)
REDACTED = "[redacted]"


class HandlesCommands(Protocol):
    async def ingest(self, command: IngestRequested) -> None: ...
    async def start_run(self, command: RunRequested) -> None: ...
    async def follow_up(self, event: m.Message) -> None: ...
    async def invalid(self, kind: CommandKind, value: Any, reason: str) -> None: ...


def redact_credential(body: bytes) -> bytes:
    """The body a dead letter keeps: the credential replaced, or nothing of a body that could
    not be read (it might hold one we cannot find)."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return b'{"redacted": "the body was not JSON"}'
    if isinstance(value, dict) and "credential" in value:
        value["credential"] = REDACTED
    return json.dumps(value).encode()


def register(broker: RabbitBroker, commands: HandlesCommands, *, prefetch: int) -> None:
    async def invalid_ingest(value: Any, reason: str) -> None:
        await commands.invalid(CommandKind.INGEST, value, reason)

    async def invalid_run(value: Any, reason: str) -> None:
        await commands.invalid(CommandKind.RUN, value, reason)

    @consume(
        broker,
        IngestRequested,
        prefetch=prefetch,
        redact=redact_credential,
        on_invalid=invalid_ingest,
    )
    async def on_ingest_requested(command: IngestRequested) -> None:
        await commands.ingest(command)

    @consume(
        broker, RunRequested, prefetch=prefetch, redact=redact_credential, on_invalid=invalid_run
    )
    async def on_run_requested(command: RunRequested) -> None:
        await commands.start_run(command)

    @consume_notifications(broker, routing.COMMAND_FOLLOW_UPS, FOLLOW_UP_MODELS, prefetch=prefetch)
    async def on_follow_up(event: m.Message) -> None:
        await commands.follow_up(event)
