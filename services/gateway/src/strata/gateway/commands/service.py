"""Carrying out an integration's commands: verify the credential, replay a command seen before,
otherwise do the work through the store; every refusal becomes a `command.rejected` answer with
a stable code (the message is then acked: a refused command is answered, not retried)."""

import logging
from typing import Any

from strata.contracts.commands import (
    CommandKind,
    IngestRequested,
    IntegrationCommand,
    RunRequested,
)
from strata.contracts.messages import Message
from strata.gateway.commands import answers, metrics
from strata.gateway.commands.store import AlreadyRecordedError, CommandStore
from strata.gateway.web.errors import ApiError
from strata.runtime.sources import SourceError, Sources, parse_source_uri

logger = logging.getLogger(__name__)

UNAUTHORIZED = "the credential is missing, unknown, expired, revoked or not the account's"


class CommandService:
    def __init__(self, *, store: CommandStore, sources: Sources) -> None:
        self._store = store
        self._sources = sources

    async def ingest(self, command: IngestRequested) -> None:
        kind = CommandKind.INGEST
        if not await self._admitted(command, kind):
            return
        try:
            uri = parse_source_uri(command.source_uri)
            chunks = self._sources.reader_for(uri).chunks(uri)
            await self._store.ingest(command, chunks, filename=command.filename or uri.name)
            metrics.count(kind, "accepted")
        except AlreadyRecordedError:
            await self._replay(command, kind)
        except SourceError as exc:
            if exc.retryable:  # a store that is briefly away: the consumer retries later
                raise
            await self._reject(command, kind, exc.code, exc.message)
        except ApiError as exc:
            await self._reject(command, kind, exc.code, exc.message)

    async def start_run(self, command: RunRequested) -> None:
        kind = CommandKind.RUN
        if not await self._admitted(command, kind):
            return
        problem = answers.run_problem(command)
        if problem is not None:
            await self._reject(command, kind, "invalid_command", problem)
            return
        try:
            await self._store.start_run(command)
            metrics.count(kind, "accepted")
        except AlreadyRecordedError:
            await self._replay(command, kind)
        except ApiError as exc:
            await self._reject(command, kind, exc.code, exc.message)

    async def follow_up(self, event: Message) -> None:
        answered = await self._store.follow_up(event)
        if answered:
            logger.info("%s answered %d command(s)", event.route.routing_key, answered)

    async def invalid(self, kind: CommandKind, value: Any, reason: str) -> None:
        """A body that is not the command's contract: answered when it names a correlation id
        (the consumer dead-letters it, redacted, either way)."""
        reply = answers.rejected_invalid(value, kind, reason)
        if reply is not None:
            await self._store.answer(reply)
        metrics.count(kind, "invalid_command")

    async def _admitted(self, command: IntegrationCommand, kind: CommandKind) -> bool:
        """Verified, and not seen before (a seen command is answered again, not redone)."""
        credential = command.credential
        if not credential or not await self._store.authenticate(command.account_id, credential):
            # One answer for every credential failure, as HTTP's 401: nothing to probe.
            logger.warning("%s command refused: unauthorized", kind.value)
            await self._reject(command, kind, "unauthorized", UNAUTHORIZED)
            return False
        return not await self._replay(command, kind)

    async def _replay(self, command: IntegrationCommand, kind: CommandKind) -> bool:
        record = await self._store.recorded(command.account_id, kind, command.command_key)
        if record is None:
            return False
        # Answered under this command's correlation id, which its sender waits on; the later
        # answers of the work (document ready, run completed) carry the first command's.
        reply = answers.accepted(record, replayed=True)
        await self._store.answer(
            reply.model_copy(update={"correlation_id": command.correlation_id})
        )
        metrics.count(kind, "replayed")
        return True

    async def _reject(
        self, command: IntegrationCommand, kind: CommandKind, code: str, message: str
    ) -> None:
        await self._store.answer(answers.rejected(command, kind, code=code, message=message))
        metrics.count(kind, code)
