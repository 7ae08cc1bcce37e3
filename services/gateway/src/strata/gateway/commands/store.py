"""What the command handlers need from the database, behind one protocol: the Postgres store
(`pg_store.py`) runs the gateway's own domain code; unit tests use an in-memory one."""

from collections.abc import AsyncIterator
from typing import Protocol
from uuid import UUID

from strata.contracts.commands import CommandAnswer, CommandKind, IngestRequested, RunRequested
from strata.contracts.messages import Message
from strata.gateway.commands.answers import CommandRecord


class AlreadyRecordedError(Exception):
    """A command with this key committed first (a concurrent redelivery): nothing was done."""


class CommandStore(Protocol):
    async def authenticate(self, account_id: UUID, credential: str) -> bool:
        """Whether `credential` is a live API token of exactly this account."""
        ...

    async def recorded(
        self, account_id: UUID, kind: CommandKind, command_key: str
    ) -> CommandRecord | None: ...

    async def ingest(
        self, command: IngestRequested, chunks: AsyncIterator[bytes], *, filename: str
    ) -> CommandRecord:
        """Receive the document as an upload is received and record the command, answering
        it, in one transaction. Raises the upload's ApiErrors (`not_found`, `file_too_large`,
        `empty_file`), a reader's SourceError, or AlreadyRecordedError."""
        ...

    async def start_run(self, command: RunRequested) -> CommandRecord:
        """Create the run (after saving a template's schema) as `POST /v1/runs` does and record
        the command, answering it, in one transaction; raises the same ApiErrors, or
        AlreadyRecordedError."""
        ...

    async def answer(self, answer: CommandAnswer) -> None:
        """Publish an answer that changes nothing else (a rejection, a replay)."""
        ...

    async def follow_up(self, event: Message) -> int:
        """Answer the commands waiting on the document or run `event` settles; how many."""
        ...
